"""Running the ``gogaek`` command in tests: in this process (fast) or as a real subprocess.

A subprocess costs about 1.5 s of imports before the command starts, and the CLI tests run
dozens of commands. ``run_cli`` runs the same typer app in this process, with the settings'
``GOGAEK_*`` variables, stdin and separate stdout/stderr, and returns what a subprocess would.
``run_cli_process`` keeps the real entry point (``python -m gogaek``) for the tests that are
about it; each command group keeps at least one such test.
"""

from __future__ import annotations

import subprocess
import sys
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from typer.testing import CliRunner

from gogaek.cli import app as cli_app
from gogaek.config import Settings
from tests.conftest import settings_environment


@dataclass(frozen=True)
class CliResult:
    """The fields of ``subprocess.CompletedProcess`` that the tests read."""

    returncode: int
    stdout: str
    stderr: str


def _invoke(env: dict[str, str], args: tuple[str, ...], stdin: str | None) -> CliResult:
    result = CliRunner().invoke(cli_app, list(args), input=stdin, env=env, catch_exceptions=True)
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        # What the interpreter would print before exiting 1: the test's failure message shows it.
        stderr += "".join(traceback.format_exception(result.exception))
    return CliResult(result.exit_code, result.stdout, stderr)


def run_cli(
    settings: Settings, *args: str, stdin: str | None = None, extra_env: dict[str, str] | None = None
) -> CliResult:
    """The command in this process, on a thread of its own: the commands call ``asyncio.run``,
    which cannot run on the thread of an async test's event loop."""
    env = {**settings_environment(settings), **(extra_env or {})}
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_invoke, env, args, stdin).result(timeout=300)


def run_cli_process(
    settings: Settings, *args: str, stdin: str | None = None, extra_env: dict[str, str] | None = None
) -> CliResult:
    """The command as an operator runs it: ``python -m gogaek`` in a new process."""
    done = subprocess.run(
        [sys.executable, "-m", "gogaek", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**settings_environment(settings), **(extra_env or {})},
        timeout=300,
        check=False,
    )
    return CliResult(done.returncode, done.stdout, done.stderr)
