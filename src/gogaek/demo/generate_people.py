"""Who the generated history belongs to: the staff who answer it and the customers who write.

Staff come from the database when it has agents already; otherwise a few demo agents and the
two demo teams are created through the identity service (hashed passwords, audit entries), as
``serve --demo`` does. Customers are plain rows, many of them, with obviously synthetic names,
``example.com`` addresses and ``010-0000-`` phone numbers.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.demo.generate_write import BulkWriter, Row
from gogaek.demo.people import PAYMENT_CATEGORIES
from gogaek.helpcenter.models import Category
from gogaek.identity.models import AgentSkill, Customer, StaffRole, StaffUser, Team, TeamCategory, TeamMember
from gogaek.identity.schemas import StaffCreate
from gogaek.identity.service import create_staff_user

AGENT_NAMES = ("한결", "나래", "든솔", "가람", "다온", "보람", "새솔", "이룸")
SURNAMES = "김이박최정강조윤장임한오서신권황안송류홍전고문양손배백허유남심노하곽성차주우구민진나엄채원천방공현"
GIVEN_FIRST = "민서지수예도하시주우은유채준현윤연다아소건재태승"
GIVEN_SECOND = "준연우윤호아은진민원서현빈율린훈희정수영혁성"
# Customers per inquiry: most customers write once or twice, a few write dozens of times.
CUSTOMERS_PER_INQUIRY = 0.3
TAIL_SIGMA = 1.3  # lognormal spread of how often each customer writes


@dataclass(frozen=True, slots=True)
class Staff:
    """The agents answering generated inquiries, and the team that handles each category."""

    agents: tuple[int, ...]
    team_of_category: dict[int, int]
    emergency_team: int | None
    created: tuple[tuple[str, str], ...]  # (email, password) of agents made by this run


async def demo_staff(session: AsyncSession) -> Staff:
    """The active agents and teams there are, after creating demo ones when there are none."""
    created: list[tuple[str, str]] = []
    if await session.scalar(select(StaffUser.id).where(StaffUser.role == StaffRole.AGENT.value).limit(1)) is None:
        created = await _create_agents(session)
    agents = (
        await session.scalars(
            select(StaffUser.id)
            .where(StaffUser.role == StaffRole.AGENT.value, StaffUser.is_active.is_(True))
            .order_by(StaffUser.id)
        )
    ).all()
    if not agents:
        raise ValueError("활성 상담사가 없습니다. (No active agents to answer the generated inquiries)")
    routes = (await session.execute(select(TeamCategory.category_id, TeamCategory.team_id))).all()
    emergency = await session.scalar(select(Team.id).where(Team.handles_emergencies.is_(True)).limit(1))
    return Staff(
        agents=tuple(agents),
        team_of_category={category: team for category, team in routes},
        emergency_team=emergency,
        created=tuple(created),
    )


async def _create_agents(session: AsyncSession) -> list[tuple[str, str]]:
    """Demo teams (when missing) and agents skilled in every category; passwords random per run."""
    categories = {c.slug: c.id for c in (await session.scalars(select(Category))).all()}
    teams = (await session.scalars(select(Team))).all()
    if not teams:
        payment = Team(slug="payment-team", name="결제·송금팀")
        security = Team(slug="security-team", name="보안팀", handles_emergencies=True)
        session.add_all([payment, security])
        await session.flush()
        session.add_all(
            TeamCategory(team_id=payment.id, category_id=categories[slug])
            for slug in PAYMENT_CATEGORIES
            if slug in categories
        )
        if "security" in categories:
            session.add(TeamCategory(team_id=security.id, category_id=categories["security"]))
        await session.commit()
        teams = [payment, security]
    created = []
    for number, name in enumerate(AGENT_NAMES, start=1):
        email, password = f"demo-agent{number}@gogaek.local", secrets.token_urlsafe(9)
        user = await create_staff_user(
            session, StaffCreate(email=email, password=password, display_name=f"상담사 {name}", role=StaffRole.AGENT)
        )
        session.add(TeamMember(team_id=teams[number % len(teams)].id, staff_id=user.id))
        session.add_all(AgentSkill(staff_id=user.id, category_id=category) for category in categories.values())
        created.append((email, password))
    await session.commit()
    return created


def customer_count(inquiries: int) -> int:
    return max(1, round(inquiries * CUSTOMERS_PER_INQUIRY))


def customer_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN_FIRST) + rng.choice(GIVEN_SECOND)


async def write_customers(
    writer: BulkWriter, rng: random.Random, count: int, now: datetime, days: int, chunk: int
) -> list[int]:
    """Host-app customers (``sub`` ``demo-gen-<id>``); returns their ids."""
    ids = await writer.reserve_ids(Customer, count)
    for start in range(0, count, chunk):
        rows: list[Row] = []
        for customer_id in ids[start : start + chunk]:
            joined = now - timedelta(days=days + rng.uniform(1, 700))
            with_phone = rng.random() < 0.4
            rows.append(
                {
                    "id": customer_id,
                    "external_id": f"demo-gen-{customer_id}",
                    "source": "host",
                    "name": customer_name(rng),
                    "email": f"demo-gen-{customer_id}@example.com" if rng.random() < 0.5 else None,
                    "phone": f"010-0000-{customer_id % 10_000:04d}" if with_phone else None,
                    "verified_at": joined if rng.random() < 0.3 else None,
                    "created_at": joined,
                    "last_seen_at": now - timedelta(days=rng.uniform(0, days)),
                }
            )
        await writer.write(Customer, rows)
    return ids


def owners(rng: random.Random, customers: list[int], inquiries: int) -> list[int]:
    """Who files each inquiry: a long tail, so a few customers have dozens of inquiries."""
    weights = [rng.lognormvariate(0.0, TAIL_SIGMA) for _ in customers]
    return rng.choices(customers, weights, k=inquiries)
