#!/usr/bin/env bash
# Prints the path of an executable that starts the official Temporal Java time-skipping test
# server (`<script> <port>`). Resolves the jars from Maven Central into a cache outside the clone
# (first time: a minute or two), then writes a wrapper that `exec`s java so the Python SDK can
# spawn and stop it directly.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
CACHE="${WAYPOINT_CACHE:-$HOME/.cache/waypoint}"
VERSION="$(sed -n 's:.*<temporal.test.server.version>\(.*\)</temporal.test.server.version>.*:\1:p' "$HERE/test-server/pom.xml")"
DIR="$CACHE/temporal-test-server/$VERSION"
WRAPPER="$DIR/temporal-test-server"

if [ -x "$WRAPPER" ] && [ -d "$DIR/lib" ]; then
  echo "$WRAPPER"
  exit 0
fi
command -v java >/dev/null 2>&1 || { echo "ensure-test-server: java (17+) is required for the time-skipping test server" >&2; exit 1; }
command -v mvn >/dev/null 2>&1 || { echo "ensure-test-server: maven is required to fetch the time-skipping test server" >&2; exit 1; }
echo "ensure-test-server: fetching io.temporal:temporal-test-server:$VERSION from Maven Central (first time only)..." >&2
rm -rf "$DIR.tmp" && mkdir -p "$DIR.tmp"
mvn -q -B -Dstyle.color=never -f "$HERE/test-server/pom.xml" dependency:copy-dependencies \
  -DoutputDirectory="$DIR.tmp/lib" -DincludeScope=runtime >&2
cat > "$DIR.tmp/temporal-test-server" <<WRAP
#!/bin/sh
# Started by the Temporal Python SDK as: temporal-test-server <port>
exec java -Xss4m -XX:+UseSerialGC -cp "$DIR/lib/*" io.temporal.testserver.TestServer "\$@"
WRAP
chmod +x "$DIR.tmp/temporal-test-server"
rm -rf "$DIR" && mv "$DIR.tmp" "$DIR"
echo "ensure-test-server: ready at $WRAPPER" >&2
echo "$WRAPPER"
