"""A blank ``Idempotency-Key`` is refused with a clear 400 (issue 15, rough edges): it dedupes
nothing, and is what ``-H "Idempotency-Key: $(uuidgen)"`` sends where uuidgen is not installed."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.config import Settings
from gogaek.inquiries.models import Inquiry
from tests.conftest import customer_headers

README = Path(__file__).resolve().parents[2] / "README.md"
NEW = {"category": "payment", "title": "결제가 두 번 됐어요", "body": "어제 결제가 두 번 승인됐어요"}
CREATE_ROUTES = ["/api/v1/inquiries", "/api/v1/callbacks", "/api/v1/appeals"]


async def _inquiries(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Inquiry)) or 0)


@pytest.mark.usefixtures("demo_content")
@pytest.mark.parametrize("blank", ["", " ", "\t"])
async def test_blank_key_is_refused_and_nothing_is_filed(
    client: httpx.AsyncClient, settings: Settings, session: AsyncSession, blank: str
) -> None:
    headers = {**customer_headers(settings), "Idempotency-Key": blank}
    response = await client.post("/api/v1/inquiries", json=NEW, headers=headers)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "idempotency_key_blank"
    assert "Idempotency-Key 헤더가 비어 있습니다" in problem["detail"]
    assert await _inquiries(session) == 0


@pytest.mark.usefixtures("demo_content")
@pytest.mark.parametrize("route", CREATE_ROUTES)
async def test_every_create_route_refuses_a_blank_key(
    client: httpx.AsyncClient, settings: Settings, route: str
) -> None:
    response = await client.post(route, json={}, headers={**customer_headers(settings), "Idempotency-Key": ""})
    assert (response.status_code, response.json()["code"]) == (400, "idempotency_key_blank")


@pytest.mark.usefixtures("demo_content")
async def test_no_key_still_files_and_a_real_key_dedupes(
    client: httpx.AsyncClient, settings: Settings, session: AsyncSession
) -> None:
    assert (await client.post("/api/v1/inquiries", json=NEW, headers=customer_headers(settings))).status_code == 201
    keyed = {**customer_headers(settings), "Idempotency-Key": "0b6f4b0e-6f7e-4d59-9d0f-2f5c7a1e9b11"}
    first = await client.post("/api/v1/inquiries", json=NEW, headers=keyed)
    again = await client.post("/api/v1/inquiries", json=NEW, headers=keyed)
    assert first.json()["id"] == again.json()["id"]
    assert await _inquiries(session) == 2


def test_readme_example_makes_its_key_without_uuidgen() -> None:
    """The README's inquiry example works on a fresh Debian: its key comes from python3, which the
    Quick start needs anyway, and it is the same key for a resend."""
    text = README.read_text(encoding="utf-8")
    assert "uuidgen" not in text
    match = re.search(r"^KEY=\$\((.+)\)", text, re.MULTILINE)
    assert match, "README has no KEY=$(…) line"
    made = subprocess.run(
        ["bash", "-c", match.group(1)], capture_output=True, text=True, check=True, env={"PATH": "/usr/bin:/bin"}
    )
    assert re.fullmatch(r"[0-9a-f-]{36}\n", made.stdout)
    assert '-H "Idempotency-Key: $KEY"' in text
