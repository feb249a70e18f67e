"""Staff sign-in for the API (bearer tokens), the signed-in person and their availability."""

from __future__ import annotations

from fastapi import APIRouter, Request

from gogaek.deps import CurrentStaff, SessionDep, SettingsDep, TokenSignerDep
from gogaek.identity.models import Availability, StaffRole, StaffUser
from gogaek.identity.schemas import AccessToken, AvailabilityUpdate, StaffLogin, StaffPublic
from gogaek.identity.security import totp_active
from gogaek.identity.service import authenticate_staff, set_availability

router = APIRouter(prefix="/api/v1", tags=["staff"])


def staff_public(user: StaffUser) -> StaffPublic:
    return StaffPublic(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        role=StaffRole(user.role),
        totp_enabled=totp_active(user.totp_secret),
        availability=Availability(user.availability),
        is_active=user.is_active,
        max_open_inquiries=user.max_open_inquiries,
        phone_extension=user.phone_extension,
    )


@router.post("/agent/login", response_model=AccessToken)
@router.post("/admin/login", response_model=AccessToken)
async def staff_login(
    login: StaffLogin, request: Request, session: SessionDep, signer: TokenSignerDep, settings: SettingsDep
) -> AccessToken:
    """One sign-in for every role; ``/admin/login`` is kept as an alias for older clients."""
    user = await authenticate_staff(session, login, require_admin_totp=settings.admin_totp_required, request=request)
    return AccessToken(
        access_token=signer.issue(user.id),
        expires_in=settings.session_max_age_seconds,
        staff=staff_public(user),
    )


@router.get("/agent/me", response_model=StaffPublic)
@router.get("/admin/me", response_model=StaffPublic)
async def who_am_i(user: CurrentStaff) -> StaffPublic:
    return staff_public(user)


@router.put("/agent/me/availability", response_model=StaffPublic)
async def change_availability(
    data: AvailabilityUpdate, user: CurrentStaff, request: Request, session: SessionDep
) -> StaffPublic:
    return staff_public(await set_availability(session, user, data.availability, request))
