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
# The Debian packages of the test mode download while pip works (both wait on the network).
apt_pid=""
if [ "$mode" = "test" ]; then
  # Hangul in the browser tests' screenshots needs a Korean font (fonts-nanum); the inquiry
  # benchmark (and its test) loads the servers with wrk; the mail tests talk to dovecot.
  if [ ! -x /usr/bin/chromium ] || [ ! -d /usr/share/fonts/truetype/nanum ] || [ ! -x /usr/sbin/dovecot ] \
    || ! command -v wrk >/dev/null; then
    sudo_cmd=""
    if [ "$(id -u)" != "0" ]; then sudo_cmd="sudo"; fi
    (
      $sudo_cmd apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium fonts-nanum dovecot-imapd wrk >/dev/null
    ) &
    apt_pid=$!
  fi
fi
.venv/bin/python -m pip install --quiet --upgrade pip
if [ "$mode" = "test" ]; then
  .venv/bin/python -m pip install --quiet -e ".[dev]"
else
  .venv/bin/python -m pip install --quiet -e .
fi
if [ -n "$apt_pid" ] && ! wait "$apt_pid"; then
  echo "apt-get could not install chromium, fonts-nanum, dovecot-imapd and wrk" >&2
  exit 1
fi
