"""Shared steps of the callback booking tests: pick a slot, book it, fix a roster."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.config import Settings
from gogaek.phone.models import CallbackRosterEntry
from tests.conftest import customer_headers

PHONE = "010-1234-5678"


def verified_headers(settings: Settings, sub: str, *, minutes_ago: float = 1) -> dict[str, str]:
    """A host token whose verified_at says the host app checked the customer's identity."""
    verified_at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return customer_headers(settings, sub=sub, verified_at=verified_at)  # type: ignore[arg-type]


async def slots(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/callbacks/slots", params={"days": 14, **params})
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["slots"]
    return found


async def open_slot(client: httpx.AsyncClient, skip: int = 0) -> dict[str, Any]:
    """The ``skip``-th slot that still has a place."""
    return [slot for slot in await slots(client) if slot["remaining"] > 0][skip]


async def remaining(client: httpx.AsyncClient, start: str) -> int:
    return int(next(slot["remaining"] for slot in await slots(client) if slot["start"] == start))


async def book(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    slot_start: str,
    *,
    category: str = "payment",
    phone: str = PHONE,
    note: str = "",
    extra_headers: dict[str, str] | None = None,
) -> httpx.Response:
    body = {"category": category, "slot_start": slot_start, "phone": phone, "note": note}
    return await client.post("/api/v1/callbacks", json=body, headers={**headers, **(extra_headers or {})})


async def set_default_capacity(session: AsyncSession, capacity: int) -> None:
    session.add(CallbackRosterEntry(weekday=None, capacity=capacity))
    await session.commit()
