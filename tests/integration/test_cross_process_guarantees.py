"""What must hold across app processes: two `gogaek serve` processes on one PostgreSQL and one Redis.

The public-write rate limit (in Redis), the staff sign-in lockout and callback capacity (in the
database) hold whichever process a request reaches; losing Redis leaves both processes serving
with a `degraded` /readyz, and chat flows between them again once Redis is back. The Redis is a
private `redis-server`, so stopping it touches nobody else's tests.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from shutil import which

import httpx
import pytest

from gogaek.config import Settings
from gogaek.db import create_engine, create_sessionmaker
from gogaek.identity.security import StaffTokenSigner
from tests.chat.conftest import CHAT_ENV, prepared_database
from tests.conftest import customer_headers
from tests.phone.booking_helpers import book, open_slot, remaining
from tests.phone.test_callback_race import assert_counters_match_bookings, outcome
from tests.reliability.chat_faults import chat_across_redis_restarts, readyz_redis, redis_recovered
from tests.reliability.processes import AppServer, PrivateRedis, require
from tests.reliability.scenarios import poll_until
from tests.servers import local_http

pytestmark = [pytest.mark.postgres, pytest.mark.integration]

BURST = 5
BOOKERS = 12
LEAD_EMAIL = "chat-lead@example.com"  # made by prepared_database, with this password
LEAD_PASSWORD = "a-long-password-1"
RECOVERY_SECONDS = 60.0
REQUEST_SECONDS = 30.0


@dataclass(frozen=True)
class Cluster:
    settings: Settings
    agent_id: int
    redis: PrivateRedis
    front: AppServer
    back: AppServer

    @property
    def servers(self) -> tuple[AppServer, AppServer]:
        return self.front, self.back


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> Iterator[Cluster]:
    """Production's shape, with a small burst and a refill too slow to matter during the test."""
    require(which("redis-server") is not None, "redis-server")
    with prepared_database("postgres", tmp_path_factory.mktemp("cross-process"), embedding_cache) as ready:
        settings, (agent_id, *_) = ready
        redis = PrivateRedis()
        redis.start()
        env = {
            **CHAT_ENV,
            "GOGAEK_REDIS_URL": redis.url,
            "GOGAEK_REDIS_PREFIX": f"t-{uuid.uuid4().hex[:8]}:",
            "GOGAEK_PUBLIC_WRITE_BURST": str(BURST),
            "GOGAEK_PUBLIC_WRITE_RATE_PER_SECOND": "0.001",
        }
        front, back = AppServer(settings, env), AppServer(settings, env)
        try:
            front.start()
            back.start()
            yield Cluster(settings, agent_id, redis, front, back)
        finally:
            front.stop()
            back.stop()
            redis.stop()


def submit_inquiry(server: AppServer, headers: dict[str, str]) -> httpx.Response:
    return local_http().post(
        f"{server.url}/api/v1/inquiries",
        json={"category": "payment", "title": "결제 문의", "body": "결제가 두 번 승인됐습니다."},
        headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
        timeout=REQUEST_SECONDS,
    )


def assert_one_burst_for_both(cluster: Cluster, customer: str) -> None:
    """Alternating between the processes buys no extra requests: the burst is spent in total."""
    flooder = customer_headers(cluster.settings, sub=customer)  # one token: the limit is per client
    answers = [submit_inquiry(cluster.servers[n % 2], flooder).status_code for n in range(2 * BURST)]
    assert answers == [201] * BURST + [429] * BURST
    refused = submit_inquiry(cluster.back, flooder)
    assert refused.json()["code"] == "rate_limited" and int(refused.headers["retry-after"]) >= 1


def test_the_rate_limit_is_one_burst_for_both_processes(cluster: Cluster) -> None:
    assert_one_burst_for_both(cluster, "flooder")
    assert submit_inquiry(cluster.back, customer_headers(cluster.settings, sub="neighbour")).status_code == 201


