#!/usr/bin/env bash
# Creates/refreshes the project's virtualenv (.venv) with the service and its test tools.
# Re-installs only when pyproject.toml changed. Prints the venv's python path.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${WAYPOINT_VENV:-$ROOT/.venv}"
PY="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
  echo "bootstrap: creating virtualenv in $VENV" >&2
  "$PY" -m venv "$VENV" >&2
fi
STAMP="$VENV/.installed-$(sha256sum "$ROOT/pyproject.toml" | cut -c1-16)"
if [ ! -f "$STAMP" ]; then
  echo "bootstrap: installing dependencies (pip cache in ~/.cache/pip)" >&2
  "$VENV/bin/python" -m pip install -q --upgrade pip >&2
  "$VENV/bin/python" -m pip install -q -e "$ROOT[dev]" >&2
  rm -f "$VENV"/.installed-* && touch "$STAMP"
fi
# The translation catalogs: locale/*/LC_MESSAGES/*.po -> .mo (quick; only what changed matters).
PYBABEL="$VENV/bin/pybabel" bash "$ROOT/scripts/catalogs.sh" compile
echo "$VENV/bin/python"
