"""The whole email conversation with real SMTP on both sides: the customer's mail reaches the
listener, the acknowledgement and the agent's reply reach a sink with threading headers, and
the customer's answer to the reply joins the same inquiry; an auto-reply does nothing.
"""

from __future__ import annotations

import email.message
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from gogaek.background import job_handlers
from gogaek.config import Settings
from gogaek.jobs.handlers import build_handlers
from gogaek.jobs.worker import JobWorker
from gogaek.mail.models import OutboundMail, OutboundStatus
from tests.api.test_notifications import Inbox, closed_port, smtp_server
from tests.conftest import customer_headers
from tests.mail.test_smtp_intake import CUSTOMER, EXE, PNG_2PX, _free_port, _inquiries, _mail, _send
from tests.phone.conftest import demo_categories  # noqa: F401 - a fixture used by name

pytestmark = pytest.mark.usefixtures("demo_categories")


@pytest.fixture
async def sink() -> AsyncIterator[tuple[Inbox, int]]:
    inbox = Inbox()
    async with smtp_server(inbox) as port:
        yield inbox, port


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"inbound_smtp_port": _free_port(), "support_email": "help@gogaek.example"})


def _worker(app: FastAPI, settings: Settings, port: int) -> JobWorker:
    smtp = settings.model_copy(update={"email_provider": "smtp", "smtp_host": "127.0.0.1", "smtp_port": port})
    return JobWorker(app.state.sessionmaker, smtp, build_handlers(job_handlers()), "mail-test-worker")


async def _drain(worker: JobWorker) -> None:
    for _ in range(10):
        if await worker.run_once() == 0:
            return


def _event_kinds(detail: dict[str, Any]) -> list[str]:
    return [item["event"]["kind"] for item in detail["timeline"] if item["type"] == "event"]


def _ids(value: object) -> list[str]:
    return str(value or "").split()


async def test_mail_acknowledgement_reply_and_answer_thread_together(
    app: FastAPI, settings: Settings, client: httpx.AsyncClient, admin_headers: dict[str, str], sink: tuple[Inbox, int]
) -> None:
    inbox, port = sink
    worker = _worker(app, settings, port)
    first = _mail("환불이 안 됐어요", "지난주 취소한 결제가 아직 환불되지 않았습니다.")
    await _send(settings, first)
    await _drain(worker)
    [inquiry] = await _inquiries(app)
    [ack] = inbox.messages()
    assert ack["To"] == CUSTOMER and ack["Auto-Submitted"] == "auto-replied"
    assert ack["In-Reply-To"] == first["Message-ID"]
    assert f"[#{inquiry.number}]" in str(ack["Subject"])
    assert inquiry.number is not None and inquiry.number in ack.get_content()

    response = await client.post(
        f"/api/v1/agent/inquiries/{inquiry.id}/replies",
        json={"body": "확인해 보니 카드사에서 환불이 진행 중입니다. 3영업일 안에 반영됩니다."},
        headers=admin_headers,
    )
    assert response.status_code == 201, response.text
    await _drain(worker)
    reply = inbox.messages()[-1]
    assert len(inbox.messages()) == 2
    assert reply["In-Reply-To"] == first["Message-ID"]
    assert first["Message-ID"] in _ids(reply["References"]) and ack["Message-ID"] in _ids(reply["References"])
    assert "Auto-Submitted" not in reply
    assert "3영업일" in reply.get_content() and f"[#{inquiry.number}]" in str(reply["Subject"])

    answer = _mail("Re: 답장", "감사합니다. 확인했어요.", In_Reply_To=str(reply["Message-ID"]))
    await _send(settings, answer)
    auto = _mail(
        "자동 응답: 답장", "부재중입니다.", Auto_Submitted="auto-replied", In_Reply_To=str(reply["Message-ID"])
    )
    await _send(settings, auto)
    await _drain(worker)
    assert len(await _inquiries(app)) == 1
    detail = (await client.get(f"/api/v1/agent/inquiries/{inquiry.id}", headers=admin_headers)).json()
    bodies = [item["message"]["body"] for item in detail["timeline"] if item["type"] == "message"]
    assert any("확인했어요" in body for body in bodies)
    assert not any("부재중" in body for body in bodies)
    assert len(inbox.messages()) == 2  # neither the answer nor the auto-reply is acknowledged


