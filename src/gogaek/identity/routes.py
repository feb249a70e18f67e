"""Staff sign-in for the API (bearer tokens)."""

from __future__ import annotations

from fastapi import APIRouter

from gogaek.deps import CurrentStaff, SessionDep, SettingsDep, TokenSignerDep
from gogaek.identity.models import StaffRole, StaffUser
from gogaek.identity.schemas import AccessToken, StaffLogin, StaffPublic
from gogaek.identity.service import authenticate_staff

router = APIRouter(prefix="/api/v1", tags=["staff"])


def staff_public(user: StaffUser) -> StaffPublic:
    return StaffPublic(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        role=StaffRole(user.role),
        totp_enabled=user.totp_secret is not None,
    )


@router.post("/admin/login", response_model=AccessToken)
async def staff_login(
    login: StaffLogin, session: SessionDep, signer: TokenSignerDep, settings: SettingsDep
) -> AccessToken:
    user = await authenticate_staff(session, login)
    return AccessToken(
        access_token=signer.issue(user.id),
        expires_in=settings.session_max_age_seconds,
        staff=staff_public(user),
    )


@router.get("/admin/me", response_model=StaffPublic)
async def who_am_i(user: CurrentStaff) -> StaffPublic:
    return staff_public(user)
