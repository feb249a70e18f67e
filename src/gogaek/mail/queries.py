"""Reading an inquiry's mail for agents: shared by the API and the console page."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from gogaek.errors import not_found
from gogaek.mail.models import InboundMail, InboundStatus, OutboundMail
from gogaek.mail.parsing import MailParseError, parse_mail
from gogaek.mail.schemas import InquiryMails, ReceivedMail, RefusedFile, SentMail


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
        refused_files=[RefusedFile.model_validate(entry) for entry in mail.refused_files],
        text=text,
        attachment_names=names,
    )


async def inquiry_mails(session: AsyncSession, inquiry_id: int) -> InquiryMails:
    """Every mail of the inquiry, oldest first (callers have checked that the inquiry exists)."""
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


@dataclass(frozen=True, slots=True)
class MailSources:
    """Which received mail each part of the inquiry came from, so the console links to the original."""

    any_mail: bool  # any mail in or out: the console offers the mail page
    opening: int | None  # the mail that opened the inquiry (its body), if it came by mail
    by_message: dict[int, int]  # timeline message id -> mail id


async def mail_sources(session: AsyncSession, inquiry_id: int) -> MailSources:
    rows = (
        await session.execute(
            select(InboundMail.id, InboundMail.inquiry_message_id, InboundMail.status)
            .where(InboundMail.inquiry_id == inquiry_id)
            .order_by(InboundMail.id)
        )
    ).all()
    opening: int | None = None
    by_message: dict[int, int] = {}
    for mail_id, message_id, status in rows:
        if status != InboundStatus.PROCESSED.value:
            continue
        if message_id is not None:
            by_message[message_id] = mail_id
        elif opening is None:
            opening = mail_id
    any_mail = (
        bool(rows)
        or (await session.scalar(select(OutboundMail.id).where(OutboundMail.inquiry_id == inquiry_id).limit(1)))
        is not None
    )
    return MailSources(any_mail, opening, by_message)


async def raw_mail_download(session: AsyncSession, inquiry_id: int, mail_id: int) -> Response:
    """The mail exactly as it arrived, as an .eml file (never shown inline: it may carry HTML).

    Looked up by inquiry and mail together, so a mail id from another inquiry is a 404.
    """
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
