"""Reading a stored mail into the help desk: a new inquiry, or a message on the one it answers.

Runs as the ``mail.process`` job, so a crash mid-way leaves the mail ``received`` and the job
runs again; the status check at the start makes a second run a no-op once it has committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.errors import ProblemError
from gogaek.helpcenter.models import Category
from gogaek.identity.models import Customer, CustomerSource
from gogaek.identity.service import normalise_email
from gogaek.inquiries import customer_verbs
from gogaek.inquiries import service as inquiries
from gogaek.inquiries.attachments import CheckedUpload, check_upload
from gogaek.inquiries.models import Inquiry
from gogaek.inquiries.storage import build_attachment_storage
from gogaek.inquiries.workflow import OPEN_STATUSES, Status
from gogaek.jobs.handlers import JobContext, PermanentJobError
from gogaek.mail.models import InboundMail, InboundStatus, MailDirection, OutboundKind
from gogaek.mail.outbound import mark_bounced, queue_mail
from gogaek.mail.parsing import MailAttachment, MailParseError, ParsedMail, parse_mail
from gogaek.mail.threads import inquiry_for_message_ids, remember_message_id, subject_number

_TITLE_CHARS = 200
_NO_SUBJECT = "(제목 없음)"


@dataclass(frozen=True, slots=True)
class Evidence:
    accepted: list[CheckedUpload]
    refused: list[dict[str, Any]]


async def process_inbound_mail_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Handler of ``mail.process``; payload ``{"inbound_mail_id"}``."""
    mail_id = payload.get("inbound_mail_id")
    if not isinstance(mail_id, int):
        raise PermanentJobError(f"inbound_mail_id must be an integer, got {mail_id!r}")
    async with ctx.sessionmaker() as session:
        await process_inbound_mail(session, ctx.settings, mail_id)


async def process_inbound_mail(session: AsyncSession, settings: Settings, mail_id: int) -> InboundMail | None:
    mail = await session.get(InboundMail, mail_id, options=[undefer(InboundMail.raw)])
    if mail is None or mail.status != InboundStatus.RECEIVED:
        return mail
    try:
        parsed = parse_mail(mail.raw, envelope_sender=mail.envelope_sender)
    except MailParseError as exc:
        _finish(mail, InboundStatus.FAILED, str(exc))
        await session.commit()
        return mail
    mail.sender = parsed.sender
    mail.subject = parsed.subject[:_TITLE_CHARS]
    reason = await _why_ignored(session, settings, parsed)
    if reason is not None:
        await mark_bounced(session, parsed.bounce_of)
        _finish(mail, InboundStatus.IGNORED, reason)
        await session.commit()
        return mail
    assert parsed.sender is not None  # _why_ignored refuses mail without one
    await _file(session, settings, mail, parsed, parsed.sender)
    return mail


async def _why_ignored(session: AsyncSession, settings: Settings, parsed: ParsedMail) -> str | None:
    """Automatic mail never opens anything (no loops); one sender cannot flood the queue."""
    if parsed.automatic is not None:
        return f"automatic:{parsed.automatic}"
    if parsed.sender is None:
        return "no_sender"
    since = utcnow() - timedelta(hours=1)
    recent = await session.scalar(
        select(func.count())
        .select_from(InboundMail)
        .where(
            InboundMail.sender == parsed.sender,
            InboundMail.status == InboundStatus.PROCESSED.value,
            InboundMail.received_at >= since,
        )
    )
    if int(recent or 0) >= settings.email_sender_mails_per_hour:
        return "rate_limited"
    return None


async def _file(session: AsyncSession, settings: Settings, mail: InboundMail, parsed: ParsedMail, sender: str) -> None:
    evidence = _checked(parsed.attachments, settings)
    storage = build_attachment_storage(settings)
    body = parsed.visible_text.strip() or parsed.text.strip() or _NO_SUBJECT
    thread = await _thread_of(session, parsed, sender)
    inquiry, customer = thread if thread is not None else (None, None)
    if inquiry is not None and customer is not None and await _reopened(session, settings, inquiry, customer):
        message = await customer_verbs.add_customer_message(
            session,
            customer,
            inquiry.id,
            body,
            settings=settings,
            storage=storage,
            uploads=evidence.accepted,
            commit=False,
        )
        mail.inquiry_message_id = message.id
    else:
        customer = await _customer(session, sender, parsed.sender_name)
        category = await _category(session, settings, mail.envelope_recipients or list(parsed.recipients))
        title = (" ".join(parsed.subject.split()) or _NO_SUBJECT)[:_TITLE_CHARS]
        inquiry = await inquiries.open_inquiry(session, customer, category, title=title, body=body, channel="email")
        await inquiries.add_evidence(session, inquiry, evidence.accepted, storage)
        await inquiries.enqueue_auto_assign(session, inquiry)
        if settings.email_acknowledgement:
            await queue_mail(session, settings, inquiry, OutboundKind.ACKNOWLEDGEMENT, sender)
    mail.inquiry_id = inquiry.id
    mail.refused_files = evidence.refused
    if parsed.message_id is not None:
        await remember_message_id(session, parsed.message_id, inquiry.id, MailDirection.INBOUND)
        await session.flush()  # the acknowledgement's In-Reply-To is read from the thread
    _finish(mail, InboundStatus.PROCESSED, None)
    await session.commit()


