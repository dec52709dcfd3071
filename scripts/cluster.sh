#!/usr/bin/env bash
# `make cluster`: the real Temporal server on PostgreSQL, its web UI, two workers and the API, every
# part a process on this machine (what docker-compose.yml deploys). Installs what is missing
# first (PostgreSQL from Debian's packages; the Temporal server and UI built once into
# ~/.cache/waypoint). Prints where everything is; Ctrl-C stops it; data stays in var/cluster.
#   bash scripts/cluster.sh --workers 3        # more workers (ports: see scripts/cluster.py)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
PY="$(bash scripts/bootstrap.sh)"
bash scripts/ensure-postgresql.sh >/dev/null
bash scripts/ensure-temporal-server.sh >/dev/null
exec "$PY" scripts/cluster.py "$@"
