#!/usr/bin/env bash
# The embedded default: Temporal dev server (SQLite in var/), its web UI, and the worker.
# Installs what is missing first. Ctrl-C stops everything; journeys survive a restart.
# Safe by default: var/ and everything in it are private to the user, payloads are sealed with a
# local key made once (var/local-keys.env, 0600), and the web UI decodes them through a codec
# server on 127.0.0.1 that only answers the local token.
set -euo pipefail
umask 077  # every file and folder made from here on (database, WAL, logs, outbox) is the user's alone
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
PY="$(bash scripts/bootstrap.sh)"
export PYTHONTZPATH=""  # zone data from the pinned tzdata package only (replays compute the same times)
TEMPORAL="$(bash scripts/ensure-temporal.sh)"
PORT="${WAYPOINT_TEMPORAL_PORT:-7233}"
UI_PORT="${WAYPOINT_UI_PORT:-8233}"
DATA="${WAYPOINT_DATA_DIR:-$ROOT/var}"
CODEC_PORT="${WAYPOINT_CODEC_PORT:-8081}"
mkdir -p "$DATA"
chmod -R go-rwx "$DATA"  # also what an earlier, world-readable run left behind
export TEMPORAL_ADDRESS="${TEMPORAL_ADDRESS:-127.0.0.1:$PORT}"
export WAYPOINT_OUTBOX_DIR="${WAYPOINT_OUTBOX_DIR:-$DATA/outbox}"
# With the outbox as provider the ledger only remembers whom each journey wrote to (replies).
export WAYPOINT_LEDGER_URL="${WAYPOINT_LEDGER_URL:-sqlite:///$DATA/ledger.sqlite}"
# JSON log lines of the worker and the API (appended across restarts, rotated; service/logs.py).
export WAYPOINT_LOG_DIR="${WAYPOINT_LOG_DIR:-$DATA/logs}"
# The family page (unless messages point to an organisation's own portal): its links lead to this
# API; its database and sealed documents live under $DATA; a dev document key is made once.
API_PORT="${WAYPOINT_API_PORT:-8000}"
export WAYPOINT_PUBLIC_BASE_URL="${WAYPOINT_PUBLIC_BASE_URL:-http://127.0.0.1:$API_PORT}"
export WAYPOINT_FAMILY_DB="${WAYPOINT_FAMILY_DB:-sqlite:///$DATA/family.sqlite}"
export WAYPOINT_DOCUMENT_STORE="${WAYPOINT_DOCUMENT_STORE:-folder:$DATA/documents}"
if [ -z "${WAYPOINT_DOCUMENT_KEYS:-}${WAYPOINT_CASE_LINK_BASE:-}" ]; then
  DOC_ENV="$("$PY" -m api.dev_defaults --document-keys "$DATA")"
  set -a; . "$DOC_ENV"; set +a
fi
export WAYPOINT_SESSION_STORE_URL="${WAYPOINT_SESSION_STORE_URL:-sqlite:///$DATA/sessions.sqlite}"  # dashboard sessions survive a restart

# Payload encryption from the first journey: a local key, unless keys are configured.
CODEC_NOTE="    Payloads        : encrypted with WAYPOINT_PAYLOAD_KEYS (configured)"
UI_CODEC=()
if [ -z "${WAYPOINT_PAYLOAD_KEYS:-}" ]; then
  KEYS_ENV="$("$PY" -m service.local_keys "$DATA")"
  set -a; . "$KEYS_ENV"; set +a
  UI_CODEC=(--ui-codec-endpoint "http://127.0.0.1:$CODEC_PORT/ui/$WAYPOINT_CODEC_TOKEN")
  CODEC_NOTE="    Payloads        : encrypted with the local key in $KEYS_ENV (keep it; the UI decodes via 127.0.0.1:$CODEC_PORT)
    Other terminals : set -a; . $KEYS_ENV; set +a   (before starter.py, so it reads and writes sealed payloads)"
fi

mapfile -t SA_FLAGS < <("$PY" -c 'from workflows.search_attributes import dev_server_flags; print("\n".join(dev_server_flags()))')

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo "stopping..." >&2
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

"$TEMPORAL" server start-dev --ip 127.0.0.1 --port "$PORT" --ui-port "$UI_PORT" \
  --db-filename "$DATA/temporal.sqlite" --log-level warn "${SA_FLAGS[@]}" "${UI_CODEC[@]}" \
  >>"$DATA/temporal-server.log" 2>&1 &
pids+=($!)

