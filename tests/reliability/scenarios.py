"""Fault scenarios shared by the short CI tests (tests/reliability) and the long run (benchmarks/reliability.py).

Each scenario drives real clients against a real server while something breaks, then counts
from the database what users were told against what was stored: ``lost`` (acknowledged but not
stored), ``duplicated`` (stored more than once for one retry key) and ``server_errors`` (5xx
answers other than the 503 that tells a client to retry).
"""

from __future__ import annotations

import asyncio
import random
import string
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import func, select

from gogaek.config import Settings
from gogaek.db import create_engine, create_sessionmaker
from gogaek.errors import PROBLEM_MEDIA_TYPE
from gogaek.identity.customer_tokens import issue_customer_token
from gogaek.inquiries.models import Inquiry
from tests.chat.conftest import CHAT_ENV, desk_settings
from tests.chat.conftest import _prepare as prepare_desk
from tests.reliability.processes import AppServer, PrivatePostgres

RETRY_PAUSE = 0.1
GIVE_UP_SECONDS = 180.0  # a client stops retrying after this: a server that never comes back fails the run
REQUEST_TIMEOUT = 15.0
TITLE_PREFIX = "재시도시험 "
CATEGORY = "payment"
TOKEN_TTL_SECONDS = 3 * 3600


@dataclass
class Tally:
    """What one scenario did and what it found; the long run prints one table row per tally."""

    fault: str
    injected: int = 0
    attempts: int = 0  # requests or frames sent, retries included
    acknowledged: int = 0
    lost: int = 0
    duplicated: int = 0
    server_errors: int = 0  # 5xx other than 503
    unavailable: int = 0  # 503 problem+json: "retry later", the answer we want while a dependency is down
    hung: int = 0  # requests that got no answer within REQUEST_TIMEOUT
    unanswered: int | None = None  # chat: customer messages the bot never answered
    half_written: int | None = None
    missed: int | None = None  # Redis: messages not delivered live across processes after recovery
    statuses: Counter[int] = field(default_factory=Counter)

    def note(self, response: httpx.Response) -> None:
        """A 503 counts as "retry later" only as problem+json with a stable code and Retry-After."""
        self.statuses[response.status_code] += 1
        if response.status_code == 503 and _is_retry_later(response):
            self.unavailable += 1
        elif response.status_code >= 500:
            self.server_errors += 1


def _is_retry_later(response: httpx.Response) -> bool:
    return (
        response.headers.get("content-type") == PROBLEM_MEDIA_TYPE
        and "retry-after" in response.headers
        and response.json().get("code") in ("database_unavailable", "database_busy")
    )


async def poll_until(condition: Callable[[], Awaitable[bool]], interval: float = 0.05) -> None:
    """Waits for state other processes (or other tasks' plain lists) change: nothing here could
    set an event, so it polls; callers bound it with ``asyncio.timeout``."""
    while not await condition():  # noqa: ASYNC110
        await asyncio.sleep(interval)


def random_marker() -> str:
    """Letters only, so the PII masking of digits in titles cannot change it."""
    return "".join(random.choices(string.ascii_lowercase, k=16))


def customer_headers(settings: Settings, sub: str) -> dict[str, str]:
    token = issue_customer_token(settings, sub=sub, name="김재시", ttl_seconds=TOKEN_TTL_SECONDS)
    return {"Authorization": f"Bearer {token}"}


# --- inquiries --------------------------------------------------------------------------------


async def submit_until_answered(
    http: httpx.AsyncClient, url: str, settings: Settings, tally: Tally, *, retry: bool = True
) -> httpx.Response | None:
    """A new customer submits one inquiry, resending the same Idempotency-Key until the server
    answers for good (one customer each, so the per-customer flood guard stays out of the way).

    With ``retry`` off, the first answer is returned whatever it is (None: no answer at all).
    """
    marker = random_marker()
    body = {"category": CATEGORY, "title": TITLE_PREFIX + marker, "body": "결제가 두 번 승인됐어요. 확인 부탁드립니다."}
    headers = {**customer_headers(settings, f"reliability-{marker}"), "Idempotency-Key": marker}
    async with asyncio.timeout(GIVE_UP_SECONDS):
        return await _resend_until_answered(http, url, body, headers, tally, retry=retry)


