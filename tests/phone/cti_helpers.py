"""Shared steps of the CTI tests: a push URL token, pushes as a PBX sends them, rows to count."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.db import Base, utcnow
from gogaek.identity.models import Customer, CustomerSource
from gogaek.phone.cti import sign

CALLER = "821012345678"  # 010-1234-5678 as a PBX in Zammad's convention writes it (no plus)
CENTER = "15773754"


async def new_token(
    client: httpx.AsyncClient, admin_headers: dict[str, str], *, signed: bool = False
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/admin/cti-tokens", json={"name": "본사 PBX", "signed": signed}, headers=admin_headers
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def call_fields(event: str, call_id: str, **extra: Any) -> dict[str, Any]:
    return {"event": event, "from": CALLER, "to": CENTER, "direction": "in", "callId": call_id, **extra}


async def push(
    client: httpx.AsyncClient, token: str, fields: dict[str, Any], *, as_json: bool = False, **kwargs: Any
) -> httpx.Response:
    """Form-encoded like most PBXs (``user`` as repeated ``user[]``), or JSON."""
    if as_json:
        return await client.post(f"/api/v1/cti/{token}", json=fields, **kwargs)
    form = {("user[]" if key == "user" else key): value for key, value in fields.items()}
    return await client.post(f"/api/v1/cti/{token}", data=form, **kwargs)


def signed_headers(secret: str, body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
    stamp = int(time.time()) if timestamp is None else timestamp
    return {"X-Gogaek-Signature": sign(secret, stamp, body), "Content-Type": "application/json"}


def json_body(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields).encode()


async def count(session: AsyncSession, model: type[Base]) -> int:
    total = await session.scalar(select(func.count()).select_from(model))
    return int(total or 0)


async def add_customer(
    session: AsyncSession, sub: str, phone: str | None, *, verified: bool = True, name: str = "김고객"
) -> Customer:
    customer = Customer(
        external_id=sub,
        source=CustomerSource.HOST.value,
        name=name,
        phone=phone,
        verified_at=utcnow() if verified else None,
    )
    session.add(customer)
    await session.commit()
    return customer
