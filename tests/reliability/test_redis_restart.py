"""Redis stopped and started under two app processes: readyz says so, chat falls back and recovers by itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from shutil import which

import pytest

from tests.chat.conftest import Prepared, prepared_database
from tests.conftest import BACKENDS
from tests.reliability.chat_faults import redis_restarts
from tests.reliability.processes import require

pytestmark = pytest.mark.integration

RESTARTS = 2


@pytest.fixture
def shared_database(tmp_path: Path, embedding_cache: Path) -> Iterator[Prepared]:
    """Two processes share one database: PostgreSQL, the production shape, when it is tested."""
    with prepared_database("postgres" if "postgres" in BACKENDS else "sqlite", tmp_path, embedding_cache) as ready:
        yield ready


async def test_chat_recovers_after_redis_restarts(shared_database: Prepared) -> None:
    require(which("redis-server") is not None, "redis-server")
    settings, (agent_id, *_) = shared_database
    tally = await redis_restarts(settings, agent_id, restarts=RESTARTS)
    assert tally.injected == RESTARTS
    assert (tally.missed, tally.server_errors, tally.lost, tally.duplicated) == (0, 0, 0, 0), tally
