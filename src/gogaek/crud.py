"""Rows that admins create, rename and delete by hand (teams, macros), each write with its audit entry.

The uniqueness check before a write gives the usual 409 without a failed statement; the unique
constraint still decides a race, and ``commit_unique`` turns losing it into the same 409.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from fastapi import Request
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from gogaek.audit.service import record_audit
from gogaek.db import commit_unique
from gogaek.errors import ProblemError, not_found
from gogaek.identity.models import StaffUser
from gogaek.identity.service import flush_unique

T = TypeVar("T")


class _HasId(Protocol):
    @property
    def id(self) -> int: ...


R = TypeVar("R", bound=_HasId)


async def get_or_404(session: AsyncSession, model: type[T], row_id: int, label: str) -> T:
    """``label`` names the thing in the Korean 404 message, e.g. "팀"."""
    row = await session.get(model, row_id)
    if row is None:
        raise not_found(label)
    return row


@dataclass(frozen=True, slots=True)
class AuditedTable(Generic[R]):
    """One admin-managed table: ``target_type`` is the audit target and action prefix ("team" → "team.create")."""

    model: type[R]
    id_column: InstrumentedAttribute[int]  # model.id, given apart: the protocol above cannot type the class attribute
    label: str
    target_type: str
    taken: Callable[[], ProblemError]

    async def get(self, session: AsyncSession, row_id: int) -> R:
        return await get_or_404(session, self.model, row_id, self.label)

    async def refuse_taken(
        self, session: AsyncSession, clashes: Sequence[ColumnElement[bool]], exclude_id: int | None = None
    ) -> None:
        """409 when another row matches any of ``clashes``; ``exclude_id`` is the row being renamed."""
        if not clashes:
            return
        query = select(self.id_column).where(or_(*clashes))
        if exclude_id is not None:
            query = query.where(self.id_column != exclude_id)
        if await session.scalar(query.limit(1)) is not None:
            raise self.taken()

    async def create(
        self, session: AsyncSession, actor: StaffUser, row: R, detail: dict[str, Any], request: Request | None
    ) -> R:
        """Flushes first: the audit entry names the new row's id."""
        session.add(row)
        await flush_unique(session, self.taken)
        self._audit(session, actor, "create", row, detail, request)
        await commit_unique(session, self.taken)
        return row

    async def save(
        self, session: AsyncSession, actor: StaffUser, row: R, detail: dict[str, Any], request: Request | None
    ) -> R:
        """Commits changes the caller already made to ``row``."""
        self._audit(session, actor, "update", row, detail, request)
        await commit_unique(session, self.taken)
        return row

    async def delete(
        self, session: AsyncSession, actor: StaffUser, row: R, detail: dict[str, Any], request: Request | None
    ) -> None:
        self._audit(session, actor, "delete", row, detail, request)
        await session.delete(row)
        await session.commit()

    def _audit(
        self,
        session: AsyncSession,
        actor: StaffUser,
        verb: str,
        row: R,
        detail: dict[str, Any],
        request: Request | None,
    ) -> None:
        record_audit(
            session,
            actor,
            f"{self.target_type}.{verb}",
            target_type=self.target_type,
            target_id=row.id,
            detail=detail,
            request=request,
        )
