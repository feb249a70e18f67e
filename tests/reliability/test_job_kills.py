"""SIGKILL of a dedicated job worker process: its jobs are taken over after the lease, none is lost."""

from __future__ import annotations

import pytest

from gogaek.config import Settings
from tests.reliability.jobs import BATCH_SIZE, jobs_under_kills

pytestmark = pytest.mark.integration

JOBS = 60
KILLS = 3


async def test_no_job_is_lost_when_its_worker_is_killed(settings: Settings) -> None:
    tally = await jobs_under_kills(settings, jobs=JOBS, kills=KILLS)
    assert tally.injected == KILLS
    assert (tally.lost, tally.server_errors) == (0, 0), tally
    # At least once: only jobs the killed worker held may have run a second time.
    assert tally.duplicated <= KILLS * BATCH_SIZE, tally
