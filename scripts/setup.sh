#!/usr/bin/env bash
# Installs what Gogaek needs into ./.venv. Usage: scripts/setup.sh [run|test]
#   run  – the service itself (PyPI packages only)
#   test – plus test/dev tools and Debian's chromium (browser tests) and wrk (inquiry benchmark)
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-run}"
python="${PYTHON:-python3}"

if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
if [ "$mode" = "test" ]; then
  .venv/bin/python -m pip install --quiet -e ".[dev]"
  # Hangul in the browser tests' screenshots needs a Korean font (fonts-nanum); the inquiry
  # benchmark (and its test) loads the servers with wrk.
  if [ ! -x /usr/bin/chromium ] || [ ! -d /usr/share/fonts/truetype/nanum ] || [ ! -x /usr/sbin/dovecot ] \
    || ! command -v wrk >/dev/null; then
    sudo_cmd=""
    if [ "$(id -u)" != "0" ]; then sudo_cmd="sudo"; fi
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium fonts-nanum dovecot-imapd wrk >/dev/null
  fi
else
  .venv/bin/python -m pip install --quiet -e .
fi
