"""The chat pages as served: the customer's 채팅 상담 shell, the printable transcript (only of one's
own chat) and the agent console's chat page (staff only; the live view for supervisors only)."""

from __future__ import annotations

import html
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.chat.models import Conversation, Sender
from gogaek.chat.service import post_message, start_conversation
from gogaek.config import Settings
from gogaek.identity.models import Customer, StaffRole, StaffUser, Team
from gogaek.inquiries.models import Macro
from tests.api.test_agent_auth import make_customer, make_staff
from tests.api.test_console_pages import signed_in as staff_signed_in
from tests.api.test_inquiry_pages import signed_in as customer_signed_in
from tests.api.test_pages import HTML
from tests.hangul import HANGUL


@pytest.fixture
async def anonymous(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=HTML) as client:
        yield client


@pytest.fixture
async def owner(session: AsyncSession) -> Customer:
    return await make_customer(session, "chat-owner", name="김고객")


@pytest.fixture
async def customer(app: FastAPI, settings: Settings, owner: Customer) -> AsyncIterator[httpx.AsyncClient]:
    async with customer_signed_in(app, settings, owner.external_id) as client:
        yield client


@pytest.fixture
async def agent(session: AsyncSession) -> StaffUser:
    return await make_staff(session, "agent@example.com", name="김상담")


async def chat_with_agent(session: AsyncSession, customer: Customer, agent: StaffUser) -> Conversation:
    """A chat the bot opened, the customer asked in, the agent answered and noted on."""
    started = await start_conversation(session, customer, "안녕하세요, 고객센터 챗봇입니다.")
    conversation = started.conversation
    await post_message(session, conversation, Sender.CUSTOMER, "환불은 언제 되나요?\n주문번호 A-1", client_msg_id="c-1")
    await post_message(
        session, conversation, Sender.AGENT, "오늘 안에 처리해 드릴게요.", client_msg_id=None, staff=agent
    )
    await post_message(
        session,
        conversation,
        Sender.AGENT,
        "내부 메모: 환불 팀 확인 필요",
        client_msg_id=None,
        staff=agent,
        internal=True,
    )
    return conversation


# --- the customer's chat page ---------------------------------------------------------


async def test_visitors_sign_in_before_chatting(anonymous: httpx.AsyncClient) -> None:
    for url, next_param in (("/chat", "%2Fchat"), ("/chat?embed=1", "%2Fchat%3Fembed%3D1")):
        response = await anonymous.get(url)
        assert (response.status_code, response.headers["location"]) == (303, f"/auth/login?next={next_param}")


async def test_chat_page_loads_the_chat_scripts(customer: httpx.AsyncClient) -> None:
    response = await customer.get("/chat")
    assert response.status_code == 200
    page = response.text
    assert 'id="chat-app"' in page and "data-gogaek-chat" in page and 'data-socket="/ws/chat"' in page
    for asset in ("/static/css/chat.css", "/static/js/chat-client.js", "/static/js/chat.js"):
        assert asset in page
    assert "<script>" not in page  # the CSP allows script files only
    assert "site-header" in page and "site-footer" in page


async def test_embedded_chat_is_compact(customer: httpx.AsyncClient) -> None:
    page = (await customer.get("/chat?embed=1")).text
    assert "chat-embed" in page and "chat-app-embed" in page
    assert "site-header" not in page and "site-footer" not in page


async def test_help_center_contact_page_links_to_chat(anonymous: httpx.AsyncClient) -> None:
    assert 'href="/chat"' in (await anonymous.get("/contact")).text


async def test_chat_assets_are_served(anonymous: httpx.AsyncClient) -> None:
    for name in ("js/chat-client.js", "js/chat.js", "js/chat-widget.js", "js/console-chat.js", "css/chat.css"):
        response = await anonymous.get(f"/static/{name}")
        assert response.status_code == 200, name


