"""챗봇 설정 (/admin/bot): greeting, threshold and handoff rule, used by the chat without a restart."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.audit.models import AuditEntry
from gogaek.chat.bot_settings import bot_settings
from gogaek.chat.models import ChatMessage, ChatStatus, Sender
from gogaek.chat.runtime import ChatRuntime
from gogaek.chat.service import get_conversation, post_message, start_conversation
from gogaek.config import Settings
from gogaek.identity.models import Customer, StaffRole
from gogaek.runtime_settings.models import RuntimeSetting
from tests.api.config_pages import audit_actions, field_error, flash_texts, signed_in
from tests.api.test_pages import admin_user, browser, post_form, sign_in

__all__ = ["admin_user", "browser"]

PAGE = "/admin/bot"
FAQ_QUESTION = "잔액이 부족하다며 결제가 거절돼요"
GOOD = {"greeting": "  반가워요! 무엇을 도와드릴까요?  ", "confidence": "0.8", "misses": "1"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"chat_hours": "always", "search_semantic": False, "chat_auto_assign": False})


async def stored(session: AsyncSession) -> dict[str, Any]:
    session.expire_all()
    return {row.key: row.value for row in await session.scalars(select(RuntimeSetting))}


async def test_the_page_needs_an_admin_or_supervisor(browser: httpx.AsyncClient, session: AsyncSession) -> None:
    response = await browser.get(PAGE)
    assert (response.status_code, response.headers["location"]) == (303, f"/admin/login?next={PAGE}")
    await signed_in(browser, session, StaffRole.AGENT)
    assert (await browser.get(PAGE)).status_code == 403
    refused = await post_form(browser, "/console", PAGE, GOOD)
    assert refused.status_code == 403
    assert await stored(session) == {}


async def test_a_supervisor_changes_the_bot_and_the_change_is_audited(
    browser: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    lead_id = (await signed_in(browser, session, StaffRole.SUPERVISOR)).id
    page = await browser.get(PAGE)
    assert page.status_code == 200 and "챗봇 설정" in page.text
    assert "0.70" in page.text and "(기본값)" in page.text and "기본값으로 되돌리기" not in page.text

    saved = await post_form(browser, PAGE, PAGE, GOOD)
    assert (saved.status_code, saved.headers["location"]) == (303, PAGE)
    shown = await browser.get(PAGE)
    assert "챗봇 설정을 저장했습니다" in " ".join(flash_texts(shown.text))
    assert "반가워요! 무엇을 도와드릴까요?" in shown.text and 'value="0.80"' in shown.text
    assert "(기본값)" not in shown.text and "기본값으로 되돌리기" in shown.text
    assert await stored(session) == {
        "chat.bot.greeting": "반가워요! 무엇을 도와드릴까요?",
        "chat.bot.confidence": 0.8,
        "chat.bot.misses": 1,
    }
    assert await audit_actions(session, "runtime_setting") == ["chat.bot.update"]
    entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "chat.bot.update"))
    assert entry is not None and entry.actor_id == lead_id
    assert entry.detail["changes"]["chat.bot.misses"] == {"from": None, "to": 1}

    again = await post_form(browser, PAGE, PAGE, GOOD)  # the same values: nothing to record
    assert again.status_code == 303
    assert "바뀐 내용이 없습니다." in flash_texts((await browser.get(PAGE)).text)
    assert await audit_actions(session, "runtime_setting") == ["chat.bot.update"]

    reset = await post_form(browser, PAGE, f"{PAGE}/reset", {})
    assert reset.status_code == 303
    assert await stored(session) == {}
    assert (await bot_settings(session, settings)).greeting == settings.chat_bot_greeting
    assert await audit_actions(session, "runtime_setting") == ["chat.bot.update", "chat.bot.update"]


@pytest.mark.usefixtures("admin_user")
async def test_bad_values_are_explained_in_korean_and_nothing_is_saved(
    browser: httpx.AsyncClient, session: AsyncSession
) -> None:
    await sign_in(browser)
    bad = await post_form(browser, PAGE, PAGE, {"greeting": "   ", "confidence": "높게", "misses": "0"})
    assert bad.status_code == 422
    assert field_error(bad.text, "greeting") == "첫인사를 입력해 주세요."
    assert field_error(bad.text, "confidence").startswith("답변 기준 신뢰도는 0.30~1.00 사이의 숫자로")
    assert field_error(bad.text, "misses") == "상담원 연결 기준은 1~10 사이의 정수로 입력해 주세요. (예: 2)"
    assert 'value="높게"' in bad.text  # what was typed stays
    too_high = await post_form(browser, PAGE, PAGE, {**GOOD, "confidence": "1.5", "greeting": "가" * 501})
    assert too_high.status_code == 422
    assert field_error(too_high.text, "greeting") == "첫인사는 500자 이하로 입력해 주세요."
    assert "confidence-error" in too_high.text
    no_token = await browser.post(PAGE, data=GOOD)
    assert no_token.status_code == 403 and "보안 확인에 실패했습니다" in no_token.text
    no_token_reset = await browser.post(f"{PAGE}/reset", data={})
    assert no_token_reset.status_code == 403
    assert await stored(session) == {}
    assert await audit_actions(session, "runtime_setting") == []


async def _bot_chat(session: AsyncSession, sub: str) -> int:
    customer = Customer(external_id=sub, name="고객")
    session.add(customer)
    await session.commit()
    outcome = await start_conversation(session, customer, "안녕하세요")
    return outcome.conversation.id


async def _ask(session: AsyncSession, runtime: ChatRuntime, chat_id: int, text: str) -> ChatMessage:
    conversation = await get_conversation(session, chat_id)
    outcome = await post_message(session, conversation, Sender.CUSTOMER, text, client_msg_id=None)
    await runtime.customer_message(chat_id, outcome)
    session.expire_all()
    query = select(ChatMessage).where(ChatMessage.conversation_id == chat_id, ChatMessage.sender == "bot")
    return (await session.scalars(query.order_by(ChatMessage.seq.desc()))).first()  # type: ignore[return-value]


@pytest.mark.usefixtures("admin_user", "demo_content")
async def test_the_chat_uses_the_pages_values_on_the_next_message(
    browser: httpx.AsyncClient, session: AsyncSession, app: FastAPI
) -> None:
    runtime: ChatRuntime = app.state.chat
    chat_id = await _bot_chat(session, "bot-settings-1")
    answered = await _ask(session, runtime, chat_id, FAQ_QUESTION)
    assert answered.payload["bot_kind"] == "answer"

    await sign_in(browser)
    await post_form(browser, PAGE, PAGE, {**GOOD, "confidence": "1.00", "misses": "1"})
    suggested = await _ask(session, runtime, chat_id, FAQ_QUESTION)
    assert suggested.payload["bot_kind"] == "suggestions"  # the same question, now under the threshold
    conversation = await get_conversation(session, chat_id)
    assert conversation.bot_misses == 1
    handed_over = (await session.scalars(select(ChatMessage).where(ChatMessage.conversation_id == chat_id))).all()
    assert any("상담 가능한 상담사가 없습니다" in m.text for m in handed_over if m.sender == "system")
    assert conversation.status == ChatStatus.BOT.value  # nobody online: the options, not a queue
