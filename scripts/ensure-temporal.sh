#!/usr/bin/env bash
# Prints the path of a `temporal` CLI (dev server + web UI).
# Uses one on PATH if present; otherwise builds the pinned version from the Go module proxy
# into a cache outside the clone (first time: several minutes; afterwards instant).
set -euo pipefail
VERSION="${TEMPORAL_CLI_VERSION:-v1.5.1}"
CACHE="${WAYPOINT_CACHE:-$HOME/.cache/waypoint}"
BIN_DIR="$CACHE/temporal-cli/$VERSION"

if [ -z "${TEMPORAL_CLI_FORCE_BUILD:-}" ] && command -v temporal >/dev/null 2>&1; then
  command -v temporal
  exit 0
fi
if [ -x "$BIN_DIR/temporal" ]; then
  echo "$BIN_DIR/temporal"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "ensure-temporal: no 'temporal' on PATH and no Go toolchain to build it (install Go >= 1.22 or the Temporal CLI)" >&2
  exit 1
fi
mkdir -p "$BIN_DIR"
echo "ensure-temporal: building temporal CLI $VERSION from the Go module proxy into $BIN_DIR (first time only, takes a few minutes)..." >&2
# -x would be too noisy; print the packages as they build so progress is visible.
GOBIN="$BIN_DIR.tmp" CGO_ENABLED=0 go install -v "github.com/temporalio/cli/cmd/temporal@$VERSION" 2>&1 \
  | awk '{ n++; if (n % 25 == 0) { printf "ensure-temporal: %d packages built (last: %s)\n", n, $0 > "/dev/stderr" } }'
mv "$BIN_DIR.tmp/temporal" "$BIN_DIR/temporal"
rmdir "$BIN_DIR.tmp" 2>/dev/null || true
echo "ensure-temporal: built $("$BIN_DIR/temporal" --version)" >&2
echo "$BIN_DIR/temporal"