async def test_the_widget_gets_its_words_as_a_script_in_the_language_asked(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/chat/widget-texts.js", params={"lang": "en-US"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    prefix = "window.GogaekChatTexts = "
    assert response.text.startswith(prefix)
    texts = json.loads(response.text.removeprefix(prefix).rstrip().removesuffix(";"))
    assert texts["widget_launcher"] == "Chat with us" and texts["status_ended"] == "Chat ended"
    assert not any(HANGUL.search(value) for value in texts.values())
    for other in ("ko", "fr", "", "<script>"):  # Korean is built into the scripts; unknown is Korean
        response = await anonymous.get("/chat/widget-texts.js", params={"lang": other})
        assert response.text == prefix + "{};\n"
    # Asking for English words is not choosing English: the next page is still Korean.
    await anonymous.get("/chat/widget-texts.js", params={"lang": "en"})
    assert '<html lang="ko"' in (await anonymous.get("/")).text


# --- the printable transcript ---------------------------------------------------------


async def test_transcript_page_shows_the_customers_own_chat(
    customer: httpx.AsyncClient, session: AsyncSession, owner: Customer, agent: StaffUser
) -> None:
    conversation = await chat_with_agent(session, owner, agent)
    response = await customer.get(f"/chat/{conversation.id}/transcript")
    assert response.status_code == 200
    page = html.unescape(response.text)
    assert f"채팅 상담 기록 #{conversation.id}</h1>" in page
    assert "안녕하세요, 고객센터 챗봇입니다." in page
    assert "환불은 언제 되나요?\n주문번호 A-1" in page
    assert "상담사 김상담" in page and "오늘 안에 처리해 드릴게요." in page
    assert "내부 메모" not in page
    assert f'href="/api/v1/chat/conversations/{conversation.id}/transcript.txt"' in page
    assert 'id="print-button"' in page


async def test_someone_elses_transcript_is_not_found(
    app: FastAPI, settings: Settings, session: AsyncSession, owner: Customer, agent: StaffUser
) -> None:
    conversation = await chat_with_agent(session, owner, agent)
    async with customer_signed_in(app, settings, "someone-else") as stranger:
        for url in (f"/chat/{conversation.id}/transcript", "/chat/99999/transcript", "/chat/abc/transcript"):
            response = await stranger.get(url)
            assert response.status_code == 404, url
            assert "환불은 언제" not in response.text


async def test_transcript_needs_sign_in(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/chat/1/transcript")
    assert (response.status_code, response.headers["location"]) == (303, "/auth/login?next=%2Fchat%2F1%2Ftranscript")


# --- the agent console ----------------------------------------------------------------


async def test_chat_console_is_for_staff_only(anonymous: httpx.AsyncClient, customer: httpx.AsyncClient) -> None:
    for client in (anonymous, customer):
        for url in ("/console/chats", "/console/chats/live"):
            response = await client.get(url)
            assert (response.status_code, response.headers["location"]) == (303, f"/admin/login?next={url}")


async def test_agents_get_the_chat_console_without_the_live_view(
    anonymous: httpx.AsyncClient, session: AsyncSession, agent: StaffUser
) -> None:
    colleague = await make_staff(session, "colleague@example.com", name="이상담")
    session.add_all(
        [Macro(title="인사", body="{고객명}님, 안녕하세요. {상담사명}입니다."), Team(slug="pay", name="결제팀")]
    )
    await session.commit()
    await staff_signed_in(anonymous, agent.email)
    response = await anonymous.get("/console/chats")
    assert response.status_code == 200
    page = html.unescape(response.text)
    assert 'id="chat-console"' in page and 'data-socket="/ws/agent"' in page and 'data-supervisor="0"' in page
    assert 'id="chat-availability"' in page and 'id="chat-pane-template"' in page
    assert 'data-text="{고객명}님, 안녕하세요. {상담사명}입니다."' in page
    assert ">결제팀</option>" in page and f'<option value="{colleague.id}">이상담</option>' in page
    assert 'id="chat-live"' not in page
    assert '<a id="nav-console-chats" href="/console/chats">' in page
    assert (await anonymous.get("/console/chats/live")).status_code == 403


async def test_supervisors_see_every_live_chat(
    anonymous: httpx.AsyncClient, session: AsyncSession, owner: Customer, agent: StaffUser
) -> None:
    conversation = await chat_with_agent(session, owner, agent)
    supervisor = await make_staff(session, "lead@example.com", name="박팀장", role=StaffRole.SUPERVISOR)
    await staff_signed_in(anonymous, supervisor.email)
    for url in ("/console/chats", "/console/chats/live"):
        response = await anonymous.get(url)
        assert response.status_code == 200, url
        page = html.unescape(response.text)
        assert 'id="chat-live"' in page and 'id="chat-live-table"' in page
        assert f'<tr data-conversation="{conversation.id}" data-status="bot">' in page
        assert f'href="/console/chats?watch={conversation.id}"' in page
        assert "상담 가능 상담사 0명" in page
