"""The audit log for admins and supervisors (agents get 403): who did what, newest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from gogaek.audit.queries import MAX_PAGE, AuditEntryPublic, list_audit_entries
from gogaek.deps import CurrentAdmin, SessionDep
from gogaek.web.ids import Id

router = APIRouter(prefix="/api/v1/admin", tags=["audit"])


class AuditPage(BaseModel):
    items: list[AuditEntryPublic]
    next_before_id: int | None


@router.get("/audit", response_model=AuditPage)
async def read_audit_log(
    _: CurrentAdmin,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    before_id: Id | None = None,
    action: Annotated[str | None, Query(max_length=60)] = None,
    target_type: Annotated[str | None, Query(max_length=40)] = None,
    target_id: Annotated[str | None, Query(max_length=60)] = None,
    actor_id: Id | None = None,
) -> AuditPage:
    entries = await list_audit_entries(
        session,
        limit=limit,
        before_id=before_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        actor_id=actor_id,
    )
    return AuditPage(
        items=[AuditEntryPublic.model_validate(entry) for entry in entries],
        next_before_id=entries[-1].id if len(entries) == limit else None,
    )
