"""A prepared database (demo content, a team, agents) per backend for each fault test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chat.conftest import Prepared, prepared_database
from tests.conftest import BACKENDS


@pytest.fixture(params=BACKENDS)
def prepared(request: pytest.FixtureRequest, tmp_path: Path, embedding_cache: Path) -> Iterator[Prepared]:
    with prepared_database(request.param, tmp_path, embedding_cache) as ready:
        yield ready
