"""Company days off (회사 휴무일) for admins: they stop SLA clocks like public holidays do.

A day added or removed changes the due times of inquiries filed afterwards; clocks already
running keep the due time they were given.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, StringConstraints

from gogaek.calendar import service
from gogaek.deps import CurrentAdmin, SessionDep

router = APIRouter(prefix="/api/v1/admin", tags=["calendar admin"])


class DayOffCreate(BaseModel):
    day: date
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)] = ""


class DayOffPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    day: date
    name: str
    created_at: datetime


@router.get("/days-off", response_model=list[DayOffPublic])
async def list_days_off(_: CurrentAdmin, session: SessionDep) -> list[DayOffPublic]:
    return [DayOffPublic.model_validate(entry) for entry in await service.list_days_off(session)]


@router.post("/days-off", response_model=DayOffPublic, status_code=201)
async def add_day_off(data: DayOffCreate, admin: CurrentAdmin, request: Request, session: SessionDep) -> DayOffPublic:
    """409 ``day_off_exists`` when the day is already listed; a blank name becomes "회사 휴무일"."""
    return DayOffPublic.model_validate(await service.add_day_off(session, data.day, data.name, admin, request))


@router.delete("/days-off/{day}", status_code=204)
async def remove_day_off(day: date, admin: CurrentAdmin, request: Request, session: SessionDep) -> Response:
    await service.remove_day_off(session, day, admin, request)
    return Response(status_code=204)
