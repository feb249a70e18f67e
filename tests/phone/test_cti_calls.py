"""What agents do with the call log: who called (matched customers), call notes, filters, extensions."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.helpcenter.models import Category
from gogaek.inquiries.models import Inquiry, InquiryMessage
from gogaek.phone.models import CallLog, PhoneVerification
from tests.phone.cti_helpers import add_customer, call_fields, new_token, push
from tests.phone.test_cti_push import add_agent, call_log, staff_headers


@pytest.fixture
async def token(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> str:
    created: str = (await new_token(client, admin_headers))["token"]
    return created


@pytest.fixture
async def agent(app: FastAPI, session: AsyncSession) -> dict[str, str]:
    return staff_headers(app, await add_agent(session, "desk@example.com", "상담사 한결"))


async def ring(client: httpx.AsyncClient, token: str, call_id: str, caller: str) -> None:
    response = await push(client, token, call_fields("newCall", call_id, **{"from": caller}))
    assert response.status_code == 200, response.text


async def test_callers_are_matched_by_verified_numbers_only(
    client: httpx.AsyncClient, session: AsyncSession, token: str, agent: dict[str, str]
) -> None:
    one = await add_customer(session, "one", "010-1111-2222")  # the host app wrote it with dashes
    await add_customer(session, "unverified", "01033334444", verified=False)
    shared = [await add_customer(session, f"family-{i}", None) for i in range(2)]
    session.add_all([PhoneVerification(customer_id=c.id, phone="01055556666") for c in shared])
    await session.commit()

    await ring(client, token, "one", "+82 10-1111-2222")
    await ring(client, token, "unverified", "821033334444")
    await ring(client, token, "several", "01055556666")
    await ring(client, token, "anonymous", "anonymous")
    await push(client, token, call_fields("newCall", "outbound", direction="out", to="01011112222"))

    calls = {c["call_id"]: c for c in await call_log(client, agent)}
    assert (calls["one"]["customer"]["id"], calls["one"]["customer_matches"]) == (one.id, 1)
    assert calls["one"]["customer"]["phone"] == "010-****-2222"
    assert (calls["unverified"]["customer"], calls["unverified"]["customer_matches"]) == (None, 0)
    assert (calls["several"]["customer"], calls["several"]["customer_matches"]) == (None, 2)
    assert (calls["anonymous"]["customer"], calls["anonymous"]["customer_matches"]) == (None, 0)
    assert calls["outbound"]["customer"]["id"] == one.id  # whom the agent called
    mine = await call_log(client, agent, customer_id=one.id)
    assert sorted(c["call_id"] for c in mine) == ["one", "outbound"]


async def test_the_call_log_filters_and_pages(
    client: httpx.AsyncClient, session: AsyncSession, token: str, agent: dict[str, str]
) -> None:
    for index in range(5):
        await ring(client, token, f"p-{index}", "01012345678")
    await push(client, token, call_fields("answer", "p-1"))
    await push(client, token, call_fields("newCall", "p-out", direction="out"))
    assert [c["call_id"] for c in await call_log(client, agent, direction="out")] == ["p-out"]
    assert [c["call_id"] for c in await call_log(client, agent, state="answered")] == ["p-1"]
    first = await client.get("/api/v1/agent/calls", params={"limit": 4}, headers=agent)
    page = first.json()
    assert [c["call_id"] for c in page["items"]] == ["p-out", "p-4", "p-3", "p-2"]
    rest = await call_log(client, agent, limit=4, before_id=page["next_before_id"])
    assert [c["call_id"] for c in rest] == ["p-1", "p-0"]
    started = (await session.scalars(select(CallLog.started_at).order_by(CallLog.id))).all()
    since = await call_log(client, agent, since=started[3].isoformat(), until=started[5].isoformat())
    assert [c["call_id"] for c in since] == ["p-4", "p-3"]


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"direction": "sideways"}, 422),
        ({"state": "lost"}, 422),
        ({"since": "2026-12-06T10:00:00"}, 422),  # no zone: which 10 o'clock?
        ({"until": "9999-12-31T23:59:59-14:00"}, 422),  # no such moment in UTC
        ({"since": "0001-01-01T00:00:00+14:00"}, 422),
        ({"limit": 0}, 422),
        ({"customer_id": 2**40}, 422),
    ],
)
async def test_bad_filters_are_422(client: httpx.AsyncClient, agent: dict[str, str], params: Any, status: int) -> None:
    response = await client.get("/api/v1/agent/calls", params=params, headers=agent)
    assert response.status_code == status, response.text


async def test_the_call_log_is_for_staff_only(
    client: httpx.AsyncClient, token: str, settings: Any, agent: dict[str, str]
) -> None:
    from tests.conftest import customer_headers

    await ring(client, token, "private", "01012345678")
    for headers in ({}, customer_headers(settings, sub="nosy")):
        assert (await client.get("/api/v1/agent/calls", headers=headers)).status_code == 401
    missing = await client.get("/api/v1/agent/calls/999999", headers=agent)
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")


async def _category(session: AsyncSession) -> Category:
    category = Category(slug="payments", name="결제")
    session.add(category)
    await session.commit()
    return category


async def _inquiry(session: AsyncSession, customer_id: int, category: Category) -> Inquiry:
    inquiry = Inquiry(customer_id=customer_id, category_id=category.id, title="결제 오류", body="결제가 안 돼요")
    session.add(inquiry)
    await session.commit()
    return inquiry


async def _call_id(session: AsyncSession, call_id: str) -> int:
    found = await session.scalar(select(CallLog.id).where(CallLog.call_id == call_id))
    assert found is not None
    return found


async def test_call_notes_go_into_the_callers_inquiries(
    client: httpx.AsyncClient, session: AsyncSession, token: str, agent: dict[str, str]
) -> None:
    caller = await add_customer(session, "noted", "01012345678")
    stranger = await add_customer(session, "stranger", "01099990000")
    category = await _category(session)
    theirs = await _inquiry(session, caller.id, category)
    others = await _inquiry(session, stranger.id, category)
    await ring(client, token, "n-1", "01012345678")
    call = await _call_id(session, "n-1")
    url = f"/api/v1/agent/calls/{call}/notes"

    wrong = await client.post(url, json={"body": "메모", "inquiry_id": others.id}, headers=agent)
    assert (wrong.status_code, wrong.json()["code"]) == (422, "inquiry_not_of_caller")
    filed = await client.post(url, json={"body": "카드 재발급 안내함", "inquiry_id": theirs.id}, headers=agent)
    assert filed.status_code == 201, filed.text
    assert (filed.json()["inquiry_id"], filed.json()["created_inquiry"]) == (theirs.id, False)
    assert filed.json()["call"]["notes"] == "카드 재발급 안내함"
    again = await client.post(url, json={"body": "다시 전화 주기로 함"}, headers=agent)  # to the call's inquiry
    assert again.json()["inquiry_id"] == theirs.id
    notes = (
        await session.scalars(
            select(InquiryMessage).where(InquiryMessage.inquiry_id == theirs.id).order_by(InquiryMessage.id)
        )
    ).all()
    assert [(n.body, n.internal) for n in notes] == [("카드 재발급 안내함", True), ("다시 전화 주기로 함", True)]
    await session.refresh(theirs)
    assert theirs.status == "received"  # a note answers nothing


async def test_a_note_for_a_known_caller_without_an_inquiry_opens_a_phone_inquiry(
    client: httpx.AsyncClient, session: AsyncSession, token: str, agent: dict[str, str]
) -> None:
    caller = await add_customer(session, "new-one", "01012345678")
    await _category(session)
    await ring(client, token, "n-2", "01012345678")
    url = f"/api/v1/agent/calls/{await _call_id(session, 'n-2')}/notes"
    needs_category = await client.post(url, json={"body": "결제 취소 문의"}, headers=agent)
    assert (needs_category.status_code, needs_category.json()["code"]) == (422, "category_required")
    unknown = await client.post(url, json={"body": "결제 취소 문의", "category": "nope"}, headers=agent)
    assert (unknown.status_code, unknown.json()["code"]) == (422, "unknown_category")
    opened = await client.post(url, json={"body": "결제 취소 문의", "category": "payments"}, headers=agent)
    assert opened.status_code == 201 and opened.json()["created_inquiry"] is True
    inquiry = await session.get(Inquiry, opened.json()["inquiry_id"])
    assert inquiry is not None and (inquiry.customer_id, inquiry.channel) == (caller.id, "phone")
    assert inquiry.title.startswith("전화 상담") and inquiry.body == "결제 취소 문의"


async def test_a_note_for_an_unknown_caller_must_name_the_inquiry(
    client: httpx.AsyncClient, session: AsyncSession, token: str, agent: dict[str, str]
) -> None:
    someone = await add_customer(session, "someone", None)
    inquiry = await _inquiry(session, someone.id, await _category(session))
    await ring(client, token, "n-3", "01077778888")
    url = f"/api/v1/agent/calls/{await _call_id(session, 'n-3')}/notes"
    refused = await client.post(url, json={"body": "누군지 모름", "category": "payments"}, headers=agent)
    assert (refused.status_code, refused.json()["code"]) == (409, "caller_unknown")
    assert await session.scalar(select(Inquiry.id).where(Inquiry.channel == "phone")) is None
    named = await client.post(url, json={"body": "본인 확인 후 메모", "inquiry_id": inquiry.id}, headers=agent)
    assert named.status_code == 201 and named.json()["inquiry_id"] == inquiry.id
    for body in ({"body": ""}, {"body": "x" * 5001}, {"inquiry_id": inquiry.id}):
        assert (await client.post(url, json=body, headers=agent)).status_code == 422
    assert (await client.post("/api/v1/agent/calls/999999/notes", json={"body": "x"}, headers=agent)).status_code == 404


async def test_admins_give_agents_a_phone_extension(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    first = await add_agent(session, "ext1@example.com", "상담사 하나")
    second = await add_agent(session, "ext2@example.com", "상담사 둘")
    url = "/api/v1/admin/staff/{}"
    set_one = await client.patch(url.format(first), json={"phone_extension": " 201 "}, headers=admin_headers)
    assert set_one.status_code == 200 and set_one.json()["phone_extension"] == "201"
    taken = await client.patch(url.format(second), json={"phone_extension": "201"}, headers=admin_headers)
    assert (taken.status_code, taken.json()["code"]) == (409, "phone_extension_taken")
    bad = await client.patch(url.format(second), json={"phone_extension": "2 01"}, headers=admin_headers)
    assert bad.status_code == 422
    kept = await client.patch(url.format(first), json={"display_name": "상담사 하나"}, headers=admin_headers)
    assert kept.json()["phone_extension"] == "201"  # not named, not changed
    cleared = await client.patch(url.format(first), json={"phone_extension": None}, headers=admin_headers)
    assert cleared.json()["phone_extension"] is None
    moved = await client.patch(url.format(second), json={"phone_extension": "201"}, headers=admin_headers)
    assert moved.json()["phone_extension"] == "201"
