"""The host's profile claims follow the latest token, without a write on every request."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.config import Settings
from gogaek.identity.models import Customer
from tests.conftest import customer_headers


async def seen(session: AsyncSession) -> Customer:
    session.expire_all()
    customer = await session.scalar(select(Customer).where(Customer.external_id == "profile-1"))
    assert customer is not None
    return customer


async def test_profile_follows_the_token_and_repeat_visits_write_nothing(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    headers = customer_headers(settings, "profile-1", name="김고객", phone="010-1111-2222")
    assert (await client.get("/api/v1/inquiries", headers=headers)).status_code == 200
    first = (await seen(session)).last_seen_at
    assert (await client.get("/api/v1/inquiries", headers=headers)).status_code == 200
    assert (await seen(session)).last_seen_at == first  # same claims, moments later: no write

    renamed = customer_headers(settings, "profile-1", name="김새이름")
    await client.get("/api/v1/inquiries", headers=renamed)
    customer = await seen(session)
    assert (customer.name, customer.phone) == ("김새이름", "010-1111-2222")  # absent claims keep old values

    an_hour_ago = customer.last_seen_at - timedelta(hours=1)
    customer.last_seen_at = an_hour_ago
    await session.commit()
    await client.get("/api/v1/inquiries", headers=renamed)
    assert (await seen(session)).last_seen_at > an_hour_ago
