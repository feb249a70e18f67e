"""Staff sign-in for the agent console: roles, TOTP (required for admins), lockout, availability.

Also home of the small helpers the other agent-console tests share.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import timedelta

import httpx
import pyotp
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.app import create_app
from gogaek.audit.models import AuditEntry
from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.identity.models import Customer, LoginThrottle, StaffRole, StaffUser
from gogaek.identity.schemas import StaffCreate
from gogaek.identity.service import create_staff_user
from gogaek.inquiries.attachments import CheckedUpload
from gogaek.inquiries.models import Inquiry
from gogaek.inquiries.schemas import InquiryCreate
from gogaek.inquiries.service import submit_inquiry
from gogaek.inquiries.storage import build_attachment_storage

PASSWORD = "agent-password-123"


async def make_staff(
    session: AsyncSession,
    email: str,
    *,
    role: StaffRole = StaffRole.AGENT,
    name: str | None = None,
    totp: bool = False,
) -> StaffUser:
    data = StaffCreate(email=email, password=PASSWORD, display_name=name or email.split("@")[0], role=role)
    return await create_staff_user(session, data, with_totp=totp)


async def sign_in(
    client: httpx.AsyncClient, email: str, *, totp: str | None = None, path: str = "/api/v1/agent/login"
) -> dict[str, str]:
    body = {"email": email, "password": PASSWORD, **({"totp": totp} if totp else {})}
    response = await client.post(path, json=body)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def make_customer(
    session: AsyncSession,
    sub: str = "host-1",
    *,
    name: str | None = "김고객",
    phone: str | None = "010-1234-5678",
    email: str | None = "kim@example.com",
) -> Customer:
    customer = Customer(external_id=sub, name=name, phone=phone, email=email)
    session.add(customer)
    await session.commit()
    return customer


async def file_inquiry(
    session: AsyncSession,
    settings: Settings,
    customer: Customer,
    *,
    category: str = "payment",
    title: str = "결제가 두 번 됐어요",
    body: str = "어제 편의점에서 결제가 두 번 승인됐습니다.",
    uploads: Sequence[CheckedUpload] = (),
) -> Inquiry:
    data = InquiryCreate(category=category, title=title, body=body)
    storage = build_attachment_storage(settings)
    submission = await submit_inquiry(session, customer, data, settings=settings, storage=storage, uploads=uploads)
    return submission.inquiry


async def audit_actions(session: AsyncSession) -> list[str]:
    return list((await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id))).all())


# --- sign-in -------------------------------------------------------------------------


async def test_agent_signs_in_and_sees_themselves(client: httpx.AsyncClient, session: AsyncSession) -> None:
    await make_staff(session, "agent@example.com", name="상담사 김")
    headers = await sign_in(client, "Agent@Example.com ")
    me = await client.get("/api/v1/agent/me", headers=headers)
    assert me.status_code == 200
    assert me.json() | {"id": 0} == {
        "id": 0,
        "email": "agent@example.com",
        "display_name": "상담사 김",
        "role": "agent",
        "totp_enabled": False,
        "availability": "available",
        "is_active": True,
        "max_open_inquiries": None,
        "phone_extension": None,
    }
    # the older admin path is an alias of the same sign-in
    alias = await sign_in(client, "agent@example.com", path="/api/v1/admin/login")
    assert (await client.get("/api/v1/admin/me", headers=alias)).json()["email"] == "agent@example.com"
    assert "staff.login" in await audit_actions(session)


async def test_wrong_password_and_unknown_email_look_the_same(client: httpx.AsyncClient, session: AsyncSession) -> None:
    await make_staff(session, "agent@example.com")
    for email, password in (("agent@example.com", "wrong-password"), ("nobody@example.com", PASSWORD)):
        response = await client.post("/api/v1/agent/login", json={"email": email, "password": password})
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_credentials"


async def test_agent_with_totp_needs_a_valid_code(client: httpx.AsyncClient, session: AsyncSession) -> None:
    agent = await make_staff(session, "otp@example.com", totp=True)
    assert agent.totp_secret is not None
    body = {"email": "otp@example.com", "password": PASSWORD}
    missing = await client.post("/api/v1/agent/login", json=body)
    assert (missing.status_code, missing.json()["code"]) == (401, "totp_required")
    wrong = await client.post("/api/v1/agent/login", json={**body, "totp": "000000"})
    assert (wrong.status_code, wrong.json()["code"]) == (401, "totp_invalid")
    headers = await sign_in(client, "otp@example.com", totp=pyotp.TOTP(agent.totp_secret).now())
    assert (await client.get("/api/v1/agent/me", headers=headers)).json()["totp_enabled"] is True


@pytest.fixture
async def strict_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The production default: admins must use TOTP."""
    application: FastAPI = create_app(settings.model_copy(update={"admin_totp_required": True}))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def test_admin_without_totp_cannot_sign_in_when_required(
    strict_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await make_staff(session, "admin@example.com", role=StaffRole.ADMIN)
    for path in ("/api/v1/agent/login", "/api/v1/admin/login"):
        response = await strict_client.post(path, json={"email": "admin@example.com", "password": PASSWORD})
        assert response.status_code == 403
        problem = response.json()
        assert problem["code"] == "totp_setup_required"
        assert "access_token" not in problem
        assert "gogaek user enable-totp" in problem["detail"] and "OTP" in problem["detail"]
    # a wrong password still says only "wrong credentials": the TOTP state is not revealed
    wrong = await strict_client.post("/api/v1/agent/login", json={"email": "admin@example.com", "password": "nope"})
    assert wrong.json()["code"] == "invalid_credentials"


async def test_admin_with_totp_and_other_roles_without_it_sign_in_when_required(
    strict_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = await make_staff(session, "admin@example.com", role=StaffRole.ADMIN, totp=True)
    await make_staff(session, "lead@example.com", role=StaffRole.SUPERVISOR)
    await make_staff(session, "agent@example.com")
    assert admin.totp_secret is not None
    body = {"email": "admin@example.com", "password": PASSWORD}
    assert (await strict_client.post("/api/v1/agent/login", json=body)).json()["code"] == "totp_required"
    await sign_in(strict_client, "admin@example.com", totp=pyotp.TOTP(admin.totp_secret).now())
    await sign_in(strict_client, "lead@example.com")
    await sign_in(strict_client, "agent@example.com")


def client_at(app: FastAPI, address: str) -> httpx.AsyncClient:
    """A client calling from its own address, as two people on two machines would."""
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_five_failures_lock_out_that_client_not_the_account(app: FastAPI, session: AsyncSession) -> None:
    await make_staff(session, "agent@example.com")
    async with client_at(app, "203.0.113.7") as attacker, client_at(app, "198.51.100.2") as owner:
        for _ in range(5):
            failed = await attacker.post(
                "/api/v1/agent/login", json={"email": "agent@example.com", "password": "bad-guess"}
            )
            assert failed.status_code == 401
        locked = await attacker.post("/api/v1/agent/login", json={"email": "agent@example.com", "password": PASSWORD})
        assert (locked.status_code, locked.json()["code"]) == (429, "account_locked")
        assert 14 * 60 < int(locked.headers["retry-after"]) <= 15 * 60
        assert "staff.locked" in await audit_actions(session)
        await sign_in(owner, "agent@example.com")  # the owner, elsewhere, is not locked out
        # the lock expires: move it into the past instead of waiting
        await session.execute(update(LoginThrottle).values(locked_until=utcnow() - timedelta(seconds=1)))
        await session.commit()
        await sign_in(attacker, "agent@example.com")


async def test_one_client_guessing_across_accounts_is_locked_out(app: FastAPI, session: AsyncSession) -> None:
    emails = [f"agent{n}@example.com" for n in range(5)]
    for email in emails:
        await make_staff(session, email)
    async with client_at(app, "203.0.113.8") as guesser:
        for attempt in range(20):  # four per account: no account lock, but the client's own limit
            body = {"email": emails[attempt % 5], "password": "bad-guess"}
            assert (await guesser.post("/api/v1/agent/login", json=body)).status_code == 401
        refused = await guesser.post("/api/v1/agent/login", json={"email": "nobody@example.com", "password": "x"})
        assert (refused.status_code, refused.json()["code"]) == (429, "account_locked")


async def test_reactivating_an_account_does_not_revive_old_tokens(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    agent = await make_staff(session, "agent@example.com")
    old = await sign_in(client, "agent@example.com")
    assert (await client.post(f"/api/v1/admin/staff/{agent.id}/deactivate", headers=admin_headers)).status_code == 200
    assert (await client.post(f"/api/v1/admin/staff/{agent.id}/reactivate", headers=admin_headers)).status_code == 200
    assert (await client.get("/api/v1/agent/me", headers=old)).status_code == 401
    fresh = await sign_in(client, "agent@example.com")
    assert (await client.get("/api/v1/agent/me", headers=fresh)).status_code == 200


async def test_availability_is_set_by_the_agent(client: httpx.AsyncClient, session: AsyncSession) -> None:
    agent = await make_staff(session, "agent@example.com")
    headers = await sign_in(client, "agent@example.com")
    for value in ("away", "offline", "available"):
        response = await client.put("/api/v1/agent/me/availability", json={"availability": value}, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["availability"] == value
    await session.refresh(agent)
    assert agent.availability == "available"
    bad = await client.put("/api/v1/agent/me/availability", json={"availability": "busy"}, headers=headers)
    assert (bad.status_code, bad.json()["code"]) == (422, "validation_error")
    anonymous = await client.put("/api/v1/agent/me/availability", json={"availability": "away"})
    assert anonymous.status_code == 401
    assert (await audit_actions(session)).count("staff.availability") == 3


async def test_a_deactivated_account_loses_its_token_and_cannot_sign_in(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    agent = await make_staff(session, "agent@example.com")
    headers = await sign_in(client, "agent@example.com")
    agent.is_active = False
    await session.commit()
    assert (await client.get("/api/v1/agent/me", headers=headers)).status_code == 401
    again = await client.post("/api/v1/agent/login", json={"email": "agent@example.com", "password": PASSWORD})
    assert again.json()["code"] == "invalid_credentials"
