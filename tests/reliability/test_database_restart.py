"""PostgreSQL stopped and started under load: quick 503s while it is down, success after, no app restart."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from gogaek.config import Settings
from tests.chat.conftest import CHAT_ENV, _prepare, desk_settings
from tests.reliability.processes import AppServer, PrivatePostgres, postgres_bin
from tests.reliability.scenarios import inquiries_across_database_restarts

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

REQUESTS = 5
RESTARTS = 2


@pytest.fixture
def private_postgres(tmp_path: Path, embedding_cache: Path) -> Iterator[tuple[PrivatePostgres, Settings]]:
    if postgres_bin() is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    database = PrivatePostgres()
    try:
        database.init()
        database.start()
        settings = desk_settings(tmp_path, embedding_cache, database.url)
        asyncio.run(_prepare(settings))
        yield database, settings
    finally:
        database.destroy()


async def test_requests_fail_cleanly_while_postgres_is_down_and_recover(
    private_postgres: tuple[PrivatePostgres, Settings],
) -> None:
    database, settings = private_postgres
    server = AppServer(settings, CHAT_ENV)
    server.start()
    try:
        tally = await inquiries_across_database_restarts(
            server, settings, database, requests=REQUESTS, restarts=RESTARTS
        )
        assert server.readyz().status_code == 200
    finally:
        server.stop()
    assert tally.injected == RESTARTS
    assert tally.acknowledged == 2 * REQUESTS * RESTARTS
    assert tally.unavailable >= REQUESTS * RESTARTS
    assert (tally.lost, tally.duplicated, tally.server_errors, tally.hung, tally.half_written) == (0, 0, 0, 0, 0), tally
