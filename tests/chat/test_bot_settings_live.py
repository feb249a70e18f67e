"""The answer bot's settings page against a running server and real websocket customers.

A change on /admin/bot reaches the next chat's greeting and the next message's handoff rule
without a restart; a change written by another process arrives within the copy's few seconds.
"""

from __future__ import annotations

import asyncio
import re
import time

import httpx
import pytest

from gogaek.db import create_engine, create_sessionmaker
from gogaek.identity.models import StaffRole
from gogaek.runtime_settings.models import RuntimeSetting
from tests.chat.conftest import Desk, add_staff
from tests.chat.wsclient import ChatClient, Frame, ws_url

pytestmark = pytest.mark.integration

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
GREETING = "안녕하세요, 페이 고객센터예요. 무엇이든 물어보세요."


async def _sign_in_admin(desk: Desk, browser: httpx.AsyncClient) -> None:
    engine = create_engine(desk.settings)
    async with create_sessionmaker(engine)() as session:
        await add_staff(session, "bot-admin@example.com", StaffRole.ADMIN)
    await engine.dispose()
    token = CSRF.search((await browser.get("/admin/login")).text)
    assert token is not None
    login = {"csrf_token": token.group(1), "email": "bot-admin@example.com", "password": "a-long-password-1"}
    assert (await browser.post("/admin/login", data=login)).status_code == 303


async def _save(browser: httpx.AsyncClient, **values: str) -> None:
    token = CSRF.search((await browser.get("/admin/bot")).text)
    assert token is not None
    saved = await browser.post("/admin/bot", data={"csrf_token": token.group(1), **values})
    assert saved.status_code == 303, saved.text


async def _greeting(desk: Desk, sub: str) -> tuple[ChatClient, Frame]:
    client = await ChatClient.open(ws_url(desk.url, "/ws/chat", token=desk.customer_token(sub)))
    await client.expect_type("hello")
    return client, await client.expect(lambda f: f.get("type") == "message" and f.get("sender") == "bot")


async def test_the_next_chat_and_message_follow_the_page(desk: Desk) -> None:
    async with httpx.AsyncClient(base_url=desk.url, headers={"Accept": "text/html"}) as browser:
        await _sign_in_admin(desk, browser)
        await _save(browser, greeting=GREETING, confidence="0.70", misses="1")
    customer, greeting = await _greeting(desk, "bot-live-1")
    assert greeting["text"] == GREETING
    await customer.send({"type": "message", "text": "zxqv 뷁뷁 퓨퓨", "client_msg_id": "m-1"})
    miss = await customer.expect(lambda f: f.get("type") == "message" and f.get("sender") == "bot")
    assert miss["bot_kind"] == "no_match"
    handed = await customer.expect(lambda f: f.get("type") == "message" and f.get("sender") == "system")
    assert "상담사" in handed["text"]  # one miss was enough: nobody is online, so the options
    await customer.socket.close()


async def test_a_change_from_another_process_arrives_within_seconds(desk: Desk) -> None:
    engine = create_engine(desk.settings)
    async with create_sessionmaker(engine)() as session:
        await session.merge(RuntimeSetting(key="chat.bot.greeting", value="다른 서버에서 바꾼 인사", updated_by="cli"))
        await session.commit()
    await engine.dispose()
    deadline = time.monotonic() + 15
    attempt = 0
    while True:
        attempt += 1
        customer, greeting = await _greeting(desk, f"bot-live-elsewhere-{attempt}")
        await customer.socket.close()
        if greeting["text"] == "다른 서버에서 바꾼 인사":
            break
        assert time.monotonic() < deadline, greeting["text"]
        await asyncio.sleep(0.5)