def limits_shared_again(server: AppServer) -> bool:
    """Any public write lets a process find Redis again; it says so in its log once."""
    local_http().post(f"{server.url}/api/v1/faq/articles/1/votes", json={}, timeout=REQUEST_SECONDS)
    return "public-write limits are shared between processes again" in server.log_path.read_text(encoding="utf-8")


def test_a_lockout_reached_through_one_process_holds_on_the_other(cluster: Cluster) -> None:
    def sign_in(server: AppServer, password: str) -> httpx.Response:
        body = {"email": LEAD_EMAIL, "password": password}
        return local_http().post(f"{server.url}/api/v1/agent/login", json=body, timeout=REQUEST_SECONDS)

    assert [sign_in(cluster.front, "bad-guess").status_code for _ in range(5)] == [401] * 5
    locked = sign_in(cluster.back, LEAD_PASSWORD)  # even the right password, on the other process
    assert (locked.status_code, locked.json()["code"]) == (429, "account_locked")
    assert int(locked.headers["retry-after"]) >= 1


async def test_the_last_callback_places_go_to_exactly_that_many_across_processes(cluster: Cluster) -> None:
    async with (
        httpx.AsyncClient(base_url=cluster.front.url, timeout=REQUEST_SECONDS) as front,
        httpx.AsyncClient(base_url=cluster.back.url, timeout=REQUEST_SECONDS) as back,
    ):
        slot = await open_slot(front)
        assert slot["remaining"] < BOOKERS
        responses = await asyncio.gather(
            *(
                book((front, back)[n % 2], customer_headers(cluster.settings, sub=f"booker-{n}"), slot["start"])
                for n in range(BOOKERS)
            )
        )
        assert outcome(list(responses)) == (slot["remaining"], {"slot_full"})
        assert await remaining(back, slot["start"]) == 0
    engine = create_engine(cluster.settings)
    try:
        async with create_sessionmaker(engine)() as session:
            await assert_counters_match_bookings(session)
    finally:
        await engine.dispose()


async def test_losing_redis_degrades_both_processes_and_they_recover(cluster: Cluster) -> None:
    """While Redis is down: 200 `degraded`, search and inquiries work; once back: `ready`, chat
    crosses processes again (the reliability scenario, run through one more outage) and the rate
    limit is one burst for both processes again."""
    await asyncio.to_thread(cluster.redis.stop)
    try:
        for server in cluster.servers:
            ready = (await asyncio.to_thread(server.readyz)).json()
            assert ready["status"] == "degraded" and ready["checks"]["redis"] is False, ready
            assert ready["checks"]["database"] and ready["checks"]["search_index"], ready
            found = await asyncio.to_thread(
                httpx.get, f"{server.url}/api/v1/faq/search", params={"q": "결제 취소"}, timeout=REQUEST_SECONDS
            )
            assert found.status_code == 200 and found.json()["results"], found.text
            headers = customer_headers(cluster.settings, sub=f"outage-{server.port}")
            submitted = await asyncio.to_thread(submit_inquiry, server, headers)
            assert submitted.status_code == 201, submitted.text
    finally:
        await asyncio.to_thread(cluster.redis.start)
    await redis_recovered(cluster.servers, RECOVERY_SECONDS)
    for server in cluster.servers:
        assert (await asyncio.to_thread(server.readyz)).json()["status"] == "ready"
        assert await readyz_redis(server) == (200, True)

    signer = StaffTokenSigner(cluster.settings.secret_key, cluster.settings.session_max_age_seconds)
    tally = await chat_across_redis_restarts(
        cluster.front, cluster.back, cluster.settings, signer.issue(cluster.agent_id), cluster.redis, restarts=1
    )
    assert (tally.missed, tally.server_errors, tally.lost, tally.duplicated) == (0, 0, 0, 0), tally

    async with asyncio.timeout(RECOVERY_SECONDS):
        for server in cluster.servers:
            await poll_until(partial(asyncio.to_thread, limits_shared_again, server), 0.5)
    await asyncio.to_thread(assert_one_burst_for_both, cluster, "flooder-after-outage")
