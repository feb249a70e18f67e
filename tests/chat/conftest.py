"""A real chat server per backend, shared by a test module: demo FAQ, a team, agents, a supervisor."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.config import Settings
from gogaek.db import create_engine, create_sessionmaker
from gogaek.demo import load_demo_content
from gogaek.identity.customer_tokens import issue_customer_token
from gogaek.identity.models import StaffRole, Team, TeamMember
from gogaek.identity.schemas import StaffCreate
from gogaek.identity.security import StaffTokenSigner
from gogaek.identity.service import create_staff_user
from gogaek.migrate import upgrade_database
from tests.conftest import (
    BACKENDS,
    IN_CI,
    POSTGRES_URL,
    _create_postgres_database,
    _drop_postgres_database,
    _postgres_reachable,
)
from tests.e2e.conftest import running_server

CHAT_ENV = {
    "GOGAEK_CHAT_HOURS": "always",
    "GOGAEK_CHAT_AUTO_ASSIGN": "false",
    "GOGAEK_SEARCH_SEMANTIC": "false",
    "GOGAEK_CHAT_MAX_CONCURRENT": "2",
}


async def add_staff(
    session: AsyncSession, email: str, role: StaffRole = StaffRole.AGENT, team_id: int | None = None
) -> int:
    """A staff account made straight in a desk's database (the server reads it on the next request)."""
    user = await create_staff_user(
        session, StaffCreate(email=email, password="a-long-password-1", display_name=email.split("@")[0], role=role)
    )
    if team_id is not None:
        session.add(TeamMember(team_id=team_id, staff_id=user.id))
        await session.commit()
    return user.id


@dataclass(frozen=True)
class Desk:
    url: str
    settings: Settings
    agent_id: int
    second_agent_id: int
    supervisor_id: int
    team_id: int

    def staff_token(self, staff_id: int) -> str:
        return StaffTokenSigner(self.settings.secret_key, self.settings.session_max_age_seconds).issue(staff_id)

    def customer_token(self, sub: str, **claims: str) -> str:
        claims.setdefault("name", "김고객")
        return issue_customer_token(self.settings, sub=sub, **claims)  # type: ignore[arg-type]


async def _prepare(settings: Settings) -> tuple[int, int, int, int]:
    engine = create_engine(settings)
    await upgrade_database(engine)
    async with create_sessionmaker(engine)() as session:
        await load_demo_content(session)
        ids = []
        for email, name, role in (
            ("chat-agent@example.com", "상담사 한결", StaffRole.AGENT),
            ("chat-agent2@example.com", "상담사 다온", StaffRole.AGENT),
            ("chat-lead@example.com", "팀장 누리", StaffRole.SUPERVISOR),
        ):
            staff = await create_staff_user(
                session, StaffCreate(email=email, password="a-long-password-1", display_name=name, role=role)
            )
            ids.append(staff.id)
        team = Team(slug="chat-desk", name="채팅 상담팀")
        session.add(team)
        await session.flush()
        session.add_all([TeamMember(team_id=team.id, staff_id=ids[0]), TeamMember(team_id=team.id, staff_id=ids[1])])
        await session.commit()
        team_id = team.id
    await engine.dispose()
    return ids[0], ids[1], ids[2], team_id


def desk_settings(data_dir: Path, embedding_cache: Path, database_url: str | None) -> Settings:
    return Settings(
        env="test",
        data_dir=data_dir,
        search_refresh_seconds=0,
        embedding_cache=embedding_cache,
        search_semantic=False,
        admin_totp_required=False,
        database_url=database_url,
    )


Prepared = tuple[Settings, tuple[int, int, int, int]]


@contextmanager
def prepared_database(backend: str, data_dir: Path, embedding_cache: Path) -> Iterator[Prepared]:
    """A database of its own, so a module's servers can keep it for all their tests."""
    url = None
    if backend == "postgres":
        if not asyncio.run(_postgres_reachable()):
            if IN_CI:
                pytest.fail(f"PostgreSQL is required under CI but {POSTGRES_URL} is unreachable")
            pytest.skip("PostgreSQL not reachable (set CI=true to make this an error)")
        url = asyncio.run(_create_postgres_database())
    settings = desk_settings(data_dir, embedding_cache, url)
    try:
        yield settings, asyncio.run(_prepare(settings))
    finally:
        if url is not None:
            asyncio.run(_drop_postgres_database(url))


@pytest.fixture(scope="module", params=BACKENDS)
def chat_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path
) -> Iterator[Prepared]:
    with prepared_database(request.param, tmp_path_factory.mktemp(f"chat-{request.param}"), embedding_cache) as ready:
        yield ready


@pytest.fixture(scope="module")
def desk(chat_database: Prepared) -> Iterator[Desk]:
    settings, (agent, second, supervisor, team) = chat_database
    with running_server(settings, CHAT_ENV) as url:
        yield Desk(url, settings, agent, second, supervisor, team)
