#!/usr/bin/env bash
# The translation catalogs (locale/<language>/LC_MESSAGES/<domain>.po), with Babel:
#   bash scripts/catalogs.sh extract   # the strings the code and templates use -> locale/<domain>.pot
#   bash scripts/catalogs.sh update    # extract, then merge new strings into every language's .po
#   bash scripts/catalogs.sh compile   # .po -> .mo (the install step runs this)
#   bash scripts/catalogs.sh init LANG # a new language: a catalog per domain to translate
# A domain is a locale/<domain>.cfg (what to extract); other helpers add theirs the same way.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
PYBABEL="${PYBABEL:-$ROOT/.venv/bin/pybabel}"
domains() { for cfg in locale/*.cfg; do basename "$cfg" .cfg; done; }
extract() {
  for d in $(domains); do
    "$PYBABEL" -q extract -F "locale/$d.cfg" -k pgettext_noop:1c,2 --no-location --sort-output \
      --project "Waypoint Journeys" --msgid-bugs-address "care@waypoint.example" -o "locale/$d.pot" . >&2
    # No creation date: a template that did not change stays byte for byte the same.
    sed -i '/^"POT-Creation-Date: /d' "locale/$d.pot"
  done
}
case "${1:-compile}" in
  extract) extract ;;
  update)
    extract
    for d in $(domains); do
      if ls locale/*/LC_MESSAGES/"$d".po >/dev/null 2>&1; then
        "$PYBABEL" -q update -D "$d" -i "locale/$d.pot" -d locale --no-fuzzy-matching --ignore-obsolete >&2
        sed -i '/^"POT-Creation-Date: /d' locale/*/LC_MESSAGES/"$d".po
      fi
    done ;;
  init)
    extract
    for d in $(domains); do "$PYBABEL" -q init -D "$d" -i "locale/$d.pot" -d locale -l "$2" >&2; done ;;
  compile)
    for d in $(domains); do
      if ls locale/*/LC_MESSAGES/"$d".po >/dev/null 2>&1; then
        "$PYBABEL" -q compile -D "$d" -d locale >&2
      fi
    done ;;
  *) echo "usage: $0 extract|update|compile|init LANG" >&2; exit 2 ;;
esac