async def _customer(session: AsyncSession, address: str, name: str | None) -> Customer:
    """The web identity ``email:…`` of that address: whoever later proves it with a code sees these inquiries."""
    external_id = f"email:{address}"
    lookup = select(Customer).where(Customer.source == CustomerSource.EMAIL.value, Customer.external_id == external_id)
    customer = await session.scalar(lookup)
    if customer is not None:
        return customer
    try:
        async with session.begin_nested():  # two first mails of one sender may be read at once
            customer = Customer(external_id=external_id, source=CustomerSource.EMAIL.value, email=address, name=name)
            session.add(customer)
    except IntegrityError:
        customer = await session.scalar(lookup)
        if customer is None:
            raise
    return customer


async def _thread_of(session: AsyncSession, parsed: ParsedMail, sender: str) -> tuple[Inquiry, Customer] | None:
    """The inquiry the mail answers, and its customer, when the sender is that customer's address.

    By the ids it cites, else by the subject's number. A web customer who gets our notification
    mail replies as themselves; a stranger (a forward, a guessed number) opens a new inquiry.
    """
    inquiry_id = await inquiry_for_message_ids(session, [*parsed.references, *parsed.in_reply_to])
    inquiry: Inquiry | None = None
    if inquiry_id is not None:
        inquiry = await session.get(Inquiry, inquiry_id)
    else:
        number = subject_number(parsed.subject)
        if number is not None:
            inquiry = await session.scalar(select(Inquiry).where(Inquiry.number == number))
    if inquiry is None:
        return None
    owner = await session.get(Customer, inquiry.customer_id)
    if owner is None or normalise_email(owner.email or "") != sender:
        return None
    return inquiry, owner


async def _reopened(session: AsyncSession, settings: Settings, inquiry: Inquiry, customer: Customer) -> bool:
    """A reply to an open inquiry joins it; to a resolved one reopens it within the window; else a new one."""
    if Status(inquiry.status) in OPEN_STATUSES:
        return True
    if inquiry.status != Status.RESOLVED:
        return False
    try:
        await customer_verbs.reopen_by_customer(session, customer, inquiry.id, settings, commit=False)
    except ProblemError:
        return False
    return True


async def _category(session: AsyncSession, settings: Settings, recipients: list[str]) -> Category:
    """The category of the support address it was sent to; the default one otherwise."""
    routes = settings.support_addresses
    slugs = [routes[address.lower()] for address in recipients if address.lower() in routes]
    for slug in [*slugs, settings.email_default_category]:
        category = await session.scalar(select(Category).where(Category.slug == slug))
        if category is not None:
            return category
    fallback = await session.scalar(select(Category).order_by(Category.position, Category.id).limit(1))
    if fallback is None:
        raise PermanentJobError("카테고리가 하나도 없어 메일을 문의로 만들 수 없습니다 (no category exists)")
    return fallback


def _checked(attachments: tuple[MailAttachment, ...], settings: Settings) -> Evidence:
    """The upload checks decide; what they refuse is listed to the agent and the rest of the mail lands."""
    accepted: list[CheckedUpload] = []
    refused: list[dict[str, Any]] = []
    for attachment in attachments:
        name = (attachment.filename or "(이름 없음)")[:120]
        if len(accepted) >= settings.attachment_max_count:
            message = f"첨부 파일은 {settings.attachment_max_count}개까지 받습니다."
            refused.append({"name": name, "reason": "too_many_files", "message": message})
            continue
        try:
            accepted.append(check_upload(attachment.filename, attachment.data, settings))
        except ProblemError as exc:
            refused.append({"name": name, "reason": exc.code, "message": exc.message})
    return Evidence(accepted, refused)


def _finish(mail: InboundMail, status: InboundStatus, reason: str | None) -> None:
    mail.status = status.value
    mail.reason = reason[:200] if reason else None
    mail.processed_at = utcnow()
