"""Job queue shapes for the admin API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class JobPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    status: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int
    run_at: datetime
    locked_by: str | None
    locked_until: datetime | None
    last_error: str | None
    dedupe_key: str | None
    created_at: datetime
    finished_at: datetime | None
