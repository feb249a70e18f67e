"""Admins set how many phone agents are on duty: a weekly roster with a default, and date overrides."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.audit.service import record_audit
from gogaek.config import Settings
from gogaek.errors import not_found
from gogaek.identity.models import StaffUser
from gogaek.phone.models import CallbackCapacityOverride, CallbackRosterEntry
from gogaek.phone.schemas import (
    CapacityOverrideCreate,
    CapacityOverridePublic,
    RosterEntryCreate,
    RosterEntryPublic,
    RosterPublic,
)


async def roster_view(session: AsyncSession, settings: Settings) -> RosterPublic:
    entries = await session.scalars(
        select(CallbackRosterEntry).order_by(CallbackRosterEntry.weekday.nulls_first(), CallbackRosterEntry.starts)
    )
    overrides = await session.scalars(
        select(CallbackCapacityOverride).order_by(CallbackCapacityOverride.day, CallbackCapacityOverride.starts)
    )
    return RosterPublic(
        fallback_capacity=settings.callback_default_capacity,
        entries=[RosterEntryPublic.model_validate(entry) for entry in entries],
        overrides=[CapacityOverridePublic.model_validate(override) for override in overrides],
    )


RosterRow = CallbackRosterEntry | CallbackCapacityOverride


async def add_roster_row(
    session: AsyncSession,
    actor: StaffUser,
    model: type[CallbackRosterEntry] | type[CallbackCapacityOverride],
    data: RosterEntryCreate | CapacityOverrideCreate,
    request: Request | None = None,
) -> RosterRow:
    """A weekly entry or a date override, with its audit entry in the same transaction."""
    row = model(**data.model_dump())
    session.add(row)
    await session.flush()
    record_audit(
        session,
        actor,
        f"callback.{'roster' if model is CallbackRosterEntry else 'override'}_add",
        target_type=model.__tablename__,
        target_id=row.id,
        detail=data.model_dump(mode="json"),
        request=request,
    )
    await session.commit()
    return row


async def remove_roster_row(
    session: AsyncSession,
    actor: StaffUser,
    model: type[CallbackRosterEntry] | type[CallbackCapacityOverride],
    row_id: int,
    request: Request | None = None,
) -> None:
    """Bookings already made stay: a lower capacity only stops new ones."""
    row = await session.get(model, row_id)
    if row is None:
        raise not_found("근무 인원 설정")
    record_audit(
        session, actor, "callback.roster_remove", target_type=model.__tablename__, target_id=row_id, request=request
    )
    await session.delete(row)
    await session.commit()
