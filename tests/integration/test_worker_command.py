"""`gogaek serve --workers 2` with jobs off, and two `gogaek worker` processes running the jobs.

The real commands, on PostgreSQL and Redis as in production: the web processes queue work and
run none of it; the workers run every job exactly once and stop cleanly on SIGTERM.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gogaek.config import Settings
from gogaek.db import create_engine, create_sessionmaker
from gogaek.inquiries.service import AUTO_ASSIGN_JOB
from gogaek.jobs.models import Job, JobStatus
from tests.conftest import customer_headers, settings_environment
from tests.integration.test_multi_process import free_port
from tests.servers import REDIS_URL, local_http, require_redis, wait_until_ready

pytestmark = [pytest.mark.postgres, pytest.mark.integration]

INQUIRIES = 12
DEADLINE_SECONDS = 60.0


async def _job_counts(settings: Settings) -> dict[tuple[str, str, int], int]:
    """(kind, status, attempts) → jobs."""
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            rows = (
                await session.execute(
                    select(Job.kind, Job.status, Job.attempts, func.count()).group_by(
                        Job.kind, Job.status, Job.attempts
                    )
                )
            ).all()
    finally:
        await engine.dispose()
    return {(kind, status, attempts): count for kind, status, attempts, count in rows}


@contextmanager
def gogaek(args: list[str], env: dict[str, str], log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log_path.open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "gogaek", *args], env=env, stdout=log, stderr=log)
        try:
            yield process
        finally:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=30)


def _assign_jobs(counts: dict[tuple[str, str, int], int]) -> dict[tuple[str, int], int]:
    return {(status, attempts): n for (kind, status, attempts), n in counts.items() if kind == AUTO_ASSIGN_JOB}


def test_web_processes_queue_and_two_worker_processes_run_each_job_once(settings: Settings) -> None:
    require_redis()
    port = free_port()
    env = {
        **settings_environment(settings),
        "GOGAEK_PORT": str(port),
        "GOGAEK_JOBS_ENABLED": "false",
        "GOGAEK_SEARCH_SEMANTIC": "false",
        "GOGAEK_REDIS_URL": REDIS_URL,
        "GOGAEK_REDIS_PREFIX": f"test-{uuid.uuid4().hex[:8]}:",
    }
    base_url = f"http://127.0.0.1:{port}"
    web_log = settings.data_dir / "web.log"
    with ExitStack() as stack:
        web = stack.enter_context(gogaek(["serve", "--demo", "--workers", "2"], env, web_log))
        wait_until_ready(base_url, web, web_log)
        for n in range(INQUIRIES):
            response = local_http().post(
                f"{base_url}/api/v1/inquiries",
                json={"category": "payment", "title": f"결제 문의 {n}", "body": "결제가 두 번 승인됐습니다."},
                headers={**customer_headers(settings, sub=f"worker-test-{n}"), "Idempotency-Key": uuid.uuid4().hex},
                timeout=10,
            )
            assert response.status_code == 201, response.text
        time.sleep(1.5)  # a web process running jobs would poll every second
        queued = _assign_jobs(asyncio.run(_job_counts(settings)))
        assert list(queued) == [(JobStatus.PENDING.value, 0)], queued  # none claimed, none run
        waiting = queued[(JobStatus.PENDING.value, 0)]
        assert waiting >= INQUIRIES  # ours, and the demo inquiries' own

        worker_env = {**env, "GOGAEK_JOBS_POLL_SECONDS": "0.05", "GOGAEK_JOBS_BATCH_SIZE": "2"}
        logs = [settings.data_dir / f"worker-{n}.log" for n in range(2)]
        workers = [stack.enter_context(gogaek(["worker"], worker_env, log)) for log in logs]
        deadline = time.monotonic() + DEADLINE_SECONDS
        while _assign_jobs(counts := asyncio.run(_job_counts(settings))).get((JobStatus.DONE.value, 1)) != waiting:
            assert time.monotonic() < deadline, f"jobs not done: {counts}\n{logs[0].read_text()}"
            time.sleep(0.2)
        assert _assign_jobs(counts) == {(JobStatus.DONE.value, 1): waiting}  # each claimed and run once

        for process in workers:
            process.send_signal(signal.SIGTERM)
        assert [process.wait(timeout=30) for process in workers] == [0, 0]
    for log in logs:
        text = log.read_text(encoding="utf-8")
        assert "작업 처리기 시작" in text and "작업 처리기 종료 중" in text, text
    served = web_log.read_text(encoding="utf-8")
    assert served.count("Application startup complete") == 2, served
    assert "POST /api/v1/inquiries" not in served  # the access log is off by default
