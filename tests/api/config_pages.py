"""Helpers shared by the configuration pages' tests (staff, teams, macros, SLA, hours, audit)."""

from __future__ import annotations

import re
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.audit.models import AuditEntry
from gogaek.identity.models import StaffRole, StaffUser
from gogaek.identity.schemas import StaffCreate
from gogaek.identity.service import create_staff_user
from tests.api.test_pages import post_form

PASSWORD = "config-pages-password-1"


async def make_staff(session: AsyncSession, email: str, role: StaffRole, name: str = "") -> StaffUser:
    data = StaffCreate(email=email, password=PASSWORD, display_name=name or email.split("@")[0], role=role)
    return await create_staff_user(session, data)


async def sign_in_as(browser: httpx.AsyncClient, email: str, next_url: str = "/admin") -> httpx.Response:
    response = await post_form(
        browser, "/admin/login", "/admin/login", {"email": email, "password": PASSWORD, "next": next_url}
    )
    assert response.status_code == 303, response.text
    return response


async def signed_in(
    app_browser: httpx.AsyncClient, session: AsyncSession, role: StaffRole, email: str = ""
) -> StaffUser:
    """A new account of ``role`` signed in on ``app_browser`` (agents to the console)."""
    user = await make_staff(session, email or f"{role.value}@config.test", role)
    await sign_in_as(app_browser, user.email, "/console" if role == StaffRole.AGENT else "/admin")
    return user


async def post_without_csrf(browser: httpx.AsyncClient, action: str, data: dict[str, Any]) -> httpx.Response:
    return await browser.post(action, data=data)


def field_error(html: str, name: str) -> str:
    start = html.index(f'id="{name}-error">') + len(f'id="{name}-error">')
    return html[start : html.index("</p>", start)]


def flash_texts(html: str) -> list[str]:
    return re.findall(r'class="flash[^"]*"[^>]*>\s*([^<]+)', html)


async def audit_actions(session: AsyncSession, target_type: str) -> list[str]:
    session.expire_all()
    query = select(AuditEntry.action).where(AuditEntry.target_type == target_type).order_by(AuditEntry.id)
    return list((await session.scalars(query)).all())
