"""Teams, their members and categories (routing), and agents' skills (round-robin eligibility).

Every verb is one transaction that carries its own audit entry.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from gogaek.audit.service import record_audit
from gogaek.crud import AuditedTable, get_or_404
from gogaek.db import commit_unique
from gogaek.errors import ProblemError, not_found
from gogaek.helpcenter.models import Category
from gogaek.identity.models import AgentSkill, StaffUser, Team, TeamCategory, TeamMember
from gogaek.identity.schemas import StaffRef, TeamCreate, TeamPublic, TeamUpdate
from gogaek.web.i18n import N_, gettext


def _team_taken() -> ProblemError:
    return ProblemError(409, "team_exists", N_("같은 주소(slug)나 이름의 팀이 이미 있습니다."))


_TEAMS = AuditedTable(Team, Team.id, "팀", "team", _team_taken)


async def get_team(session: AsyncSession, team_id: int) -> Team:
    return await _TEAMS.get(session, team_id)


async def get_staff(session: AsyncSession, staff_id: int) -> StaffUser:
    return await get_or_404(session, StaffUser, staff_id, "직원 계정")


async def team_views(session: AsyncSession, teams: Sequence[Team]) -> list[TeamPublic]:
    """Members and categories of all the teams in two queries, whatever their number."""
    ids = [team.id for team in teams]
    members: dict[int, list[StaffRef]] = defaultdict(list)
    for team_id, staff_id, name in await session.execute(
        select(TeamMember.team_id, StaffUser.id, StaffUser.display_name)
        .join(StaffUser, StaffUser.id == TeamMember.staff_id)
        .where(TeamMember.team_id.in_(ids))
        .order_by(StaffUser.display_name, StaffUser.id)
    ):
        members[team_id].append(StaffRef(id=staff_id, display_name=name))
    categories: dict[int, list[int]] = defaultdict(list)
    for team_id, category_id in await session.execute(
        select(TeamCategory.team_id, TeamCategory.category_id)
        .where(TeamCategory.team_id.in_(ids))
        .order_by(TeamCategory.category_id)
    ):
        categories[team_id].append(category_id)
    return [
        TeamPublic(
            id=team.id,
            slug=team.slug,
            name=team.name,
            handles_emergencies=team.handles_emergencies,
            members=members[team.id],
            category_ids=categories[team.id],
        )
        for team in teams
    ]


async def list_teams(session: AsyncSession) -> list[TeamPublic]:
    return await team_views(session, (await session.scalars(select(Team).order_by(Team.name))).all())


async def team_view(session: AsyncSession, team: Team) -> TeamPublic:
    return (await team_views(session, [team]))[0]


def _clashes(slug: str | None, name: str | None) -> list[ColumnElement[bool]]:
    """Slug and name are each unique; an update checks only the ones it changes."""
    clauses = [Team.slug == slug] if slug is not None else []
    if name is not None:
        clauses.append(Team.name == name)
    return clauses


async def create_team(
    session: AsyncSession, actor: StaffUser, data: TeamCreate, request: Request | None = None
) -> Team:
    await _TEAMS.refuse_taken(session, _clashes(data.slug, data.name))
    team = Team(slug=data.slug, name=data.name, handles_emergencies=data.handles_emergencies)
    return await _TEAMS.create(session, actor, team, data.model_dump(), request)


async def update_team(
    session: AsyncSession, actor: StaffUser, team: Team, data: TeamUpdate, request: Request | None = None
) -> Team:
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    await _TEAMS.refuse_taken(session, _clashes(data.slug, data.name), exclude_id=team.id)
    for field, value in changes.items():
        setattr(team, field, value)
    return await _TEAMS.save(session, actor, team, changes, request)


async def delete_team(session: AsyncSession, actor: StaffUser, team: Team, request: Request | None = None) -> None:
    """Its inquiries keep existing without a team (the foreign key sets NULL) and stay in the queue."""
    await _TEAMS.delete(session, actor, team, {"slug": team.slug}, request)


async def add_member(
    session: AsyncSession, actor: StaffUser, team: Team, staff: StaffUser, request: Request | None = None
) -> None:
    """Adding someone who is already a member changes nothing and is not an error."""
    existing = await session.get(TeamMember, (team.id, staff.id))
    if existing is not None:
        return
    session.add(TeamMember(team_id=team.id, staff_id=staff.id))
    record_audit(
        session,
        actor,
        "team.member_add",
        target_type="team",
        target_id=team.id,
        detail={"staff_id": staff.id},
        request=request,
    )
    await commit_unique(session, _member_race)


def _member_race() -> ProblemError:
    return ProblemError(409, "already_member", N_("이미 팀에 속해 있습니다."))


async def remove_member(
    session: AsyncSession, actor: StaffUser, team: Team, staff_id: int, request: Request | None = None
) -> None:
    member = await session.get(TeamMember, (team.id, staff_id))
    if member is None:
        raise not_found("팀원")
    await session.delete(member)
    record_audit(
        session,
        actor,
        "team.member_remove",
        target_type="team",
        target_id=team.id,
        detail={"staff_id": staff_id},
        request=request,
    )
    await session.commit()


async def _known_categories(session: AsyncSession, category_ids: Sequence[int]) -> list[int]:
    """The ids, deduplicated and sorted; any unknown id refuses the whole set."""
    wanted = sorted(set(category_ids))
    found = set((await session.scalars(select(Category.id).where(Category.id.in_(wanted)))).all())
    missing = [category_id for category_id in wanted if category_id not in found]
    if missing:
        raise ProblemError(
            422,
            "unknown_category",
            gettext("알 수 없는 문의 유형입니다: %(category)s") % {"category": ", ".join(map(str, missing))},
            errors=[{"loc": ["body", "category_ids"], "message": f"unknown ids {missing}"}],
        )
    return wanted


async def set_team_categories(
    session: AsyncSession, actor: StaffUser, team: Team, category_ids: Sequence[int], request: Request | None = None
) -> list[int]:
    """New inquiries in these categories are routed to the team."""
    link = _CategoryLink(TeamCategory, TeamCategory.team_id, "team_id", "team.categories", "team")
    return await _replace_categories(session, actor, link, team.id, category_ids, request)


async def agent_skills(session: AsyncSession, staff_id: int) -> list[int]:
    query = select(AgentSkill.category_id).where(AgentSkill.staff_id == staff_id).order_by(AgentSkill.category_id)
    return list((await session.scalars(query)).all())


async def set_agent_skills(
    session: AsyncSession,
    actor: StaffUser,
    staff: StaffUser,
    category_ids: Sequence[int],
    request: Request | None = None,
) -> list[int]:
    """The categories round-robin may give this agent (inquiries outside a team)."""
    link = _CategoryLink(AgentSkill, AgentSkill.staff_id, "staff_id", "staff.skills", "staff")
    return await _replace_categories(session, actor, link, staff.id, category_ids, request)


@dataclass(frozen=True, slots=True)
class _CategoryLink:
    """A table linking an owner (a team, an agent) to categories, and how changing it is audited."""

    model: type[TeamCategory] | type[AgentSkill]
    owner_column: InstrumentedAttribute[int]
    owner_field: str
    action: str
    target_type: str


async def _replace_categories(
    session: AsyncSession,
    actor: StaffUser,
    link: _CategoryLink,
    owner_id: int,
    category_ids: Sequence[int],
    request: Request | None,
) -> list[int]:
    wanted = await _known_categories(session, category_ids)
    await session.execute(delete(link.model).where(link.owner_column == owner_id))
    session.add_all(link.model(**{link.owner_field: owner_id, "category_id": category_id}) for category_id in wanted)
    record_audit(
        session,
        actor,
        link.action,
        target_type=link.target_type,
        target_id=owner_id,
        detail={"category_ids": wanted},
        request=request,
    )
    await session.commit()
    return wanted
