#!/usr/bin/env bash
# The benchmark (not part of `make test`): journeys against the same-work minimal workflow on a
# dev server of its own (free ports), figures printed and written to var/bench/latest.json.
# Arguments go to `python -m bench`, e.g. `bash scripts/bench.sh --journeys 1000 --dashboard`.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
PY="$(bash scripts/bootstrap.sh)"
bash scripts/ensure-temporal.sh >/dev/null
exec "$PY" -m bench "$@"
