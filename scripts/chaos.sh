#!/usr/bin/env bash
# The chaos run (see scripts/chaos.py): SIGKILLs, a dev-server restart, provider outages; prints figures.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
PY="$(bash scripts/bootstrap.sh)"
WAYPOINT_TEMPORAL_BIN="$(bash scripts/ensure-temporal.sh)"
export WAYPOINT_TEMPORAL_BIN
exec "$PY" scripts/chaos.py "$@"
