"""Notifications from events: in-app rows, e-mail through a real aiosmtpd server, SMS, and the inboxes.

As in ``test_webhooks_api``, the background worker is off and the real worker is run by hand.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.background import job_handlers
from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.events import (
    INQUIRY_ANSWERED,
    INQUIRY_ASSIGNED,
    INQUIRY_CREATED,
    INQUIRY_SLA_BREACHED,
    INQUIRY_SLA_WARNING,
)
from gogaek.helpcenter.models import Category
from gogaek.identity.customer_tokens import issue_customer_token
from gogaek.identity.models import Customer, StaffRole, StaffUser
from gogaek.inquiries.models import Inquiry
from gogaek.jobs.handlers import NOTIFY_EMAIL, NOTIFY_SMS, build_handlers
from gogaek.jobs.models import Job, JobStatus
from gogaek.jobs.worker import JobWorker
from gogaek.notify.models import Notification
from gogaek.notify.providers import ConsoleProvider, EmailMessage, SmsMessage
from tests.api.test_webhooks_api import drain, emit_committed, jobs_of, staff_headers, with_job_routes

NUMBER = "Q-20250101-0041"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"jobs_enabled": False, "public_url": "https://help.example.com"})


@pytest.fixture
def app(app: FastAPI) -> FastAPI:
    return with_job_routes(app)


class Inbox:
    """An aiosmtpd handler keeping accepted messages; ``rcpt_reply`` lets it refuse recipients."""

    def __init__(self, rcpt_reply: str = "250 OK") -> None:
        self.rcpt_reply = rcpt_reply
        self.envelopes: list[Envelope] = []

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if self.rcpt_reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return self.rcpt_reply

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        self.envelopes.append(envelope)
        return "250 OK"

    def messages(self) -> list[email.message.EmailMessage]:
        parsed = [
            email.message_from_bytes(e.original_content or b"", policy=email.policy.default) for e in self.envelopes
        ]
        return [message for message in parsed if isinstance(message, email.message.EmailMessage)]


@asynccontextmanager
async def smtp_server(inbox: Inbox) -> AsyncIterator[int]:
    """Runs in the test's loop; the SMTP provider talks to it from a worker thread."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(inbox, hostname="localhost", loop=loop), "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


@contextmanager
def closed_port() -> Iterator[int]:
    """Bound but not listening: connections are refused, like a relay that is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def smtp_worker(app: FastAPI, settings: Settings, port: int) -> JobWorker:
    smtp = settings.model_copy(update={"email_provider": "smtp", "smtp_host": "127.0.0.1", "smtp_port": port})
    return JobWorker(app.state.sessionmaker, smtp, build_handlers(job_handlers()), "notify-test-worker")


def console_worker(app: FastAPI, settings: Settings) -> tuple[JobWorker, ConsoleProvider]:
    worker = JobWorker(app.state.sessionmaker, settings, build_handlers(), "notify-test-worker")
    assert isinstance(worker.providers.email, ConsoleProvider)
    return worker, worker.providers.email


async def add_customer(session: AsyncSession, sub: str, **contact: str) -> Customer:
    customer = Customer(external_id=sub, **contact)
    session.add(customer)
    await session.commit()
    return customer


def customer_headers(settings: Settings, customer: Customer) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_customer_token(settings, sub=customer.external_id)}"}


async def add_staff(
    app: FastAPI, session: AsyncSession, role: StaffRole, email_address: str
) -> tuple[int, dict[str, str]]:
    headers = await staff_headers(app, session, role, email_address)
    staff_id = await session.scalar(select(StaffUser.id).where(StaffUser.email == email_address))
    assert staff_id is not None
    return staff_id, headers


def inquiry(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "inquiry_id": 41,
        "number": NUMBER,
        "status": "answered",
        "priority": "normal",
        "customer_id": 0,
        "assignee_id": None,
        "team_id": None,
        "title": "환불 요청",
    }
    return {**data, **overrides}


async def notifications(app: FastAPI) -> list[Notification]:
    async with app.state.sessionmaker() as db:
        return list((await db.scalars(select(Notification).order_by(Notification.id))).all())


async def leave_to_a_dead_worker(app: FastAPI) -> None:
    """What a worker that died during the fan-out leaves: the event job claimed under a lease that
    has run out, and none of its work, which would have committed with the job's completion."""
    async with app.state.sessionmaker() as db:
        await db.execute(
            update(Job)
            .where(Job.kind == "event")
            .values(
                status=JobStatus.RUNNING.value,
                attempts=1,
                locked_by="dead-worker",
                locked_until=utcnow() - timedelta(seconds=1),
            )
        )
        await db.commit()


