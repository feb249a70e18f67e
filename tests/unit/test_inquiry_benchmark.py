"""Keeps benchmarks/inquiry_load.py from rotting: its own functions, tiny numbers, SQLite.

The full path starts real servers (the app and the bare baseline) and runs wrk against them
(the Debian package ``wrk``, installed by ``scripts/setup.sh test``), so it is marked
integration. It checks what the benchmark measured and reports, never how fast anything was.
"""

from __future__ import annotations

import json
import re
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
import wrk_load
from common import write_section

# Enough open inquiries (~15 % of 600) for a second page of 50 in the agent queue; 1 s wrk runs.
TINY = inquiry_load.Options(inquiries=600, customers=40, connections=4, seconds=1, reads=4)


@pytest.mark.integration
async def test_a_tiny_sqlite_run_measures_every_row_and_renders_its_section(tmp_path: Path) -> None:
    report = await inquiry_load.benchmark_backend("sqlite", TINY, tmp_path)

    assert report.seed.inquiries == 600 and report.seed.customers == 40
    assert report.seed.open > 50 and report.seed.history_customers
    # Every 201 wrk counted was committed; the warm-up run and requests cut off at the end add more.
    assert report.rows_at_reads > 600 + report.submissions.requests
    assert set(report.queue) == {*inquiry_load.QUEUE_VIEWS, "all, 2nd page"}
    loads = [report.bare_post, report.submissions, report.bare_listing, report.listing]
    for load in loads:
        assert load.requests > 0 and load.failures == 0, load.first_failure  # a reused key would fail
        assert 0 < load.p50_ms <= load.p90_ms <= load.p99_ms and load.per_second > 0
        assert 0 < load.client_cpu < 2  # wrk's own CPU, one thread (plus its idle main thread)
    for result in [report.bare_history, report.bare_queue, report.history, *report.queue.values()]:
        assert result.failures == 0 and result.requests == TINY.reads, result.first_failure
    assert report.jobs_drained_seconds is not None  # the app's job worker ran the submissions' jobs
    assert any("inquiries" in line for line in report.queue_plan)  # the captured queue SQL was EXPLAINed

    body = inquiry_load.render([report], TINY, "inquiry_load.py --test")
    assert "## Inquiry load" in body and "agent queue view=all, 2nd page" in body and "query plan" in body
    assert "Gogaek POST /api/v1/inquiries" in body and "Gogaek 문의 내역 GET /api/v1/inquiries" in body
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

    result = await inquiry_load.drive(f"http://127.0.0.1:{port}", calls, 5, 200, warmup=2)

    assert result.failures == 5 and result.requests == 0
    assert result.first_failure is not None and "ConnectError" in result.first_failure
    assert result.percentile(99) == 0.0


async def test_wrk_refuses_an_unreachable_server_and_its_absence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    script = wrk_load.write_script(tmp_path / "get.lua", "GET", "/", ["token"], 200)
    with pytest.raises(RuntimeError, match="unable to connect"):
        await wrk_load.run_wrk(f"http://127.0.0.1:{port}", script, 1, 1)

    monkeypatch.setenv("PATH", str(tmp_path))  # no wrk here: a clear exit, no Python fallback
    with pytest.raises(SystemExit, match="install the Debian package wrk"):
        await wrk_load.run_wrk(f"http://127.0.0.1:{port}", script, 1, 1)