echo "waiting for the Temporal dev server on 127.0.0.1:$PORT ..." >&2
for _ in $(seq 1 120); do
  if "$TEMPORAL" operator cluster health --address "127.0.0.1:$PORT" >/dev/null 2>&1; then break; fi
  if ! kill -0 "${pids[0]}" 2>/dev/null; then echo "Temporal dev server exited; see $DATA/temporal-server.log" >&2; exit 1; fi
  sleep 0.5
done

READY="$DATA/worker.ready"
rm -f "$READY"
WAYPOINT_READY_FILE="$READY" WAYPOINT_PROCESS_NAME="${WAYPOINT_PROCESS_NAME:-worker}" "$PY" worker.py &
pids+=($!)

if [ -n "${WAYPOINT_CODEC_TOKEN:-}" ]; then
  WAYPOINT_CODEC_PORT="$CODEC_PORT" WAYPOINT_CODEC_CORS_ORIGINS="http://127.0.0.1:$UI_PORT,http://localhost:$UI_PORT" \
    "$PY" -m service.codec_server &
  pids+=($!)
fi

# The HTTP API and coordinator dashboard. Without configured keys/accounts, a dev API key and a
# dev coordinator account are created once in $DATA/dev-api.env (local runs only).
DEV_NOTE=""
if [ -z "${WAYPOINT_API_KEYS:-}${WAYPOINT_COORDINATORS:-}${WAYPOINT_SESSION_SECRET:-}" ]; then
  DEV_ENV="$("$PY" -m api.dev_defaults "$DATA")"
  set -a; . "$DEV_ENV"; set +a
  DEV_NOTE="    Dashboard login : coordinator coord-lin, password $WAYPOINT_DEV_PASSWORD   (dev account, local only)
    API key         : $WAYPOINT_DEV_API_KEY   (header X-API-Key; dev key, local only; both in $DEV_ENV)"
  unset WAYPOINT_DEV_PASSWORD WAYPOINT_DEV_API_KEY
fi
WAYPOINT_API_HOST="${WAYPOINT_API_HOST:-127.0.0.1}" WAYPOINT_API_PORT="$API_PORT" "$PY" -m api.app &
pids+=($!)

echo "waiting for the worker to poll and the API to listen ..." >&2
for _ in $(seq 1 240); do
  if [ -f "$READY" ] && "$PY" -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1)" \
      "http://127.0.0.1:$API_PORT/healthz" >/dev/null 2>&1; then break; fi
  for pid in "${pids[@]}"; do
    if ! kill -0 "$pid" 2>/dev/null; then echo "a process exited during start-up; see the lines above" >&2; exit 1; fi
  done
  sleep 0.5
done

# Follow-up commands in another terminal must reach this server, not the default port.
CLI=".venv/bin/python starter.py"
if [ "$PORT" != "7233" ]; then CLI="TEMPORAL_ADDRESS=127.0.0.1:$PORT $CLI"; fi
if [ "$DATA" != "$ROOT/var" ]; then CLI="WAYPOINT_LEDGER_URL=$WAYPOINT_LEDGER_URL $CLI"; fi
DEMO="make demo"
if [ "$PORT" != "7233" ]; then DEMO="WAYPOINT_TEMPORAL_PORT=$PORT make demo"; fi

cat <<MSG

  Waypoint Journeys is running.
    Temporal web UI : http://127.0.0.1:$UI_PORT   (journeys are workflows named journey-<case reference>)
    Temporal gRPC   : 127.0.0.1:$PORT            (data: $DATA/temporal.sqlite)
    Outbox          : $WAYPOINT_OUTBOX_DIR/<case reference>/   (every email and SMS, one file each)
    Server log      : $DATA/temporal-server.log
    Logs            : $WAYPOINT_LOG_DIR/worker.log, api.log   (JSON lines, appended across restarts)
    Dashboard       : http://127.0.0.1:$API_PORT/dashboard/
    Family page     : the link in each guardian's message ($WAYPOINT_PUBLIC_BASE_URL/family/<token>; documents sealed in $DATA/documents)
    HTTP API        : http://127.0.0.1:$API_PORT/docs   (OpenAPI; see docs/http-api.md)
$CODEC_NOTE
$DEV_NOTE

  In another terminal:
    $DEMO                                   a sample family, accelerated time (about two minutes)
    $CLI start examples/case-car-t-question.json
    $CLI status WJ-2026-0042
    $CLI inbound-sms --from +77012345678 --body "СТОП"   a family's reply (STOP, or a question)
    $CLI --help

  Ctrl-C stops the server, the worker and the API.

MSG
wait -n "${pids[@]}"
