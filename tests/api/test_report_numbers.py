"""Every report number equals what an independent query gives on the same data (SQLite and PostgreSQL).

The data: 300 inquiries of generated history (``gogaek demo generate`` with a seed), plus chats,
FAQ votes, searches, callbacks and calls written by hand. The expected numbers come from
hand-written SQL over raw rows, with Seoul days and business hours worked out in Python by
the calendar's own ``business_time_between`` (not the report's fast clock).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.calendar.business_time import business_time_between
from gogaek.calendar.hours import SEOUL
from gogaek.calendar.service import load_business_hours
from gogaek.chat.models import Conversation
from gogaek.db import UTCDateTime
from gogaek.demo.generate import GeneratePlan, generate_history
from gogaek.helpcenter.models import Article, ArticleVote
from gogaek.inquiries.sla import targets_for
from gogaek.phone.models import Callback, CallLog
from gogaek.reports.schemas import Chart, ReportFilters, parse_filters
from gogaek.reports.service import build_chart

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # Friday 12:00 in Seoul
RANGE = {"from": "2026-10-26", "to": "2026-11-20"}
TIMES = UTCDateTime()
FINISHED = {
    column: f"SELECT created_at, {column} FROM inquiries "  # noqa: S608 - two fixed column names
    f"WHERE created_at >= :start AND created_at < :end AND {column} IS NOT NULL"
    for column in ("first_responded_at", "resolved_at")
}


def seoul(moment: datetime) -> date:
    return moment.astimezone(SEOUL).date()


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


async def rows(session: AsyncSession, sql: str, filters: ReportFilters, **types: Any) -> list[Any]:
    """A hand-written query with :start/:end bound as the filter's UTC range."""
    names = [name for name in ("start", "end") if f":{name}" in sql]
    statement = text(sql).bindparams(*(bindparam(name, type_=TIMES) for name in names))
    if types:
        statement = statement.columns(**types)  # type: ignore[assignment]
    values = {"start": filters.start_at, "end": filters.end_at}
    result = await session.execute(statement, {name: values[name] for name in names})
    return list(result.all())


@pytest.fixture
async def history(app: FastAPI, session: AsyncSession) -> None:
    plan = GeneratePlan(inquiries=300, days=40, seed=20261120, chunk=150)
    await generate_history(app.state.db_engine, app.state.settings, plan, now=NOW)
    customer_id = int((await session.execute(text("SELECT min(id) FROM customers"))).scalar_one())
    category_id = int((await session.execute(text("SELECT min(id) FROM categories"))).scalar_one())
    article = Article(category_id=category_id, question="카드 등록은 어떻게 하나요?", answer_md="앱에서 등록합니다.")
    session.add(article)
    await session.flush()
    day = datetime(2026, 11, 2, 2, tzinfo=UTC)
    for n, helpful in enumerate([True, True, True, False, True, False]):
        session.add(ArticleVote(article_id=article.id, voter_key=f"v{n}", helpful=helpful, created_at=day))
    session.add(ArticleVote(article_id=article.id, voter_key="old", helpful=False, created_at=day - timedelta(days=60)))
    chats = [  # (status, queued, agent, bot answered, created)
        ("ended", None, None, 3, day),
        ("ended", None, None, 1, day + timedelta(days=1)),
        ("ended", day, None, 2, day + timedelta(days=1)),
        ("active", day, None, 0, day + timedelta(days=8)),
        ("ended", None, None, 0, day + timedelta(days=9)),
        ("bot", None, None, 1, day + timedelta(days=9)),
        ("ended", None, None, 2, day - timedelta(days=50)),  # outside the range
    ]
    for status, queued, _agent, answered, created in chats:
        session.add(
            Conversation(
                customer_id=customer_id,
                status=status,
                queued_at=queued,
                bot_answered_seq=answered,
                created_at=created,
                last_activity_at=created,
            )
        )
    callbacks = [("booked", "completed"), ("booked", "missed"), ("missed_call", "completed"), ("booked", "cancelled")]
    for n, (kind, status) in enumerate([*callbacks, ("booked", "booked")]):
        session.add(Callback(kind=kind, status=status, phone="01000000000", due_at=day, created_at=day + timedelta(n)))
    for n, (answered, state) in enumerate([(True, "ended"), (False, "ended"), (False, "ringing"), (True, "ended")]):
        session.add(
            CallLog(
                call_id=f"call-{n}",
                direction="in",
                state=state,
                started_at=day + timedelta(hours=n),
                answered_at=day + timedelta(hours=n, minutes=1) if answered else None,
            )
        )
    session.add(CallLog(call_id="out-1", direction="out", state="ended", started_at=day))
    searches = [(3, False), (0, False), (5, True), (0, False), (2, False)]
    for n, (results, no_match) in enumerate(searches):
        await session.execute(
            text(
                "INSERT INTO search_queries (query, normalized, source, result_count, no_match, created_at) "
                "VALUES ('카드', '카드', 'search_page', :results, :no_match, :created)"
            ).bindparams(bindparam("created", type_=TIMES)),
            {"results": results, "no_match": no_match, "created": day + timedelta(days=n % 2, hours=n)},
        )
    await session.commit()


