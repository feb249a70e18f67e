"""Every configuration page and form, for an account that loses its rights mid-session.

An admin signed in on two pages; another admin deactivates (or demotes) the account; the next
request of the first session is refused and writes nothing: no row, no audit entry.
"""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.audit.models import AuditEntry
from gogaek.identity.models import StaffRole, StaffUser
from gogaek.identity.schemas import StaffUpdate
from gogaek.identity.service import deactivate_staff, update_staff
from tests.api.config_pages import make_staff, sign_in_as
from tests.api.test_pages import HTML, csrf_of

PAGES = (
    "/admin/staff",
    "/admin/staff/new",
    "/admin/teams",
    "/admin/teams/new",
    "/admin/macros",
    "/admin/macros/new",
    "/admin/sla",
    "/admin/hours",
    "/admin/webhooks",
    "/admin/webhooks/new",
    "/admin/jobs",
    "/admin/audit",
    "/admin/audit.csv",
)
FORMS = {
    "/admin/staff/new": {"email": "late@config.test", "display_name": "x", "role": "agent"},
    "/admin/teams/new": {"name": "보안팀", "slug": "security"},
    "/admin/macros/new": {"title": "인사", "body": "안녕하세요"},
    "/admin/sla/new": {"first_response_hours": "1", "resolution_hours": "2"},
    "/admin/hours/days-off": {"day": "2031-03-04"},
    "/admin/webhooks/new": {"url": "https://93.184.216.34/hook"},
}


async def audit_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


@pytest.mark.parametrize("lose", ["deactivated", "demoted"])
async def test_rights_lost_mid_session_refuse_every_page_and_form(
    app: FastAPI, session: AsyncSession, lose: str
) -> None:
    boss = await make_staff(session, "boss@config.test", StaffRole.ADMIN)
    victim = await make_staff(session, "victim@config.test", StaffRole.ADMIN)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=HTML) as browser:
        await sign_in_as(browser, victim.email)
        token = csrf_of((await browser.get("/admin/staff/new")).text)
        for url in PAGES:
            assert (await browser.get(url)).status_code == 200, url
        if lose == "deactivated":
            await deactivate_staff(session, boss, victim)
        else:
            await update_staff(session, boss, victim, StaffUpdate(role=StaffRole.AGENT))
        before = await audit_count(session)
        for action, data in FORMS.items():
            refused = await browser.post(action, data={"csrf_token": token, **data})
            assert refused.status_code in (303, 403), action
            if refused.status_code == 303:
                assert refused.headers["location"].startswith("/admin/login"), action
        for url in PAGES:
            response = await browser.get(url)
            if lose == "deactivated":
                assert (response.status_code, response.headers.get("location")) == (303, f"/admin/login?next={url}")
            else:
                assert response.status_code == 403, url
    session.expire_all()
    assert await audit_count(session) == before
    assert await session.scalar(select(StaffUser).where(StaffUser.email == "late@config.test")) is None
