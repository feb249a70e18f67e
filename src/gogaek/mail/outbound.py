"""Mail out on email inquiries: the acknowledgement and agents' replies, threaded so answers come back.

Each mail is an ``outbound_mails`` row with a Message-ID of ours (remembered in the thread), sent
by the ``mail.send`` job: retried with backoff, and a final failure or a later bounce shows on
the inquiry's timeline for the agent.
"""

from __future__ import annotations

from email.message import EmailMessage as MimeMessage
from email.utils import format_datetime, formataddr, make_msgid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.identity.models import Customer
from gogaek.inquiries.attachments import clean_display_name
from gogaek.inquiries.models import Inquiry, InquiryAttachment, InquiryMessage
from gogaek.inquiries.pages import ANSWER_PROMISE, due_text
from gogaek.inquiries.service import add_timeline_event
from gogaek.inquiries.storage import build_attachment_storage
from gogaek.inquiries.workflow import Actor
from gogaek.jobs.handlers import JobContext, PermanentJobError
from gogaek.jobs.queue import enqueue
from gogaek.mail.models import MailDirection, OutboundKind, OutboundMail, OutboundStatus
from gogaek.mail.threads import last_inbound_id, remember_message_id, subject_with_number, thread_message_ids
from gogaek.notify.providers import NotificationError

MAIL_SEND_JOB = "mail.send"
_ERROR_CHARS = 500


def _our_message_id(settings: Settings) -> str:
    domain = settings.support_email.rpartition("@")[2] or "gogaek.local"
    return make_msgid(domain=domain)


async def queue_mail(
    session: AsyncSession,
    settings: Settings,
    inquiry: Inquiry,
    kind: OutboundKind,
    to_address: str,
    *,
    message: InquiryMessage | None = None,
) -> OutboundMail:
    """Adds the mail, its thread id and its job to the caller's transaction."""
    # One line whatever the title holds: a line break in a header would add headers (or fail the send).
    subject = " ".join(subject_with_number(_subject(kind, inquiry), inquiry.number or str(inquiry.id)).split())
    mail = OutboundMail(
        inquiry_id=inquiry.id,
        inquiry_message_id=message.id if message is not None else None,
        kind=kind.value,
        message_id=_our_message_id(settings),
        to_address=to_address,
        subject=subject[:300],
    )
    session.add(mail)
    await session.flush()
    await remember_message_id(session, mail.message_id, inquiry.id, MailDirection.OUTBOUND)
    await enqueue(
        session,
        MAIL_SEND_JOB,
        {"outbound_mail_id": mail.id},
        dedupe_key=f"mail.send:{mail.id}",
        max_attempts=settings.email_send_attempts,
    )
    return mail


def _subject(kind: OutboundKind, inquiry: Inquiry) -> str:
    if kind == OutboundKind.ACKNOWLEDGEMENT:
        return f"[고객센터] 문의가 접수되었습니다: {inquiry.title}"
    if kind == OutboundKind.NOTIFICATION:
        return "[고객센터] 문의하신 내용에 답변이 등록되었습니다"
    return f"Re: {inquiry.title}"


async def queue_reply_for_event(session: AsyncSession, settings: Settings, data: dict[str, Any]) -> bool:
    """An agent's public answer is mailed to a customer with an address; True when one was queued.

    On an email inquiry the mail is the answer itself; on a web inquiry it says an answer is
    waiting. Either way it comes from the support address and threads, so a reply lands here.
    """
    inquiry = await session.get(Inquiry, data.get("inquiry_id"))
    message_id = data.get("message_id")
    if inquiry is None or not isinstance(message_id, int):
        return False
    message = await session.get(InquiryMessage, message_id)
    address = await _customer_address(session, inquiry)
    if message is None or message.internal or address is None:
        return False
    already = await session.scalar(select(OutboundMail.id).where(OutboundMail.inquiry_message_id == message.id))
    if already is None:
        kind = OutboundKind.REPLY if inquiry.channel == "email" else OutboundKind.NOTIFICATION
        await queue_mail(session, settings, inquiry, kind, address, message=message)
    return True


async def _customer_address(session: AsyncSession, inquiry: Inquiry) -> str | None:
    customer = await session.get(Customer, inquiry.customer_id)
    return customer.email if customer is not None else None


# --- building and sending -------------------------------------------------------------------


