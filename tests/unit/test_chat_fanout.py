"""Keeps benchmarks/chat_fanout.py honest: its numbers, its message ids and its log reading.

One integration test runs the whole client machinery (worker processes, sockets, phases) against
the bare relay with a handful of sockets; it checks what was counted, never how fast.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

# benchmarks/ is a folder of scripts that import each other by bare name, not a package.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import chat_fanout
import chat_report
from chat_clients import AGENT, CUSTOMER, message_id, parse_message_id
from chat_stats import flow, latency, percentile, sustained_rate
from common import write_section

MS = 1_000_000


def test_percentiles_are_nearest_rank_and_the_summary_keeps_the_worst() -> None:
    samples = [float(n) for n in range(100, 0, -1)]
    assert percentile(samples, 50) == 50.0
    assert percentile(samples, 99) == 99.0
    assert percentile([], 99) == 0.0
    summary = latency([3.0, 1.0, 2.0, 250.0])
    assert (summary.count, summary.p50_ms, summary.p99_ms, summary.max_ms) == (4, 2.0, 250.0, 250.0)
    assert latency([]).count == 0


def test_a_flow_times_first_arrivals_and_counts_lost_and_repeated_messages() -> None:
    sent = ["a", "b", "c", "d"]
    arrivals = [("a", 0, 5 * MS), ("b", 10 * MS, 12 * MS), ("b", 10 * MS, 40 * MS), ("c", 20 * MS, 30 * MS)]

    result = flow(sent, [*arrivals, ("stranger", 0, 1)])

    assert (result.sent, result.delivered, result.lost, result.duplicates) == (4, 3, 1, 1)
    assert (result.latency.p50_ms, result.latency.max_ms) == (5.0, 10.0)  # b's repeat is not timed
    assert result.last_received_ns == 30 * MS


def test_sustained_rate_is_the_sending_window_unless_the_last_arrival_came_later() -> None:
    kept_up = flow([str(n) for n in range(10)], [(str(n), n * 100 * MS, n * 100 * MS + MS) for n in range(10)])
    assert sustained_rate([kept_up], 0, 1.0) == pytest.approx(10.0)
    backlog = flow(["x", "y"], [("x", 0, 1000 * MS), ("y", 0, 4000 * MS)])
    assert sustained_rate([backlog, kept_up], 0, 1.0) == pytest.approx(12 / 4)
    assert sustained_rate([flow(["z"], [])], 0, 1.0) == 0.0


def test_message_ids_carry_the_send_time_in_characters_the_protocol_allows() -> None:
    value = message_id(3, CUSTOMER, 1999, 42, 123_456_789_012)
    assert len(value) <= 64 and all(ch.isalnum() or ch in "_.:-" for ch in value)
    assert parse_message_id(value) == (3, 42, 123_456_789_012)
    assert parse_message_id(message_id(0, AGENT, 7, 1, 5)) == (0, 1, 5)
    assert parse_message_id("c-123") is None and parse_message_id(None) is None


def test_logged_exceptions_name_the_last_line_of_our_code(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    log.write_text(
        "chat frame failed\n"
        "Traceback (most recent call last):\n"
        '  File "/x/src/gogaek/chat/runtime.py", line 391, in assign_waiting\n'
        "    agent = await self._free_agent(session, conversation.team_id)\n"
        '  File "/x/site-packages/sqlalchemy/orm/attributes.py", line 575, in __get__\n'
        "sqlalchemy.exc.MissingGreenlet: greenlet_spawn has not been called\n"
        "INFO: something else\n",
        encoding="utf-8",
    )
    found = chat_fanout.logged_exceptions(log)
    assert list(found.values()) == [1]
    (line,) = found
    assert line.startswith("sqlalchemy.exc.MissingGreenlet: greenlet_spawn has not been called")
    assert line.endswith("(at chat/runtime.py:391 in assign_waiting)")


@pytest.mark.integration
async def test_a_tiny_bare_run_delivers_every_message_and_renders_its_section(tmp_path: Path) -> None:
    options = replace(chat_report.QUICK, customers=6, agents=2, rate=30.0, seconds=1.0, warmup_seconds=0.5)

    report = await chat_fanout.run_scenario(chat_report.SCENARIOS["bare"], options, tmp_path)

    assert (report.joined, report.auto_assigned, report.active, report.agents_joined) == (6, 6, 6, 2)
    (phase,) = report.phases
    assert phase.to_agent.sent == 30 and phase.to_agent.delivered == 30
    # Each of the two customer processes numbers its 15 messages from 0; agents answer the even ones.
    assert phase.to_customer.sent == 16 and phase.to_customer.delivered == 16
    assert phase.lost == 0 and phase.customer_ack.delivered == 30 and not phase.errors
    body = chat_report.render([report], options, "chat_fanout.py --test")
    assert "## Chat fan-out" in body and "No message was lost" in body
    docs = tmp_path / "benchmarks.md"
    write_section("chat-fanout", body, docs)
    write_section("chat-fanout", body, docs)  # a re-run replaces its section
    assert docs.read_text(encoding="utf-8").count("<!-- chat-fanout:start -->") == 1
