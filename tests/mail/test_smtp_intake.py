"""Mail in through the built-in SMTP listener: real SMTP conversations with smtplib, on both databases.

The app's lifespan starts the listener on a free port; the job worker is run by hand, so the
test sees the mail stored (acknowledged) first and read into an inquiry afterwards.
"""

from __future__ import annotations

import asyncio
import email.policy
import smtplib
import socket
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, text

from gogaek.background import job_handlers, periodic_tasks
from gogaek.config import Settings
from gogaek.identity.models import Customer
from gogaek.inquiries.models import Inquiry, InquiryAttachment, InquiryMessage
from gogaek.jobs.handlers import build_handlers
from gogaek.jobs.worker import JobWorker
from gogaek.mail.models import InboundMail, InboundStatus
from tests.phone.conftest import demo_categories  # noqa: F401 - a fixture used by name

SUPPORT = "help@gogaek.example"
BILLING = "billing@gogaek.example"
CUSTOMER = "minji@example.com"
PNG_2PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000002000000020802000000fdd49a730000001649444154789c633c2127c7"
    "c0c0c0c4c0c0c0c0c000000d0401087d71ca660000000049454e44ae426082"
)

EXE = b"MZ\x90\x00" + b"\x00" * 64  # a Windows executable's header: the upload checks refuse it

pytestmark = pytest.mark.usefixtures("demo_categories")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "inbound_smtp_port": _free_port(),
            "support_email": SUPPORT,
            "support_email_routes": {BILLING: "payment"},
            "email_default_category": "help",
        }
    )


def _mail(subject: str, body: str, *, sender: str = CUSTOMER, to: str = SUPPORT, **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"김민지 <{sender}>"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="example.com")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


async def _send(
    settings: Settings, message: EmailMessage | bytes, *, to: str = SUPPORT, sender: str = CUSTOMER
) -> None:
    def talk() -> None:
        assert settings.inbound_smtp_port is not None
        with smtplib.SMTP(settings.inbound_smtp_host, settings.inbound_smtp_port, timeout=30) as smtp:
            if isinstance(message, bytes):
                smtp.sendmail(sender, [to], message)
            else:
                smtp.send_message(message, from_addr=sender, to_addrs=[to])

    await asyncio.to_thread(talk)


async def _process(app: FastAPI) -> None:
    await app.state.jobs.worker.run_once()


async def _inquiries(app: FastAPI) -> list[Inquiry]:
    async with app.state.sessionmaker() as session:
        return list((await session.scalars(select(Inquiry).order_by(Inquiry.id))).all())


async def test_a_new_mail_becomes_an_email_inquiry_of_an_email_customer(app: FastAPI, settings: Settings) -> None:
    await _send(settings, _mail("결제가 두 번 됐어요", "어제 결제가 두 번 승인되었습니다.\n확인 부탁드립니다."))
    async with app.state.sessionmaker() as session:
        stored = (await session.scalars(select(InboundMail))).one()
        assert stored.status == InboundStatus.RECEIVED  # acknowledged (250) once stored, read later
    await _process(app)
    [inquiry] = await _inquiries(app)
    assert inquiry.channel == "email"
    assert inquiry.title == "결제가 두 번 됐어요"
    assert "두 번 승인되었습니다" in inquiry.body
    assert inquiry.number and inquiry.first_response_due_at is not None
    async with app.state.sessionmaker() as session:
        customer = await session.get(Customer, inquiry.customer_id)
        assert customer is not None and customer.external_id == f"email:{CUSTOMER}" and customer.email == CUSTOMER
        mail = (await session.scalars(select(InboundMail))).one()
        assert (mail.status, mail.inquiry_id, mail.sender) == (InboundStatus.PROCESSED, inquiry.id, CUSTOMER)


async def test_the_address_it_was_sent_to_picks_the_category(app: FastAPI, settings: Settings) -> None:
    await _send(settings, _mail("영수증 문의", "영수증을 다시 받고 싶어요.", to=BILLING), to=BILLING)
    await _process(app)
    [inquiry] = await _inquiries(app)
    async with app.state.sessionmaker() as session:
        from gogaek.helpcenter.models import Category

        category = await session.get(Category, inquiry.category_id)
        assert category is not None and category.slug == "payment"


