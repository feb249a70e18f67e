#!/usr/bin/env bash
# Translators' workflow (docs/i18n.md):
#   scripts/i18n.sh extract   # collect every _("…") of the code and templates into messages.pot
#   scripts/i18n.sh update    # merge new messages into locale/en/LC_MESSAGES/messages.po (drops unused ones)
# The app reads the .po file itself; there is no compile step.
set -euo pipefail
cd "$(dirname "$0")/.."
POT=src/gogaek/locale/messages.pot
case "${1:-}" in
  extract) .venv/bin/pybabel extract -F babel.cfg --no-location --sort-output -o "$POT" src/gogaek ;;
  update) .venv/bin/pybabel update -i "$POT" -d src/gogaek/locale -l en --no-fuzzy-matching --ignore-obsolete ;;
  *) echo "usage: $0 extract|update" >&2; exit 2 ;;
esac
