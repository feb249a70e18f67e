"""Keeps benchmarks/report_queries.py from rotting: its table on made-up numbers, and its p95.

It checks what the script reports, never how fast anything was.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# benchmarks/ is a folder of scripts that import each other by bare name, not a package.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import report_queries


def test_p95_interpolates_and_survives_one_sample() -> None:
    assert report_queries.p95([5.0]) == 5.0
    assert report_queries.p95([float(n) for n in range(1, 21)]) == 19.05


def test_the_table_gives_ratios_to_the_baseline_and_the_target_verdict() -> None:
    result = report_queries.Result
    report = report_queries.BackendReport(
        backend="postgres",
        inquiries=100_000,
        rows_in_range=99_000,
        generate_seconds=120.0,
        baseline=result("count(*) baseline", 40.0, 50.0),
        charts=[result("sla", 100.0, 150.0), result("searches", 400.0, 600.0)],
        dashboard=result("대시보드 전체 (12개 그래프)", 900.0, 1500.0),
    )
    args = argparse.Namespace(repeats=10, days=90)
    text = report_queries.render([report], args, "python benchmarks/report_queries.py")
    assert text.startswith("## Report queries")
    assert "| sla | 100.0 | 150.0 | 3.0 | ✓ |" in text
    assert "| searches | 400.0 | 600.0 | 12.0 | ✗ |" in text
    assert "| 대시보드 전체 (12개 그래프) | 900.0 | 1,500.0 | 30.0 |  |" in text
    assert "100,000 inquiries over 90 days (99,000 in the 90-day range)" in text
