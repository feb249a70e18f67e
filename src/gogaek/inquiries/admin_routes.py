"""Admin configuration of inquiries: SLA policies and macros (admins and supervisors).

SLA policies apply to inquiries filed after the change; the clocks of inquiries already filed
keep the promise they were given.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.audit.service import record_audit
from gogaek.db import commit_unique
from gogaek.deps import CurrentAdmin, SessionDep
from gogaek.errors import ProblemError, not_found
from gogaek.helpcenter.models import Category
from gogaek.identity.service import flush_unique
from gogaek.inquiries import macros
from gogaek.inquiries.agent_schemas import (
    MacroCreate,
    MacroPublic,
    MacroUpdate,
    SlaPolicyCreate,
    SlaPolicyPublic,
    SlaPolicyUpdate,
)
from gogaek.inquiries.models import SlaPolicy
from gogaek.web.ids import Id

router = APIRouter(prefix="/api/v1/admin", tags=["inquiry admin"])


def _policy_exists() -> ProblemError:
    return ProblemError(
        409, "sla_policy_exists", "같은 유형·우선순위의 SLA 정책이 이미 있습니다. (SLA policy already exists)"
    )


async def _get_policy(session: AsyncSession, policy_id: int) -> SlaPolicy:
    policy = await session.get(SlaPolicy, policy_id)
    if policy is None:
        raise not_found("SLA 정책")
    return policy


async def _check_policy_scope(session: AsyncSession, data: SlaPolicyCreate) -> None:
    """Checked here because SQL unique constraints let two NULL scopes (the default row) coexist."""
    if data.category_id is not None and await session.get(Category, data.category_id) is None:
        raise ProblemError(
            422, "unknown_category", f"알 수 없는 문의 유형입니다: {data.category_id} (Unknown category)"
        )
    category = (
        SlaPolicy.category_id.is_(None) if data.category_id is None else SlaPolicy.category_id == data.category_id
    )
    priority = SlaPolicy.priority.is_(None) if data.priority is None else SlaPolicy.priority == data.priority.value
    if await session.scalar(select(SlaPolicy.id).where(category, priority)) is not None:
        raise _policy_exists()


@router.get("/sla-policies", response_model=list[SlaPolicyPublic])
async def list_sla_policies(_: CurrentAdmin, session: SessionDep) -> list[SlaPolicyPublic]:
    rows = await session.scalars(select(SlaPolicy).order_by(SlaPolicy.category_id, SlaPolicy.priority, SlaPolicy.id))
    return [SlaPolicyPublic.model_validate(row) for row in rows]


@router.post("/sla-policies", response_model=SlaPolicyPublic, status_code=201)
async def create_sla_policy(
    data: SlaPolicyCreate, admin: CurrentAdmin, request: Request, session: SessionDep
) -> SlaPolicyPublic:
    await _check_policy_scope(session, data)
    policy = SlaPolicy(
        category_id=data.category_id,
        priority=data.priority.value if data.priority is not None else None,
        first_response_hours=data.first_response_hours,
        resolution_hours=data.resolution_hours,
    )
    session.add(policy)
    await flush_unique(session, _policy_exists)
    record_audit(
        session,
        admin,
        "sla_policy.create",
        target_type="sla_policy",
        target_id=policy.id,
        detail=data.model_dump(mode="json"),
        request=request,
    )
    await commit_unique(session, _policy_exists)
    return SlaPolicyPublic.model_validate(policy)


@router.patch("/sla-policies/{policy_id}", response_model=SlaPolicyPublic)
async def update_sla_policy(
    policy_id: Id, data: SlaPolicyUpdate, admin: CurrentAdmin, request: Request, session: SessionDep
) -> SlaPolicyPublic:
    policy = await _get_policy(session, policy_id)
    first = data.first_response_hours or policy.first_response_hours
    resolution = data.resolution_hours or policy.resolution_hours
    if resolution < first:
        raise ProblemError(
            422,
            "invalid_sla_hours",
            "해결 목표 시간은 첫 응답 목표 시간보다 짧을 수 없습니다. "
            "(Resolution must not be shorter than first response)",
        )
    policy.first_response_hours, policy.resolution_hours = first, resolution
    record_audit(
        session,
        admin,
        "sla_policy.update",
        target_type="sla_policy",
        target_id=policy.id,
        detail=data.model_dump(exclude_unset=True),
        request=request,
    )
    await session.commit()
    return SlaPolicyPublic.model_validate(policy)


@router.delete("/sla-policies/{policy_id}", status_code=204)
async def delete_sla_policy(policy_id: Id, admin: CurrentAdmin, request: Request, session: SessionDep) -> Response:
    policy = await _get_policy(session, policy_id)
    record_audit(session, admin, "sla_policy.delete", target_type="sla_policy", target_id=policy.id, request=request)
    await session.delete(policy)
    await session.commit()
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
