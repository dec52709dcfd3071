#!/usr/bin/env bash
# Runs the demo against the service started by `make run` (same defaults).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
PY="$(bash scripts/bootstrap.sh)"
export TEMPORAL_ADDRESS="${TEMPORAL_ADDRESS:-127.0.0.1:${WAYPOINT_TEMPORAL_PORT:-7233}}"
export WAYPOINT_OUTBOX_DIR="${WAYPOINT_OUTBOX_DIR:-${WAYPOINT_DATA_DIR:-$ROOT/var}/outbox}"
# The local payload key `make run` made (payloads are sealed from the first journey).
KEYS_ENV="${WAYPOINT_DATA_DIR:-$ROOT/var}/local-keys.env"
if [ -z "${WAYPOINT_PAYLOAD_KEYS:-}" ] && [ -f "$KEYS_ENV" ]; then
  set -a; . "$KEYS_ENV"; set +a
fi
exec "$PY" starter.py demo "$@"