async def test_a_reply_that_cannot_be_delivered_is_shown_to_the_agent(
    app: FastAPI, settings: Settings, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    tight = settings.model_copy(update={"email_send_attempts": 1, "email_acknowledgement": False})
    await _send(settings, _mail("카드 등록 오류", "카드가 등록되지 않습니다."))
    with closed_port() as port:
        worker = _worker(app, tight, port)
        await _drain(worker)
        [inquiry] = await _inquiries(app)
        response = await client.post(
            f"/api/v1/agent/inquiries/{inquiry.id}/replies", json={"body": "다시 등록해 보세요."}, headers=admin_headers
        )
        assert response.status_code == 201
        await _drain(worker)
    async with app.state.sessionmaker() as session:
        [mail] = (await session.scalars(select(OutboundMail))).all()
        assert mail.status == OutboundStatus.FAILED and mail.last_error
    detail = (await client.get(f"/api/v1/agent/inquiries/{inquiry.id}", headers=admin_headers)).json()
    assert "email_failed" in _event_kinds(detail)


async def test_a_bounce_of_our_reply_marks_it_on_the_inquiry(
    app: FastAPI, settings: Settings, client: httpx.AsyncClient, admin_headers: dict[str, str], sink: tuple[Inbox, int]
) -> None:
    inbox, port = sink
    worker = _worker(app, settings, port)
    await _send(settings, _mail("포인트 문의", "포인트가 안 보여요."))
    await _drain(worker)
    [inquiry] = await _inquiries(app)
    [ack] = inbox.messages()
    bounce = _bounce_of(ack)
    await _send(settings, bounce, sender="")
    await _drain(worker)
    async with app.state.sessionmaker() as session:
        statuses = (await session.scalars(select(OutboundMail.status))).all()
        assert statuses == [OutboundStatus.BOUNCED.value]
        assert await session.scalar(select(func.count()).select_from(OutboundMail)) == 1
    detail = (await client.get(f"/api/v1/agent/inquiries/{inquiry.id}", headers=admin_headers)).json()
    assert "email_bounced" in _event_kinds(detail)
    assert len(await _inquiries(app)) == 1


def _bounce_of(original: email.message.EmailMessage) -> email.message.EmailMessage:
    """A delivery status notification (RFC 3464) as a receiving server sends it."""
    report = email.message.EmailMessage()
    report["From"] = "Mail Delivery System <MAILER-DAEMON@example.com>"
    report["To"] = "help@gogaek.example"
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report["Message-ID"] = "<bounce-1@example.com>"
    report.set_content("This is the mail system. Your message could not be delivered.")
    report.make_mixed()
    status = email.message.EmailMessage()
    status.set_content(
        "Reporting-MTA: dns; mx.example.com\n\nFinal-Recipient: rfc822; minji@example.com\nAction: failed\n"
        "Status: 5.1.1\n",
        subtype="plain",
    )
    report.attach(status)
    headers = email.message.EmailMessage()
    headers.set_content(
        f"Message-ID: {original['Message-ID']}\nFrom: help@gogaek.example\nTo: {CUSTOMER}\n", subtype="rfc822-headers"
    )
    report.attach(headers)
    report.replace_header(
        "Content-Type", f'multipart/report; report-type=delivery-status; boundary="{report.get_boundary()}"'
    )
    return report


async def test_a_web_customer_answers_the_notification_mail_into_the_same_inquiry(
    app: FastAPI, settings: Settings, client: httpx.AsyncClient, admin_headers: dict[str, str], sink: tuple[Inbox, int]
) -> None:
    inbox, port = sink
    worker = _worker(app, settings, port)
    customer = customer_headers(settings, "host-web-1", email=CUSTOMER)
    filed = await client.post(
        "/api/v1/inquiries",
        json={"category": "payment", "title": "결제 취소 문의", "body": "어제 결제를 취소하고 싶습니다."},
        headers=customer,
    )
    assert filed.status_code == 201, filed.text
    inquiry_id = filed.json()["id"]
    answered = await client.post(
        f"/api/v1/agent/inquiries/{inquiry_id}/replies", json={"body": "취소 접수했습니다."}, headers=admin_headers
    )
    assert answered.status_code == 201
    await _drain(worker)
    [notice] = inbox.messages()
    assert notice["To"] == CUSTOMER and "help@gogaek.example" in str(notice["From"])
    assert notice["Auto-Submitted"] == "auto-generated"
    assert f"/inquiries/{inquiry_id}" in notice.get_content()
    await _send(
        settings, _mail("Re: 답변 등록", "감사합니다, 하나 더 여쭤봅니다.", In_Reply_To=str(notice["Message-ID"]))
    )
    stranger = _mail("Re: 답변 등록", "끼어들기", sender="stranger@example.com", In_Reply_To=str(notice["Message-ID"]))
    await _send(settings, stranger, sender="stranger@example.com")
    await _drain(worker)
    inquiries = await _inquiries(app)
    assert len(inquiries) == 2 and inquiries[1].channel == "email"  # the stranger's mail is its own inquiry
    detail = (await client.get(f"/api/v1/agent/inquiries/{inquiry_id}", headers=admin_headers)).json()
    bodies = [item["message"]["body"] for item in detail["timeline"] if item["type"] == "message"]
    assert any("하나 더 여쭤봅니다" in body for body in bodies) and not any("끼어들기" in body for body in bodies)


async def test_agents_see_the_whole_mail_the_refused_files_and_download_the_raw_eml(
    app: FastAPI, settings: Settings, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    quoted = (
        "새 카드로 결제가 안 됩니다.\n\n"
        "2026년 12월 5일 (토) 오후 3:04, 고객센터 <help@gogaek.example>님이 작성:\n> 이전 답변"
    )
    message = _mail("카드 결제 오류", quoted)
    message.add_attachment(EXE, maintype="application", subtype="octet-stream", filename="a.exe")
    await _send(settings, message)
    await _send(
        settings, _mail("다른 문의", "다른 고객의 문의입니다.", sender="other@example.com"), sender="other@example.com"
    )
    worker = JobWorker(app.state.sessionmaker, settings, build_handlers(job_handlers()), "mail-test-worker")
    await _drain(worker)
    by_title = {inquiry.title: inquiry for inquiry in await _inquiries(app)}  # the two jobs may run in any order
    first, other = by_title["카드 결제 오류"], by_title["다른 문의"]
    assert "이전 답변" not in first.body and "결제가 안 됩니다" in first.body
    mails = (await client.get(f"/api/v1/agent/inquiries/{first.id}/emails", headers=admin_headers)).json()
    [received] = mails["received"]
    assert "이전 답변" in received["text"] and received["refused_files"][0]["name"] == "a.exe"
    assert [sent["kind"] for sent in mails["sent"]] == ["acknowledgement"]
    raw = await client.get(f"/api/v1/agent/inquiries/{first.id}/emails/{received['id']}/raw", headers=admin_headers)
    assert raw.status_code == 200 and raw.headers["content-type"].startswith("message/rfc822")
    assert str(message["Message-ID"]).encode() in raw.content
    wrong = await client.get(f"/api/v1/agent/inquiries/{other.id}/emails/{received['id']}/raw", headers=admin_headers)
    assert wrong.status_code == 404
    anonymous = await client.get(f"/api/v1/agent/inquiries/{first.id}/emails/{received['id']}/raw")
    assert anonymous.status_code == 401


async def test_files_the_agent_adds_go_out_with_the_reply(
    app: FastAPI, settings: Settings, client: httpx.AsyncClient, admin_headers: dict[str, str], sink: tuple[Inbox, int]
) -> None:
    inbox, port = sink
    worker = _worker(app, settings.model_copy(update={"email_acknowledgement": False}), port)
    await _send(settings, _mail("거래내역서 요청", "지난달 거래내역서를 보내 주세요."))
    await _drain(worker)
    [inquiry] = await _inquiries(app)
    replied = await client.post(
        f"/api/v1/agent/inquiries/{inquiry.id}/replies",
        data={"body": "요청하신 거래내역서를 첨부합니다."},
        files={"attachments": ("거래내역서.png", PNG_2PX, "image/png")},
        headers=admin_headers,
    )
    assert replied.status_code == 201, replied.text
    assert [file["name"] for file in replied.json()["attachments"]] == ["거래내역서.png"]
    refused = await client.post(
        f"/api/v1/agent/inquiries/{inquiry.id}/replies",
        data={"body": "실행 파일"},
        files={"attachments": ("run.exe", EXE, "application/octet-stream")},
        headers=admin_headers,
    )
    assert refused.status_code in (415, 422), refused.text
    await _drain(worker)
    [reply] = inbox.messages()
    [attached] = list(reply.iter_attachments())
    assert attached.get_filename() == "거래내역서.png" and attached.get_content() == PNG_2PX
