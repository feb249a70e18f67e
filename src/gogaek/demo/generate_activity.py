"""Self-service and phone history for ``gogaek demo generate``, so the reports have something to show.

Beside the inquiries (generate.py), in the same transaction: chat conversations with their
outcome (the bot answered and the customer left, handed to a person, or left unanswered),
customer searches (with zero-result and abstained ones), FAQ votes when there are published
articles, callbacks (booked and from missed calls, with their outcomes) and inbound calls
(answered or abandoned). Only the columns the app and the reports read are filled: chats have
no messages and calls no phone-system events. Volumes scale with the number of inquiries.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update

from gogaek.calendar.business_time import add_business_time
from gogaek.calendar.hours import SEOUL
from gogaek.chat.models import Conversation
from gogaek.demo.generate_inquiries import Setting, created_times
from gogaek.demo.generate_write import BulkWriter
from gogaek.helpcenter.models import Article, ArticleVote, PublishStatus
from gogaek.phone.models import Callback, CallLog
from gogaek.search.log import normalize_query
from gogaek.search.models import SearchQueryLog

# Per inquiry: how many of each the generated history has.
CHATS, SEARCHES, VOTES, CALLBACKS, CALLS = 0.5, 3.0, 0.4, 0.08, 0.15
QUERIES = (
    "카드 등록",
    "송금 취소",
    "결제 취소 언제 돼요",
    "환불 기간",
    "비밀번호 변경",
    "본인인증 안돼요",
    "해외결제",
    "계좌 변경",
    "영수증 발급",
    "포인트 소멸",
    "이체 한도",
    "카드 분실",
    "앱 로그인 오류",
    "자동결제 해지",
    "현금영수증",
    "수수료",
    "탈퇴 방법",
    "송금 받는 사람 이름이 달라요",
    "ㅋㅏ드 등록",
)
NO_ANSWER_QUERIES = ("주식 추천", "날씨", "배달 늦어요", "게임 아이템 환불", "ㅁㄴㅇㄹ")


def _scaled(rng: random.Random, inquiries: int, per_inquiry: float) -> int:
    expected = inquiries * per_inquiry
    return int(expected) + (1 if rng.random() < expected - int(expected) else 0)


def _chat(rng: random.Random, setting: Setting, row_id: int, customer: int, created: datetime) -> dict[str, Any]:
    category_id = rng.choice(setting.categories)[0]
    outcome = rng.choices(("bot", "person", "unanswered"), (0.55, 0.35, 0.10))[0]
    row: dict[str, Any] = {
        "id": row_id,
        "customer_id": customer,
        "status": "ended",
        "category_id": category_id,
        "team_id": None,
        "agent_id": None,
        "is_emergency": False,
        "queue_rank": 1,
        "last_seq": rng.randint(2, 12),
        "bot_misses": 0,
        "bot_answered_seq": rng.randint(1, 3),
        "customer_read_seq": 0,
        "agent_read_seq": 0,
        "created_at": created,
        "last_activity_at": created + timedelta(minutes=rng.randint(1, 15)),
        "queued_at": None,
        "accepted_at": None,
        "ended_at": created + timedelta(minutes=rng.randint(2, 25)),
        "ended_by": "customer",
        "rating": None,
        "rating_comment": None,
        "rated_at": None,
    }
    if outcome == "unanswered":
        row.update(bot_answered_seq=0, bot_misses=rng.randint(1, 2), ended_by="idle")
    elif outcome == "person" and setting.staff.agents:
        queued = created + timedelta(minutes=rng.uniform(0.5, 4))
        row.update(
            queued_at=queued,
            accepted_at=queued + timedelta(minutes=rng.uniform(0.2, 6)),
            agent_id=rng.choice(setting.staff.agents),
            team_id=setting.staff.team_of_category.get(category_id),
            queue_rank=1,
            ended_by=rng.choice(("customer", "agent")),
        )
        if rng.random() < 0.4:
            row.update(rating=rng.choices((1, 2, 3, 4, 5), (3, 4, 10, 35, 48))[0], rated_at=row["ended_at"])
    return row


def _search(rng: random.Random, row_id: int, created: datetime, articles: list[int]) -> dict[str, Any]:
    kind = rng.choices(("found", "zero", "abstained"), (0.82, 0.08, 0.10))[0]
    query = rng.choice(NO_ANSWER_QUERIES if kind != "found" else QUERIES)
    results = 0 if kind == "zero" else rng.randint(1, 10)
    return {
        "id": row_id,
        "query": query,
        "normalized": normalize_query(query),
        "source": rng.choices(("search_page", "api", "bot"), (0.6, 0.1, 0.3))[0],
        "result_count": results,
        "top_article_id": rng.choice(articles) if results and articles else None,
        "no_match": kind == "abstained",
        "created_at": created,
    }


def _callback(rng: random.Random, setting: Setting, row_id: int, customer: int, created: datetime) -> dict[str, Any]:
    from_missed_call = rng.random() < 0.2
    if from_missed_call:
        slot_start = slot_end = None
        due = created + timedelta(minutes=rng.randint(5, 60))
    else:
        start = add_business_time(created, timedelta(hours=rng.uniform(1, 18)), setting.hours)
        local = start.astimezone(SEOUL)
        slot_start = local.replace(minute=30 if local.minute >= 30 else 0, second=0, microsecond=0)
        slot_end = slot_start + timedelta(minutes=30)
        due = slot_start
    status, finished, attempts = "booked", None, 0
    if due + timedelta(hours=2) < setting.now:
        status = rng.choices(("completed", "missed", "cancelled"), (0.78, 0.1, 0.12))[0]
        finished = due + timedelta(minutes=rng.randint(1, 90))
        attempts = 3 if status == "missed" else rng.choice((0, 0, 0, 1))
    number_day = created.astimezone(SEOUL)
    return {
        "id": row_id,
        "number": f"CB{number_day:%Y%m%d}-{row_id:06d}",
        "kind": "missed_call" if from_missed_call else "booked",
        "customer_id": customer,
        "inquiry_id": None,
        "category_id": rng.choice(setting.categories)[0],
        "phone": f"010000{rng.randint(0, 99999):05d}",
        "note": "",
        "status": status,
        "slot_start": slot_start,
        "slot_end": slot_end,
        "due_at": due,
        "attempts": attempts,
        "claimed_by_id": rng.choice(setting.staff.agents) if status == "completed" and setting.staff.agents else None,
        "claimed_at": finished if status == "completed" else None,
        "overdue_flagged_at": None,
        "verified_at": None,
        "verified_by": None,
        "call_id": None,
        "outcome_note": "",
        "created_at": created,
        "updated_at": finished or created,
        "finished_at": finished,
    }


def _call(rng: random.Random, setting: Setting, row_id: int, started: datetime) -> dict[str, Any]:
    answered = rng.random() < 0.85
    answered_at = started + timedelta(seconds=rng.randint(5, 90)) if answered else None
    ended_at = (answered_at or started) + timedelta(seconds=rng.randint(20, 900) if answered else rng.randint(5, 60))
    return {
        "id": row_id,
        "call_id": f"demo-{row_id}-{rng.getrandbits(32):08x}",  # the row id keeps it unique across runs
        "direction": "in",
        "from_number": f"010000{rng.randint(0, 99999):05d}",
        "to_number": "15880000",
        "queue": "고객센터",
        "state": "ended",
        "cause": None if answered else "no_answer",
        "answering_number": None,
        "user_names": [],
        "agent_id": rng.choice(setting.staff.agents) if answered and setting.staff.agents else None,
        "customer_id": None,
        "customer_matches": 0,
        "callback_id": None,
        "inquiry_id": None,
        "notes": "",
        "started_at": started,
        "answered_at": answered_at,
        "ended_at": ended_at,
    }


async def write_activity(
    writer: BulkWriter, rng: random.Random, setting: Setting, inquiries: int, customers: list[int]
) -> dict[str, int]:
    """Chats, searches, FAQ votes, callbacks and calls for ``inquiries`` inquiries' worth of history."""
    if not customers or inquiries == 0:
        return {}
    articles = list(
        (
            await writer.connection.scalars(select(Article.id).where(Article.status == PublishStatus.PUBLISHED.value))
        ).all()
    )
    counts: dict[str, int] = {}

    async def write(model: Any, name: str, count: int, draw: Any) -> list[dict[str, Any]]:
        times = created_times(rng, setting, count)
        ids = await writer.reserve_ids(model, count)
        rows = [draw(row_id, moment) for row_id, moment in zip(ids, times, strict=True)]
        for start in range(0, len(rows), 5_000):
            await writer.write(model, rows[start : start + 5_000])
        counts[name] = count
        return rows

    await write(
        Conversation,
        "chats",
        _scaled(rng, inquiries, CHATS),
        lambda i, t: _chat(rng, setting, i, rng.choice(customers), t),
    )
    await write(
        SearchQueryLog, "searches", _scaled(rng, inquiries, SEARCHES), lambda i, t: _search(rng, i, t, articles)
    )
    if articles:
        votes = await write(
            ArticleVote,
            "votes",
            _scaled(rng, inquiries, VOTES),
            lambda i, t: {
                "id": i,
                "article_id": rng.choice(articles),
                "voter_key": f"demo-{i}",
                "helpful": rng.random() < 0.75,
                "created_at": t,
            },
        )
        await _count_votes(writer, votes)
    await write(
        Callback,
        "callbacks",
        _scaled(rng, inquiries, CALLBACKS),
        lambda i, t: _callback(rng, setting, i, rng.choice(customers), t),
    )
    await write(CallLog, "calls", _scaled(rng, inquiries, CALLS), lambda i, t: _call(rng, setting, i, t))
    return counts


async def _count_votes(writer: BulkWriter, votes: list[dict[str, Any]]) -> None:
    """The article's own 도움이 됐어요 counters, as ``record_vote`` keeps them."""
    tally: Counter[tuple[int, bool]] = Counter((vote["article_id"], vote["helpful"]) for vote in votes)
    rows = [
        {"article": article, "yes": tally[article, True], "no": tally[article, False]}
        for article in {article for article, _helpful in tally}
    ]
    statement = (
        update(Article)
        .where(Article.id == bindparam("article"))
        .values(
            helpful_yes=Article.helpful_yes + bindparam("yes"),
            helpful_no=Article.helpful_no + bindparam("no"),
        )
    )
    if rows:
        await writer.connection.execute(statement, rows)
