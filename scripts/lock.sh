#!/usr/bin/env bash
# `make lock`: regenerate the locked dependency sets from pyproject.toml, every package pinned
# with the hashes of all its published files (any platform), so every install gets exactly these.
#   requirements.lock       what the service needs (the Dockerfile installs this)
#   requirements-dev.lock   the same versions plus the test and lint tools (make run/test, CI)
# Uses uv from PyPI: the one bootstrap installed into .venv, else one installed once into
# ~/.cache/waypoint/uv (so a lock can be made before the venv installs, e.g. for a new dependency).
# After a tzdata or temporalio upgrade, run `make test` (the recorded histories replay) and
# `starter.py check-replay --all` against the running journeys before deploying: both change
# what a replay computes (see README, "Dependencies").
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
UV="${UV:-$ROOT/.venv/bin/uv}"
if [ ! -x "$UV" ]; then
  TOOLS="${WAYPOINT_CACHE:-$HOME/.cache/waypoint}/uv"
  if [ ! -x "$TOOLS/bin/uv" ]; then
    echo "lock: installing uv from PyPI into $TOOLS" >&2
    "${PYTHON:-python3}" -m venv "$TOOLS" >&2
    "$TOOLS/bin/python" -m pip install -q "uv>=0.5,<1" >&2
  fi
  UV="$TOOLS/bin/uv"
fi
COMMON=(--universal --python-version 3.11 --generate-hashes --quiet --no-header)
"$UV" pip compile pyproject.toml "${COMMON[@]}" "$@" -o requirements.lock
"$UV" pip compile pyproject.toml --extra dev --constraint requirements.lock "${COMMON[@]}" "$@" -o requirements-dev.lock
echo "lock: requirements.lock ($(grep -c '^[a-z0-9]' requirements.lock) packages), requirements-dev.lock ($(grep -c '^[a-z0-9]' requirements-dev.lock) packages)" >&2
