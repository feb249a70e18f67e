"""The chat's HTTP companions on both databases: history, transcripts, rating, images, agent tools,
and the bot's turns that decide a handoff (emergencies first in line, two misses → a person)."""

from __future__ import annotations

import io
import re
from collections.abc import Awaitable, Callable

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.chat.models import ChatStatus, Conversation, Sender
from gogaek.chat.runtime import ChatRuntime
from gogaek.chat.service import end_conversation, get_conversation, post_message, start_conversation
from gogaek.config import Settings
from gogaek.identity.models import Customer, StaffRole, StaffUser
from gogaek.identity.schemas import StaffCreate
from gogaek.identity.service import create_staff_user
from gogaek.jobs.handlers import NOTIFY_EMAIL
from gogaek.jobs.models import Job
from tests.api.test_agent_auth import PASSWORD
from tests.api.test_console_pages import console_sign_in
from tests.api.test_inquiry_pages import signed_in
from tests.api.test_pages import csrf_of
from tests.conftest import customer_headers


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"chat_hours": "always", "chat_auto_assign": False})


async def _chat(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, sub: str, **claims: str
) -> tuple[Conversation, dict[str, str]]:
    """A customer (created by their first API call, as the host app's token makes them) and a chat."""
    headers = customer_headers(settings, sub, **claims)
    assert (await client.get("/api/v1/chat/conversations", headers=headers)).json()["items"] == []
    customer = await session.scalar(select(Customer).where(Customer.external_id == sub))
    assert customer is not None
    outcome = await start_conversation(session, customer, "안녕하세요")
    return outcome.conversation, headers


@pytest.fixture
def staff_headers(
    app: FastAPI, session: AsyncSession
) -> Callable[[str, StaffRole], Awaitable[tuple[StaffUser, dict[str, str]]]]:
    """Creates a staff member and their bearer token, as /api/v1/admin/login would hand out."""

    async def create(email: str, role: StaffRole) -> tuple[StaffUser, dict[str, str]]:
        staff = await create_staff_user(
            session, StaffCreate(email=email, password="a-long-password-1", display_name=email.split("@")[0], role=role)
        )
        return staff, {"Authorization": f"Bearer {app.state.token_signer.issue(staff.id)}"}

    return create


StaffHeaders = Callable[[str, StaffRole], Awaitable[tuple[StaffUser, dict[str, str]]]]


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "navy").save(buffer, format="PNG")
    return buffer.getvalue()


