"""The customer's verbs: add to an inquiry, resolve or reopen it, rate it. Each starts from
``own_inquiry``, so someone else's inquiry is reported as missing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek import events
from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.errors import ProblemError, not_found
from gogaek.identity.models import Customer
from gogaek.inquiries.attachments import CheckedUpload, check_upload_count
from gogaek.inquiries.models import Inquiry, InquiryAttachment, InquiryFeedback, InquiryMessage
from gogaek.inquiries.schemas import FeedbackCreate
from gogaek.inquiries.service import add_timeline_event, attachment_row, change_status, event_data
from gogaek.inquiries.storage import AttachmentStorage, save_all
from gogaek.inquiries.workflow import OPEN_STATUSES, Actor, Status
from gogaek.korean.pii import mask_pii
from gogaek.web.i18n import N_, ngettext


async def own_inquiry(session: AsyncSession, customer: Customer, inquiry_id: int) -> Inquiry:
    """Someone else's inquiry is reported as missing, never as forbidden."""
    inquiry = await session.get(Inquiry, inquiry_id)
    if inquiry is None or inquiry.customer_id != customer.id:
        raise not_found("문의")
    return inquiry


async def add_customer_message(
    session: AsyncSession,
    customer: Customer,
    inquiry_id: int,
    body: str,
    *,
    settings: Settings,
    storage: AttachmentStorage,
    uploads: Sequence[CheckedUpload] = (),
    commit: bool = True,
) -> InquiryMessage:
    """More information from the customer; an answered inquiry goes back to the agent.

    ``commit=False`` leaves the transaction to a caller that records more with it (a mail's status).
    """
    inquiry = await own_inquiry(session, customer, inquiry_id)
    if Status(inquiry.status) not in OPEN_STATUSES:
        raise ProblemError(
            409,
            "inquiry_not_open",
            N_("해결되었거나 종료된 문의에는 내용을 추가할 수 없습니다. 다시 열어 주세요."),
        )
    existing = await session.scalar(
        select(func.count()).select_from(InquiryAttachment).where(InquiryAttachment.inquiry_id == inquiry.id)
    )
    check_upload_count(int(existing or 0) + len(uploads), settings)
    stored = await save_all(storage, [(upload.data, upload.extension) for upload in uploads])
    try:
        message = InquiryMessage(inquiry_id=inquiry.id, author_kind=Actor.CUSTOMER.value, body=mask_pii(body).text)
        session.add(message)
        await session.flush()
        for upload, key in zip(uploads, stored, strict=True):
            session.add(attachment_row(inquiry.id, message.id, upload, key))
        if inquiry.status == Status.ANSWERED:
            await change_status(session, inquiry, Status.IN_PROGRESS, Actor.CUSTOMER, settings)
        inquiry.updated_at = utcnow()
        await events.emit(session, events.INQUIRY_UPDATED, event_data(inquiry, message_id=message.id))
        if commit:
            await session.commit()
    except BaseException:
        await session.rollback()
        for key in stored:
            await storage.delete(key)
        raise
    return message


async def resolve_by_customer(
    session: AsyncSession, customer: Customer, inquiry_id: int, settings: Settings
) -> Inquiry:
    """The customer closes the loop themselves ("해결됐어요")."""
    inquiry = await own_inquiry(session, customer, inquiry_id)
    await change_status(session, inquiry, Status.RESOLVED, Actor.CUSTOMER, settings)
    await session.commit()
    return inquiry


def reopen_deadline(inquiry: Inquiry, settings: Settings) -> datetime | None:
    if inquiry.status != Status.RESOLVED or inquiry.resolved_at is None:
        return None
    return inquiry.resolved_at + timedelta(days=settings.inquiry_reopen_days)


async def reopen_by_customer(
    session: AsyncSession, customer: Customer, inquiry_id: int, settings: Settings, *, commit: bool = True
) -> Inquiry:
    inquiry = await own_inquiry(session, customer, inquiry_id)
    deadline = reopen_deadline(inquiry, settings)
    if deadline is not None and utcnow() > deadline:
        raise ProblemError(
            409,
            "reopen_window_passed",
            ngettext(
                "해결 후 %(days)s일이 지나 다시 열 수 없습니다. 새 문의를 남겨 주세요.",
                "해결 후 %(days)s일이 지나 다시 열 수 없습니다. 새 문의를 남겨 주세요.",
                settings.inquiry_reopen_days,
            )
            % {"days": settings.inquiry_reopen_days},
        )
    await change_status(session, inquiry, Status.IN_PROGRESS, Actor.CUSTOMER, settings)
    if commit:
        await session.commit()
    return inquiry


def _feedback_exists() -> ProblemError:
    return ProblemError(409, "feedback_exists", N_("이미 평가하신 문의입니다."))


async def record_feedback(
    session: AsyncSession, customer: Customer, inquiry_id: int, data: FeedbackCreate
) -> InquiryFeedback:
    """Once per inquiry, and only after it was resolved."""
    inquiry = await own_inquiry(session, customer, inquiry_id)
    if inquiry.status not in (Status.RESOLVED, Status.CLOSED):
        raise ProblemError(409, "inquiry_not_resolved", N_("해결된 문의만 평가할 수 있습니다."))
    if await session.scalar(select(InquiryFeedback.id).where(InquiryFeedback.inquiry_id == inquiry.id)) is not None:
        raise _feedback_exists()
    feedback = InquiryFeedback(inquiry_id=inquiry.id, score=data.score, comment=mask_pii(data.comment.strip()).text)
    session.add(feedback)
    add_timeline_event(session, inquiry, "feedback", Actor.CUSTOMER, {"score": data.score})
    await events.emit(session, events.INQUIRY_FEEDBACK, event_data(inquiry, score=data.score))
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise _feedback_exists() from exc
    return feedback