async def send_mail_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Handler of ``mail.send``; payload ``{"outbound_mail_id"}``."""
    mail_id = payload.get("outbound_mail_id")
    if not isinstance(mail_id, int):
        raise PermanentJobError(f"outbound_mail_id must be an integer, got {mail_id!r}")
    async with ctx.sessionmaker() as session:
        mail = await session.get(OutboundMail, mail_id)
        if mail is None or mail.status != OutboundStatus.QUEUED:
            return
        mime = await build_mime(session, ctx.settings, mail)
        mail.attempts += 1
        try:
            await ctx.providers.email.send_mime(mime)
        except NotificationError as exc:
            final = not exc.transient or ctx.attempt >= ctx.settings.email_send_attempts
            mail.last_error = exc.message[:_ERROR_CHARS]
            if final:
                await _mark_failed(session, mail, OutboundStatus.FAILED, exc.message)
            await session.commit()
            if final:
                raise PermanentJobError(exc.message) from exc
            raise
        mail.status = OutboundStatus.SENT.value
        mail.sent_at = utcnow()
        await session.commit()


async def build_mime(session: AsyncSession, settings: Settings, mail: OutboundMail) -> MimeMessage:
    """UTF-8 throughout, our Message-ID, and In-Reply-To/References pointing at the customer's last mail."""
    inquiry = await session.get(Inquiry, mail.inquiry_id)
    if inquiry is None:
        raise PermanentJobError(f"inquiry {mail.inquiry_id} is gone")
    mime = MimeMessage()
    mime["From"] = formataddr(("고객센터", settings.support_email))
    mime["To"] = mail.to_address
    mime["Subject"] = mail.subject
    mime["Date"] = format_datetime(mail.created_at)
    mime["Message-ID"] = mail.message_id
    answered = await last_inbound_id(session, inquiry.id)
    if answered is not None:
        mime["In-Reply-To"] = answered
    references = [ref for ref in await thread_message_ids(session, inquiry.id) if ref != mail.message_id]
    if references:
        mime["References"] = " ".join(references)
    if mail.kind == OutboundKind.ACKNOWLEDGEMENT:
        mime["Auto-Submitted"] = "auto-replied"  # RFC 3834: other responders must not answer it
    elif mail.kind == OutboundKind.NOTIFICATION:
        mime["Auto-Submitted"] = "auto-generated"  # automatic, but not an answer to a mail
    mime.set_content(await _text(session, settings, mail, inquiry), charset="utf-8")
    await _attach(session, settings, mail, mime)
    return mime


async def _text(session: AsyncSession, settings: Settings, mail: OutboundMail, inquiry: Inquiry) -> str:
    number = inquiry.number or str(inquiry.id)
    if mail.kind == OutboundKind.ACKNOWLEDGEMENT:
        promise = due_text(inquiry.first_response_due_at) or ANSWER_PROMISE
        return (
            f"안녕하세요, 고객센터입니다.\n보내 주신 메일이 접수되었습니다.\n\n문의번호: {number}\n"
            f"답변 예정: {promise} (영업일 기준)\n\n이 메일에 회신하시면 같은 문의에 내용이 추가됩니다.\n"
            "이 메일은 자동으로 발송되었습니다.\n"
        )
    if mail.kind == OutboundKind.NOTIFICATION:
        url = f"{settings.base_url.rstrip('/')}/inquiries/{inquiry.id}"
        return (
            f"안녕하세요.\n문의하신 내용(문의번호 {number})에 답변이 등록되었습니다.\n"
            f"아래 주소에서 답변을 확인해 주세요.\n{url}\n\n"
            "이 메일에 회신하시면 같은 문의에 내용이 추가됩니다.\n"
        )
    message = await session.get(InquiryMessage, mail.inquiry_message_id)
    body = message.body if message is not None else ""
    return f"{body}\n\n--\n고객센터 (문의번호 {number})\n이 메일에 회신하시면 같은 문의로 전달됩니다.\n"


async def _attach(session: AsyncSession, settings: Settings, mail: OutboundMail, mime: MimeMessage) -> None:
    """The files the agent added to the reply."""
    if mail.inquiry_message_id is None:
        return
    files = await session.scalars(
        select(InquiryAttachment).where(InquiryAttachment.message_id == mail.inquiry_message_id)
    )
    storage = build_attachment_storage(settings)
    for file in files:
        data = await storage.load(file.storage_key)
        maintype, _, subtype = file.content_type.partition("/")
        extension = file.display_name.rpartition(".")[2]
        name = clean_display_name(file.display_name, extension)
        mime.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)


async def _mark_failed(session: AsyncSession, mail: OutboundMail, status: OutboundStatus, reason: str) -> None:
    mail.status = status.value
    mail.failed_at = utcnow()
    inquiry = await session.get(Inquiry, mail.inquiry_id)
    if inquiry is not None:
        kind = "email_bounced" if status == OutboundStatus.BOUNCED else "email_failed"
        add_timeline_event(
            session,
            inquiry,
            kind,
            Actor.SYSTEM,
            {"outbound_mail_id": mail.id, "to": mail.to_address, "kind": mail.kind, "reason": reason[:_ERROR_CHARS]},
        )


async def mark_bounced(session: AsyncSession, original_ids: tuple[str, ...]) -> int:
    """A bounce of our own mail marks it on the inquiry; returns how many of ours it named."""
    if not original_ids:
        return 0
    mails = (await session.scalars(select(OutboundMail).where(OutboundMail.message_id.in_(original_ids)))).all()
    for mail in mails:
        if mail.status != OutboundStatus.BOUNCED:
            await _mark_failed(session, mail, OutboundStatus.BOUNCED, "반송됨 (bounced by the recipient's server)")
    return len(mails)
