# The two commands a newcomer needs: `make run` and `make test`.
.PHONY: run test demo unit

run:  ## dev server (SQLite in var/) + web UI + worker
	bash scripts/run.sh

test:  ## the whole test suite against a real Temporal server (what CI runs)
	bash scripts/test.sh

demo:  ## a sample family through a journey, accelerated time (needs `make run` in another terminal)
	bash scripts/demo.sh

unit:  ## pure-logic tests only (no Temporal)
	bash scripts/test.sh -m "not temporal"
