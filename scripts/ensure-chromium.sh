#!/usr/bin/env bash
# Prints the path of Debian's Chromium, installing the distribution package when it is missing
# (CI runs as root on a fresh machine). No other browser is ever downloaded: the browser tests
# point Playwright at this binary and `playwright install` is never run.
set -euo pipefail
for candidate in "${WAYPOINT_CHROMIUM_BIN:-}" /usr/bin/chromium; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then
    # A CJK font, so the Chinese pages in screenshots show characters, not boxes (best effort).
    if [ "$(id -u)" -eq 0 ] && ! fc-list 2>/dev/null | grep -qi -e wqy -e "noto sans cjk"; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-wqy-zenhei >&2 || true
    fi
    echo "$candidate"; exit 0
  fi
done
if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-chromium: /usr/bin/chromium is missing; install it with: sudo apt-get install -y chromium" >&2
  exit 1
fi
echo "ensure-chromium: installing Debian's chromium package (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends chromium fonts-wqy-zenhei >&2
if [ ! -x /usr/bin/chromium ]; then echo "ensure-chromium: apt-get finished but /usr/bin/chromium is missing" >&2; exit 1; fi
echo /usr/bin/chromium
