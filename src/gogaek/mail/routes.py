"""What agents see of an inquiry's mail: each mail as received (whole text, refused files, the raw
.eml) and each mail we sent with its delivery status."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import undefer

from gogaek.deps import CurrentStaff, SessionDep
from gogaek.errors import not_found
from gogaek.inquiries.queue import get_inquiry
from gogaek.mail.models import InboundMail, OutboundMail
from gogaek.mail.parsing import MailParseError, parse_mail
from gogaek.web.ids import Id

router = APIRouter(prefix="/api/v1/agent/inquiries", tags=["agent console"])


class ReceivedMail(BaseModel):
    id: int
    message_id: str | None
    sender: str | None
    subject: str | None
    status: str
    reason: str | None
    received_at: datetime
    inquiry_message_id: int | None
    refused_files: list[dict[str, Any]]
    text: str  # the whole mail as text, quoted history and signature included
    attachment_names: list[str]


class SentMail(BaseModel):
    id: int
    kind: str
    message_id: str
    to_address: str
    subject: str
    status: str
    attempts: int
    last_error: str | None
    inquiry_message_id: int | None
    created_at: datetime
    sent_at: datetime | None
    failed_at: datetime | None


class InquiryMails(BaseModel):
    received: list[ReceivedMail]
    sent: list[SentMail]


def _received(mail: InboundMail) -> ReceivedMail:
    try:
        parsed = parse_mail(mail.raw, envelope_sender=mail.envelope_sender)
        text, names = parsed.text, [attachment.filename or "" for attachment in parsed.attachments]
    except MailParseError as exc:
        text, names = str(exc), []
    return ReceivedMail(
        id=mail.id,
        message_id=mail.message_id,
        sender=mail.sender,
        subject=mail.subject,
        status=mail.status,
        reason=mail.reason,
        received_at=mail.received_at,
        inquiry_message_id=mail.inquiry_message_id,
        refused_files=mail.refused_files,
        text=text,
        attachment_names=names,
    )


@router.get("/{inquiry_id}/emails", response_model=InquiryMails)
async def inquiry_mails(inquiry_id: Id, agent: CurrentStaff, session: SessionDep) -> InquiryMails:
    """Every mail of the inquiry, oldest first."""
    await get_inquiry(session, inquiry_id)
    received = await session.scalars(
        select(InboundMail)
        .options(undefer(InboundMail.raw))
        .where(InboundMail.inquiry_id == inquiry_id)
        .order_by(InboundMail.id)
    )
    sent = await session.scalars(
        select(OutboundMail).where(OutboundMail.inquiry_id == inquiry_id).order_by(OutboundMail.id)
    )
    return InquiryMails(
        received=[_received(mail) for mail in received],
        sent=[SentMail.model_validate(mail, from_attributes=True) for mail in sent],
    )


@router.get("/{inquiry_id}/emails/{mail_id}/raw")
async def raw_mail(inquiry_id: Id, mail_id: Id, agent: CurrentStaff, session: SessionDep) -> Response:
    """The mail exactly as it arrived, as an .eml file (never shown inline: it may carry HTML)."""
    await get_inquiry(session, inquiry_id)
    mail = await session.scalar(
        select(InboundMail)
        .options(undefer(InboundMail.raw))
        .where(InboundMail.id == mail_id, InboundMail.inquiry_id == inquiry_id)
    )
    if mail is None:
        raise not_found("메일")
    return Response(
        content=mail.raw,
        media_type="message/rfc822",
        headers={
            "Content-Disposition": f'attachment; filename="mail-{mail.id}.eml"',
            "X-Content-Type-Options": "nosniff",
        },
    )
