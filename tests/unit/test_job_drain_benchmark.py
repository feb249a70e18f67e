"""Keeps benchmarks/job_drain.py from rotting: one tiny real drain, and the report on made-up
numbers. It checks what the script counts and prints, never how fast anything was."""

from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/ is a folder of scripts that import each other by bare name, not a package.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import job_drain


async def test_a_drain_runs_every_job_the_submissions_left() -> None:
    drain = await job_drain.child("sqlite", 4)
    # Each submission: its "created" event, its assignment, and the assignment's event.
    assert drain.jobs == 12
    assert drain.seconds > 0 and drain.cpu_seconds > 0


def test_the_report_compares_each_code_with_the_first() -> None:
    results = {
        "sqlite": {
            "`abc` (before)": job_drain.Drain(jobs=300, seconds=6.0, cpu_seconds=4.5),
            "this tree": job_drain.Drain(jobs=300, seconds=1.5, cpu_seconds=1.2),
        }
    }
    report = job_drain.render(results, 100, ".venv/bin/python benchmarks/job_drain.py", 1.0)
    assert "| sqlite | `abc` (before) | 300 | 6.0 | 50 | 15.0 | 17 | 1.00× |" in report
    assert "| sqlite | this tree | 300 | 1.5 | 200 | 4.0 | 67 | 4.00× |" in report
