"""Shared pieces of the appeal tests: the restriction category with its reviewing team and SLA
policy, verified and unverified host customers, staff tokens and evidence files."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.appeals.schemas import seoul_today
from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.helpcenter.models import Category
from gogaek.identity.customer_tokens import issue_customer_token
from gogaek.identity.models import StaffRole, Team, TeamCategory
from gogaek.identity.schemas import StaffCreate
from gogaek.identity.service import create_staff_user
from gogaek.inquiries.models import SlaPolicy

Files = list[tuple[str, tuple[str, bytes, str]]]
DESCRIPTION = "해외 여행 중 결제했을 뿐인데 계정이 정지됐어요."


def days_ago(days: int) -> str:
    """A Korean calendar date relative to today, so no test depends on the day it runs."""
    return (seoul_today() - timedelta(days=days)).isoformat()


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (29, 91, 216)).save(buffer, format="PNG")
    return buffer.getvalue()


def evidence(name: str = "영수증.png") -> Files:
    return [("files", (name, png_bytes(), "image/png"))]


def host_headers(settings: Settings, sub: str = "host-user-1", *, verified_ago: int | None = 30) -> dict[str, str]:
    """A host-app bearer token; ``verified_ago`` seconds since the host checked who the user is (None: never)."""
    verified_at = None if verified_ago is None else utcnow() - timedelta(seconds=verified_ago)
    token = issue_customer_token(settings, sub=sub, name="김고객", verified_at=verified_at)
    return {"Authorization": f"Bearer {token}"}


async def file_appeal(
    client: httpx.AsyncClient, headers: dict[str, str], files: Files | None = None, /, **fields: str
) -> httpx.Response:
    data: dict[str, Any] = {"description": DESCRIPTION, "restricted_on": days_ago(5), **fields}
    return await client.post(
        "/api/v1/appeals", data=data, files=evidence() if files is None else files, headers=headers
    )


async def staff_headers(app: FastAPI, session: AsyncSession, email: str = "reviewer@example.com") -> dict[str, str]:
    user = await create_staff_user(
        session, StaffCreate(email=email, password="a-long-password", display_name="심사 상담사", role=StaffRole.AGENT)
    )
    return {"Authorization": f"Bearer {app.state.token_signer.issue(user.id)}"}


@pytest.fixture
async def restrictions(session: AsyncSession) -> Category:
    """The appeal category, reviewed by its own team under its own (short) SLA policy."""
    category = Category(slug="restrictions", name="이용제한", position=7)
    other = Category(slug="payment", name="결제", position=0)
    team = Team(slug="restriction-review", name="이용제한 심사팀")
    session.add_all([category, other, team])
    await session.flush()
    session.add(TeamCategory(team_id=team.id, category_id=category.id))
    session.add(SlaPolicy(category_id=category.id, first_response_hours=2, resolution_hours=4))
    await session.commit()
    return category


@pytest.fixture
async def agent_headers(app: FastAPI, session: AsyncSession) -> dict[str, str]:
    return await staff_headers(app, session)
