"""Shared fixtures: a fresh, migrated database per test on SQLite and on PostgreSQL.

Every database test runs once per backend. PostgreSQL is skipped only outside CI; with
``CI=true`` an unreachable server is an error, never a silent skip.
"""

from __future__ import annotations

import asyncio
import functools
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from xdist.scheduler import LoadScopeScheduling

from gogaek.app import create_app
from gogaek.config import Settings
from gogaek.db import Base, create_engine
from gogaek.identity.models import StaffRole
from gogaek.identity.schemas import StaffCreate
from gogaek.identity.service import create_staff_user
from gogaek.migrate import upgrade_database
from gogaek.reference_cache import clear_reference_copies

POSTGRES_URL = os.environ.get("GOGAEK_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
BACKENDS = [b for b in os.environ.get("GOGAEK_TEST_BACKENDS", "sqlite,postgres").split(",") if b]
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "correct-horse-battery"

# The whole test process, and every server or CLI process it starts (they inherit it), runs
# with the test profile of argon2 (gogaek.identity.security): a production-strength hash costs
# half a second, and the suite creates and signs in hundreds of accounts.
os.environ["GOGAEK_ENV"] = "test"


SERVER_FOLDERS = ("tests/e2e/", "tests/reliability/", "tests/integration/")


class ModuleAndBackendScheduling(LoadScopeScheduling):  # type: ignore[misc]  # xdist has no type hints
    """``--dist loadscope`` with one work unit per test module and database backend.

    A module's module-scoped fixtures (servers, browsers, a shared app) start once per backend
    anyway, so its SQLite and PostgreSQL halves can run on different workers: the largest
    modules are split in two instead of keeping one worker busy while the other idles.
    """

    _started = False

    def _split_scope(self, nodeid: str) -> str:
        module, _, test = nodeid.partition("::")
        params = test.partition("[")[2].removesuffix("]").split("-")
        return f"{module}[{next((p for p in params if p in BACKENDS), '')}]"

    def _assign_work_unit(self, node: object) -> None:
        """Before the first unit goes out, the folders whose few tests each start servers (10–20 s
        a unit) move to the front: xdist orders units by test count, which sent them last, so
        one worker ran the last of them while the other had nothing left to do."""
        if not self._started:
            self._started = True
            units = sorted(self.workqueue.items(), key=lambda unit: not unit[0].startswith(SERVER_FOLDERS))
            self.workqueue.clear()
            self.workqueue.update(units)
        super()._assign_work_unit(node)


@pytest.hookimpl(optionalhook=True)  # without xdist (-p no:xdist) the hook does not exist
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> ModuleAndBackendScheduling | None:
    return ModuleAndBackendScheduling(config, log) if config.getoption("dist") == "loadscope" else None


async def _postgres_reachable() -> bool:
    engine = create_async_engine(POSTGRES_URL)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return True
    except OSError:
        return False
    finally:
        await engine.dispose()


async def _create_postgres_database() -> str:
    name = f"gogaek_t_{uuid.uuid4().hex[:12]}"
    engine = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


async def _drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    engine = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await engine.dispose()


async def _migrate(settings: Settings) -> None:
    engine = create_engine(settings)
    await upgrade_database(engine)
    await engine.dispose()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated once; each test gets a copy, which is much faster than migrating again."""
    data_dir = tmp_path_factory.mktemp("sqlite-template")
    asyncio.run(_migrate(Settings(env="test", data_dir=data_dir)))
    return data_dir / "gogaek.db"


@pytest.fixture(scope="session")
def migrated_postgres() -> Iterator[str]:
    if not asyncio.run(_postgres_reachable()):
        if IN_CI:
            pytest.fail(f"PostgreSQL is required under CI but {POSTGRES_URL} is unreachable")
        pytest.skip("PostgreSQL not reachable (set CI=true to make this an error)")
    url = asyncio.run(_create_postgres_database())
    asyncio.run(_migrate(Settings(env="test", database_url=url)))
    yield url
    asyncio.run(_drop_postgres_database(url))


@pytest.fixture(scope="session")
def embedding_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One vector store for the whole run, so each phrasing is embedded once, not per test."""
    return tmp_path_factory.mktemp("embeddings") / "search-embeddings.sqlite3"


@functools.cache
def _test_settings(
    database_url: str | None, embedding_cache: Path, environment: frozenset[tuple[str, str]]
) -> Settings:
    """Built once per backend and ``GOGAEK_*`` environment: reading the settings from the
    environment and .env costs about 5 ms, paid by every test before (17 s of a run's CPU)."""
    del environment  # part of the cache key only: a test that changes the variables gets new ones
    return Settings(
        env="test",
        data_dir=Path("unused"),
        search_refresh_seconds=0,
        embedding_cache=embedding_cache,
        admin_totp_required=False,
        # Tests run the job worker by hand (``app.state.jobs.worker.run_once()``) so that
        # what happens is deterministic; real servers started by tests poll as usual.
        jobs_enabled=False,
        database_url=database_url,
    )


@pytest.fixture(params=BACKENDS)
def settings(request: pytest.FixtureRequest, tmp_path: Path, embedding_cache: Path) -> Settings:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    url = None
    if request.param == "sqlite":
        shutil.copy(request.getfixturevalue("migrated_sqlite"), data_dir / "gogaek.db")
    else:
        url = request.getfixturevalue("migrated_postgres")
        asyncio.run(_truncate_all(url))
    environment = frozenset((name, value) for name, value in os.environ.items() if name.startswith("GOGAEK_"))
    # Every path the app derives from the data dir is a property, so a (deep) copy with another
    # data dir is what ``Settings(data_dir=...)`` would give.
    return _test_settings(url, embedding_cache, environment).model_copy(update={"data_dir": data_dir}, deep=True)


def settings_environment(settings: Settings) -> dict[str, str]:
    """The same configuration as ``GOGAEK_*`` variables, for server and CLI subprocesses."""
    env = {
        **os.environ,
        "GOGAEK_ENV": settings.env,
        "GOGAEK_DATA_DIR": str(settings.data_dir),
        "GOGAEK_SEARCH_REFRESH_SECONDS": str(settings.search_refresh_seconds),
        "GOGAEK_ADMIN_TOTP_REQUIRED": str(settings.admin_totp_required).lower(),
        "GOGAEK_LANGUAGE": "ko",  # what the CLI prints, whatever this machine's locale (tests read it)
    }
    if settings.embedding_cache is not None:
        env["GOGAEK_EMBEDDING_CACHE"] = str(settings.embedding_cache)
    if settings.database_url:
        env["GOGAEK_DATABASE_URL"] = settings.database_url
    return env


# What a TRUNCATE of every table did, in a tenth of the time (TRUNCATE makes and syncs new
# files for each of 30 tables: ~0.7 s per test): tables that have rows are emptied with DELETE,
# children first; a table with triggers (the append-only audit log refuses DELETE) is truncated,
# which row triggers do not see; and every used sequence starts again at 1.
_EMPTY_TABLES = """
DO $$
DECLARE
    name text;
    has_rows boolean;
BEGIN
    FOREACH name IN ARRAY ARRAY[{tables}]::text[] LOOP
        EXECUTE format('SELECT EXISTS (SELECT FROM %I)', name) INTO has_rows;
        CONTINUE WHEN NOT has_rows;
        IF EXISTS (SELECT FROM pg_trigger WHERE tgrelid = name::regclass AND NOT tgisinternal) THEN
            EXECUTE format('TRUNCATE %I CASCADE', name);
        ELSE
            EXECUTE format('DELETE FROM %I', name);
        END IF;
    END LOOP;
    PERFORM setval(format('%I.%I', schemaname, sequencename)::regclass, 1, false)
        FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL;
END $$
"""


async def _truncate_all(url: str) -> None:
    """Empties every table as TRUNCATE … RESTART IDENTITY did (the name is kept: other tests use it)."""
    tables = ", ".join(f"'{table.name}'" for table in reversed(Base.metadata.sorted_tables))
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text(_EMPTY_TABLES.format(tables=tables)))
    await engine.dispose()
    clear_reference_copies()  # this process's copies of categories, SLA policies, days off


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        await application.state.search_index.wait_until_loaded()
        yield application


