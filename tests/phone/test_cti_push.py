"""The PBX push (Zammad's generic CTI convention): the call log, missed calls, duplicates, bad input."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek import events
from gogaek.chat.service import agent_channel
from gogaek.identity.models import StaffRole
from gogaek.identity.schemas import StaffCreate
from gogaek.identity.service import create_staff_user
from gogaek.phone.cti import MAX_PUSH_BYTES
from gogaek.phone.models import Callback, CallLog, CtiEvent
from gogaek.realtime.hub import Event
from tests.phone.cti_helpers import CALLER, add_customer, call_fields, count, new_token, push
from tests.phone.factories import emitted


class Inbox:
    """Stands in for an agent's console socket on the hub (the live test uses a real socket)."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def deliver(self, channel: str, event: Event) -> None:
        self.events.append(event)


async def add_agent(session: AsyncSession, email: str, name: str, extension: str | None = None) -> int:
    user = await create_staff_user(
        session, StaffCreate(email=email, password="a-long-password-1", display_name=name, role=StaffRole.AGENT)
    )
    user.phone_extension = extension
    await session.commit()
    return user.id


def staff_headers(app: FastAPI, staff_id: int) -> dict[str, str]:
    return {"Authorization": f"Bearer {app.state.token_signer.issue(staff_id)}"}


