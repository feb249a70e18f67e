"""Recording who did what: every staff action adds one row to the caller's transaction."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.audit.models import AuditEntry
from gogaek.identity.models import StaffUser


def client_address(request: Request | None) -> tuple[str | None, str | None]:
    if request is None:
        return None, None
    host = request.client.host if request.client else None
    return host, (request.headers.get("user-agent") or "")[:300] or None


def record_audit(
    session: AsyncSession,
    actor: StaffUser | None,
    action: str,
    *,
    target_type: str = "",
    target_id: object = "",
    detail: dict[str, Any] | None = None,
    request: Request | None = None,
) -> AuditEntry:
    """Adds the entry without committing, so it lands together with the action it describes."""
    ip, user_agent = client_address(request)
    entry = AuditEntry(
        actor_kind="staff" if actor is not None else "system",
        actor_id=actor.id if actor is not None else None,
        actor_label=actor.email if actor is not None else "system",
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        detail=detail or {},
        ip=ip,
        user_agent=user_agent,
    )
    session.add(entry)
    return entry