# --- customers ------------------------------------------------------------------------------


async def test_an_answer_reaches_the_customer_in_app_by_email_and_by_sms_exactly_once(
    app: FastAPI, settings: Settings, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    customer = await add_customer(session, "host-user-1", email="kim@example.com", phone="010-1234-5678")
    inbox = Inbox()
    async with smtp_server(inbox) as port:
        worker = smtp_worker(app, settings, port)
        await emit_committed(app, INQUIRY_ANSWERED, inquiry(customer_id=customer.id, message_id=7))
        await leave_to_a_dead_worker(app)
        assert await drain(worker) == 3  # the event taken over, the e-mail, the SMS
        assert await drain(worker) == 0
    [event] = await jobs_of(app, "event")
    assert (event.status, event.attempts) == (JobStatus.DONE.value, 2)

    link = "https://help.example.com/inquiries/41"
    [message] = inbox.messages()
    assert inbox.envelopes[0].rcpt_tos == ["kim@example.com"]
    assert message["Subject"] == "[고객센터] 문의하신 내용에 답변이 등록되었습니다"
    body = message.get_body(("plain",))
    assert body is not None and NUMBER in body.get_content() and link in body.get_content()
    assert isinstance(worker.providers.sms, ConsoleProvider)
    [sms] = worker.providers.sms.sent
    assert isinstance(sms, SmsMessage) and sms.to == "010-1234-5678" and link in sms.text
    assert [job.status for job in await jobs_of(app, NOTIFY_EMAIL) + await jobs_of(app, NOTIFY_SMS)] == ["done", "done"]

    response = await client.get("/api/v1/notifications", headers=customer_headers(settings, customer))
    assert response.status_code == 200
    listed = response.json()
    assert listed["unread"] == 1
    [item] = listed["items"]
    assert item["title"] == f"문의하신 내용에 답변이 등록되었습니다 (문의번호 {NUMBER})"
    assert (item["kind"], item["link"], item["read_at"]) == (INQUIRY_ANSWERED, "/inquiries/41", None)


async def test_a_customer_without_contact_details_is_notified_in_app_only(
    app: FastAPI, settings: Settings, session: AsyncSession
) -> None:
    customer = await add_customer(session, "host-user-2")
    worker, console = console_worker(app, settings)
    await emit_committed(app, INQUIRY_ANSWERED, inquiry(customer_id=customer.id, number=None))
    assert await drain(worker) == 1
    [notification] = await notifications(app)
    assert (notification.recipient_kind, notification.recipient_id) == ("customer", customer.id)
    assert "(문의번호 #41)" in notification.title  # no number yet: the id stands in
    assert console.sent == []
    assert await jobs_of(app, NOTIFY_EMAIL) == [] and await jobs_of(app, NOTIFY_SMS) == []


async def test_customers_read_only_their_own_notifications(
    app: FastAPI, settings: Settings, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    owner = await add_customer(session, "host-owner")
    stranger = await add_customer(session, "host-stranger")
    worker, _ = console_worker(app, settings)
    for inquiry_id in (41, 42):
        await emit_committed(app, INQUIRY_ANSWERED, inquiry(customer_id=owner.id, inquiry_id=inquiry_id))
        await drain(worker)
    first, second = await notifications(app)
    mine, theirs = customer_headers(settings, owner), customer_headers(settings, stranger)

    listed = (await client.get("/api/v1/notifications", headers=mine)).json()
    assert [item["id"] for item in listed["items"]] == [second.id, first.id]  # newest first
    assert (await client.get("/api/v1/notifications", headers=theirs)).json() == {"items": [], "unread": 0}
    stolen = await client.post(f"/api/v1/notifications/{first.id}/read", headers=theirs)
    assert stolen.status_code == 404
    assert (await client.post("/api/v1/notifications/999/read", headers=mine)).status_code == 404

    read = await client.post(f"/api/v1/notifications/{first.id}/read", headers=mine)
    assert read.status_code == 200 and read.json()["read_at"] is not None
    again = await client.post(f"/api/v1/notifications/{first.id}/read", headers=mine)
    assert again.json()["read_at"] == read.json()["read_at"]
    assert (await client.get("/api/v1/notifications", headers=mine)).json()["unread"] == 1
    assert (await client.post("/api/v1/notifications/read-all", headers=mine)).status_code == 204
    assert (await client.get("/api/v1/notifications", headers=mine)).json()["unread"] == 0

    for path in ("/api/v1/notifications", "/api/v1/agent/notifications"):
        assert (await client.get(path)).status_code == 401


# --- delivery failures ----------------------------------------------------------------------


async def test_a_recipient_the_relay_refuses_for_good_is_parked(
    app: FastAPI, settings: Settings, session: AsyncSession
) -> None:
    customer = await add_customer(session, "host-user-3", email="gone@example.com")
    async with smtp_server(Inbox(rcpt_reply="550 5.1.1 No such user")) as port:
        await emit_committed(app, INQUIRY_ANSWERED, inquiry(customer_id=customer.id))
        await drain(smtp_worker(app, settings, port))
    [job] = await jobs_of(app, NOTIFY_EMAIL)
    assert (job.status, job.attempts) == (JobStatus.PARKED.value, 1)
    assert job.last_error is not None and "550" in job.last_error


@pytest.mark.parametrize("down", ["refused", "451"])
async def test_a_relay_that_is_down_or_busy_is_retried_later(
    app: FastAPI, settings: Settings, session: AsyncSession, down: str
) -> None:
    customer = await add_customer(session, "host-user-4", email="kim@example.com")
    await emit_committed(app, INQUIRY_ANSWERED, inquiry(customer_id=customer.id))
    if down == "refused":
        with closed_port() as port:
            await drain(smtp_worker(app, settings, port))
    else:
        async with smtp_server(Inbox(rcpt_reply="451 4.3.0 Try again later")) as port:
            await drain(smtp_worker(app, settings, port))
    [job] = await jobs_of(app, NOTIFY_EMAIL)
    assert (job.status, job.attempts) == (JobStatus.PENDING.value, 1)
    assert job.last_error is not None and job.run_at > job.created_at

    inbox = Inbox()
    async with smtp_server(inbox) as port:
        assert await smtp_worker(app, settings, port).run_once(now=job.run_at) == 1
    assert len(inbox.envelopes) == 1
    [job] = await jobs_of(app, NOTIFY_EMAIL)
    assert job.status == JobStatus.DONE.value


async def test_a_malformed_event_is_parked_and_leaves_nothing_half_done(
    app: FastAPI, settings: Settings, session: AsyncSession
) -> None:
    worker, console = console_worker(app, settings)
    await emit_committed(app, INQUIRY_ANSWERED, inquiry(customer_id="not-an-id"))
    assert await drain(worker) == 1
    [event] = await jobs_of(app, "event")
    assert event.status == JobStatus.PARKED.value
    assert event.last_error is not None and "customer_id" in event.last_error
    assert await notifications(app) == []
    assert console.sent == []


# --- staff ----------------------------------------------------------------------------------


async def test_an_assignment_notifies_the_assignee_in_the_console(
    app: FastAPI, settings: Settings, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    agent_id, agent = await add_staff(app, session, StaffRole.AGENT, "agent@example.com")
    _, colleague = await add_staff(app, session, StaffRole.AGENT, "colleague@example.com")
    worker, console = console_worker(app, settings)
    await emit_committed(app, INQUIRY_ASSIGNED, inquiry(assignee_id=agent_id))
    await emit_committed(app, INQUIRY_CREATED, inquiry())  # nobody is notified of this one
    await drain(worker)
    assert console.sent == []  # assignment is in-app only

    listed = (await client.get("/api/v1/agent/notifications", headers=agent)).json()
    assert listed["unread"] == 1
    [item] = listed["items"]
    assert (item["kind"], item["link"]) == (INQUIRY_ASSIGNED, "/console/inquiries/41")
    assert NUMBER in item["title"]
    assert (await client.get("/api/v1/agent/notifications", headers=colleague)).json()["items"] == []
    assert (await client.post(f"/api/v1/agent/notifications/{item['id']}/read", headers=colleague)).status_code == 404
    read = await client.post(f"/api/v1/agent/notifications/{item['id']}/read", headers=agent)
    assert read.status_code == 200 and read.json()["read_at"] is not None
    assert (await client.post("/api/v1/agent/notifications/read-all", headers=agent)).status_code == 204
    assert (await client.get("/api/v1/agent/notifications", headers=agent)).json()["unread"] == 0


async def test_sla_warning_goes_to_the_assignee_with_an_email(
    app: FastAPI, settings: Settings, session: AsyncSession
) -> None:
    agent_id, _ = await add_staff(app, session, StaffRole.AGENT, "agent@example.com")
    await add_staff(app, session, StaffRole.SUPERVISOR, "lead@example.com")
    worker, console = console_worker(app, settings)
    await emit_committed(app, INQUIRY_SLA_WARNING, inquiry(assignee_id=agent_id))
    await drain(worker)
    [notification] = await notifications(app)
    assert (notification.recipient_kind, notification.recipient_id) == ("staff", agent_id)
    [mail] = console.sent
    assert isinstance(mail, EmailMessage) and mail.to == "agent@example.com"
    assert "https://help.example.com/console/inquiries/41" in mail.text


async def test_unassigned_sla_breach_goes_to_every_active_supervisor_and_admin(
    app: FastAPI, settings: Settings, session: AsyncSession
) -> None:
    admin_id, _ = await add_staff(app, session, StaffRole.ADMIN, "admin@example.com")
    lead_id, _ = await add_staff(app, session, StaffRole.SUPERVISOR, "lead@example.com")
    retired_id, _ = await add_staff(app, session, StaffRole.SUPERVISOR, "retired@example.com")
    await add_staff(app, session, StaffRole.AGENT, "agent@example.com")
    await session.execute(update(StaffUser).where(StaffUser.id == retired_id).values(is_active=False))
    await session.commit()
    worker, console = console_worker(app, settings)
    await emit_committed(app, INQUIRY_SLA_BREACHED, inquiry())
    await leave_to_a_dead_worker(app)
    await drain(worker)
    await drain(worker)

    assert sorted(n.recipient_id for n in await notifications(app)) == sorted([admin_id, lead_id])
    mailed = sorted(m.to for m in console.sent if isinstance(m, EmailMessage))
    assert mailed == ["admin@example.com", "lead@example.com"]
    async with app.state.sessionmaker() as db:
        assert await db.scalar(select(func.count()).select_from(Job).where(Job.kind == NOTIFY_EMAIL)) == 2


async def test_staff_notices_are_written_in_each_recipients_language(
    app: FastAPI, settings: Settings, session: AsyncSession
) -> None:
    """An English-reading supervisor gets the breach in English, a Korean one in Korean."""
    english_id, _ = await add_staff(app, session, StaffRole.SUPERVISOR, "lead-en@example.com")
    korean_id, _ = await add_staff(app, session, StaffRole.ADMIN, "admin-ko@example.com")
    await session.execute(update(StaffUser).where(StaffUser.id == english_id).values(locale="en"))
    await session.commit()
    worker, console = console_worker(app, settings)
    await emit_committed(app, INQUIRY_SLA_BREACHED, inquiry())
    await drain(worker)
    await drain(worker)

    titles = {n.recipient_id: n.title for n in await notifications(app)}
    assert titles == {
        english_id: f"An inquiry is past its deadline (inquiry {NUMBER})",
        korean_id: f"처리 기한을 넘긴 문의가 있습니다 (문의번호 {NUMBER})",
    }
    mails = {m.to: m for m in console.sent if isinstance(m, EmailMessage)}
    assert (
        mails["lead-en@example.com"].subject == f"[Customer center] An inquiry is past its deadline (inquiry {NUMBER})"
    )
    assert mails["lead-en@example.com"].text.startswith("An inquiry is past its deadline")
    assert (
        "Please take a look here:\nhttps://help.example.com/console/inquiries/41" in mails["lead-en@example.com"].text
    )
    assert mails["admin-ko@example.com"].subject == f"[고객센터] 처리 기한을 넘긴 문의가 있습니다 (문의번호 {NUMBER})"
    assert "아래 주소에서 확인해 주세요." in mails["admin-ko@example.com"].text


async def test_the_answered_notice_uses_the_texts_saved_on_the_templates_page(
    app: FastAPI, settings: Settings, session: AsyncSession
) -> None:
    from gogaek.notify.texts import INQUIRY_ANSWERED as ANSWERED_TEXTS
    from gogaek.notify.texts import NoticeTexts, save_notice_texts

    await add_staff(app, session, StaffRole.ADMIN, "admin@example.com")
    admin = await session.scalar(select(StaffUser).where(StaffUser.email == "admin@example.com"))
    assert admin is not None
    words = NoticeTexts(
        title="답변 도착 ({number})",
        email_subject="[페이] 답변이 왔어요",
        email_body="문의번호 {number}의 답변: {link}",
        sms="[페이] 답변 도착 {link}",
    )
    await save_notice_texts(session, admin, ANSWERED_TEXTS, "ko", words)
    customer = await add_customer(session, "host-user-7", email="kim@example.com", phone="010-1234-5678")
    worker, console = console_worker(app, settings)
    await emit_committed(app, INQUIRY_ANSWERED, inquiry(customer_id=customer.id))
    await drain(worker)
    [notification] = await notifications(app)
    assert notification.title == f"답변 도착 ({NUMBER})"
    [mail] = [m for m in console.sent if isinstance(m, EmailMessage)]
    assert (mail.subject, mail.text) == (
        "[페이] 답변이 왔어요",
        f"문의번호 {NUMBER}의 답변: https://help.example.com/inquiries/41",
    )
    [sms] = [m for m in console.sent if isinstance(m, SmsMessage)]
    assert sms.text == "[페이] 답변 도착 https://help.example.com/inquiries/41"


@pytest.mark.parametrize(
    ("language", "title"), [("en", "Your inquiry has been answered"), ("ko", "답변이 등록되었습니다")]
)
async def test_the_answered_notice_speaks_the_language_the_inquiry_was_filed_in(
    app: FastAPI, settings: Settings, client: httpx.AsyncClient, session: AsyncSession, language: str, title: str
) -> None:
    session.add(Category(slug="payment", name="결제"))
    customer = await add_customer(session, f"host-{language}", email="kim@example.com")
    filed = await client.post(
        "/api/v1/inquiries",
        json={"category": "payment", "title": "Refund", "body": "Where is my refund?"},
        headers={**customer_headers(settings, customer), "Accept-Language": language},
    )
    assert filed.status_code == 201, filed.text
    assert (await session.get(Inquiry, filed.json()["id"])).locale == language  # type: ignore[union-attr]
    worker, console = console_worker(app, settings)
    answered = inquiry(customer_id=customer.id, inquiry_id=filed.json()["id"], number=filed.json()["number"])
    await emit_committed(app, INQUIRY_ANSWERED, answered)
    await drain(worker)
    [notification] = await notifications(app)
    assert title in notification.title and filed.json()["number"] in notification.title
    [mail] = [m for m in console.sent if isinstance(m, EmailMessage)]
    assert (mail.subject.startswith("[Customer Center]")) is (language == "en")
