# The two commands a newcomer needs: `make run` and `make test`.
.PHONY: run test demo unit bench lock cluster

run:  ## dev server (SQLite in var/) + web UI + worker
	bash scripts/run.sh

cluster:  ## the real thing: Temporal server on PostgreSQL + web UI + two workers + API, one shared ledger
	bash scripts/cluster.sh

test:  ## the whole test suite against a real Temporal server (what CI runs)
	bash scripts/test.sh

demo:  ## a sample family through a journey, accelerated time (needs `make run` in another terminal)
	bash scripts/demo.sh

unit:  ## tests that need no server (no Temporal, no browser)
	bash scripts/test.sh -m "not temporal and not timeskipping and not browser and not cluster"

bench:  ## journeys against a same-work minimal workflow, same-run ratios (ARGS="--journeys 1000 --dashboard")
	bash scripts/bench.sh $(ARGS)

lock:  ## regenerate requirements.lock and requirements-dev.lock from pyproject.toml (pinned, hashed)
	bash scripts/lock.sh