async def chart(session: AsyncSession, key: str, **extra: str) -> tuple[Chart, ReportFilters]:
    filters = parse_filters({**RANGE, **extra}, seoul(NOW))
    return await build_chart(session, key, filters, NOW), filters


@pytest.mark.usefixtures("history")
async def test_volume_by_channel_and_category(session: AsyncSession) -> None:
    by_channel, filters = await chart(session, "volume_channel")
    raw = await rows(
        session,
        "SELECT created_at, channel, category_id FROM inquiries WHERE created_at >= :start AND created_at < :end",
        filters,
        created_at=TIMES,
    )
    assert len(raw) > 100
    expected = Counter((seoul(created).isoformat(), channel) for created, channel, _category in raw)
    channels = ["web", "chat", "email", "phone"]
    for row in by_channel.rows:
        assert row[1:5] == [expected[row[0], channel] for channel in channels], row[0]
        assert row[5] == sum(row[1:5])
    assert sum(row[5] for row in by_channel.rows) == len(raw)

    by_category, _ = await chart(session, "volume_category")
    names: dict[int, str] = {i: n for i, n in (await session.execute(text("SELECT id, name FROM categories"))).all()}
    per_category = Counter(names[category] for _created, _channel, category in raw)
    totals = dict(
        zip(
            by_category.headers[1:-1],
            [sum(column) for column in zip(*(r[1:-1] for r in by_category.rows), strict=True)],
            strict=True,
        )
    )
    assert totals == dict(per_category)


@pytest.mark.usefixtures("history")
async def test_filters_narrow_every_count(session: AsyncSession) -> None:
    category_id, team_id = (
        await session.execute(text("SELECT category_id, team_id FROM inquiries WHERE team_id IS NOT NULL LIMIT 1"))
    ).one()
    filtered, filters = await chart(
        session, "volume_channel", channel="web", category=str(category_id), team=str(team_id)
    )
    raw = await rows(
        session,
        "SELECT channel, category_id, team_id FROM inquiries WHERE created_at >= :start AND created_at < :end",
        filters,
    )
    expected = sum(1 for row in raw if tuple(row) == ("web", category_id, team_id))
    assert filtered.headers == ["날짜", "웹", "합계"]
    assert sum(row[-1] for row in filtered.rows) == expected