@pytest.mark.integration
async def test_wrong_status_is_a_failure_and_a_dead_server_shows_its_log(tmp_path: Path) -> None:
    wrong = wrk_load.write_script(tmp_path / "wrong.lua", "GET", "/nowhere", ["t"], 200)
    replayed = wrk_load.write_script(  # the baseline answers 201: a 200 is expected nowhere
        tmp_path / "replayed.lua", "POST", "/inquiries", ["t"], 200, inquiry_load.submission_bodies()
    )
    async with inquiry_load.served("bare", {}, tmp_path) as base_url:
        missing = await wrk_load.run_wrk(base_url, wrong, 2, 1)
        other_2xx = await wrk_load.run_wrk(base_url, replayed, 2, 1)
        read = await inquiry_load.drive(base_url, inquiry_load.get_calls("/nowhere", ["t"]), 3, 200, warmup=1)
    assert missing.requests > 0 and missing.failures == missing.requests
    assert missing.first_failure is not None and missing.first_failure.startswith("404 ")
    assert other_2xx.requests > 0 and other_2xx.failures == other_2xx.requests  # wrk alone would pass a 201
    assert other_2xx.first_failure is not None and other_2xx.first_failure.startswith("201 ")
    assert read.failures == 3 and read.first_failure is not None and "404" in read.first_failure

    production_with_default_secret = {"GOGAEK_ENV": "production", "GOGAEK_DATA_DIR": str(tmp_path)}
    with pytest.raises(RuntimeError, match="server exited"):
        async with inquiry_load.served("gogaek", production_with_default_secret, tmp_path):
            pass
    errors = inquiry_load.server_errors(inquiry_load.server_log(tmp_path, "gogaek"))
    assert any("ValidationError" in line for line in errors)  # the cause is picked out of the log


WRK_OUTPUT = """Running 1s test @ http://127.0.0.1:8000/api/v1/inquiries
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    12.43ms   30.81ms    1.20s    97.72%
    Req/Sec   782.40    199.54     1.12k    70.00%
  Latency Distribution
     50%  850.00us
     75%    7.49ms
     90%   11.00ms
     99%    1.02s
  779 requests in 1.00s, 395.77KB read
  Socket errors: connect 0, read 2, write 1, timeout 3
  Non-2xx or 3xx responses: 4
Requests/sec:    778.47
Transfer/sec:    395.50KB
gogaek-unexpected: 5
gogaek-first: 409 {"code":"idempotency_key_reused"}
"""


def test_wrk_output_is_parsed_with_its_units_and_every_failure() -> None:
    result = wrk_load.parse(WRK_OUTPUT, client_cpu=0.25)

    assert (result.requests, result.per_second) == (779, 778.47)
    assert (result.p50_ms, result.p90_ms, result.p99_ms) == (0.85, 11.0, 1020.0)
    assert result.failures == 5 + 6  # wrong statuses (a 200 for a 201 too) plus socket errors
    assert result.first_failure == '409 {"code":"idempotency_key_reused"}' and result.client_cpu == 0.25
    with pytest.raises(RuntimeError, match="unexpected wrk output"):
        wrk_load.parse("unable to connect", client_cpu=0.0)


def test_every_post_gets_a_fresh_idempotency_key_and_a_valid_body(tmp_path: Path) -> None:
    bodies = inquiry_load.submission_bodies()
    script = wrk_load.write_script(tmp_path / "post.lua", "POST", "/api/v1/inquiries", ["a", "b"], 201, bodies)
    lua = script.read_text(encoding="utf-8")

    assert 'local tokens = {"Bearer a", "Bearer b"}' in lua
    assert 'local key = run .. "-" .. id .. "-" .. sent' in lua and 'headers["Idempotency-Key"] = key' in lua
    # Each body survives the Lua escaping byte for byte (Hangul included) and takes the key at its end.
    line = next(line for line in lua.splitlines() if line.startswith("local bodies = {"))
    prefixes = [_lua_unquote(literal) for literal in re.findall(r'"(?:[^"\\]|\\\d{3})*"', line)]
    sent = [json.loads(prefix + ' (#run-1-7)"}') for prefix in prefixes]
    assert sent == [{**body, "body": body["body"] + " (#run-1-7)"} for body in bodies]


def _lua_unquote(literal: str) -> str:
    raw = re.sub(rb"\\(\d{3})", lambda code: bytes([int(code.group(1))]), literal[1:-1].encode("ascii"))
    return raw.decode("utf-8")


def test_percentiles_are_nearest_rank() -> None:
    samples = [float(n) for n in range(100, 0, -1)]
    assert inquiry_load.percentile(samples, 50) == 50.0
    assert inquiry_load.percentile(samples, 99) == 99.0
    assert inquiry_load.percentile(samples, 100) == 100.0
    assert inquiry_load.percentile([], 95) == 0.0