async def _resend_until_answered(
    http: httpx.AsyncClient, url: str, body: dict[str, str], headers: dict[str, str], tally: Tally, *, retry: bool
) -> httpx.Response | None:
    while True:
        try:
            response = await http.post(f"{url}/api/v1/inquiries", json=body, headers=headers)
        except httpx.ConnectError:  # nothing listens while the server restarts: nothing was sent
            await asyncio.sleep(RETRY_PAUSE)
            continue
        except httpx.TransportError as exc:  # killed mid-request or no answer in time: resend
            tally.attempts += 1
            tally.hung += isinstance(exc, httpx.TimeoutException)
            if not retry:
                return None
            await asyncio.sleep(RETRY_PAUSE)
            continue
        tally.attempts += 1
        tally.note(response)
        if response.status_code < 500 or not retry:
            return response
        await asyncio.sleep(RETRY_PAUSE)


async def inquiry_counts(settings: Settings) -> tuple[Counter[str], int]:
    """Stored inquiries per retry marker, and how many lack their 문의번호 (a half-written record)."""
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            ours = Inquiry.title.startswith(TITLE_PREFIX)
            rows = await session.execute(select(Inquiry.title, func.count()).where(ours).group_by(Inquiry.title))
            counts = Counter({title.removeprefix(TITLE_PREFIX): int(n) for title, n in rows.all()})
            half = await session.scalar(select(func.count()).select_from(Inquiry).where(Inquiry.number.is_(None)))
    finally:
        await engine.dispose()
    return counts, int(half or 0)


def count_outcome(tally: Tally, acknowledged: list[str], stored: Counter[str]) -> None:
    tally.acknowledged = len(acknowledged)
    tally.lost = sum(1 for marker in acknowledged if stored[marker] == 0)
    tally.duplicated = sum(n - 1 for n in stored.values() if n > 1)


async def inquiry_load(
    server: AppServer, settings: Settings, tally: Tally, acknowledged: list[str], *, requests: int, concurrency: int = 8
) -> None:
    """``concurrency`` customers submit ``requests`` inquiries in all, each retried until answered."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(requests):
        queue.put_nowait(index)

    async def customer(http: httpx.AsyncClient) -> None:
        while not queue.empty():
            queue.get_nowait()
            response = await submit_until_answered(http, server.url, settings, tally)
            assert response is not None and response.status_code in (200, 201), response
            acknowledged.append(response.json()["title"].removeprefix(TITLE_PREFIX))

    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT) as http:
        await asyncio.gather(*(customer(http) for _ in range(concurrency)))


async def inquiry_outcome(settings: Settings, tally: Tally, acknowledged: list[str]) -> None:
    stored, tally.half_written = await inquiry_counts(settings)
    count_outcome(tally, acknowledged, stored)


async def inquiries_across_database_restarts(
    server: AppServer, settings: Settings, database: PrivatePostgres, *, requests: int, restarts: int
) -> Tally:
    """Submits while PostgreSQL is up, while it is down (each answer must be a quick 503) and after it
    is back, without restarting the app, ``restarts`` times."""
    tally = Tally("PostgreSQL stopped and started again under load")
    acknowledged: list[str] = []
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT) as http:
        for _ in range(restarts):
            await _submit_acknowledged(http, server.url, settings, tally, acknowledged, requests)
            await asyncio.to_thread(database.stop)
            tally.injected += 1
            for _ in range(requests):  # each answer is counted by the tally: 503, other 5xx, hung
                await submit_until_answered(http, server.url, settings, tally, retry=False)
            await asyncio.to_thread(database.start)
            await _submit_acknowledged(http, server.url, settings, tally, acknowledged, requests)
    await inquiry_outcome(settings, tally, acknowledged)
    return tally


async def _submit_acknowledged(
    http: httpx.AsyncClient, url: str, settings: Settings, tally: Tally, acknowledged: list[str], count: int
) -> None:
    for _ in range(count):
        response = await submit_until_answered(http, url, settings, tally)
        assert response is not None and response.status_code in (200, 201), response
        acknowledged.append(response.json()["title"].removeprefix(TITLE_PREFIX))


async def postgres_restarts(data_dir: Path, embedding_cache: Path, *, requests: int, restarts: int) -> Tally:
    """A private PostgreSQL cluster behind one app process, stopped and started ``restarts`` times."""
    database = PrivatePostgres()
    try:
        await asyncio.to_thread(database.init)
        await asyncio.to_thread(database.start)
        settings = desk_settings(data_dir, embedding_cache, database.url)
        await prepare_desk(settings)
        server = AppServer(settings, CHAT_ENV)
        await asyncio.to_thread(server.start)
        try:
            tally = await inquiries_across_database_restarts(
                server, settings, database, requests=requests, restarts=restarts
            )
            if (await asyncio.to_thread(server.readyz)).status_code != 200:
                tally.server_errors += 1
        finally:
            await asyncio.to_thread(server.stop)
    finally:
        await asyncio.to_thread(database.destroy)
    return tally
