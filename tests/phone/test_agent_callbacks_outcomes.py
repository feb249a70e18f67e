"""Outcomes of a call on both backends: 통화 완료 (note to the inquiry, resolve or not), 부재중 (retries,
then missed with its event) and 재예약 (through the booking rules), plus the refusals."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek import events
from gogaek.audit.models import AuditEntry
from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.inquiries.models import Inquiry, InquiryEvent, InquiryMessage
from gogaek.phone.models import Callback
from tests.conftest import customer_headers
from tests.phone.booking_helpers import open_slot
from tests.phone.factories import API, Desk, claim, desk, emitted, make_callback, post

__all__ = ["desk"]  # the shared fixture


async def outcome(client: httpx.AsyncClient, desk: Desk, callback: Callback, **body: Any) -> httpx.Response:
    return await post(client, f"{callback.id}/outcome", desk.headers, body)


async def timeline(session: AsyncSession, inquiry_id: int | None) -> list[str]:
    rows = await session.scalars(
        select(InquiryEvent.kind).where(InquiryEvent.inquiry_id == inquiry_id).order_by(InquiryEvent.id)
    )
    return list(rows)


async def test_completed_with_a_public_note_resolves_and_the_customer_sees_it(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, desk: Desk
) -> None:
    callback = await make_callback(session, desk.customer, desk.category)
    await claim(client, desk, callback)
    note = "결제 비밀번호를 초기화해 드렸습니다. 앱에서 새로 설정해 주세요."
    response = await outcome(
        client, desk, callback, outcome="completed", note=note, visible_to_customer=True, resolve=True
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "completed" and response.json()["outcome_note"] == note

    await session.refresh(callback)
    inquiry = await session.get(Inquiry, callback.inquiry_id)
    assert inquiry is not None and inquiry.status == "resolved"
    assert callback.finished_at is not None
    assert await timeline(session, inquiry.id) == ["created", "status_changed", "callback_completed", "status_changed"]
    completed = await emitted(session, events.CALLBACK_COMPLETED)
    assert [(data["callback_id"], data["staff_id"]) for data in completed] == [(callback.id, desk.agent.id)]
    actions = list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions[-3:] == ["callback.claim", "inquiry.reply", "callback.completed"]

    mine = await client.get(f"/api/v1/inquiries/{inquiry.id}", headers=customer_headers(settings, sub="host-1"))
    assert mine.status_code == 200, mine.text
    assert mine.json()["status"] == "resolved"
    assert [message["body"] for message in mine.json()["messages"]] == [note]

    again = await outcome(client, desk, callback, outcome="completed")
    assert again.status_code == 409 and again.json()["code"] == "callback_not_open"


async def test_completed_with_an_internal_note_keeps_the_inquiry_open(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, desk: Desk
) -> None:
    callback = await make_callback(session, desk.customer, desk.category)
    await claim(client, desk, callback)
    response = await outcome(client, desk, callback, outcome="completed", note="고객이 내일 서류 보내기로 함")
    assert response.status_code == 200, response.text
    inquiry = await session.get(Inquiry, callback.inquiry_id)
    assert inquiry is not None and inquiry.status == "received"
    message = await session.scalar(select(InquiryMessage).where(InquiryMessage.inquiry_id == inquiry.id))
    assert message is not None and message.internal is True
    mine = await client.get(f"/api/v1/inquiries/{inquiry.id}", headers=customer_headers(settings, sub="host-1"))
    assert mine.json()["messages"] == []


async def test_an_outcome_is_recorded_once_even_from_two_tabs(
    client: httpx.AsyncClient, session: AsyncSession, desk: Desk
) -> None:
    callback = await make_callback(session, desk.customer, desk.category)
    await claim(client, desk, callback)
    responses = await asyncio.gather(
        *(outcome(client, desk, callback, outcome="completed", note=f"메모 {n}") for n in range(3))
    )
    assert sorted(response.status_code for response in responses) == [200, 409, 409]
    notes = (
        await session.scalars(select(InquiryMessage).where(InquiryMessage.inquiry_id == callback.inquiry_id))
    ).all()
    assert len(notes) == 1
    assert len(await emitted(session, events.CALLBACK_COMPLETED)) == 1


async def test_no_answer_retries_then_missed_and_the_inquiry_stays_open(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, desk: Desk
) -> None:
    callback = await make_callback(session, desk.customer, desk.category)
    assert settings.callback_retry_count == 2
    for attempt in (1, 2):
        await claim(client, desk, callback)
        before = utcnow()
        response = await outcome(client, desk, callback, outcome="no_answer", note=f"{attempt}차 시도 무응답")
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["status"], body["attempts"], body["claimed_by"], body["group"]) == (
            "retry",
            attempt,
            None,
            "retry",
        )
        await session.refresh(callback)
        assert callback.due_at.timestamp() >= before.timestamp() + settings.callback_retry_minutes * 60 - 1
    assert await emitted(session, events.CALLBACK_MISSED) == []

    await claim(client, desk, callback)
    last = await outcome(client, desk, callback, outcome="no_answer")
    assert last.status_code == 200 and last.json()["status"] == "missed" and last.json()["attempts"] == 3
    inquiry = await session.get(Inquiry, callback.inquiry_id)
    assert inquiry is not None and inquiry.status == "received"
    kinds = await timeline(session, inquiry.id)
    assert kinds[-3:] == ["callback_no_answer", "callback_no_answer", "callback_missed"]
    missed = await emitted(session, events.CALLBACK_MISSED)
    assert [(data["callback_id"], data["attempts"], data["status"]) for data in missed] == [(callback.id, 3, "missed")]
    notes = (await session.scalars(select(InquiryMessage).where(InquiryMessage.inquiry_id == inquiry.id))).all()
    assert [(note.body, note.internal) for note in notes] == [("1차 시도 무응답", True), ("2차 시도 무응답", True)]
    refused = await post(client, f"{callback.id}/claim", desk.headers)
    assert refused.status_code == 409 and refused.json()["code"] == "callback_not_open"


async def test_rescheduled_moves_the_booking_or_changes_nothing(
    client: httpx.AsyncClient, session: AsyncSession, desk: Desk
) -> None:
    callback = await make_callback(session, desk.customer, desk.category)
    await claim(client, desk, callback)
    bad = await outcome(client, desk, callback, outcome="rescheduled", slot_start="2020-01-06T10:00:00+09:00", note="x")
    assert bad.status_code == 422 and bad.json()["code"] == "slot_unavailable"
    await session.refresh(callback)
    assert callback.status == "in_progress" and callback.claimed_by_id == desk.agent.id
    assert await session.scalar(select(InquiryMessage.id)) is None  # the note went with the refused move

    slot = await open_slot(client)
    moved = await outcome(
        client, desk, callback, outcome="rescheduled", slot_start=slot["start"], note="오후로 변경 요청"
    )
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert body["id"] == callback.id and body["status"] == "booked" and body["claimed_by"] is None
    await session.refresh(callback)
    assert callback.slot_start is not None and callback.slot_start.isoformat() == (
        await client.get(f"{API}/{callback.id}", headers=desk.headers)
    ).json()["slot_start"].replace("Z", "+00:00")
    assert "callback_rescheduled" in await timeline(session, callback.inquiry_id)
    assert len(await emitted(session, events.CALLBACK_RESCHEDULED)) == 1


async def test_outcomes_are_refused_without_the_claim_or_with_the_wrong_fields(
    client: httpx.AsyncClient, session: AsyncSession, desk: Desk
) -> None:
    callback = await make_callback(session, desk.customer, desk.category)
    unclaimed = await outcome(client, desk, callback, outcome="completed")
    assert unclaimed.status_code == 409 and unclaimed.json()["code"] == "callback_not_claimed"
    await claim(client, desk, callback)
    other = await post(client, f"{callback.id}/outcome", desk.colleague_headers, {"outcome": "completed"})
    assert other.status_code == 409 and other.json()["code"] == "callback_taken"
    for body in (
        {"outcome": "rescheduled"},
        {"outcome": "no_answer", "resolve": True},
        {"outcome": "no_answer", "visible_to_customer": True},
        {"outcome": "completed", "slot_start": "2026-12-07T10:00:00+09:00"},
        {"outcome": "hung_up"},
        {"outcome": "completed", "note": "가" * 5001},
    ):
        response = await outcome(client, desk, callback, **body)
        assert response.status_code == 422, (body, response.text)
    await session.refresh(callback)
    assert callback.status == "in_progress"
