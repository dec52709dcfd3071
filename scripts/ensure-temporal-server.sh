#!/usr/bin/env bash
# Prints the folder holding the Temporal server build for the cluster (`make cluster`):
#   temporal-server, temporal-sql-tool (schema tool), schema/ (PostgreSQL schemas), ui-server.
# Builds the pinned versions from the Go module proxy into a cache outside the clone the first
# time (several minutes on two cores; progress on stderr), then answers at once.
set -euo pipefail
SERVER_VERSION="${TEMPORAL_SERVER_VERSION:-v1.29.1}"
UI_VERSION="${TEMPORAL_UI_SERVER_VERSION:-v2.42.1}"
CACHE="${WAYPOINT_CACHE:-$HOME/.cache/waypoint}"
DIR="$CACHE/temporal-server/$SERVER_VERSION-ui-$UI_VERSION"

if [ -x "$DIR/temporal-server" ] && [ -x "$DIR/temporal-sql-tool" ] && [ -x "$DIR/ui-server" ] \
    && [ -d "$DIR/schema/postgresql/v12/temporal" ]; then
  echo "$DIR"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "ensure-temporal-server: no Go toolchain to build the Temporal server (install Go >= 1.24)" >&2
  exit 1
fi

progress() {  # go install -v names each package as it builds: print every 25th
  awk -v what="$1" '{ n++; if (n % 25 == 0) { printf "ensure-temporal-server: %s: %d packages built (last: %s)\n", what, n, $0 > "/dev/stderr" } }'
}

TMP="$DIR.tmp"
rm -rf "$TMP"
mkdir -p "$TMP"
echo "ensure-temporal-server: building Temporal server $SERVER_VERSION and its schema tool into $DIR (first time only, a few minutes)..." >&2
GOBIN="$TMP" CGO_ENABLED=0 go install -v \
  "go.temporal.io/server/cmd/server@$SERVER_VERSION" \
  "go.temporal.io/server/cmd/tools/sql@$SERVER_VERSION" 2>&1 | progress server
mv "$TMP/server" "$TMP/temporal-server"
mv "$TMP/sql" "$TMP/temporal-sql-tool"

echo "ensure-temporal-server: building the web UI server $UI_VERSION..." >&2
GOBIN="$TMP/ui" CGO_ENABLED=0 go install -v "github.com/temporalio/ui-server/v2/cmd/server@$UI_VERSION" 2>&1 | progress ui
mv "$TMP/ui/server" "$TMP/ui-server"
rmdir "$TMP/ui"

# The PostgreSQL schemas ship inside the server module.
MOD="$(GOFLAGS=-mod=mod go mod download -json "go.temporal.io/server@$SERVER_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')"
if [ -z "$MOD" ] || [ ! -d "$MOD/schema/postgresql/v12" ]; then
  echo "ensure-temporal-server: the server module has no schema/postgresql/v12 (looked in '$MOD')" >&2
  exit 1
fi
mkdir -p "$TMP/schema/postgresql"
cp -r "$MOD/schema/postgresql/v12" "$TMP/schema/postgresql/"
chmod -R u+w "$TMP/schema"

rm -rf "$DIR"
mv "$TMP" "$DIR"
echo "ensure-temporal-server: built $("$DIR/temporal-server" --version 2>/dev/null || echo "server $SERVER_VERSION") and ui-server $UI_VERSION in $DIR" >&2
echo "$DIR"
