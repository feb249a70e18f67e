"""Reads of appeals: the customer's own (someone else's is a 404), one inquiry's, and whether to offer the form."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.appeals.models import AppealOutcome, RestrictionAppeal
from gogaek.appeals.schemas import OUTCOME_LABELS, AppealList, AppealPublic
from gogaek.config import Settings
from gogaek.errors import not_found
from gogaek.helpcenter.models import Category
from gogaek.identity.models import Customer
from gogaek.inquiries.models import Inquiry
from gogaek.inquiries.workflow import OPEN_STATUSES, Status

APPEAL = "이용 제한 해명"
# A search typed about a suspension, spaces removed: "계정 정지됐어요", "이용제한 풀어주세요".
RESTRICTION_WORDS = ("정지", "이용제한", "거래제한", "계정제한", "해명")
TOP_RESULTS = 3


def appeal_label(outcome: str, inquiry_status: str) -> str:
    """ "추가 자료 요청" only while the inquiry waits on the customer; once they added files it is back in review."""
    if outcome == AppealOutcome.MORE_EVIDENCE and inquiry_status != Status.ANSWERED:
        return OUTCOME_LABELS[AppealOutcome.PENDING]
    return OUTCOME_LABELS[AppealOutcome(outcome)]


def to_public(appeal: RestrictionAppeal, inquiry: Inquiry) -> AppealPublic:
    return AppealPublic(
        id=appeal.id,
        inquiry_id=inquiry.id,
        number=inquiry.number,
        inquiry_status=Status(inquiry.status),
        restricted_on=appeal.restricted_on,
        restriction_ref=appeal.restriction_ref,
        outcome=AppealOutcome(appeal.outcome),
        label=appeal_label(appeal.outcome, inquiry.status),
        outcome_reason=appeal.outcome_reason,
        decided_at=appeal.decided_at,
        verified_at=appeal.verified_at,
        verified_by=appeal.verified_by,
        created_at=appeal.created_at,
    )


def _with_inquiry() -> Select[RestrictionAppeal, Inquiry]:
    return select(RestrictionAppeal, Inquiry).join(Inquiry, Inquiry.id == RestrictionAppeal.inquiry_id)


async def list_customer_appeals(session: AsyncSession, customer: Customer, *, limit: int, offset: int) -> AppealList:
    rows = await session.execute(
        _with_inquiry()
        .where(RestrictionAppeal.customer_id == customer.id)
        .order_by(RestrictionAppeal.id.desc())
        .limit(limit)
        .offset(offset)
    )
    total = await session.scalar(
        select(func.count()).select_from(RestrictionAppeal).where(RestrictionAppeal.customer_id == customer.id)
    )
    return AppealList(items=[to_public(row.RestrictionAppeal, row.Inquiry) for row in rows], total=int(total or 0))


async def customer_appeal(session: AsyncSession, customer: Customer, appeal_id: int) -> AppealPublic:
    row = (
        await session.execute(
            _with_inquiry().where(RestrictionAppeal.id == appeal_id, RestrictionAppeal.customer_id == customer.id)
        )
    ).first()
    if row is None:
        raise not_found(APPEAL)
    return to_public(row.RestrictionAppeal, row.Inquiry)


async def open_appeal(session: AsyncSession, customer: Customer) -> tuple[int, str] | None:
    """The customer's appeal still in review (its inquiry open), as (inquiry id, 문의번호)."""
    row = (
        await session.execute(
            select(Inquiry.id, Inquiry.number)
            .join(RestrictionAppeal, RestrictionAppeal.inquiry_id == Inquiry.id)
            .where(RestrictionAppeal.customer_id == customer.id, Inquiry.status.in_([s.value for s in OPEN_STATUSES]))
            .limit(1)
        )
    ).first()
    return None if row is None else (row.id, row.number)


async def appeal_of_inquiry(session: AsyncSession, inquiry_id: int) -> AppealPublic | None:
    """For pages that show an inquiry: its appeal, when it is one. The caller already checked who may see it."""
    row = (await session.execute(_with_inquiry().where(RestrictionAppeal.inquiry_id == inquiry_id))).first()
    return None if row is None else to_public(row.RestrictionAppeal, row.Inquiry)


async def appeal_labels(session: AsyncSession, inquiry_ids: Iterable[int]) -> dict[int, str]:
    """For 문의 내역: the label of each listed inquiry that is an appeal."""
    ids = list(inquiry_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(RestrictionAppeal.inquiry_id, RestrictionAppeal.outcome, Inquiry.status)
        .join(Inquiry, Inquiry.id == RestrictionAppeal.inquiry_id)
        .where(RestrictionAppeal.inquiry_id.in_(ids))
    )
    return {row.inquiry_id: appeal_label(row.outcome, row.status) for row in rows}


async def offers_appeal(session: AsyncSession, settings: Settings, query: str, categories: Sequence[str]) -> bool:
    """Search results link to the appeal form when the words, or one of the best few articles found,
    are about restrictions (``categories``: the results' category names, best first). Further down
    the list a restrictions article is a weak match: "포인트 유효기간" finds one at place 20."""
    squeezed = "".join(query.split())
    if any(word in squeezed for word in RESTRICTION_WORDS):
        return True
    top = categories[:TOP_RESULTS]
    if not top:
        return False
    name = await session.scalar(select(Category.name).where(Category.slug == settings.appeal_category))
    return name is not None and name in top