async def call_log(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/agent/calls", params=params, headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_new_call_answer_hangup_fill_the_call_log_and_pop_the_agents_screen(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    customer = await add_customer(session, "caller-1", "010-1234-5678", name="이하늘")
    ringing_agent = await add_agent(session, "hanul@example.com", "상담사 한결")
    answering_agent = await add_agent(session, "daon@example.com", "상담사 다온", extension="201")
    inboxes = {staff: Inbox() for staff in (ringing_agent, answering_agent)}
    for staff, inbox in inboxes.items():
        await app.state.chat.hub.subscribe(agent_channel(staff), inbox)
    token = (await new_token(client, admin_headers))["token"]

    fields = call_fields("newCall", "c-1", user=["상담사 한결", "상담사 다온"], queue="support")
    assert (await push(client, token, fields)).json() == {}
    ringing = inboxes[ringing_agent].events
    assert [e["type"] for e in ringing] == ["call_ringing"]
    shown = ringing[0]["call"]["customer"]
    assert (shown["id"], shown["name"], shown["phone"]) == (customer.id, "이하늘", "010-****-5678")
    assert shown["verified_at"] is not None
    assert ringing[0]["call"]["from"] == CALLER and ringing[0]["call"]["matches"] == 1
    assert inboxes[answering_agent].events[0]["type"] == "call_ringing"  # both phones ring

    answer = call_fields("answer", "c-1", answeringNumber="201", user="상담사 다온")
    assert (await push(client, token, answer, as_json=True)).status_code == 200
    assert [e["type"] for e in inboxes[answering_agent].events] == ["call_ringing", "call_answered"]
    assert [e["type"] for e in inboxes[ringing_agent].events] == ["call_ringing"]  # it stopped ringing there

    hangup = call_fields("hangup", "c-1", cause="normalClearing", answeringNumber="201")
    assert (await push(client, token, hangup)).status_code == 200

    agent = staff_headers(app, ringing_agent)
    [call] = await call_log(client, agent)
    assert call["state"] == "ended" and call["cause"] == "normalClearing" and call["missed"] is False
    assert call["answering_number"] == "201" and call["user_names"] == ["상담사 다온"]
    assert call["agent"] == {"id": answering_agent, "display_name": "상담사 다온"}
    assert call["customer"]["id"] == customer.id and call["customer_matches"] == 1
    assert call["started_at"] <= call["answered_at"] <= call["ended_at"]
    assert call["callback_id"] is None and call["queue"] == "support"
    detail = await client.get(f"/api/v1/agent/calls/{call['id']}", headers=agent)
    assert detail.json() == call
    assert await count(session, Callback) == 0


async def test_a_missed_call_becomes_one_callback_task_even_when_hangup_comes_twice(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    customer = await add_customer(session, "caller-2", "01012345678")
    token = (await new_token(client, admin_headers))["token"]
    await push(client, token, call_fields("newCall", "m-1"))
    for _ in range(2):
        response = await push(client, token, call_fields("hangup", "m-1", cause="cancel"))
        assert response.status_code == 200 and response.json() == {}

    [task] = (await session.scalars(select(Callback))).all()
    assert (task.kind, task.status, task.slot_start, task.phone) == ("missed_call", "booked", None, "01012345678")
    assert task.customer_id == customer.id and task.call_id == "m-1" and task.number is not None
    assert task.number.startswith("CB") and task.number.endswith(f"{task.id:06d}")
    call = await session.scalar(select(CallLog).where(CallLog.call_id == "m-1"))
    assert call is not None and call.callback_id == task.id
    [missed] = await emitted(session, events.CALL_MISSED)
    assert missed["callback_id"] == task.id and missed["call_id"] == "m-1" and missed["phone"] == "010-****-5678"

    agent = staff_headers(app, await add_agent(session, "reader@example.com", "상담사 읽기"))
    assert [c["call_id"] for c in await call_log(client, agent, missed="true")] == ["m-1"]
    assert await call_log(client, agent, missed="false") == []


@pytest.mark.parametrize(
    ("direction", "cause", "answered"),
    [("in", "normalClearing", True), ("out", "cancel", False), ("in", "forwarded", False)],
    ids=["answered", "outbound", "forwarded"],
)
async def test_calls_that_were_not_missed_make_no_callback(
    client: httpx.AsyncClient,
    session: AsyncSession,
    admin_headers: dict[str, str],
    direction: str,
    cause: str,
    answered: bool,
) -> None:
    token = (await new_token(client, admin_headers))["token"]
    await push(client, token, call_fields("newCall", "n-1", direction=direction))
    if answered:
        await push(client, token, call_fields("answer", "n-1"))
    await push(client, token, call_fields("hangup", "n-1", cause=cause))
    assert await count(session, Callback) == 0
    assert await emitted(session, events.CALL_MISSED) == []


async def test_an_anonymous_missed_call_is_logged_but_has_nobody_to_ring_back(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    token = (await new_token(client, admin_headers))["token"]
    await push(client, token, call_fields("newCall", "a-1", **{"from": "anonymous"}))
    await push(client, token, call_fields("hangup", "a-1", **{"from": "anonymous", "cause": "cancel"}))
    call = await session.scalar(select(CallLog))
    assert call is not None and call.state == "ended" and call.customer_matches == 0
    assert await count(session, Callback) == 0


async def test_a_repeated_event_answers_200_and_changes_nothing(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    token = (await new_token(client, admin_headers))["token"]
    await push(client, token, call_fields("newCall", "d-1", queue="first"))
    again = await push(client, token, call_fields("newCall", "d-1", queue="second", **{"from": "01099998888"}))
    assert again.status_code == 200 and again.json() == {}
    await push(client, token, call_fields("answer", "d-1", answeringNumber="7"))
    await push(client, token, call_fields("answer", "d-1", answeringNumber="8"), as_json=True)
    call = await session.scalar(select(CallLog))
    assert call is not None and (call.queue, call.from_number, call.answering_number) == ("first", CALLER, "7")
    assert await count(session, CtiEvent) == 2


BAD_PUSHES: list[tuple[str, dict[str, Any], int, str]] = [
    ("unknown event", call_fields("ringing", "x-1"), 422, "unknown_cti_event"),
    ("no event", {"callId": "x-1", "direction": "in"}, 422, "unknown_cti_event"),
    ("no callId", {"event": "newCall", "direction": "in", "from": CALLER}, 422, "missing_call_id"),
    ("blank callId", call_fields("newCall", "   "), 422, "missing_call_id"),
    ("bad direction", call_fields("newCall", "x-1", direction="sideways"), 422, "invalid_direction"),
    ("no direction", {"event": "newCall", "callId": "x-1"}, 422, "missing_direction"),
    ("answer, unknown call", call_fields("answer", "never-rang"), 409, "unknown_call"),
    ("hangup, unknown call", call_fields("hangup", "never-rang", cause="cancel"), 409, "unknown_call"),
    ("callId too long", call_fields("newCall", "x" * 121), 422, "cti_field_too_long"),
    ("from too long", call_fields("newCall", "x-1", **{"from": "1" * 41}), 422, "cti_field_too_long"),
    ("control characters", call_fields("newCall", "x-1", queue="a\x00b"), 422, "invalid_cti_field"),
    ("too many users", call_fields("newCall", "x-1", user=[f"u{i}" for i in range(21)]), 422, "invalid_cti_field"),
]


@pytest.mark.parametrize(("fields", "status", "code"), [b[1:] for b in BAD_PUSHES], ids=[b[0] for b in BAD_PUSHES])
@pytest.mark.parametrize("as_json", [False, True], ids=["form", "json"])
async def test_malformed_pushes_are_refused_and_change_nothing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    admin_headers: dict[str, str],
    fields: dict[str, Any],
    status: int,
    code: str,
    as_json: bool,
) -> None:
    token = (await new_token(client, admin_headers))["token"]
    response = await push(client, token, fields, as_json=as_json)
    assert (response.status_code, response.json()["code"]) == (status, code), response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert (await count(session, CallLog), await count(session, CtiEvent)) == (0, 0)


FILE_PART = (
    b'--xx\r\nContent-Disposition: form-data; name="event"; filename="event.txt"\r\n'
    b"Content-Type: text/plain\r\n\r\nnewCall\r\n"
    b'--xx\r\nContent-Disposition: form-data; name="callId"\r\n\r\nf-1\r\n--xx--\r\n'
)


@pytest.mark.parametrize(
    ("content", "content_type", "status", "code"),
    [
        (b"{not json", "application/json", 400, "malformed_cti_body"),
        (b'["newCall"]', "application/json", 400, "malformed_cti_body"),
        (b'{"event": "newCall", "callId": ["a"], "direction": "in"}', "application/json", 422, "invalid_cti_field"),
        (b"event=newCall", "text/plain", 415, "unsupported_media_type"),
        (b"x" * (MAX_PUSH_BYTES + 1), "application/json", 413, "payload_too_large"),
        (b"no multipart here", "multipart/form-data; boundary=xx", 400, "bad_request"),
        (FILE_PART, "multipart/form-data; boundary=xx", 422, "unknown_cti_event"),
    ],
    ids=["not json", "json array", "callId a list", "text/plain", "too large", "broken multipart", "event a file"],
)
async def test_bodies_that_are_no_push_are_refused(
    client: httpx.AsyncClient,
    session: AsyncSession,
    admin_headers: dict[str, str],
    content: bytes,
    content_type: str,
    status: int,
    code: str,
) -> None:
    token = (await new_token(client, admin_headers))["token"]
    response = await client.post(f"/api/v1/cti/{token}", content=content, headers={"Content-Type": content_type})
    assert (response.status_code, response.json()["code"]) == (status, code), response.text
    assert await count(session, CtiEvent) == 0


async def test_answer_after_hangup_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    token = (await new_token(client, admin_headers))["token"]
    await push(client, token, call_fields("newCall", "late-1"))
    await push(client, token, call_fields("hangup", "late-1", cause="cancel"))
    late = await push(client, token, call_fields("answer", "late-1"))
    assert (late.status_code, late.json()["code"]) == (409, "call_ended")
    call = await session.scalar(select(CallLog))
    assert call is not None and call.answered_at is None and call.state == "ended"


async def test_multipart_form_is_read_like_the_documented_curl_form_example(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    token = (await new_token(client, admin_headers))["token"]
    parts = [(k, (None, v)) for k, v in call_fields("newCall", "mp-1").items()]
    parts += [("user[]", (None, "상담사 한결")), ("user[]", (None, "상담사 다온"))]
    response = await client.post(f"/api/v1/cti/{token}", files=parts)
    assert response.status_code == 200, response.text
    call = await session.scalar(select(CallLog))
    assert call is not None and call.user_names == ["상담사 한결", "상담사 다온"]


async def test_racing_answer_and_hangups_leave_each_call_consistent(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    """Answer and two hangups at the same instant: a call ends either answered with no task, or
    missed with exactly one task (and the late answer refused) — never both, never two tasks."""
    token = (await new_token(client, admin_headers))["token"]
    calls = [f"race-{n}" for n in range(6)]
    for call_id in calls:
        await push(client, token, call_fields("newCall", call_id))
    pushes = []
    for call_id in calls:
        pushes += [
            push(client, token, call_fields("answer", call_id)),
            push(client, token, call_fields("hangup", call_id, cause="normalClearing")),
            push(client, token, call_fields("hangup", call_id, cause="normalClearing"), as_json=True),
        ]
    answers = await asyncio.gather(*pushes)
    assert {r.status_code for r in answers} <= {200, 409}, [r.text for r in answers if r.status_code >= 400]
    tasks = {task.call_id: task for task in (await session.scalars(select(Callback))).all()}
    for call_id, answer in zip(calls, answers[::3], strict=True):
        call = await session.scalar(select(CallLog).where(CallLog.call_id == call_id))
        assert call is not None and call.state == "ended"
        if call.answered_at is None:
            assert answer.json()["code"] == "call_ended" and call.callback_id == tasks[call_id].id
        else:
            assert answer.status_code == 200 and call.callback_id is None and call_id not in tasks
    assert len(tasks) == len(await emitted(session, events.CALL_MISSED))