@pytest.fixture
async def session(app: FastAPI) -> AsyncIterator[AsyncSession]:
    async with app.state.sessionmaker() as db_session:
        yield db_session


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def admin_headers(client: httpx.AsyncClient, session: AsyncSession) -> dict[str, str]:
    await create_staff_user(
        session,
        StaffCreate(email=ADMIN_EMAIL, password=ADMIN_PASSWORD, display_name="관리자", role=StaffRole.ADMIN),
    )
    response = await client.post("/api/v1/admin/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
async def demo_content(app: FastAPI) -> None:
    from gogaek.demo import load_demo_content

    async with app.state.sessionmaker() as db_session:
        await load_demo_content(db_session)
    await app.state.search_index.load()


def customer_headers(settings: Settings, sub: str = "host-user-1", **claims: str) -> dict[str, str]:
    """A host-app bearer token, as the pay app would send it."""
    from gogaek.identity.customer_tokens import issue_customer_token

    claims.setdefault("name", "김고객")
    token = issue_customer_token(settings, sub=sub, **claims)  # type: ignore[arg-type]
    return {"Authorization": f"Bearer {token}"}


# Hypothesis: few examples in CI, many on demand (GOGAEK_HYPOTHESIS_PROFILE=long); never a deadline,
# since the machines are noisy and tests assert behaviour, not time.
from hypothesis import settings as hypothesis_settings  # noqa: E402 - kept in this block on purpose

hypothesis_settings.register_profile("ci", max_examples=30, deadline=None, derandomize=True)
hypothesis_settings.register_profile("long", max_examples=2000, deadline=None)
hypothesis_settings.load_profile(os.environ.get("GOGAEK_HYPOTHESIS_PROFILE", "ci"))
