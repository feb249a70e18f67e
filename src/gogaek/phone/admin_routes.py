"""Admin API of phone callbacks: the roster of agents on duty, and date overrides."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from gogaek.deps import CurrentAdmin, SessionDep, SettingsDep
from gogaek.phone import roster
from gogaek.phone.models import CallbackCapacityOverride, CallbackRosterEntry
from gogaek.phone.schemas import (
    CapacityOverrideCreate,
    CapacityOverridePublic,
    RosterEntryCreate,
    RosterEntryPublic,
    RosterPublic,
)
from gogaek.web.ids import Id

router = APIRouter(prefix="/api/v1/admin/callback-roster", tags=["admin: callbacks"])


@router.get("", response_model=RosterPublic, summary="Phone agents on duty for callbacks")
async def get_roster(_: CurrentAdmin, session: SessionDep, settings: SettingsDep) -> RosterPublic:
    return await roster.roster_view(session, settings)


@router.post("/entries", status_code=201, response_model=RosterEntryPublic)
async def add_entry(
    data: RosterEntryCreate, admin: CurrentAdmin, request: Request, session: SessionDep
) -> RosterEntryPublic:
    return RosterEntryPublic.model_validate(
        await roster.add_roster_row(session, admin, CallbackRosterEntry, data, request)
    )


@router.delete("/entries/{entry_id}", status_code=204)
async def remove_entry(entry_id: Id, admin: CurrentAdmin, request: Request, session: SessionDep) -> Response:
    await roster.remove_roster_row(session, admin, CallbackRosterEntry, entry_id, request)
    return Response(status_code=204)


@router.post("/overrides", status_code=201, response_model=CapacityOverridePublic)
async def add_override(
    data: CapacityOverrideCreate, admin: CurrentAdmin, request: Request, session: SessionDep
) -> CapacityOverridePublic:
    return CapacityOverridePublic.model_validate(
        await roster.add_roster_row(session, admin, CallbackCapacityOverride, data, request)
    )


@router.delete("/overrides/{override_id}", status_code=204)
async def remove_override(override_id: Id, admin: CurrentAdmin, request: Request, session: SessionDep) -> Response:
    await roster.remove_roster_row(session, admin, CallbackCapacityOverride, override_id, request)
    return Response(status_code=204)