@pytest.mark.usefixtures("history")
async def test_sla_compliance(session: AsyncSession) -> None:
    sla, filters = await chart(session, "sla")
    [(fr_met, fr_missed, res_met, res_missed)] = await rows(
        session,
        """
        SELECT
          sum(CASE WHEN first_responded_at IS NOT NULL AND first_response_breached_at IS NULL
                    AND (first_response_due_at IS NULL OR first_responded_at <= first_response_due_at)
               THEN 1 ELSE 0 END),
          sum(CASE WHEN first_response_breached_at IS NOT NULL
                    OR first_responded_at > first_response_due_at THEN 1 ELSE 0 END),
          sum(CASE WHEN resolved_at IS NOT NULL AND resolution_breached_at IS NULL
                    AND (resolution_due_at IS NULL OR resolved_at <= resolution_due_at) THEN 1 ELSE 0 END),
          sum(CASE WHEN resolution_breached_at IS NOT NULL OR resolved_at > resolution_due_at THEN 1 ELSE 0 END)
        FROM inquiries WHERE created_at >= :start AND created_at < :end
        """,
        filters,
    )
    totals = [sum(row[index] for row in sla.rows) for index in (2, 3, 5, 6)]
    assert totals == [int(fr_met), int(fr_missed), int(res_met), int(res_missed)]
    assert fr_met > 0 and res_met > 0
    for row in sla.rows:
        if row[2] + row[3]:
            assert row[4] == round(100 * row[2] / (row[2] + row[3]), 1)


@pytest.mark.usefixtures("history")
@pytest.mark.parametrize(("key", "column"), [("first_response", "first_responded_at"), ("resolution", "resolved_at")])
async def test_business_hour_medians_and_p90(session: AsyncSession, key: str, column: str) -> None:
    report, filters = await chart(session, key)
    hours = await load_business_hours(session)
    raw = await rows(session, FINISHED[column], filters, created_at=TIMES, **{column: TIMES})
    by_week: dict[date, list[float]] = defaultdict(list)
    for created, finished in raw:
        by_week[monday(seoul(created))].append(business_time_between(created, finished, hours).total_seconds() / 3600)
    target = await targets_for(session, 0, "normal")
    limit = (target.first_response if key == "first_response" else target.resolution).total_seconds() / 3600
    checked = 0
    for week, count, median, p90, within in report.rows:
        values = by_week.get(date.fromisoformat(week), [])
        assert count == len(values)
        if len(values) >= 2:
            assert median == pytest.approx(statistics.median(values), abs=0.006)
            assert p90 == pytest.approx(statistics.quantiles(values, n=10, method="inclusive")[8], abs=0.006)
            assert within == round(100 * sum(1 for v in values if v <= limit) / len(values), 1)
            checked += 1
    assert checked >= 3


@pytest.mark.usefixtures("history")
async def test_backlog_by_age(session: AsyncSession) -> None:
    backlog, filters = await chart(session, "backlog")
    raw = await rows(
        session,
        "SELECT created_at, status FROM inquiries WHERE status IN ('received', 'in_progress', 'answered') "
        "AND created_at < :end",
        filters,
        created_at=TIMES,
    )
    limits = [("1일 미만", 1), ("1–3일", 3), ("3–7일", 7), ("7–14일", 14)]
    expected: Counter[tuple[str, str]] = Counter()
    for created, status in raw:
        age = NOW - created
        label = next((name for name, days in limits if age < timedelta(days=days)), "14일 이상")
        expected[label, status] += 1
    for label, received, in_progress, answered, total in backlog.rows:
        assert [received, in_progress, answered] == [
            expected[label, s] for s in ("received", "in_progress", "answered")
        ]
        assert total == received + in_progress + answered
    assert sum(row[-1] for row in backlog.rows) == len(raw) > 0


@pytest.mark.usefixtures("history")
async def test_csat_and_agents(session: AsyncSession) -> None:
    csat, filters = await chart(session, "csat")
    raw = await rows(
        session,
        "SELECT f.score, count(*) FROM inquiry_feedback f JOIN inquiries i ON i.id = f.inquiry_id "
        "WHERE f.created_at >= :start AND f.created_at < :end GROUP BY f.score",
        filters,
    )
    expected = {int(score): int(count) for score, count in raw}
    assert [row[1] for row in csat.rows] == [expected.get(score, 0) for score in range(1, 6)]
    average = sum(s * c for s, c in expected.items()) / sum(expected.values())
    assert dict(csat.summary)["평균"] == f"{average:.2f}점"

    agents, _ = await chart(session, "agents")
    per_agent = await rows(
        session,
        """
        SELECT s.display_name, count(i.id), sum(CASE WHEN i.resolved_at IS NOT NULL THEN 1 ELSE 0 END),
               avg(f.score), count(f.id)
        FROM inquiries i JOIN staff_users s ON s.id = i.assignee_id
        LEFT JOIN inquiry_feedback f ON f.inquiry_id = i.id
        WHERE i.created_at >= :start AND i.created_at < :end
        GROUP BY s.display_name
        """,
        filters,
    )
    got = {row[0]: (row[1], row[2], row[5], row[6]) for row in agents.rows}
    assert got == {
        name: (int(n), int(resolved), None if avg is None else round(float(avg), 2), int(rated))
        for name, n, resolved, avg, rated in per_agent
    }


