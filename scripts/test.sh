#!/usr/bin/env bash
# Installs the test dependencies and runs the whole suite: lint, types, and pytest on
# SQLite and PostgreSQL with the browser tests. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
scripts/services.sh

.venv/bin/ruff check src tests benchmarks
.venv/bin/mypy

set +e
.venv/bin/python -m pytest -q "$@"
rc=$?
set -e
if [ "$rc" = 5 ]; then
  echo "pytest collected no tests: treating as a failure" >&2
  exit 1
fi
exit "$rc"
