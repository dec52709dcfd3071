#!/usr/bin/env bash
# Installs what is missing (virtualenv, Temporal CLI, Java time-skipping test server; cached
# outside the clone) and runs the whole test suite against real Temporal servers.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k reminders`.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
PY="$(bash scripts/bootstrap.sh)"
export PYTHONTZPATH=""  # zone data from the pinned tzdata package only (replays compute the same times)
WAYPOINT_TEMPORAL_BIN="$(bash scripts/ensure-temporal.sh)"
WAYPOINT_TEST_SERVER_BIN="$(bash scripts/ensure-test-server.sh)"
export WAYPOINT_TEMPORAL_BIN WAYPOINT_TEST_SERVER_BIN
# The cluster proof (tests/proof/test_cluster.py): PostgreSQL and the Temporal server + UI builds.
bash scripts/ensure-postgresql.sh >/dev/null
WAYPOINT_TEMPORAL_SERVER_DIR="$(bash scripts/ensure-temporal-server.sh)"
WAYPOINT_CHROMIUM_BIN="$(bash scripts/ensure-chromium.sh)"  # Debian's chromium for the browser tests
export WAYPOINT_CHROMIUM_BIN
echo "test.sh: temporal CLI $WAYPOINT_TEMPORAL_BIN; time-skipping server $WAYPOINT_TEST_SERVER_BIN; Temporal server $WAYPOINT_TEMPORAL_SERVER_DIR; chromium $WAYPOINT_CHROMIUM_BIN" >&2
if [ $# -eq 0 ]; then
  # The whole run also holds the code to its lint and type rules (configured in pyproject.toml).
  echo "test.sh: ruff and mypy" >&2
  "$PY" -m ruff check .
  "$PY" -m mypy
fi
exec "$PY" -m pytest "$@"