@pytest.mark.usefixtures("history")
async def test_self_service(session: AsyncSession) -> None:
    articles, filters = await chart(session, "articles")
    [(yes, no)] = await rows(
        session,
        "SELECT sum(CASE WHEN helpful THEN 1 ELSE 0 END), sum(CASE WHEN helpful THEN 0 ELSE 1 END) "
        "FROM article_votes WHERE created_at >= :start AND created_at < :end",
        filters,
    )
    assert [row[1] for row in articles.rows] == [int(yes), int(no)]

    chat, _ = await chart(session, "chat")
    [expected] = await rows(
        session,
        """
        SELECT count(*),
          sum(CASE WHEN status = 'ended' AND queued_at IS NULL AND agent_id IS NULL AND bot_answered_seq > 0
              THEN 1 ELSE 0 END),
          sum(CASE WHEN queued_at IS NOT NULL OR agent_id IS NOT NULL THEN 1 ELSE 0 END),
          sum(CASE WHEN status = 'ended' AND queued_at IS NULL AND agent_id IS NULL AND bot_answered_seq = 0
              THEN 1 ELSE 0 END)
        FROM chat_conversations WHERE created_at >= :start AND created_at < :end
        """,
        filters,
    )
    totals = [sum(row[index] for row in chat.rows) for index in (1, 2, 3, 4)]
    assert totals == [int(value) for value in expected]
    assert totals[0] > 50  # the generator's chats and the hand-made ones
    assert dict(chat.summary)["디플렉션율"] == f"{100 * totals[1] / (totals[1] + totals[2]):.1f}%"

    searches, _ = await chart(session, "searches")
    [expected] = await rows(
        session,
        "SELECT count(*), sum(CASE WHEN result_count = 0 THEN 1 ELSE 0 END), "
        "sum(CASE WHEN result_count > 0 AND no_match THEN 1 ELSE 0 END) "
        "FROM search_queries WHERE created_at >= :start AND created_at < :end",
        filters,
    )
    assert [sum(row[index] for row in searches.rows) for index in (1, 2, 3)] == [int(value) for value in expected]


@pytest.mark.usefixtures("history")
async def test_phone(session: AsyncSession) -> None:
    phone, filters = await chart(session, "phone")
    [callbacks] = await rows(
        session,
        """
        SELECT count(*), sum(CASE WHEN kind = 'booked' THEN 1 ELSE 0 END),
          sum(CASE WHEN kind = 'missed_call' THEN 1 ELSE 0 END), sum(CASE WHEN status = 'completed' THEN 1 ELSE 0 END),
          sum(CASE WHEN status = 'missed' THEN 1 ELSE 0 END), sum(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END)
        FROM callbacks WHERE created_at >= :start AND created_at < :end
        """,
        filters,
    )
    [calls] = await rows(
        session,
        "SELECT count(*), sum(CASE WHEN answered_at IS NOT NULL THEN 1 ELSE 0 END), "
        "sum(CASE WHEN answered_at IS NULL AND state = 'ended' THEN 1 ELSE 0 END) "
        "FROM call_logs WHERE direction = 'in' AND started_at >= :start AND started_at < :end",
        filters,
    )
    assert [row[1] for row in phone.rows] == [int(value) for value in (*callbacks, *calls)]
    assert phone.rows[0][1] > 5 and phone.rows[6][1] > 5
