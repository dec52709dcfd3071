#!/usr/bin/env bash
# Creates/refreshes the project's virtualenv (.venv) with the service and its test tools.
# Prints the venv's python path.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${WAYPOINT_VENV:-$ROOT/.venv}"
PY="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
  echo "bootstrap: creating virtualenv in $VENV" >&2
  "$PY" -m venv "$VENV" >&2
fi
# Installs exactly the locked set (requirements-dev.lock: pinned versions, every file's hash
# checked), then this project itself without its dependencies. Re-installs only when the lock
# or pyproject.toml changed. `make lock` regenerates the lock from pyproject.toml.
LOCK="$ROOT/requirements-dev.lock"
STAMP="$VENV/.installed-$(cat "$ROOT/pyproject.toml" "$LOCK" | sha256sum | cut -c1-16)"
if [ ! -f "$STAMP" ]; then
  echo "bootstrap: installing the locked dependencies (pip cache in ~/.cache/pip)" >&2
  "$VENV/bin/python" -m pip install -q --upgrade pip >&2
  "$VENV/bin/python" -m pip install -q --require-hashes --no-deps -r "$LOCK" >&2
  "$VENV/bin/python" -m pip install -q --no-deps --no-build-isolation -e "$ROOT" >&2
  if ! "$VENV/bin/python" -m pip check >&2; then
    echo "bootstrap: the lock does not hold what pyproject.toml asks for: run \`make lock\` and commit both lock files" >&2
    exit 1
  fi
  rm -f "$VENV"/.installed-* && touch "$STAMP"
fi
# The translation catalogs: locale/*/LC_MESSAGES/*.po -> .mo (quick; only what changed matters).
PYBABEL="$VENV/bin/pybabel" bash "$ROOT/scripts/catalogs.sh" compile
echo "$VENV/bin/python"