async def test_other_recipients_are_refused_at_rcpt(app: FastAPI, settings: Settings) -> None:
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        await _send(settings, _mail("광고", "광고입니다", to="random@gogaek.example"), to="random@gogaek.example")
    assert next(iter(refused.value.recipients.values()))[0] == 550
    async with app.state.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(InboundMail)) == 0


async def test_the_same_mail_delivered_twice_is_stored_once(app: FastAPI, settings: Settings) -> None:
    message = _mail("송금 취소", "잘못 보낸 송금을 취소하고 싶습니다.")
    await _send(settings, message)
    del message["Received"]
    message["Received"] = "from relay.example.com by mx.gogaek.example; retried"
    await _send(settings, message)
    await _process(app)
    assert len(await _inquiries(app)) == 1
    async with app.state.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(InboundMail)) == 1


def _with_pdf_of(size: int) -> bytes:
    mail = _mail("증빙 자료", "첨부 파일을 확인해 주세요.")
    mail.add_attachment(b"%PDF-1.4\n" + b"0" * size, maintype="application", subtype="pdf", filename="statement.pdf")
    return mail.as_bytes(policy=email.policy.SMTP)  # CRLF line ends, as on the wire


async def test_a_24_megabyte_mail_is_taken_and_a_larger_one_refused_with_552(app: FastAPI, settings: Settings) -> None:
    raw = _with_pdf_of(17 * 1024 * 1024)
    assert 22 * 1024 * 1024 < len(raw) < settings.inbound_mail_max_bytes
    await _send(settings, raw)
    async with app.state.sessionmaker() as session:
        assert await session.scalar(select(InboundMail.size)) == len(raw)
    too_big = _with_pdf_of(19 * 1024 * 1024)  # base64 makes it about 25.3 MB
    assert len(too_big) > settings.inbound_mail_max_bytes
    with pytest.raises(smtplib.SMTPResponseException) as refused:
        await _send(settings, too_big)
    assert refused.value.smtp_code == 552
    async with app.state.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(InboundMail)) == 1


async def test_auto_replies_and_bounces_open_nothing(app: FastAPI, settings: Settings) -> None:
    await _send(settings, _mail("부재중: 결제 문의", "휴가 중입니다.", Auto_Submitted="auto-replied"))
    await _send(settings, _mail("Newsletter", "뉴스레터", Precedence="bulk"))
    await _send(settings, _mail("Undelivered", "bounce", sender="mailer-daemon@example.com"), sender="")
    await _process(app)
    assert await _inquiries(app) == []
    async with app.state.sessionmaker() as session:
        statuses = set((await session.scalars(select(InboundMail.status))).all())
    assert statuses == {InboundStatus.IGNORED.value}


async def test_a_reply_joins_its_inquiry_by_in_reply_to_or_by_its_number(app: FastAPI, settings: Settings) -> None:
    first = _mail("포인트가 사라졌어요", "적립된 포인트가 보이지 않습니다.")
    await _send(settings, first)
    await _process(app)
    [inquiry] = await _inquiries(app)
    answer = _mail("Re: 다른 제목으로 바뀐 답장", "추가로 캡처를 보냅니다.", In_Reply_To=str(first["Message-ID"]))
    answer.add_attachment(PNG_2PX, maintype="image", subtype="png", filename="캡처.png")
    await _send(settings, answer)
    by_number = _mail(f"Re: 포인트 [#{inquiry.number}]", "하나 더 여쭤봅니다.")
    await _send(settings, by_number)
    await _process(app)
    assert len(await _inquiries(app)) == 1
    async with app.state.sessionmaker() as session:
        bodies = (
            await session.scalars(select(InquiryMessage.body).where(InquiryMessage.inquiry_id == inquiry.id))
        ).all()
        assert any("캡처를 보냅니다" in body for body in bodies) and any("하나 더" in body for body in bodies)
        names = (await session.scalars(select(InquiryAttachment.display_name))).all()
        assert names == ["캡처.png"]


