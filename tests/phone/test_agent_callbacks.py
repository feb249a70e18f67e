"""The phone agents' API on both backends: the board, masking until the identity check, claiming
(a real race), release, the identity check and its audit entry."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.audit.models import AuditEntry
from gogaek.calendar.hours import SEOUL
from gogaek.db import utcnow
from gogaek.inquiries.models import Inquiry
from gogaek.phone.checklist import DEFAULT_QUESTIONS
from gogaek.phone.models import CallbackKind, CallbackStatus, IdentityCheck
from tests.api.test_agent_auth import make_staff, sign_in
from tests.phone.factories import API, Desk, claim, desk, make_callback, post

__all__ = ["desk"]  # the shared fixture

# --- the board -----------------------------------------------------------------------


async def test_board_groups_overdue_first_and_hides_finished(
    client: httpx.AsyncClient, session: AsyncSession, desk: Desk
) -> None:
    now = utcnow()
    later = await make_callback(session, desk.customer, desk.category, slot_start=now + timedelta(days=1))
    current = await make_callback(session, desk.customer, desk.category)
    missed_call = await make_callback(session, desk.customer, desk.category, kind=CallbackKind.MISSED_CALL)
    retry = await make_callback(session, desk.customer, desk.category, status=CallbackStatus.RETRY, attempts=1)
    overdue = await make_callback(session, desk.customer, desk.category, slot_start=now - timedelta(hours=1))
    overdue.overdue_flagged_at = now
    done = await make_callback(session, desk.customer, desk.category, status=CallbackStatus.COMPLETED)
    await session.commit()
    await claim(client, desk, current)

    response = await client.get(API, headers=desk.colleague_headers)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [(item["id"], item["group"]) for item in items] == [
        (overdue.id, "overdue"),
        (current.id, "in_progress"),
        (missed_call.id, "missed_call"),
        (retry.id, "retry"),
        (later.id, "slot"),
    ]
    assert items[0]["overdue"] is True and items[0]["group_label"] == "기한 초과"
    assert items[1]["claimed_by"]["display_name"] == "김상담"
    assert {item["customer_name"] for item in items} == {"김**"}
    assert items[0]["phone"] == "010-9876-5432"  # the number to dial is never masked
    assert items[0]["category"]["requires_verification"] is True
    # Six callbacks, each with its own inquiry: the others are the customer's history.
    assert items[-1]["history_counts"] == {"inquiries": 5, "chats": 0, "callbacks": 5}

    finished = (await client.get(API, params={"status": "completed"}, headers=desk.headers)).json()["items"]
    assert [item["id"] for item in finished] == [done.id]
    day = (now + timedelta(days=1)).astimezone(SEOUL).date().isoformat()
    on_day = (await client.get(API, params={"day": day}, headers=desk.headers)).json()["items"]
    assert [item["id"] for item in on_day] == [later.id]


async def test_board_refuses_bad_filters_and_strangers(client: httpx.AsyncClient, desk: Desk) -> None:
    unknown = await client.get(API, params={"status": "lost"}, headers=desk.headers)
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_status"
    bad_day = await client.get(API, params={"day": "2026-13-01"}, headers=desk.headers)
    assert bad_day.status_code == 422
    assert (await client.get(API)).status_code == 401
    assert (await client.get(f"{API}/999")).status_code == 401
    assert (await client.get(f"{API}/999", headers=desk.headers)).status_code == 404
    assert (await client.get(f"{API}/99999999999", headers=desk.headers)).status_code == 404


# --- masking and the identity check --------------------------------------------------


async def test_customer_is_masked_until_a_passing_check_for_this_callback(
    client: httpx.AsyncClient, session: AsyncSession, desk: Desk
) -> None:
    earlier = await make_callback(session, desk.customer, desk.category, status=CallbackStatus.COMPLETED)
    earlier.outcome_note = "고객 연락처 010-5555-6666 로 다시 안내함"  # stored as typed by an older version
    callback = await make_callback(session, desk.customer, desk.category)
    inquiry = await session.get(Inquiry, callback.inquiry_id)
    assert inquiry is not None
    inquiry.transaction_ref = "T2026120699887766"
    await session.commit()

    detail = await claim(client, desk, callback)
    assert detail["identity_confirmed"] is False
    assert detail["verified_by"] == "host_token" and detail["verified_at"] is not None
    assert detail["latest_check"] is None
    assert detail["checklist"] == list(DEFAULT_QUESTIONS)
    assert detail["customer"] == {
        "id": desk.customer.id,
        "name": "김**",
        "email": "k***@example.com",
        "phone": "010-****-5678",
        "source": "host",
        "masked": True,
    }
    assert detail["phone"] == "010-9876-5432"
    assert detail["inquiry"]["transaction_ref"] == "*************7766"
    assert "4111" not in detail["note"] and detail["note"].endswith("1111 로 결제했어요")
    assert detail["history"]["callbacks"][0]["id"] == earlier.id
    assert "5555" not in detail["history"]["callbacks"][0]["outcome_note"]

    failed = await post(client, f"{callback.id}/identity-check", desk.headers, {"passed": False, "checked": ["성함"]})
    assert failed.status_code == 201, failed.text
    still = (await client.get(f"{API}/{callback.id}", headers=desk.headers)).json()
    assert still["customer"]["masked"] is True and still["latest_check"]["passed"] is False

    passed = await post(
        client,
        f"{callback.id}/identity-check",
        desk.headers,
        {"passed": True, "checked": ["성함", "생년월일"], "note": "본인 휴대폰 010-2222-3333 확인"},
    )
    assert passed.status_code == 201, passed.text
    check = passed.json()
    assert check["passed"] is True and check["staff"]["display_name"] == "김상담"
    assert check["answers"] == {question: question in ("성함", "생년월일") for question in DEFAULT_QUESTIONS}

    open_ = (await client.get(f"{API}/{callback.id}", headers=desk.colleague_headers)).json()
    assert open_["identity_confirmed"] is True
    assert open_["customer"]["name"] == "김고객" and open_["customer"]["email"] == "kim@example.com"
    assert open_["customer"]["phone"] == "010-1234-5678" and open_["customer"]["masked"] is False
    assert open_["inquiry"]["transaction_ref"] == "T2026120699887766"
    assert "010-5555-6666" in open_["history"]["callbacks"][0]["outcome_note"]
    board = (await client.get(API, headers=desk.headers)).json()["items"]
    assert next(item for item in board if item["id"] == callback.id)["customer_name"] == "김고객"

    # Confirmed on this call only: the customer's other callback stays masked.
    other = await make_callback(session, desk.customer, desk.category)
    other_detail = (await client.get(f"{API}/{other.id}", headers=desk.headers)).json()
    assert other_detail["customer"]["masked"] is True
    assert other_detail["latest_check"]["id"] == check["id"]  # but it shows the latest check

    audit = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "callback.identity_check"))).all()
    assert [(entry.detail["passed"], entry.actor_label) for entry in audit] == [
        (False, "agent@example.com"),
        (True, "agent@example.com"),
    ]
    stored = (await session.scalars(select(IdentityCheck).order_by(IdentityCheck.id))).all()
    assert [row.passed for row in stored] == [False, True] and "2222" not in stored[1].note


async def test_identity_check_needs_the_claim_and_known_questions(
    client: httpx.AsyncClient, session: AsyncSession, desk: Desk
) -> None:
    callback = await make_callback(session, desk.customer, desk.category)
    body = {"passed": True, "checked": ["성함"]}
    unclaimed = await post(client, f"{callback.id}/identity-check", desk.headers, body)
    assert unclaimed.status_code == 409 and unclaimed.json()["code"] == "callback_not_claimed"
    await claim(client, desk, callback)
    theirs = await post(client, f"{callback.id}/identity-check", desk.colleague_headers, body)
    assert theirs.status_code == 409 and theirs.json()["code"] == "callback_taken"
    unknown = await post(client, f"{callback.id}/identity-check", desk.headers, {"passed": True, "checked": ["혈액형"]})
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_question"
    empty = await post(client, f"{callback.id}/identity-check", desk.headers, {"passed": True, "checked": []})
    assert empty.status_code == 422 and empty.json()["code"] == "nothing_checked"
    malformed = await post(client, f"{callback.id}/identity-check", desk.headers, {"passed": "maybe"})
    assert malformed.status_code == 422
    assert await session.scalar(select(IdentityCheck.id)) is None


# --- claiming ------------------------------------------------------------------------


async def test_only_one_of_many_agents_gets_the_callback(
    client: httpx.AsyncClient, session: AsyncSession, desk: Desk
) -> None:
    callback = await make_callback(session, desk.customer, desk.category)
    agents = [await make_staff(session, f"racer{n}@example.com") for n in range(5)]
    tokens = [await sign_in(client, agent.email) for agent in agents]
    responses = await asyncio.gather(*(post(client, f"{callback.id}/claim", headers) for headers in tokens))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200, 409, 409, 409, 409]
    assert {response.json()["code"] for response in responses if response.status_code == 409} == {"callback_taken"}
    winner = next(agent for agent, response in zip(agents, responses, strict=True) if response.status_code == 200)
    await session.refresh(callback)
    assert callback.status == "in_progress" and callback.claimed_by_id == winner.id
    winner_headers = tokens[agents.index(winner)]
    again = await post(client, f"{callback.id}/claim", winner_headers)  # a double click changes nothing
    assert again.status_code == 200 and again.json()["claimed_by"]["id"] == winner.id
    claims = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "callback.claim"))).all()
    assert len(claims) == 1


async def test_finished_or_missing_callbacks_cannot_be_claimed(
    client: httpx.AsyncClient, session: AsyncSession, desk: Desk
) -> None:
    done = await make_callback(session, desk.customer, desk.category, status=CallbackStatus.CANCELLED)
    response = await post(client, f"{done.id}/claim", desk.headers)
    assert response.status_code == 409 and response.json()["code"] == "callback_not_open"
    assert (await post(client, "424242/claim", desk.headers)).status_code == 404


async def test_release_by_its_agent_or_a_supervisor_only(
    client: httpx.AsyncClient, session: AsyncSession, desk: Desk
) -> None:
    callback = await make_callback(session, desk.customer, desk.category)
    retry = await make_callback(session, desk.customer, desk.category, status=CallbackStatus.RETRY, attempts=1)
    not_held = await post(client, f"{callback.id}/release", desk.headers)
    assert not_held.status_code == 409 and not_held.json()["code"] == "callback_not_claimed"
    await claim(client, desk, callback)
    await claim(client, desk, retry)
    colleague = await post(client, f"{callback.id}/release", desk.colleague_headers)
    assert colleague.status_code == 403 and colleague.json()["code"] == "not_your_callback"
    by_lead = await post(client, f"{callback.id}/release", desk.supervisor_headers)
    assert by_lead.status_code == 200, by_lead.text
    assert by_lead.json()["status"] == "booked" and by_lead.json()["claimed_by"] is None
    own = await post(client, f"{retry.id}/release", desk.headers)
    assert own.status_code == 200 and own.json()["status"] == "retry"
    releases = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "callback.release"))).all()
    assert [entry.actor_label for entry in releases] == ["lead@example.com", "agent@example.com"]
