#!/usr/bin/env bash
# Installs Gogaek into ./.venv and serves it with demo content on SQLite (./gogaek-data).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh run
# People chat during business hours only; the demo opens chat around the clock so that a
# visitor at night still reaches the demo agent (set GOGAEK_CHAT_HOURS=business to see the
# after-hours offer instead).
export GOGAEK_CHAT_HOURS="${GOGAEK_CHAT_HOURS:-always}"
# The demo also receives mail on port 2525 (docs/email.md): mail to help@gogaek.example becomes an inquiry.
export GOGAEK_INBOUND_SMTP_PORT="${GOGAEK_INBOUND_SMTP_PORT:-2525}"
exec .venv/bin/gogaek serve --demo "$@"
