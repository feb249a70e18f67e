"""The identity-check questions (본인 확인 질문) an agent asks before discussing anything on a call.

Admins edit them (``/api/v1/admin/call-checklist``). While the table is empty a built-in list is
used, so a fresh install has a sensible checklist without a seeding migration; the first question
an admin adds replaces the whole built-in list.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Request
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.audit.service import record_audit
from gogaek.errors import not_found
from gogaek.identity.models import StaffUser
from gogaek.phone.agent_schemas import ChecklistItemCreate, ChecklistItemUpdate
from gogaek.phone.models import CallChecklistItem
from gogaek.web.i18n import N_

# Marked for the catalogue: the console shows them in the agent's language (the form still posts the Korean).
DEFAULT_QUESTIONS: tuple[str, ...] = (
    N_("성함"),
    N_("생년월일"),
    N_("가입 휴대폰 번호 끝 4자리"),
    N_("최근 거래 내역 1건 (일시·금액)"),
)


async def list_items(session: AsyncSession) -> Sequence[CallChecklistItem]:
    """Every stored question, switched-off ones included, in the order agents see them."""
    return (
        await session.scalars(select(CallChecklistItem).order_by(CallChecklistItem.position, CallChecklistItem.id))
    ).all()


async def active_questions(session: AsyncSession) -> list[str]:
    """The questions for the next call: the active stored ones, or the built-in list if none are stored."""
    items = await list_items(session)
    if not items:
        return list(DEFAULT_QUESTIONS)
    return [item.question for item in items if item.is_active]


async def get_item(session: AsyncSession, item_id: int) -> CallChecklistItem:
    item = await session.get(CallChecklistItem, item_id)
    if item is None:
        raise not_found("확인 질문")
    return item


async def create_item(
    session: AsyncSession, admin: StaffUser, data: ChecklistItemCreate, request: Request | None = None
) -> CallChecklistItem:
    """Without a position the question goes to the end of the list."""
    position = data.position
    if position is None:
        last = await session.scalar(select(func.max(CallChecklistItem.position)))
        position = (last or 0) + 1
    item = CallChecklistItem(question=data.question, position=position, is_active=data.is_active)
    session.add(item)
    await session.flush()
    record_audit(
        session,
        admin,
        "call_checklist.create",
        target_type="call_checklist_item",
        target_id=item.id,
        detail={"question": item.question},
        request=request,
    )
    await session.commit()
    return item


async def update_item(
    session: AsyncSession, admin: StaffUser, item_id: int, data: ChecklistItemUpdate, request: Request | None = None
) -> CallChecklistItem:
    item = await get_item(session, item_id)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    for name, value in changes.items():
        setattr(item, name, value)
    record_audit(
        session,
        admin,
        "call_checklist.update",
        target_type="call_checklist_item",
        target_id=item.id,
        detail=changes,
        request=request,
    )
    await session.commit()
    return item


async def delete_item(session: AsyncSession, admin: StaffUser, item_id: int, request: Request | None = None) -> None:
    """Past identity checks keep the question text they recorded, so deleting loses nothing."""
    item = await get_item(session, item_id)
    record_audit(
        session,
        admin,
        "call_checklist.delete",
        target_type="call_checklist_item",
        target_id=item.id,
        detail={"question": item.question},
        request=request,
    )
    await session.delete(item)
    await session.commit()
