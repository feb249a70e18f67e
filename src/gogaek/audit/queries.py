"""Reading the audit log: newest first, keyset-paginated by id (the log only ever grows)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.audit.models import AuditEntry

MAX_PAGE = 200


class AuditEntryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    actor_kind: str
    actor_id: int | None
    actor_label: str
    action: str
    target_type: str
    target_id: str
    detail: dict[str, Any]
    ip: str | None
    user_agent: str | None
    created_at: datetime


async def list_audit_entries(
    session: AsyncSession,
    *,
    limit: int = 50,
    before_id: int | None = None,
    action: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    actor_id: int | None = None,
    actor_contains: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[AuditEntry]:
    """``before_id`` is the smallest id already shown; the primary key keeps every page cheap.

    ``actor_contains`` matches part of the actor's label (the staff email, or "system"), case
    ignored; ``since``/``until`` bound ``created_at`` (from inclusive, until exclusive).
    """
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(max(1, min(limit, MAX_PAGE)))
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if target_type is not None:
        query = query.where(AuditEntry.target_type == target_type)
    if target_id is not None:
        query = query.where(AuditEntry.target_id == target_id)
    if actor_id is not None:
        query = query.where(AuditEntry.actor_id == actor_id)
    if actor_contains:
        pattern = "%" + actor_contains.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(func.lower(AuditEntry.actor_label).like(pattern, escape="\\"))
    if since is not None:
        query = query.where(AuditEntry.created_at >= since)
    if until is not None:
        query = query.where(AuditEntry.created_at < until)
    return list((await session.scalars(query)).all())
