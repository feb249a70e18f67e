"""SLA policy verbs for admins (the API and the pages): create, change, delete, each with its audit entry.

Policies apply to inquiries filed after the change; the clocks of inquiries already filed keep
the promise they were given. Every process reads the policies through ``reference_cache``: this
process at once, other processes within ``REFERENCE_TTL_SECONDS``.
"""

from __future__ import annotations

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.audit.service import record_audit
from gogaek.db import commit_unique
from gogaek.errors import ProblemError, not_found
from gogaek.helpcenter.models import Category
from gogaek.identity.models import StaffUser
from gogaek.identity.service import flush_unique
from gogaek.inquiries.agent_schemas import RESOLUTION_BEFORE_FIRST_RESPONSE, SlaPolicyCreate, SlaPolicyUpdate
from gogaek.inquiries.models import SlaPolicy
from gogaek.web.i18n import N_, gettext


def _policy_exists() -> ProblemError:
    return ProblemError(409, "sla_policy_exists", N_("같은 유형·우선순위의 SLA 정책이 이미 있습니다."))


async def list_policies(session: AsyncSession) -> list[SlaPolicy]:
    query = select(SlaPolicy).order_by(SlaPolicy.category_id, SlaPolicy.priority, SlaPolicy.id)
    return list((await session.scalars(query)).all())


async def get_policy(session: AsyncSession, policy_id: int) -> SlaPolicy:
    policy = await session.get(SlaPolicy, policy_id)
    if policy is None:
        raise not_found("SLA 정책")
    return policy


async def _check_policy_scope(session: AsyncSession, data: SlaPolicyCreate) -> None:
    """Checked here because SQL unique constraints let two NULL scopes (the default row) coexist."""
    if data.category_id is not None and await session.get(Category, data.category_id) is None:
        raise ProblemError(
            422,
            "unknown_category",
            gettext("알 수 없는 문의 유형입니다: %(category)s") % {"category": data.category_id},
        )
    category = (
        SlaPolicy.category_id.is_(None) if data.category_id is None else SlaPolicy.category_id == data.category_id
    )
    priority = SlaPolicy.priority.is_(None) if data.priority is None else SlaPolicy.priority == data.priority.value
    if await session.scalar(select(SlaPolicy.id).where(category, priority)) is not None:
        raise _policy_exists()


async def create_policy(
    session: AsyncSession, actor: StaffUser, data: SlaPolicyCreate, request: Request | None = None
) -> SlaPolicy:
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
        actor,
        "sla_policy.create",
        target_type="sla_policy",
        target_id=policy.id,
        detail=data.model_dump(mode="json"),
        request=request,
    )
    await commit_unique(session, _policy_exists)
    return policy


async def update_policy(
    session: AsyncSession, actor: StaffUser, policy: SlaPolicy, data: SlaPolicyUpdate, request: Request | None = None
) -> SlaPolicy:
    first = data.first_response_hours or policy.first_response_hours
    resolution = data.resolution_hours or policy.resolution_hours
    if resolution < first:
        raise ProblemError(
            422,
            "invalid_sla_hours",
            RESOLUTION_BEFORE_FIRST_RESPONSE,
        )
    policy.first_response_hours, policy.resolution_hours = first, resolution
    record_audit(
        session,
        actor,
        "sla_policy.update",
        target_type="sla_policy",
        target_id=policy.id,
        detail=data.model_dump(exclude_unset=True),
        request=request,
    )
    await session.commit()
    return policy


async def delete_policy(
    session: AsyncSession, actor: StaffUser, policy: SlaPolicy, request: Request | None = None
) -> None:
    record_audit(session, actor, "sla_policy.delete", target_type="sla_policy", target_id=policy.id, request=request)
    await session.delete(policy)
    await session.commit()
