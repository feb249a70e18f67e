"""Reads for the customer: 문의 내역 and one inquiry's public thread, always scoped to them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Row, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.config import Settings
from gogaek.errors import not_found
from gogaek.helpcenter.models import Category
from gogaek.identity.models import Customer, StaffUser
from gogaek.inquiries.customer_verbs import own_inquiry, reopen_deadline
from gogaek.inquiries.emergency import ACCIDENT_GUIDANCE
from gogaek.inquiries.models import Inquiry, InquiryAttachment, InquiryFeedback, InquiryMessage, Priority
from gogaek.inquiries.schemas import (
    AttachmentPublic,
    CategoryRef,
    FeedbackPublic,
    InquiryList,
    InquiryPublic,
    InquirySummary,
    MessagePublic,
)
from gogaek.inquiries.service import Submission
from gogaek.inquiries.workflow import STATUS_LABELS, Status
from gogaek.korean.pii import PII_NOTICE


def customer_attachment_url(attachment: InquiryAttachment) -> str:
    return f"/api/v1/inquiries/{attachment.inquiry_id}/attachments/{attachment.id}"


def summary(inquiry: Inquiry, category: Category) -> InquirySummary:
    return _summary(inquiry, CategoryRef.model_validate(category))


def _summary(inquiry: Inquiry | Row[*tuple[Any, ...]], category: CategoryRef) -> InquirySummary:
    status = Status(inquiry.status)
    return InquirySummary(
        id=inquiry.id,
        number=inquiry.number or "",
        status=status,
        status_label=STATUS_LABELS[status],
        category=category,
        channel=inquiry.channel,
        title=inquiry.title,
        priority=Priority(inquiry.priority),
        created_at=inquiry.created_at,
        updated_at=inquiry.updated_at,
        first_response_due_at=inquiry.first_response_due_at,
        resolution_due_at=inquiry.resolution_due_at,
        first_responded_at=inquiry.first_responded_at,
    )


_SUMMARY_COLUMNS = (
    Inquiry.id,
    Inquiry.number,
    Inquiry.status,
    Inquiry.channel,
    Inquiry.title,
    Inquiry.priority,
    Inquiry.created_at,
    Inquiry.updated_at,
    Inquiry.first_response_due_at,
    Inquiry.resolution_due_at,
    Inquiry.first_responded_at,
    Inquiry.category_id,
    Category.slug.label("category_slug"),
    Category.name.label("category_name"),
)
# Built once: 문의 내역 is the most read page, and building and keying the statement cost more than running it.
_CUSTOMER_PAGE = (
    select(*_SUMMARY_COLUMNS)
    .join(Category, Category.id == Inquiry.category_id)
    .where(Inquiry.customer_id == bindparam("customer_id"))
    .order_by(Inquiry.created_at.desc(), Inquiry.id.desc())
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)
_CUSTOMER_COUNT = select(func.count()).select_from(Inquiry).where(Inquiry.customer_id == bindparam("customer_id"))


async def list_customer_inquiries(
    session: AsyncSession, customer: Customer, *, limit: int = 20, offset: int = 0
) -> InquiryList:
    """Newest first, only the columns a summary shows. The count is a second query only when the
    page cannot tell it: a page that is neither full nor empty ends the list."""
    connection = await session.connection()
    rows = (
        await connection.execute(_CUSTOMER_PAGE, {"customer_id": customer.id, "limit": limit, "offset": offset})
    ).all()
    if 0 < len(rows) < limit or (not rows and offset == 0):
        total = offset + len(rows)
    else:
        total = int(await connection.scalar(_CUSTOMER_COUNT, {"customer_id": customer.id}) or 0)
    items = [
        _summary(row, CategoryRef(id=row.category_id, slug=row.category_slug, name=row.category_name)) for row in rows
    ]
    return InquiryList(items=items, total=total)


async def attachments_by_message(
    session: AsyncSession, inquiry_id: int, url: Callable[[InquiryAttachment], str]
) -> dict[int | None, list[AttachmentPublic]]:
    """An inquiry's evidence grouped by the message it came with (None: the inquiry itself).

    ``url`` says where the reader downloads it: customers and agents use different routes.
    """
    grouped: dict[int | None, list[AttachmentPublic]] = defaultdict(list)
    rows = await session.scalars(
        select(InquiryAttachment).where(InquiryAttachment.inquiry_id == inquiry_id).order_by(InquiryAttachment.id)
    )
    for item in rows:
        grouped[item.message_id].append(attachment_public(item, url))
    return grouped


def attachment_public(item: InquiryAttachment, url: Callable[[InquiryAttachment], str]) -> AttachmentPublic:
    return AttachmentPublic(
        id=item.id, name=item.display_name, content_type=item.content_type, size=item.size, url=url(item)
    )


async def customer_inquiry_view(
    session: AsyncSession, customer: Customer, inquiry_id: int, settings: Settings
) -> InquiryPublic:
    """The public thread: internal notes never leave this function."""
    inquiry = await own_inquiry(session, customer, inquiry_id)
    category = await session.get(Category, inquiry.category_id)
    assert category is not None  # categories with inquiries cannot be deleted (RESTRICT)
    messages = (
        await session.execute(
            select(InquiryMessage, StaffUser.display_name)
            .outerjoin(StaffUser, StaffUser.id == InquiryMessage.author_staff_id)
            .where(InquiryMessage.inquiry_id == inquiry.id, InquiryMessage.internal.is_(False))
            .order_by(InquiryMessage.id)
        )
    ).all()
    attachments = await attachments_by_message(session, inquiry.id, customer_attachment_url)
    feedback = await session.scalar(select(InquiryFeedback).where(InquiryFeedback.inquiry_id == inquiry.id))
    return _public_thread(inquiry, category, settings, attachments, messages, feedback)


def new_inquiry_view(submission: Submission, settings: Settings) -> InquiryPublic:
    """The thread of an inquiry filed a moment ago, from what was written: no reads.

    It has no replies and no rating yet; its only evidence is what came with it.
    """
    evidence = [attachment_public(item, customer_attachment_url) for item in submission.evidence]
    return _public_thread(submission.inquiry, submission.category, settings, {None: evidence}, [], None)


def _public_thread(
    inquiry: Inquiry,
    category: Category,
    settings: Settings,
    attachments: Mapping[int | None, list[AttachmentPublic]],
    messages: Sequence[tuple[InquiryMessage, str | None]],
    feedback: InquiryFeedback | None,
) -> InquiryPublic:
    base = summary(inquiry, category)
    return InquiryPublic(
        **base.model_dump(),
        body=inquiry.body,
        transaction_ref=inquiry.transaction_ref,
        is_emergency=inquiry.is_emergency,
        emergency_guidance=ACCIDENT_GUIDANCE if inquiry.is_emergency else None,
        pii_notice=PII_NOTICE,
        resolved_at=inquiry.resolved_at,
        reopen_until=reopen_deadline(inquiry, settings),
        can_rate=feedback is None and inquiry.status in (Status.RESOLVED, Status.CLOSED),
        feedback=FeedbackPublic.model_validate(feedback) if feedback is not None else None,
        attachments=attachments.get(None, []),
        messages=[
            MessagePublic(
                id=message.id,
                author=message.author_kind,
                author_name=_author_name(message, staff_name),
                internal=False,
                body=message.body,
                created_at=message.created_at,
                attachments=attachments.get(message.id, []),
            )
            for message, staff_name in messages
        ],
    )


def _author_name(message: InquiryMessage, staff_name: str | None) -> str | None:
    """Customers see the agent's display name (a nickname in most centres), never an email."""
    if message.author_kind == "agent":
        return staff_name or "상담사"
    return None


async def customer_attachment(
    session: AsyncSession, customer: Customer, inquiry_id: int, attachment_id: int
) -> InquiryAttachment:
    """An attachment of the customer's own inquiry, not hanging off an internal note."""
    inquiry = await own_inquiry(session, customer, inquiry_id)
    row = await session.execute(
        select(InquiryAttachment, InquiryMessage.internal)
        .outerjoin(InquiryMessage, InquiryMessage.id == InquiryAttachment.message_id)
        .where(InquiryAttachment.id == attachment_id, InquiryAttachment.inquiry_id == inquiry.id)
    )
    found = row.first()
    if found is None or found[1]:
        raise not_found("첨부 파일")
    return found[0]
