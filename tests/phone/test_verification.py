"""Sensitive categories need a recent identity check: a host token's verified_at or a code to the phone."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from gogaek.config import Settings
from tests.api.test_customer_auth import browser, csrf_of, last_code, request_code, submit_code
from tests.conftest import customer_headers
from tests.phone.booking_helpers import book, open_slot, verified_headers

__all__ = ["browser"]  # the cookie client fixture, shared with the sign-in tests
pytestmark = pytest.mark.usefixtures("demo_categories")
SENSITIVE = "security"  # 보안·사고신고: marked sensitive in the demo


async def test_a_sensitive_category_refuses_an_unverified_host_customer(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    slot = await open_slot(client)
    unverified = await book(client, customer_headers(settings, sub="plain"), slot["start"], category=SENSITIVE)
    assert unverified.status_code == 403 and unverified.json()["code"] == "verification_required"
    stale = await book(client, verified_headers(settings, "stale", minutes_ago=11), slot["start"], category=SENSITIVE)
    assert stale.status_code == 403
    fresh = await book(client, verified_headers(settings, "fresh", minutes_ago=2), slot["start"], category=SENSITIVE)
    assert fresh.status_code == 201, fresh.text
    # Ordinary categories need no check.
    assert (await book(client, customer_headers(settings, sub="plain"), slot["start"])).status_code == 201


async def test_the_verification_status_says_how_and_until_when(client: httpx.AsyncClient, settings: Settings) -> None:
    none = await client.get("/api/v1/verification", headers=customer_headers(settings, sub="nobody"))
    assert none.json() == {"verified": False, "method": None, "verified_at": None, "valid_until": None}
    status = (await client.get("/api/v1/verification", headers=verified_headers(settings, "someone"))).json()
    assert status["verified"] and status["method"] == "host_token" and status["valid_until"] > status["verified_at"]


async def sign_in_by_email(browser: httpx.AsyncClient, app: FastAPI, email: str) -> str:
    """A web visitor signed in with an e-mail code: a session, but no identity check."""
    await request_code(browser, email)
    await submit_code(browser, last_code(app, email))
    return csrf_of((await browser.get("/inquiries/new")).text)


async def test_a_web_visitor_proves_the_phone_with_a_code_then_books(
    browser: httpx.AsyncClient, app: FastAPI, client: httpx.AsyncClient
) -> None:
    csrf = {"X-CSRF-Token": await sign_in_by_email(browser, app, "visitor@example.com")}
    slot = await open_slot(client)
    refused = await book(browser, csrf, slot["start"], category=SENSITIVE, phone="010-5555-6666")
    assert refused.status_code == 403 and refused.json()["code"] == "verification_required"

    sent = await browser.post("/api/v1/verification/phone", json={"phone": "010-5555-6666"}, headers=csrf)
    assert sent.status_code == 202 and sent.json()["phone"] == "010-****-6666"
    code = last_code(app, "01055556666")
    not_the_code = "000000" if code != "000000" else "111111"
    wrong = await browser.post(
        "/api/v1/verification/phone/confirm", json={"phone": "010-5555-6666", "code": not_the_code}, headers=csrf
    )
    assert wrong.status_code == 401 and wrong.json()["code"] == "otp_invalid"
    confirmed = await browser.post(
        "/api/v1/verification/phone/confirm", json={"phone": "01055556666", "code": code}, headers=csrf
    )
    assert confirmed.status_code == 200 and confirmed.json()["method"] == "sms_code"

    other_phone = await book(browser, csrf, slot["start"], category=SENSITIVE, phone="010-7777-8888")
    assert other_phone.status_code == 403  # the check proved 010-5555-6666, not this number
    booked = await book(browser, csrf, slot["start"], category=SENSITIVE, phone="010-5555-6666")
    assert booked.status_code == 201, booked.text
    reused = await browser.post(
        "/api/v1/verification/phone/confirm", json={"phone": "01055556666", "code": code}, headers=csrf
    )
    assert reused.status_code == 401 and reused.json()["code"] == "otp_expired"


async def test_a_sign_in_code_does_not_pass_an_identity_check(browser: httpx.AsyncClient, app: FastAPI) -> None:
    await request_code(browser, "010-3333-4444")
    sign_in_code = last_code(app, "01033334444")
    csrf = {"X-CSRF-Token": await sign_in_by_email(browser, app, "someone@example.com")}
    misuse = await browser.post(
        "/api/v1/verification/phone/confirm", json={"phone": "01033334444", "code": sign_in_code}, headers=csrf
    )
    assert misuse.status_code == 401 and misuse.json()["code"] == "otp_expired"


async def test_identity_check_writes_need_the_csrf_token(browser: httpx.AsyncClient, app: FastAPI) -> None:
    await sign_in_by_email(browser, app, "forged@example.com")
    forged = await browser.post("/api/v1/verification/phone", json={"phone": "010-5555-6666"})
    assert forged.status_code == 403 and forged.json()["code"] == "csrf_failed"
    bad_phone = await browser.post(
        "/api/v1/verification/phone",
        json={"phone": "12345"},
        headers={"X-CSRF-Token": csrf_of((await browser.get("/inquiries/new")).text)},
    )
    assert bad_phone.status_code == 422 and bad_phone.json()["code"] == "invalid_phone"


async def test_admins_mark_categories_sensitive(
    client: httpx.AsyncClient, admin_headers: dict[str, str], settings: Settings
) -> None:
    categories = (await client.get("/api/v1/faq/categories")).json()
    payment = next(c for c in categories if c["slug"] == "payment")
    assert payment["requires_verification"] is False
    changed = await client.patch(
        f"/api/v1/admin/categories/{payment['id']}", json={"requires_verification": True}, headers=admin_headers
    )
    assert changed.status_code == 200 and changed.json()["requires_verification"] is True
    slot = await open_slot(client)
    refused = await book(client, customer_headers(settings, sub="payer"), slot["start"], category="payment")
    assert refused.status_code == 403
