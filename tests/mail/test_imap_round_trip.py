"""The email conversation through IMAP polling of a real dovecot mailbox: the customer's mail is
polled into an inquiry, the acknowledgement and the agent's reply reach an SMTP sink, the answer
polled later joins the inquiry, an auto-reply does nothing, and the same mail by SMTP too is one.
"""

from __future__ import annotations

import email.policy
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from gogaek.config import Settings
from gogaek.mail.imap_poll import poll_mailbox
from gogaek.mail.models import InboundMail
from tests.api.test_notifications import Inbox, smtp_server
from tests.mail.test_mail_round_trip import _drain, _worker
from tests.mail.test_smtp_intake import _free_port, _inquiries, _mail, _send
from tests.mail_servers import DovecotServer, ImapAccount, dovecot  # noqa: F401 - the fixture
from tests.phone.conftest import demo_categories  # noqa: F401 - a fixture used by name

pytestmark = pytest.mark.usefixtures("demo_categories")


@pytest.fixture
def account(dovecot: DovecotServer) -> ImapAccount:  # noqa: F811 - the imported fixture
    return dovecot.new_mailbox()


@pytest.fixture
def settings(settings: Settings, account: ImapAccount) -> Settings:
    return settings.model_copy(
        update={"inbound_smtp_port": _free_port(), "support_email": "help@gogaek.example", **account.imap_settings()}
    )


@pytest.fixture
async def sink() -> AsyncIterator[tuple[Inbox, int]]:
    inbox = Inbox()
    async with smtp_server(inbox) as port:
        yield inbox, port


async def test_a_conversation_through_the_polled_mailbox(
    app: FastAPI,
    settings: Settings,
    account: ImapAccount,
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    sink: tuple[Inbox, int],
) -> None:
    inbox, port = sink
    worker = _worker(app, settings, port)
    first = _mail("송금이 안 들어왔어요", "어제 보낸 송금이 상대방에게 도착하지 않았습니다.")
    account.deliver(first.as_bytes(policy=email.policy.SMTP))
    assert await poll_mailbox(app.state.sessionmaker, settings) == 1
    await _drain(worker)
    [inquiry] = await _inquiries(app)
    assert inquiry.channel == "email"
    [ack] = inbox.messages()
    assert ack["In-Reply-To"] == first["Message-ID"] and f"[#{inquiry.number}]" in str(ack["Subject"])

    replied = await client.post(
        f"/api/v1/agent/inquiries/{inquiry.id}/replies",
        json={"body": "수취 은행에 확인 중입니다."},
        headers=admin_headers,
    )
    assert replied.status_code == 201
    await _drain(worker)
    reply = inbox.messages()[-1]
    assert reply["In-Reply-To"] == first["Message-ID"]

    answer = _mail("Re: 확인 부탁", "오늘 아침에 들어왔습니다. 감사합니다.", In_Reply_To=str(reply["Message-ID"]))
    auto = _mail("자동 응답", "부재중", Auto_Submitted="auto-replied", In_Reply_To=str(reply["Message-ID"]))
    for message in (answer, auto):
        account.deliver(message.as_bytes(policy=email.policy.SMTP))
    await _send(settings, answer)  # the same mail through the listener as well
    assert await poll_mailbox(app.state.sessionmaker, settings) == 1  # the answer was already stored by SMTP
    await _drain(worker)
    assert len(await _inquiries(app)) == 1
    detail = (await client.get(f"/api/v1/agent/inquiries/{inquiry.id}", headers=admin_headers)).json()
    bodies = [item["message"]["body"] for item in detail["timeline"] if item["type"] == "message"]
    assert sum("오늘 아침에 들어왔습니다" in body for body in bodies) == 1
    assert not any("부재중" in body for body in bodies)
    assert len(inbox.messages()) == 2
    async with app.state.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(InboundMail)) == 3
    assert await poll_mailbox(app.state.sessionmaker, settings) == 0
