"""Admin API for people: staff accounts, teams, team members and categories, agents' skills.

Admins and supervisors may use it, but a supervisor manages agents only: creating, changing or
deactivating a supervisor or admin account (or promoting someone to one) needs an admin, so a
supervisor cannot hand themselves more rights.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from gogaek.deps import CurrentAdmin, SessionDep
from gogaek.identity import service, teams
from gogaek.identity.routes import staff_public
from gogaek.identity.schemas import (
    CategoryIds,
    MemberAdd,
    SkillsPublic,
    StaffAccountCreate,
    StaffCreated,
    StaffPublic,
    StaffUpdate,
    TeamCreate,
    TeamPublic,
    TeamUpdate,
)
from gogaek.identity.security import totp_uri
from gogaek.identity.service import check_may_manage
from gogaek.inquiries.assignment import release_assignments
from gogaek.web.ids import Id

router = APIRouter(prefix="/api/v1/admin", tags=["staff admin"])


async def _account_changed(request: Request, staff_id: int) -> None:
    """Open chat consoles of the account re-check their rights now, on every process."""
    await request.app.state.chat.staff_changed(staff_id)


# --- staff accounts ------------------------------------------------------------------


@router.get("/staff", response_model=list[StaffPublic])
async def list_staff(_: CurrentAdmin, session: SessionDep, include_inactive: bool = True) -> list[StaffPublic]:
    return [staff_public(user) for user in await service.list_staff(session, include_inactive=include_inactive)]


@router.post("/staff", response_model=StaffCreated, status_code=201)
async def create_staff(
    data: StaffAccountCreate, admin: CurrentAdmin, request: Request, session: SessionDep
) -> StaffCreated:
    """With ``totp: true`` the secret and provisioning URI are in this response and never again."""
    check_may_manage(admin, data.role)
    user = await service.create_staff_user(
        session, data, with_totp=data.totp, max_open_inquiries=data.max_open_inquiries, actor=admin, request=request
    )
    secret = user.totp_secret
    return StaffCreated(
        **staff_public(user).model_dump(),
        totp_secret=secret,
        totp_uri=totp_uri(secret, user.email) if secret is not None else None,
    )


@router.get("/staff/{staff_id}", response_model=StaffPublic)
async def get_staff(staff_id: Id, _: CurrentAdmin, session: SessionDep) -> StaffPublic:
    return staff_public(await teams.get_staff(session, staff_id))


@router.patch("/staff/{staff_id}", response_model=StaffPublic)
async def update_staff(
    staff_id: Id, data: StaffUpdate, admin: CurrentAdmin, request: Request, session: SessionDep
) -> StaffPublic:
    """Display name, role, the open-inquiry limit (``clear_max_open_inquiries`` restores the default) and
    the phone extension the phone system names the agent by (``null`` removes it)."""
    user = await teams.get_staff(session, staff_id)
    check_may_manage(admin, user.role, data.role)
    updated = await service.update_staff(session, admin, user, data, request)
    await _account_changed(request, updated.id)
    return staff_public(updated)


@router.post("/staff/{staff_id}/deactivate", response_model=StaffPublic)
async def deactivate_staff(staff_id: Id, admin: CurrentAdmin, request: Request, session: SessionDep) -> StaffPublic:
    """Signs them out and hands their open inquiries back to round-robin, in one transaction."""
    user = await teams.get_staff(session, staff_id)
    check_may_manage(admin, user.role)
    if user.id != admin.id and user.is_active:
        await release_assignments(session, admin, user)
    deactivated = await service.deactivate_staff(session, admin, user, request)
    await _account_changed(request, deactivated.id)
    return staff_public(deactivated)


@router.post("/staff/{staff_id}/reactivate", response_model=StaffPublic)
async def reactivate_staff(staff_id: Id, admin: CurrentAdmin, request: Request, session: SessionDep) -> StaffPublic:
    user = await teams.get_staff(session, staff_id)
    check_may_manage(admin, user.role)
    return staff_public(await service.reactivate_staff(session, admin, user, request))


@router.get("/staff/{staff_id}/skills", response_model=SkillsPublic)
async def get_skills(staff_id: Id, _: CurrentAdmin, session: SessionDep) -> SkillsPublic:
    user = await teams.get_staff(session, staff_id)
    return SkillsPublic(staff_id=user.id, category_ids=await teams.agent_skills(session, user.id))


@router.put("/staff/{staff_id}/skills", response_model=SkillsPublic)
async def set_skills(
    staff_id: Id, data: CategoryIds, admin: CurrentAdmin, request: Request, session: SessionDep
) -> SkillsPublic:
    user = await teams.get_staff(session, staff_id)
    skills = await teams.set_agent_skills(session, admin, user, data.category_ids, request)
    return SkillsPublic(staff_id=user.id, category_ids=skills)


# --- teams ---------------------------------------------------------------------------


@router.get("/teams", response_model=list[TeamPublic])
async def list_teams(_: CurrentAdmin, session: SessionDep) -> list[TeamPublic]:
    return await teams.list_teams(session)


@router.post("/teams", response_model=TeamPublic, status_code=201)
async def create_team(data: TeamCreate, admin: CurrentAdmin, request: Request, session: SessionDep) -> TeamPublic:
    return await teams.team_view(session, await teams.create_team(session, admin, data, request))


@router.get("/teams/{team_id}", response_model=TeamPublic)
async def get_team(team_id: Id, _: CurrentAdmin, session: SessionDep) -> TeamPublic:
    return await teams.team_view(session, await teams.get_team(session, team_id))


@router.patch("/teams/{team_id}", response_model=TeamPublic)
async def update_team(
    team_id: Id, data: TeamUpdate, admin: CurrentAdmin, request: Request, session: SessionDep
) -> TeamPublic:
    team = await teams.get_team(session, team_id)
    return await teams.team_view(session, await teams.update_team(session, admin, team, data, request))


@router.delete("/teams/{team_id}", status_code=204)
async def delete_team(team_id: Id, admin: CurrentAdmin, request: Request, session: SessionDep) -> Response:
    await teams.delete_team(session, admin, await teams.get_team(session, team_id), request)
    return Response(status_code=204)


@router.post("/teams/{team_id}/members", response_model=TeamPublic)
async def add_member(
    team_id: Id, data: MemberAdd, admin: CurrentAdmin, request: Request, session: SessionDep
) -> TeamPublic:
    team = await teams.get_team(session, team_id)
    await teams.add_member(session, admin, team, await teams.get_staff(session, data.staff_id), request)
    await _account_changed(request, data.staff_id)
    return await teams.team_view(session, team)


@router.delete("/teams/{team_id}/members/{staff_id}", response_model=TeamPublic)
async def remove_member(
    team_id: Id, staff_id: Id, admin: CurrentAdmin, request: Request, session: SessionDep
) -> TeamPublic:
    team = await teams.get_team(session, team_id)
    await teams.remove_member(session, admin, team, staff_id, request)
    await _account_changed(request, staff_id)
    return await teams.team_view(session, team)


@router.put("/teams/{team_id}/categories", response_model=TeamPublic)
async def set_team_categories(
    team_id: Id, data: CategoryIds, admin: CurrentAdmin, request: Request, session: SessionDep
) -> TeamPublic:
    """New inquiries in these categories go to this team (and its members in round-robin)."""
    team = await teams.get_team(session, team_id)
    await teams.set_team_categories(session, admin, team, data.category_ids, request)
    return await teams.team_view(session, team)