async def test_history_transcript_and_scoping(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    conversation, headers = await _chat(client, session, settings, "history-1")
    await post_message(session, conversation, Sender.CUSTOMER, "주민번호 900101-1234567 보내요", client_msg_id="h1")
    _, stranger = await _chat(client, session, settings, "history-2")

    listed = (await client.get("/api/v1/chat/conversations", headers=headers)).json()["items"]
    assert [item["id"] for item in listed] == [conversation.id]
    detail = (await client.get(f"/api/v1/chat/conversations/{conversation.id}", headers=headers)).json()
    assert [m["seq"] for m in detail["messages"]] == [1, 2]
    assert "1234567" not in detail["messages"][1]["text"]  # masked before it was stored
    transcript = await client.get(f"/api/v1/chat/conversations/{conversation.id}/transcript.txt", headers=headers)
    assert transcript.status_code == 200 and "attachment" in transcript.headers["content-disposition"]
    assert "고객:" in transcript.text and "챗봇: 안녕하세요" in transcript.text
    for path in ("", "/transcript.txt", "/messages/1/image"):
        refused = await client.get(f"/api/v1/chat/conversations/{conversation.id}{path}", headers=stranger)
        assert refused.status_code == 404, path
    assert (await client.get("/api/v1/chat/conversations")).status_code == 401


async def test_rating_and_transcript_email(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    conversation, headers = await _chat(client, session, settings, "rater", email="rater@example.com")
    url = f"/api/v1/chat/conversations/{conversation.id}"
    early = await client.post(f"{url}/rating", json={"score": 5}, headers=headers)
    assert early.status_code == 409 and early.json()["code"] == "chat_not_ended"
    await end_conversation(session, await get_conversation(session, conversation.id), "customer")
    assert (await client.post(f"{url}/rating", json={"score": 6}, headers=headers)).status_code == 422
    rated = await client.post(f"{url}/rating", json={"score": 4, "comment": " 친절해요 "}, headers=headers)
    assert rated.status_code == 200 and rated.json()["rating"] == 4
    again = await client.post(f"{url}/rating", json={"score": 1}, headers=headers)
    assert again.status_code == 409 and again.json()["code"] == "already_rated"

    emailed = await client.post(f"{url}/transcript/email", headers=headers)
    assert emailed.status_code == 202 and emailed.json()["to"] == "ra***@example.com"
    job = await session.scalar(select(Job).where(Job.kind == NOTIFY_EMAIL))
    assert job is not None and job.payload["to"] == "rater@example.com" and "채팅 상담 기록" in job.payload["text"]

    no_email, other = await _chat(client, session, settings, "no-email")
    refused = await client.post(f"/api/v1/chat/conversations/{no_email.id}/transcript/email", headers=other)
    assert refused.status_code == 409 and refused.json()["code"] == "no_email"


async def test_the_transcript_speaks_the_customers_language(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    """Its frame (title, start, who said what) in English for an English reader; the words said stay."""
    conversation, headers = await _chat(client, session, settings, "reader-en", email="en@example.com", locale="en")
    url = f"/api/v1/chat/conversations/{conversation.id}"
    text = (await client.get(f"{url}/transcript.txt", headers=headers)).text
    assert text.startswith(f"Chat transcript #{conversation.id}\nStarted 20") and " (KST)\n" in text
    assert "Chatbot: 안녕하세요" in text  # the greeting, as the bot said it
    assert (await client.post(f"{url}/transcript/email", headers=headers)).status_code == 202
    job = await session.scalar(select(Job).where(Job.kind == NOTIFY_EMAIL))
    assert job is not None and job.payload["subject"] == f"[Customer center] Chat transcript #{conversation.id}"

    korean, korean_headers = await _chat(client, session, settings, "reader-ko")
    text = (await client.get(f"/api/v1/chat/conversations/{korean.id}/transcript.txt", headers=korean_headers)).text
    assert text.startswith(f"채팅 상담 기록 #{korean.id}\n시작 20") and "(Chat transcript)" not in text


async def test_images_are_checked_stored_and_shown_only_to_those_in_the_chat(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, staff_headers: StaffHeaders
) -> None:
    conversation, headers = await _chat(client, session, settings, "imager")
    url = f"/api/v1/chat/conversations/{conversation.id}/images"
    sent = await client.post(
        url, files={"file": ("영수증.png", _png(), "image/png")}, data={"client_msg_id": "img-1"}, headers=headers
    )
    assert sent.status_code == 201, sent.text
    image = sent.json()["image"]
    assert image["name"] == "영수증.png" and image["content_type"] == "image/png"
    again = await client.post(
        url, files={"file": ("영수증.png", _png(), "image/png")}, data={"client_msg_id": "img-1"}, headers=headers
    )
    assert again.json()["duplicate"] is True and again.json()["seq"] == sent.json()["seq"]

    shown = await client.get(image["url"], headers=headers)
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/webp"  # a bounded preview
    _, agent_headers = await staff_headers("viewer@example.com", StaffRole.AGENT)
    assert (await client.get(image["url"], headers=agent_headers)).status_code == 200

    pdf = await client.post(url, files={"file": ("a.pdf", b"%PDF-1.4\n%%EOF", "application/pdf")}, headers=headers)
    assert pdf.status_code in (415, 422) and pdf.json()["code"]
    fake = await client.post(url, files={"file": ("x.png", b"not an image", "image/png")}, headers=headers)
    assert fake.status_code in (415, 422)
    detail = (await client.get(f"/api/v1/chat/conversations/{conversation.id}", headers=headers)).json()
    assert len([m for m in detail["messages"] if "image" in m]) == 1  # refused uploads left nothing

    await end_conversation(session, await get_conversation(session, conversation.id), "customer")
    late = await client.post(url, files={"file": ("y.png", _png(), "image/png")}, headers=headers)
    assert late.status_code == 409


async def test_agent_tools_and_the_supervisors_view(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, app: FastAPI, staff_headers: StaffHeaders
) -> None:
    runtime: ChatRuntime = app.state.chat
    agent, agent_headers = await staff_headers("owner@example.com", StaffRole.AGENT)
    _, other_headers = await staff_headers("other@example.com", StaffRole.AGENT)
    _, lead_headers = await staff_headers("lead@example.com", StaffRole.SUPERVISOR)
    conversation, _ = await _chat(client, session, settings, "tools")
    await runtime.agent_connected(agent.id)
    await runtime.request_person(conversation.id)
    await runtime.accept(agent, conversation.id)

    context = await client.get(f"/api/v1/agent/chats/{conversation.id}", headers=agent_headers)
    assert context.status_code == 200 and context.json()["customer"]["name"] == "김고객"
    assert (await client.get(f"/api/v1/agent/chats/{conversation.id}", headers=other_headers)).status_code == 403
    assert (await client.get(f"/api/v1/agent/chats/{conversation.id}", headers=lead_headers)).status_code == 200
    assert (await client.get("/api/v1/agent/chats/live", headers=agent_headers)).status_code == 403
    live = (await client.get("/api/v1/agent/chats/live", headers=lead_headers)).json()
    assert [c["id"] for c in live["chats"]] == [conversation.id] and live["chats"][0]["agent_name"] == "owner"
    assert live["online_agents"] == 1
    assert (await client.get("/api/v1/agent/chats/canned", headers=agent_headers)).status_code == 200
    sent = await client.post(
        f"/api/v1/agent/chats/{conversation.id}/images",
        files={"file": ("a.png", _png(), "image/png")},
        headers=agent_headers,
    )
    assert sent.status_code == 201 and sent.json()["sender"] == "agent"
    refused = await client.post(
        f"/api/v1/agent/chats/{conversation.id}/images",
        files={"file": ("a.png", _png(), "image/png")},
        headers=other_headers,
    )
    assert refused.status_code == 403
    transcript = await client.get(f"/api/v1/agent/chats/{conversation.id}/transcript.txt", headers=agent_headers)
    assert "[이미지: a.png]" in transcript.text


@pytest.mark.usefixtures("demo_content")
async def test_emergencies_jump_the_queue_and_two_misses_reach_a_person(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, app: FastAPI, staff_headers: StaffHeaders
) -> None:
    runtime: ChatRuntime = app.state.chat
    agent, _ = await staff_headers("queue@example.com", StaffRole.AGENT)
    await runtime.agent_connected(agent.id)

    calm, _ = await _chat(client, session, settings, "calm")
    for text in ("ㅁㄴㅇㄹ 퓨퓨", "zxqv 뷁뷁"):  # nothing the FAQ knows: two misses hand over
        outcome = await post_message(session, calm, Sender.CUSTOMER, text, client_msg_id=None)
        await runtime.customer_message(calm.id, outcome)
        calm = await get_conversation(session, calm.id)
    assert calm.status == ChatStatus.QUEUED.value

    urgent, _ = await _chat(client, session, settings, "urgent")
    outcome = await post_message(
        session, urgent, Sender.CUSTOMER, "보이스피싱 당한 것 같아요 돈이 빠져나갔어요", client_msg_id=None
    )
    await runtime.customer_message(urgent.id, outcome)
    urgent = await get_conversation(session, urgent.id)
    assert urgent.status == ChatStatus.QUEUED.value and urgent.is_emergency
    snapshot = await runtime.queue_snapshot()
    assert [w["conversation"] for w in snapshot["waiting"]] == [urgent.id, calm.id]
    detail = (
        await client.get(f"/api/v1/chat/conversations/{urgent.id}", headers=customer_headers(settings, "urgent"))
    ).json()
    assert any(
        m["sender"] == "bot" and m.get("bot_kind") == "emergency" and "112" in m["text"] for m in detail["messages"]
    )


async def test_chats_are_listed_in_the_customers_history_page(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    conversation, _ = await _chat(client, session, settings, "page-history")
    await post_message(session, conversation, Sender.CUSTOMER, "포인트가 사라졌어요", client_msg_id=None)
    await end_conversation(session, await get_conversation(session, conversation.id), "customer")
    async with signed_in(app, settings, "page-history") as browser:
        page = await browser.get("/inquiries")
    assert page.status_code == 200
    assert "채팅 상담 내역" in page.text and "포인트가 사라졌어요" in page.text
    assert f"/chat/{conversation.id}/transcript" in page.text


async def test_page_session_calls_need_the_pages_csrf_token(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    conversation, _ = await _chat(client, session, settings, "cookie-user")
    await end_conversation(session, await get_conversation(session, conversation.id), "customer")
    url = f"/api/v1/chat/conversations/{conversation.id}/rating"
    async with signed_in(app, settings, "cookie-user") as browser:
        refused = await browser.post(url, json={"score": 5})
        assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
        page = await browser.get("/chat")
        token = re.search(r'data-csrf="([^"]+)"', page.text)
        assert token is not None
        rated = await browser.post(url, json={"score": 5}, headers={"X-CSRF-Token": token.group(1)})
        assert rated.status_code == 200, rated.text
        assert (await browser.get(f"/api/v1/chat/conversations/{conversation.id}")).status_code == 200


async def test_console_session_works_for_agent_routes_with_the_csrf_token(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    agent = await create_staff_user(
        session, StaffCreate(email="console@example.com", password=PASSWORD, display_name="콘솔", role=StaffRole.AGENT)
    )
    runtime: ChatRuntime = app.state.chat
    conversation, _ = await _chat(client, session, settings, "console-chat")
    await runtime.agent_connected(agent.id)
    await runtime.request_person(conversation.id)
    await runtime.accept(agent, conversation.id)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as console:
        assert (await console_sign_in(console, "console@example.com")).status_code == 303
        assert (await console.get("/api/v1/agent/chats/canned")).status_code == 200
        url = f"/api/v1/agent/chats/{conversation.id}/images"
        photo = {"file": ("a.png", _png(), "image/png")}
        refused = await console.post(url, files=photo)
        assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
        token = csrf_of((await console.get("/console/chats")).text)
        sent = await console.post(url, files=photo, headers={"X-CSRF-Token": token})
        assert sent.status_code == 201, sent.text
    assert (await client.get("/api/v1/agent/chats/canned")).status_code == 401
