#!/usr/bin/env bash
# Installs Gogaek into ./.venv and serves it with demo content on SQLite (./gogaek-data).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh run
exec .venv/bin/gogaek serve --demo "$@"
