"""Keeps benchmarks/inquiry_load.py from rotting: its own functions, tiny numbers, SQLite.

The full path starts real servers (the app and the bare baseline), so it is marked
integration. It checks what the benchmark measured and reports, never how fast anything was.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gogaek.db import create_engine
from gogaek.inquiries.models import Inquiry
from gogaek.migrate import upgrade_database

# benchmarks/ is a folder of scripts that import each other by bare name, not a package.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import inquiry_load
import inquiry_seed
from common import write_section

# Enough open inquiries (~15 % of 600) for a second page of 50 in the agent queue.
TINY = inquiry_load.Options(inquiries=600, customers=40, submissions=12, concurrency=3, reads=4)


@pytest.mark.integration
async def test_a_tiny_sqlite_run_measures_every_row_and_renders_its_section(tmp_path: Path) -> None:
    report = await inquiry_load.benchmark_backend("sqlite", TINY, tmp_path)

    assert report.seed.inquiries == 600 and report.seed.customers == 40
    assert report.seed.open > 50 and report.seed.history_customers
    assert report.rows_at_reads == 600 + TINY.submission_warmup + TINY.submissions  # every one committed
    assert set(report.queue) == {*inquiry_load.QUEUE_VIEWS, "all, 2nd page"}
    results = [report.bare_post, report.bare_history, report.bare_queue, report.submissions, report.history]
    for result in [*results, *report.queue.values()]:
        assert result.failures == 0, result.first_failure
    assert report.submissions.requests == report.bare_post.requests == TINY.submissions
    assert all(result.requests == TINY.reads for result in report.queue.values())
    assert report.jobs_drained_seconds is not None  # the app's job worker ran the submissions' jobs
    assert any("inquiries" in line for line in report.queue_plan)  # the captured queue SQL was EXPLAINed

    body = inquiry_load.render([report], TINY, "inquiry_load.py --test")
    assert "## Inquiry load" in body and "agent queue view=all, 2nd page" in body and "query plan" in body
    docs = tmp_path / "benchmarks.md"
    write_section("inquiry_load", body, docs)
    write_section("inquiry_load", body, docs)  # a re-run replaces its section
    assert docs.read_text(encoding="utf-8").count("<!-- inquiry_load:start -->") == 1


async def test_seeding_refuses_a_database_without_categories_or_agents(tmp_path: Path) -> None:
    async with inquiry_load.fresh_database("sqlite", tmp_path, TINY) as settings:
        engine = create_engine(settings)
        try:
            await upgrade_database(engine)
            plan = inquiry_seed.SeedPlan(inquiries=10, customers=2)
            with pytest.raises(ValueError, match="at least one agent"):
                await inquiry_seed.seed(engine, plan, [])
            with pytest.raises(ValueError, match="카테고리가 없습니다"):
                await inquiry_seed.seed(engine, plan, [1])
            async with engine.connect() as connection:  # the refused seed left nothing behind
                assert await connection.scalar(select(func.count()).select_from(Inquiry)) == 0
        finally:
            await engine.dispose()


async def test_unknown_backend_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown backend"):
        async with inquiry_load.fresh_database("mysql", tmp_path, TINY):
            pass


async def test_unreachable_server_counts_failures_instead_of_raising() -> None:
    with socket.socket() as probe:  # a port nobody listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    calls = inquiry_load.get_calls("/api/v1/inquiries", ["token"])

    result = await inquiry_load.drive(f"http://127.0.0.1:{port}", calls, 5, 2, 200)

    assert result.failures == 5 and result.requests == 0
    assert result.first_failure is not None and "ConnectError" in result.first_failure
    assert result.percentile(99) == 0.0


@pytest.mark.integration
async def test_wrong_status_is_a_failure_and_a_dead_server_shows_its_log(tmp_path: Path) -> None:
    async with inquiry_load.served("bare", {}, tmp_path) as base_url:
        result = await inquiry_load.drive(base_url, inquiry_load.get_calls("/nowhere", ["t"]), 3, 1, 200)
    assert result.failures == 3 and result.first_failure is not None and "404" in result.first_failure

    production_with_default_secret = {"GOGAEK_ENV": "production", "GOGAEK_DATA_DIR": str(tmp_path)}
    with pytest.raises(RuntimeError, match="server exited"):
        async with inquiry_load.served("gogaek", production_with_default_secret, tmp_path):
            pass
    errors = inquiry_load.server_errors(inquiry_load.server_log(tmp_path, "gogaek"))
    assert any("ValidationError" in line for line in errors)  # the cause is picked out of the log


def test_percentiles_are_nearest_rank() -> None:
    samples = [float(n) for n in range(100, 0, -1)]
    assert inquiry_load.percentile(samples, 50) == 50.0
    assert inquiry_load.percentile(samples, 99) == 99.0
    assert inquiry_load.percentile(samples, 100) == 100.0
    assert inquiry_load.percentile([], 95) == 0.0
