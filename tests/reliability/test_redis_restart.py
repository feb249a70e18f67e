"""Redis stopped and started under two app processes: readyz says so, chat falls back and recovers by itself."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from shutil import which

import pytest

from tests.chat.conftest import CHAT_ENV, Desk, Prepared, prepared_database
from tests.conftest import BACKENDS
from tests.reliability.chat_faults import chat_across_redis_restarts
from tests.reliability.processes import AppServer, PrivateRedis

pytestmark = pytest.mark.integration

RESTARTS = 2


@pytest.fixture
def redis_server() -> Iterator[PrivateRedis]:
    if which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    redis = PrivateRedis()
    redis.start()
    yield redis
    redis.stop()


@pytest.fixture
def shared_database(tmp_path: Path, embedding_cache: Path) -> Iterator[Prepared]:
    """Two processes share one database: PostgreSQL, the production shape, when it is tested."""
    with prepared_database("postgres" if "postgres" in BACKENDS else "sqlite", tmp_path, embedding_cache) as ready:
        yield ready


async def test_chat_recovers_after_redis_restarts(redis_server: PrivateRedis, shared_database: Prepared) -> None:
    settings, (agent_id, *_) = shared_database
    env = {**CHAT_ENV, "GOGAEK_REDIS_URL": redis_server.url, "GOGAEK_REDIS_PREFIX": f"t-{uuid.uuid4().hex[:8]}:"}
    front, back = AppServer(settings, env), AppServer(settings, env)
    front.start()
    back.start()
    try:
        token = Desk(back.url, settings, agent_id, 0, 0, 0).staff_token(agent_id)
        tally = await chat_across_redis_restarts(front, back, settings, token, redis_server, restarts=RESTARTS)
    finally:
        front.stop()
        back.stop()
    assert tally.injected == RESTARTS
    assert (tally.missed, tally.server_errors, tally.lost, tally.duplicated) == (0, 0, 0, 0), tally
