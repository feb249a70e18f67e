"""The phone agents' JSON API (bearer token, any staff) and the admin API of the call checklist.

Every answer about one callback is the whole callback as its screen shows it (masked until a
passing identity check), so a client redraws from the response alone.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from gogaek.deps import CurrentAdmin, CurrentStaff, SessionDep, SettingsDep
from gogaek.phone import agent_service, checklist
from gogaek.phone.agent_queries import callback_board, callback_detail, identity_check_public
from gogaek.phone.agent_schemas import (
    CallbackDetail,
    CallbackList,
    CallChecklist,
    ChecklistItemCreate,
    ChecklistItemPublic,
    ChecklistItemUpdate,
    IdentityCheckCreate,
    IdentityCheckPublic,
    OutcomeCreate,
)
from gogaek.web.ids import Id

agent = APIRouter(prefix="/api/v1/agent/callbacks", tags=["phone agents"])
admin = APIRouter(prefix="/api/v1/admin/call-checklist", tags=["admin"])


@agent.get("", response_model=CallbackList)
async def list_callbacks(
    _: CurrentStaff,
    session: SessionDep,
    day: Annotated[date | None, Query(description="Seoul date (YYYY-MM-DD); omitted: every open callback")] = None,
    status: Annotated[str | None, Query(description="booked, in_progress, retry, completed, missed, …")] = None,
) -> CallbackList:
    """The board: overdue first, then in progress, missed calls, retries, and the slots in time order."""
    return CallbackList(day=day, items=await callback_board(session, day=day, status=status))


@agent.get("/{callback_id}", response_model=CallbackDetail)
async def get_callback(callback_id: Id, _: CurrentStaff, session: SessionDep) -> CallbackDetail:
    return await callback_detail(session, callback_id)


@agent.post("/{callback_id}/claim", response_model=CallbackDetail)
async def claim(callback_id: Id, staff: CurrentStaff, session: SessionDep, request: Request) -> CallbackDetail:
    """409 ``callback_taken`` when another agent got it first."""
    await agent_service.claim_callback(session, staff, callback_id, request)
    return await callback_detail(session, callback_id)


@agent.post("/{callback_id}/release", response_model=CallbackDetail)
async def release(callback_id: Id, staff: CurrentStaff, session: SessionDep, request: Request) -> CallbackDetail:
    """By the agent who holds it, or a supervisor/admin."""
    await agent_service.release_callback(session, staff, callback_id, request)
    return await callback_detail(session, callback_id)


@agent.post("/{callback_id}/identity-check", response_model=IdentityCheckPublic, status_code=201)
async def identity_check(
    callback_id: Id, data: IdentityCheckCreate, staff: CurrentStaff, session: SessionDep, request: Request
) -> IdentityCheckPublic:
    """Recorded in ``identity_checks`` and the audit log; a pass unmasks the customer on this callback."""
    check = await agent_service.record_identity_check(session, staff, callback_id, data, request)
    return identity_check_public(check, staff)


@agent.post("/{callback_id}/outcome", response_model=CallbackDetail)
async def outcome(
    callback_id: Id,
    data: OutcomeCreate,
    staff: CurrentStaff,
    session: SessionDep,
    settings: SettingsDep,
    request: Request,
) -> CallbackDetail:
    """Answers with the callback after the change; for ``rescheduled``, the new booking."""
    result = await agent_service.record_outcome(session, staff, callback_id, data, settings, request)
    return await callback_detail(session, result.id)


# --- the checklist (admins) ----------------------------------------------------------


async def _checklist(session: SessionDep) -> CallChecklist:
    items = await checklist.list_items(session)
    return CallChecklist(
        items=[ChecklistItemPublic.model_validate(item) for item in items],
        questions=await checklist.active_questions(session),
        defaults_in_use=not items,
    )


@admin.get("", response_model=CallChecklist)
async def list_checklist(_: CurrentAdmin, session: SessionDep) -> CallChecklist:
    """While nothing is stored the built-in questions apply (``defaults_in_use``)."""
    return await _checklist(session)


@admin.post("", response_model=ChecklistItemPublic, status_code=201)
async def add_question(
    data: ChecklistItemCreate, staff: CurrentAdmin, session: SessionDep, request: Request
) -> ChecklistItemPublic:
    return ChecklistItemPublic.model_validate(await checklist.create_item(session, staff, data, request))


@admin.patch("/{checklist_item_id}", response_model=ChecklistItemPublic)
async def change_question(
    checklist_item_id: Id, data: ChecklistItemUpdate, staff: CurrentAdmin, session: SessionDep, request: Request
) -> ChecklistItemPublic:
    return ChecklistItemPublic.model_validate(
        await checklist.update_item(session, staff, checklist_item_id, data, request)
    )


@admin.delete("/{checklist_item_id}", status_code=204)
async def delete_question(
    checklist_item_id: Id, staff: CurrentAdmin, session: SessionDep, request: Request
) -> Response:
    await checklist.delete_item(session, staff, checklist_item_id, request)
    return Response(status_code=204)


router = APIRouter()
router.include_router(agent)
router.include_router(admin)
