"""Saved replies (매크로) with placeholders, and their admin verbs.

Placeholders are plain text in braces: ``{고객명}`` (customer name), ``{문의번호}`` (inquiry
number) and ``{상담사명}`` (the agent's name without the word 상담사, so "상담사 {상담사명} 드림" reads
"상담사 한결 드림" also for staff named "상담사 한결"). Anything else in braces is left as
written, so a typo shows up in the preview instead of vanishing silently.
"""

from __future__ import annotations

import re

from fastapi import Request
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.crud import AuditedTable
from gogaek.errors import ProblemError, not_found
from gogaek.helpcenter.models import Category
from gogaek.identity.models import StaffUser
from gogaek.identity.naming import bare_agent_name
from gogaek.inquiries.agent_schemas import MacroCreate, MacroUpdate
from gogaek.inquiries.models import Macro
from gogaek.web.i18n import N_, gettext

CUSTOMER_FALLBACK = "고객"
_PLACEHOLDER = re.compile(r"\{(?:고객명|문의번호|상담사명)\}")


def render_macro(body: str, *, customer_name: str | None, number: str, agent_name: str) -> str:
    """One pass over the text, so a value that itself contains "{문의번호}" is not expanded again."""
    values = {
        "{고객명}": (customer_name or "").strip() or CUSTOMER_FALLBACK,
        "{문의번호}": number,
        "{상담사명}": bare_agent_name(agent_name),
    }
    return _PLACEHOLDER.sub(lambda match: values[match.group(0)], body)


async def list_macros(
    session: AsyncSession, category_id: int | None = None, *, include_inactive: bool = False
) -> list[Macro]:
    """With a category: that category's macros and the general ones (no category)."""
    query = select(Macro).order_by(Macro.title, Macro.id)
    if not include_inactive:
        query = query.where(Macro.is_active.is_(True))
    if category_id is not None:
        query = query.where(or_(Macro.category_id == category_id, Macro.category_id.is_(None)))
    return list((await session.scalars(query)).all())


def _title_taken() -> ProblemError:
    return ProblemError(409, "macro_exists", N_("같은 제목의 매크로가 이미 있습니다."))


_MACROS = AuditedTable(Macro, Macro.id, "매크로", "macro", _title_taken)


async def get_macro(session: AsyncSession, macro_id: int, *, active_only: bool = False) -> Macro:
    macro = await _MACROS.get(session, macro_id)
    if active_only and not macro.is_active:
        raise not_found(_MACROS.label)
    return macro


async def _check_category(session: AsyncSession, category_id: int | None) -> None:
    if category_id is not None and await session.get(Category, category_id) is None:
        raise ProblemError(
            422, "unknown_category", gettext("알 수 없는 문의 유형입니다: %(category)s") % {"category": category_id}
        )


async def create_macro(
    session: AsyncSession, actor: StaffUser, data: MacroCreate, request: Request | None = None
) -> Macro:
    await _check_category(session, data.category_id)
    await _MACROS.refuse_taken(session, [Macro.title == data.title])
    macro = Macro(title=data.title, body=data.body, category_id=data.category_id, is_active=data.is_active)
    return await _MACROS.create(session, actor, macro, {"title": macro.title}, request)


async def update_macro(
    session: AsyncSession, actor: StaffUser, macro: Macro, data: MacroUpdate, request: Request | None = None
) -> Macro:
    if data.title is not None:
        await _MACROS.refuse_taken(session, [Macro.title == data.title], exclude_id=macro.id)
        macro.title = data.title
    if data.body is not None:
        macro.body = data.body
    if data.category_id is not None:
        await _check_category(session, data.category_id)
        macro.category_id = data.category_id
    elif data.clear_category:
        macro.category_id = None
    if data.is_active is not None:
        macro.is_active = data.is_active
    return await _MACROS.save(session, actor, macro, data.model_dump(exclude_unset=True, exclude={"body"}), request)


async def delete_macro(session: AsyncSession, actor: StaffUser, macro: Macro, request: Request | None = None) -> None:
    await _MACROS.delete(session, actor, macro, {"title": macro.title}, request)