async def test_a_guessed_number_from_another_sender_opens_a_new_inquiry(app: FastAPI, settings: Settings) -> None:
    await _send(settings, _mail("계정 문의", "로그인이 안 됩니다."))
    await _process(app)
    [inquiry] = await _inquiries(app)
    await _send(
        settings,
        _mail(f"Re: [#{inquiry.number}]", "남의 문의에 끼어들기", sender="stranger@example.com"),
        sender="stranger@example.com",
    )
    await _process(app)
    inquiries = await _inquiries(app)
    assert len(inquiries) == 2 and inquiries[1].customer_id != inquiry.customer_id


async def test_refused_files_are_listed_and_the_rest_of_the_mail_lands(app: FastAPI, settings: Settings) -> None:
    message = _mail("증빙", "사진과 실행 파일을 보냅니다.")
    message.add_attachment(PNG_2PX, maintype="image", subtype="png", filename="영수증.png")
    message.add_attachment(EXE, maintype="application", subtype="octet-stream", filename="setup.exe")
    await _send(settings, message)
    await _process(app)
    [inquiry] = await _inquiries(app)
    async with app.state.sessionmaker() as session:
        mail = (await session.scalars(select(InboundMail))).one()
        assert [entry["name"] for entry in mail.refused_files] == ["setup.exe"]
        names = (await session.scalars(select(InquiryAttachment.display_name))).all()
        assert names == ["영수증.png"]
    assert inquiry.channel == "email"


def test_imap_polling_runs_only_when_a_host_is_set() -> None:
    names = {task.name for task in periodic_tasks(Settings(imap_host="imap.example.com"))}
    assert "mail-imap-poll" in names
    assert "mail-imap-poll" not in {task.name for task in periodic_tasks(Settings())}


async def test_two_first_mails_of_a_new_sender_read_at_once_make_one_customer(app: FastAPI, settings: Settings) -> None:
    await _send(settings, _mail("첫 번째 문의", "결제 문의입니다."))
    await _send(settings, _mail("두 번째 문의", "송금 문의입니다."))
    await _process(app)
    inquiries = await _inquiries(app)
    assert sorted(inquiry.title for inquiry in inquiries) == ["두 번째 문의", "첫 번째 문의"]
    assert len({inquiry.customer_id for inquiry in inquiries}) == 1
    async with app.state.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Customer)) == 1


async def test_a_sender_over_the_hourly_limit_opens_nothing_more(app: FastAPI, settings: Settings) -> None:
    limited = settings.model_copy(update={"email_sender_mails_per_hour": 2})
    worker = JobWorker(app.state.sessionmaker, limited, build_handlers(job_handlers()), "mail-limit-worker")
    for number in range(3):
        await _send(settings, _mail(f"문의 {number}", "같은 내용을 계속 보냅니다."))
        await worker.run_once()
    assert len(await _inquiries(app)) == 2
    async with app.state.sessionmaker() as session:
        reasons = (await session.scalars(select(InboundMail.reason).order_by(InboundMail.id))).all()
    assert reasons == [None, None, "rate_limited"]


async def test_when_the_mail_cannot_be_stored_the_sender_is_told_to_retry(app: FastAPI, settings: Settings) -> None:
    """451 (try later), never 250: the sending server keeps the mail until we can store it."""
    async with app.state.sessionmaker() as session:
        await session.execute(text("ALTER TABLE inbound_mails RENAME TO inbound_mails_away"))
        await session.commit()
    message = _mail("보관 실패", "저장이 안 될 때 보낸 메일")
    with pytest.raises(smtplib.SMTPDataError) as refused:
        await _send(settings, message)
    assert refused.value.smtp_code == 451
    async with app.state.sessionmaker() as session:
        await session.execute(text("ALTER TABLE inbound_mails_away RENAME TO inbound_mails"))
        await session.commit()
    await _send(settings, message)  # the relay's retry
    await _process(app)
    assert [inquiry.title for inquiry in await _inquiries(app)] == ["보관 실패"]
