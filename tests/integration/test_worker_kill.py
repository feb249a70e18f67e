"""Two `gogaek worker` processes; the one running a job is SIGKILLed mid-job and the other finishes it.

The job is a webhook delivery to a socket of this test that answers nobody until told to, so
"mid-job" is a fact the test sees (the request arrived, the job row is running under that
worker) rather than a guess about timing. The lease is five minutes in production;
the test moves the dead worker's ``locked_until`` into the past instead of waiting it out.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from gogaek.config import Settings
from gogaek.db import create_engine, create_sessionmaker, utcnow
from gogaek.jobs.handlers import WEBHOOK_DELIVER
from gogaek.jobs.models import Job, JobStatus
from gogaek.jobs.queue import enqueue
from gogaek.notify.models import WebhookEndpoint
from tests.conftest import settings_environment
from tests.integration.test_worker_command import gogaek

pytestmark = pytest.mark.integration

WAIT_SECONDS = 60.0
HOLD_SECONDS = 120.0  # a delivery's time limit: the held one runs until its worker is killed


@contextmanager
def receiver() -> Iterator[tuple[str, socket.socket]]:
    """A listening socket that answers nobody until the test says so: a delivery waits on it."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(WAIT_SECONDS)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/hook", listener


def next_delivery(listener: socket.socket) -> tuple[socket.socket, str]:
    """Accepts the next delivery (bounded wait) and reads its head; returns the connection and its delivery id."""
    connection, _ = listener.accept()
    connection.settimeout(WAIT_SECONDS)
    head = b""
    while b"\r\n\r\n" not in head and (chunk := connection.recv(65536)):
        head += chunk
    headers = dict(line.lower().split(b": ", 1) for line in head.split(b"\r\n")[1:] if b": " in line)
    return connection, headers.get(b"x-gogaek-delivery", b"").decode()


async def _enqueue_delivery(settings: Settings, url: str) -> int:
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            endpoint = WebhookEndpoint(url=url, secret=uuid.uuid4().hex, events=[], allow_private=True)
            session.add(endpoint)
            await session.flush()
            payload = {
                "endpoint_id": endpoint.id,
                "delivery_id": str(uuid.uuid4()),
                "event": "ping",
                "data": {},
                "created_at": utcnow().isoformat(),
            }
            job = await enqueue(session, WEBHOOK_DELIVER, payload)
            await session.commit()
            assert job is not None
            return job.id
    finally:
        await engine.dispose()


async def _job(settings: Settings, job_id: int, *, expire_lease: bool = False) -> Job:
    """The job row; ``expire_lease`` stands for the five minutes after its worker died."""
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            if expire_lease:
                expired = utcnow() - timedelta(seconds=1)
                await session.execute(update(Job).where(Job.id == job_id).values(locked_until=expired))
                await session.commit()
            job = await session.get(Job, job_id)
            assert job is not None
            return job
    finally:
        await engine.dispose()


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.1)


def holder(job: Job, workers: list[subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
    """The worker process whose id (host:pid:suffix) holds the job's lease."""
    assert job.status == JobStatus.RUNNING.value and job.locked_by is not None, job
    pid = int(job.locked_by.split(":")[-2])
    return next(process for process in workers if process.pid == pid)


def test_a_job_cut_by_a_killed_worker_is_finished_by_the_other(settings: Settings) -> None:
    env = {
        **settings_environment(settings),
        "GOGAEK_JOBS_POLL_SECONDS": "0.05",
        "GOGAEK_WEBHOOK_TIMEOUT_SECONDS": str(HOLD_SECONDS),
    }
    logs = [settings.data_dir / f"worker-{n}.log" for n in range(2)]

    def started(log: Path) -> bool:
        return log.exists() and "작업 처리기 시작" in log.read_text(encoding="utf-8")

    with ExitStack() as stack:
        url, listener = stack.enter_context(receiver())
        workers = [stack.enter_context(gogaek(["worker"], env, log)) for log in logs]
        wait_for(lambda: all(started(log) for log in logs), "both workers started")
        job_id = asyncio.run(_enqueue_delivery(settings, url))

        held, first_delivery = next_delivery(listener)  # a worker is mid-delivery
        stack.callback(held.close)
        first = holder(asyncio.run(_job(settings, job_id)), workers)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)

        asyncio.run(_job(settings, job_id, expire_lease=True))
        retry, second_delivery = next_delivery(listener)
        stack.callback(retry.close)
        retaken = asyncio.run(_job(settings, job_id))
        second = holder(retaken, workers)
        assert second is not first and second.poll() is None
        assert retaken.attempts == 2
        assert second_delivery == first_delivery != ""  # the same delivery id: receivers can deduplicate

        retry.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        wait_for(lambda: asyncio.run(_job(settings, job_id)).status == JobStatus.DONE.value, "the job is done")
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=30) == 0
