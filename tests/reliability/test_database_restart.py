"""PostgreSQL stopped and started under load: quick 503s while it is down, success after, no app restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.processes import postgres_bin, require
from tests.reliability.scenarios import postgres_restarts

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

REQUESTS = 5
RESTARTS = 2


async def test_requests_fail_cleanly_while_postgres_is_down_and_recover(tmp_path: Path, embedding_cache: Path) -> None:
    require(postgres_bin() is not None, "PostgreSQL server binaries (initdb, pg_ctl)")
    tally = await postgres_restarts(tmp_path, embedding_cache, requests=REQUESTS, restarts=RESTARTS)
    assert tally.injected == RESTARTS
    assert tally.acknowledged == 2 * REQUESTS * RESTARTS
    assert tally.unavailable >= REQUESTS * RESTARTS
    assert (tally.lost, tally.duplicated, tally.server_errors, tally.hung, tally.half_written) == (0, 0, 0, 0, 0), tally
