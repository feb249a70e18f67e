#!/usr/bin/env bash
# Installs the test dependencies and runs the whole suite: lint, types, and pytest on
# SQLite and PostgreSQL with the browser tests. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
scripts/services.sh

.venv/bin/ruff check src tests benchmarks
.venv/bin/ruff format --check src tests benchmarks
.venv/bin/mypy

# The suite starts about a hundred Python processes (servers, workers, CLI runs). Where the
# environment says PYTHONDONTWRITEBYTECODE, each of them compiled every module of Gogaek again
# (a quarter of a second of CPU each); bytecode is written under __pycache__ (git ignores it).
unset PYTHONDONTWRITEBYTECODE

# Two workers (the CI machine has two cores). --dist loadscope, as tests/conftest.py refines it,
# keeps each module's tests on one backend in one worker, so module-scoped servers and apps
# start once per backend, as without workers. GOGAEK_TEST_WORKERS=0 runs all in this process.
set +e
.venv/bin/python -m pytest -q -n "${GOGAEK_TEST_WORKERS:-2}" --dist loadscope "$@"
rc=$?
set -e
if [ "$rc" = 5 ]; then
  echo "pytest collected no tests: treating as a failure" >&2
  exit 1
fi
exit "$rc"
