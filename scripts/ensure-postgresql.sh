#!/usr/bin/env bash
# Prints the folder holding PostgreSQL's server programs (initdb, pg_ctl, postgres), installing
# Debian's postgresql package when it is missing (CI runs as root on a fresh machine). Only the
# programs are used: `make cluster` runs a database cluster of its own in the project's data
# directory, on its own port; the package's system cluster is left alone.
set -euo pipefail
find_bin() {
  for dir in "${WAYPOINT_PG_BIN:-}" $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; return 0; fi
  done
  return 1
}
if find_bin; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-postgresql: PostgreSQL's server programs are missing; install them with: sudo apt-get install -y postgresql" >&2
  exit 1
fi
echo "ensure-postgresql: installing Debian's postgresql package (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends postgresql >&2
# The package starts its own system cluster on 5432; ours does not need it.
if command -v pg_ctlcluster >/dev/null 2>&1; then
  for conf in /etc/postgresql/*/main; do
    [ -d "$conf" ] || continue
    v="$(basename "$(dirname "$conf")")"
    pg_ctlcluster "$v" main stop >/dev/null 2>&1 || true
  done
fi
find_bin || { echo "ensure-postgresql: apt-get finished but initdb/pg_ctl are missing" >&2; exit 1; }
