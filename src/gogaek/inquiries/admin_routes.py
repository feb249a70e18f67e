"""Admin configuration of inquiries: SLA policies and macros (admins and supervisors).

SLA policies apply to inquiries filed after the change; the clocks of inquiries already filed
keep the promise they were given.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from gogaek.deps import CurrentAdmin, SessionDep
from gogaek.inquiries import macros, sla_policies
from gogaek.inquiries.agent_schemas import (
    MacroCreate,
    MacroPublic,
    MacroUpdate,
    SlaPolicyCreate,
    SlaPolicyPublic,
    SlaPolicyUpdate,
)
from gogaek.web.ids import Id

router = APIRouter(prefix="/api/v1/admin", tags=["inquiry admin"])


@router.get("/sla-policies", response_model=list[SlaPolicyPublic])
async def list_sla_policies(_: CurrentAdmin, session: SessionDep) -> list[SlaPolicyPublic]:
    return [SlaPolicyPublic.model_validate(row) for row in await sla_policies.list_policies(session)]


@router.post("/sla-policies", response_model=SlaPolicyPublic, status_code=201)
async def create_sla_policy(
    data: SlaPolicyCreate, admin: CurrentAdmin, request: Request, session: SessionDep
) -> SlaPolicyPublic:
    return SlaPolicyPublic.model_validate(await sla_policies.create_policy(session, admin, data, request))


@router.patch("/sla-policies/{policy_id}", response_model=SlaPolicyPublic)
async def update_sla_policy(
    policy_id: Id, data: SlaPolicyUpdate, admin: CurrentAdmin, request: Request, session: SessionDep
) -> SlaPolicyPublic:
    policy = await sla_policies.get_policy(session, policy_id)
    return SlaPolicyPublic.model_validate(await sla_policies.update_policy(session, admin, policy, data, request))


@router.delete("/sla-policies/{policy_id}", status_code=204)
async def delete_sla_policy(policy_id: Id, admin: CurrentAdmin, request: Request, session: SessionDep) -> Response:
    await sla_policies.delete_policy(session, admin, await sla_policies.get_policy(session, policy_id), request)
    return Response(status_code=204)


@router.get("/macros", response_model=list[MacroPublic])
async def list_all_macros(_: CurrentAdmin, session: SessionDep) -> list[MacroPublic]:
    """Inactive ones included, unlike the agents' list."""
    return [MacroPublic.model_validate(m) for m in await macros.list_macros(session, include_inactive=True)]


@router.post("/macros", response_model=MacroPublic, status_code=201)
async def create_macro(data: MacroCreate, admin: CurrentAdmin, request: Request, session: SessionDep) -> MacroPublic:
    return MacroPublic.model_validate(await macros.create_macro(session, admin, data, request))


@router.get("/macros/{macro_id}", response_model=MacroPublic)
async def get_macro(macro_id: Id, _: CurrentAdmin, session: SessionDep) -> MacroPublic:
    return MacroPublic.model_validate(await macros.get_macro(session, macro_id))


@router.patch("/macros/{macro_id}", response_model=MacroPublic)
async def update_macro(
    macro_id: Id, data: MacroUpdate, admin: CurrentAdmin, request: Request, session: SessionDep
) -> MacroPublic:
    macro = await macros.get_macro(session, macro_id)
    return MacroPublic.model_validate(await macros.update_macro(session, admin, macro, data, request))


@router.delete("/macros/{macro_id}", status_code=204)
async def delete_macro(macro_id: Id, admin: CurrentAdmin, request: Request, session: SessionDep) -> Response:
    await macros.delete_macro(session, admin, await macros.get_macro(session, macro_id), request)
    return Response(status_code=204)
