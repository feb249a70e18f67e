"""Customer sign-in pages: the host app's token exchange and one-time codes, as a browser sees them."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.config import Settings
from gogaek.identity.customer_pages import safe_next
from gogaek.identity.customer_tokens import issue_customer_token
from gogaek.identity.models import Customer, OneTimeCode, UsedTokenId
from gogaek.notify.providers import ConsoleProvider, EmailMessage
from gogaek.web.i18n import COOKIE
from tests.conftest import customer_headers

HTML = {"Accept": "text/html,application/xhtml+xml"}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CODE = re.compile(r"\b([0-9]{6})\b")


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=HTML) as http:
        yield http


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


def console_of(app: FastAPI) -> ConsoleProvider:
    providers = app.state.notification_providers
    assert isinstance(providers.email, ConsoleProvider)
    return providers.email


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(datetime.now(UTC).timestamp())
    return {"sub": "host-user-1", "jti": "jti-1", "iat": now, "exp": now + 600, **overrides}


async def exchange(browser: httpx.AsyncClient, token: str, next_url: str | None = "/inquiries") -> httpx.Response:
    params = {"token": token} if next_url is None else {"token": token, "next": next_url}
    return await browser.get("/auth/customer", params=params)


async def is_signed_in(browser: httpx.AsyncClient) -> bool:
    response = await browser.get("/inquiries")
    return response.status_code == 200


# --- host token exchange --------------------------------------------------------------


async def test_a_host_token_opens_a_session_and_lands_on_next(
    browser: httpx.AsyncClient, settings: Settings, session: AsyncSession
) -> None:
    token = issue_customer_token(settings, sub="host-user-1", name="홍길동", phone="010-1111-2222")
    response = await exchange(browser, token, "/inquiries/new?category=payment")
    assert response.status_code == 303
    assert response.headers["location"] == "/inquiries/new?category=payment"
    page = await browser.get("/inquiries")
    assert page.status_code == 200 and "문의 내역" in page.text
    customer = await session.scalar(select(Customer).where(Customer.external_id == "host-user-1"))
    assert customer is not None and (customer.name, customer.source) == ("홍길동", "host")
    used = (await session.scalars(select(UsedTokenId))).all()
    assert len(used) == 1 and re.fullmatch(r"[0-9a-f]{64}", used[0].jti)  # stored hashed


async def test_a_replayed_token_is_refused_with_a_page(
    browser: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    token = issue_customer_token(settings, sub="host-user-1")
    assert (await exchange(browser, token)).status_code == 303
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=HTML) as thief:
        replay = await exchange(thief, token)
        assert replay.status_code == 401
        assert replay.headers["content-type"].startswith("text/html")
        assert "이미 사용된 로그인 링크" in replay.text and "token_replayed" in replay.text
        assert not await is_signed_in(thief)


async def test_a_token_without_jti_also_works_once(browser: httpx.AsyncClient, settings: Settings) -> None:
    claims = _claims()
    del claims["jti"]
    token = jwt.encode(claims, settings.customer_token_key, algorithm="HS256")
    assert (await exchange(browser, token)).status_code == 303
    assert (await exchange(browser, token)).status_code == 401


@pytest.mark.parametrize("with_jti", [True, False], ids=["jti", "no-jti"])
async def test_a_token_exchanged_for_a_session_is_refused_as_a_bearer_token(
    browser: httpx.AsyncClient, client: httpx.AsyncClient, settings: Settings, with_jti: bool
) -> None:
    claims = _claims()
    if not with_jti:
        del claims["jti"]
    token = jwt.encode(claims, settings.customer_token_key, algorithm="HS256")
    bearer = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/inquiries", headers=bearer)).status_code == 200  # before: a working token
    assert (await exchange(browser, token)).status_code == 303
    replay = await client.get("/api/v1/inquiries", headers=bearer)
    assert (replay.status_code, replay.json()["code"]) == (401, "token_replayed")


@pytest.mark.parametrize(
    "lifetime",
    [
        {"iat": 0, "exp_in": 24 * 3600 + 120},  # issued now, lives a day and two minutes
        {"iat": None, "exp_in": 400 * 24 * 3600},  # no iat, expires next year
        {"iat": 0, "exp_in": 10**10},  # the year 9999 and beyond
    ],
    ids=["exp-minus-iat", "no-iat-far-exp", "year-9999"],
)
async def test_a_host_token_may_not_live_longer_than_the_maximum(
    client: httpx.AsyncClient, settings: Settings, lifetime: dict[str, Any]
) -> None:
    now = int(datetime.now(UTC).timestamp())
    claims = _claims(exp=now + lifetime["exp_in"])
    if lifetime["iat"] is None:
        del claims["iat"]
    token = jwt.encode(claims, settings.customer_token_key, algorithm="HS256")
    refused = await client.get("/api/v1/inquiries", headers={"Authorization": f"Bearer {token}"})
    assert (refused.status_code, refused.json()["code"]) == (401, "token_invalid")
    day = jwt.encode(_claims(exp=now + 24 * 3600), settings.customer_token_key, algorithm="HS256")
    assert (await client.get("/api/v1/inquiries", headers={"Authorization": f"Bearer {day}"})).status_code == 200


async def test_host_ids_and_web_visitor_ids_are_separate(
    app: FastAPI,
    browser: httpx.AsyncClient,
    client: httpx.AsyncClient,
    settings: Settings,
    session: AsyncSession,
    demo_content: None,
) -> None:
    """A host token whose sub spells a visitor's id ("email:…") is another customer."""
    await request_code(browser, "visitor@example.com")
    assert (await submit_code(browser, last_code(app, "visitor@example.com"))).status_code == 303
    token = csrf_of((await browser.get("/inquiries/new")).text)
    body = {"category": "payment", "title": "방문자 문의", "body": "비밀 내용입니다"}
    filed = await browser.post("/api/v1/inquiries", json=body, headers={"X-CSRF-Token": token})
    assert filed.status_code == 201, filed.text
    impostor = customer_headers(settings, sub="email:visitor@example.com")
    listing = await client.get("/api/v1/inquiries", headers=impostor)
    assert listing.status_code == 200 and listing.json()["items"] == []
    rows = (await session.execute(select(Customer.source, Customer.external_id).order_by(Customer.id))).all()
    assert [tuple(r) for r in rows] == [("email", "email:visitor@example.com"), ("host", "email:visitor@example.com")]


async def test_customer_api_writes_with_the_cookie_need_the_csrf_token(
    app: FastAPI, browser: httpx.AsyncClient, settings: Settings, demo_content: None
) -> None:
    """The help-center cookie alone (what a cross-site page can make a browser send) writes nothing."""
    assert (await exchange(browser, issue_customer_token(settings, sub="host-user-1"))).status_code == 303
    token = csrf_of((await browser.get("/inquiries/new")).text)
    evil = {"Origin": "http://evil.example"}
    form = {"category": "payment", "title": "위조", "body": "다른 사이트에서 보낸 문의"}
    forged = await browser.post("/api/v1/inquiries", data=form, files={"x": ("a.txt", b"")}, headers=evil)
    assert (forged.status_code, forged.json()["code"]) == (403, "csrf_failed")
    assert (await browser.post("/api/v1/notifications/read-all", headers=evil)).status_code == 403
    assert (await browser.get("/api/v1/inquiries")).json()["items"] == []  # nothing was filed
    with_token = await browser.post(
        "/api/v1/inquiries", json=form, headers={"X-CSRF-Token": token, "Idempotency-Key": "csrf-1"}
    )
    assert with_token.status_code == 201, with_token.text
    inquiry_id = with_token.json()["id"]
    forged_resolve = await browser.post(f"/api/v1/inquiries/{inquiry_id}/resolve", headers=evil)
    assert forged_resolve.status_code == 403
    assert (await browser.get(f"/api/v1/inquiries/{inquiry_id}")).json()["status"] == "received"


def _refused_tokens(settings: Settings) -> dict[str, str]:
    key = settings.customer_token_key
    good = jwt.encode(_claims(jti="good"), key, algorithm="HS256")
    header, payload, signature = good.split(".")
    leeway = settings.customer_token_leeway_seconds
    return {
        "expired": jwt.encode(
            _claims(jti="old", exp=int((datetime.now(UTC) - timedelta(seconds=leeway + 60)).timestamp())),
            key,
            algorithm="HS256",
        ),
        "tampered": f"{header}.{_b64(_claims(jti='good', sub='someone-else'))}.{signature}",
        "bad signature": f"{header}.{payload}.{signature[:-4]}AAAA",
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(jti='none'))}.",
        "other key": jwt.encode(_claims(jti="other"), "a-different-secret-0123456789abcdef", algorithm="HS256"),
        "garbage": "not-a-token",
        "empty": "",
    }


async def test_broken_tokens_get_a_401_page_and_no_session(
    browser: httpx.AsyncClient, settings: Settings, session: AsyncSession
) -> None:
    for name, token in _refused_tokens(settings).items():
        response = await exchange(browser, token)
        assert response.status_code == 401, name
        assert "로그인하지 못했어요" in response.text, name
        assert not await is_signed_in(browser), name
    expired = await exchange(browser, _refused_tokens(settings)["expired"])
    assert "만료" in expired.text
    assert await session.scalar(select(func.count()).select_from(Customer)) == 0
    assert await session.scalar(select(func.count()).select_from(UsedTokenId)) == 0


async def test_a_missing_token_parameter_is_a_401_page(browser: httpx.AsyncClient) -> None:
    response = await browser.get("/auth/customer")
    assert response.status_code == 401 and "로그인하지 못했어요" in response.text


OPEN_REDIRECTS = [
    "https://evil.example/phish",
    "//evil.example/phish",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "javascript:alert(1)",
    "http:/evil.example",
    "evil.example",
    "/auth/logout",
    " /inquiries",
    "",
]


async def test_next_never_leaves_the_site(browser: httpx.AsyncClient, settings: Settings) -> None:
    for number, target in enumerate(OPEN_REDIRECTS):
        token = issue_customer_token(settings, sub=f"host-user-{number}")
        response = await exchange(browser, token, target)
        assert response.status_code == 303, target
        assert response.headers["location"] == "/inquiries", target
    response = await exchange(browser, issue_customer_token(settings, sub="host-user-x"), None)
    assert response.headers["location"] == "/inquiries"


@pytest.mark.parametrize("target", OPEN_REDIRECTS)
def test_safe_next_refuses_every_foreign_target(target: str) -> None:
    assert safe_next(target) == "/inquiries"


@pytest.mark.parametrize("target", ["/inquiries", "/inquiries/12", "/inquiries/new?category=pay#top", "/"])
def test_safe_next_keeps_local_paths(target: str) -> None:
    assert safe_next(target) == target


async def test_signing_in_rotates_the_csrf_token(browser: httpx.AsyncClient, settings: Settings) -> None:
    planted = csrf_of((await browser.get("/auth/login")).text)
    assert (await exchange(browser, issue_customer_token(settings, sub="host-user-1"))).status_code == 303
    fresh = csrf_of((await browser.get("/inquiries")).text)
    assert fresh != planted
    stale = await browser.post("/auth/logout", data={"csrf_token": planted})
    assert stale.status_code == 403
    assert await is_signed_in(browser)


# --- one-time codes -------------------------------------------------------------------


async def request_code(browser: httpx.AsyncClient, destination: str, next_url: str = "") -> httpx.Response:
    page = await browser.get("/auth/login", params={"next": next_url} if next_url else None)
    token = csrf_of(page.text)
    return await browser.post("/auth/login", data={"csrf_token": token, "destination": destination, "next": next_url})


async def submit_code(browser: httpx.AsyncClient, code: str, next_url: str = "") -> httpx.Response:
    page = await browser.get("/auth/verify", params={"next": next_url} if next_url else None)
    assert page.status_code == 200, page.text
    return await browser.post("/auth/verify", data={"csrf_token": csrf_of(page.text), "code": code, "next": next_url})


def last_code(app: FastAPI, to: str) -> str:
    message = [m for m in console_of(app).sent if m.to == to][-1]
    match = CODE.search(message.text)
    assert match, message.text
    return match.group(1)


async def test_email_code_sign_in_end_to_end(browser: httpx.AsyncClient, app: FastAPI, session: AsyncSession) -> None:
    assert (await browser.get("/inquiries/new")).headers["location"] == "/auth/login?next=%2Finquiries%2Fnew"
    sent = await request_code(browser, "  Hong@Example.com ", "/inquiries/new")
    assert sent.status_code == 303
    location = urlsplit(sent.headers["location"])
    assert location.path == "/auth/verify" and parse_qs(location.query)["next"] == ["/inquiries/new"]
    page = await browser.get(sent.headers["location"])
    assert "코드를 보냈습니다" in page.text and "hong@example.com" in page.text
    code = last_code(app, "hong@example.com")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    refused = await submit_code(browser, wrong, "/inquiries/new")
    assert refused.status_code == 401 and "남은 시도" in refused.text
    assert not await is_signed_in(browser)
    signed_in = await submit_code(browser, f"{code[:3]} {code[3:]}", "/inquiries/new")
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/inquiries/new"
    assert (await browser.get("/inquiries/new")).status_code == 200
    customer = await session.scalar(select(Customer))
    assert customer is not None
    assert (customer.external_id, customer.source, customer.email) == (
        "email:hong@example.com",
        "email",
        "hong@example.com",
    )
    # The code is spent: the verify page is gone with the pending address, and reuse is refused.
    assert (await browser.get("/auth/verify")).headers["location"].startswith("/auth/login")


async def test_phone_code_reaches_the_sms_provider(browser: httpx.AsyncClient, app: FastAPI) -> None:
    sent = await request_code(browser, "+82 10-1234-5678")
    assert sent.status_code == 303
    code = last_code(app, "01012345678")
    response = await submit_code(browser, code)
    assert response.status_code == 303 and response.headers["location"] == "/inquiries"
    assert await is_signed_in(browser)


async def test_known_and_unknown_addresses_get_the_same_answer(
    browser: httpx.AsyncClient, app: FastAPI, session: AsyncSession
) -> None:
    session.add(Customer(external_id="email:known@example.com", source="email", email="known@example.com"))
    await session.commit()
    known = await request_code(browser, "known@example.com")
    unknown = await request_code(browser, "nobody@example.com")
    assert (known.status_code, known.headers["location"]) == (unknown.status_code, unknown.headers["location"])
    assert {m.to for m in console_of(app).sent} == {"known@example.com", "nobody@example.com"}


async def test_an_invalid_address_is_explained_and_kept(browser: httpx.AsyncClient, session: AsyncSession) -> None:
    response = await request_code(browser, "홍길동 010-12")
    assert response.status_code == 422
    assert "정확히 입력해 주세요" in response.text and 'value="홍길동 010-12"' in response.text
    assert await session.scalar(select(func.count()).select_from(OneTimeCode)) == 0


async def test_too_many_code_requests_get_a_429_page(browser: httpx.AsyncClient, settings: Settings) -> None:
    for _ in range(settings.otp_sends_per_hour):
        assert (await request_code(browser, "010-5555-6666")).status_code == 303
    limited = await request_code(browser, "010-5555-6666")
    assert limited.status_code == 429
    assert "너무 많습니다" in limited.text and 'value="010-5555-6666"' in limited.text


async def test_verify_without_a_requested_code_goes_back_to_login(browser: httpx.AsyncClient) -> None:
    page = await browser.get("/auth/verify", params={"next": "/inquiries/3"})
    assert page.status_code == 303 and page.headers["location"] == "/auth/login?next=%2Finquiries%2F3"
    token = csrf_of((await browser.get("/auth/login")).text)
    posted = await browser.post("/auth/verify", data={"csrf_token": token, "code": "123456"})
    assert posted.status_code == 303 and posted.headers["location"].startswith("/auth/login")


async def test_a_malformed_code_is_explained(browser: httpx.AsyncClient) -> None:
    await request_code(browser, "hong@example.com")
    response = await submit_code(browser, "12ab")
    assert response.status_code == 422 and "6자리" in response.text


async def test_sign_in_forms_require_the_csrf_token(browser: httpx.AsyncClient, app: FastAPI) -> None:
    await browser.get("/auth/login")
    response = await browser.post("/auth/login", data={"destination": "hong@example.com"})
    assert response.status_code == 403
    assert getattr(app.state, "notification_providers", None) is None or not console_of(app).sent
    assert (await browser.post("/auth/verify", data={"code": "123456"})).status_code == 403
    assert (await browser.post("/auth/logout")).status_code == 403


async def test_logout_ends_the_customer_session(browser: httpx.AsyncClient, settings: Settings) -> None:
    await exchange(browser, issue_customer_token(settings, sub="host-user-1"))
    page = await browser.get("/inquiries")
    response = await browser.post("/auth/logout", data={"csrf_token": csrf_of(page.text)})
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert not await is_signed_in(browser)
    assert "로그아웃했습니다" in (await browser.get("/")).text


async def test_a_signed_in_visitor_skips_the_login_form(browser: httpx.AsyncClient, settings: Settings) -> None:
    await exchange(browser, issue_customer_token(settings, sub="host-user-1"))
    response = await browser.get("/auth/login", params={"next": "/inquiries/new"})
    assert response.status_code == 303 and response.headers["location"] == "/inquiries/new"


async def test_the_code_is_written_in_the_language_of_the_page_that_asked_for_it(
    browser: httpx.AsyncClient, app: FastAPI
) -> None:
    assert (await request_code(browser, "hong@example.com")).status_code == 303
    browser.cookies.set(COOKIE, "en")
    assert (await request_code(browser, "jamie@example.com")).status_code == 303
    korean, english = (
        [m for m in console_of(app).sent if m.to == to][-1] for to in ("hong@example.com", "jamie@example.com")
    )
    assert isinstance(korean, EmailMessage) and isinstance(english, EmailMessage)
    assert korean.subject == "[고객센터] 로그인 인증 코드"
    assert korean.text.startswith(f"[고객센터] 로그인 인증 코드는 {last_code(app, 'hong@example.com')} 입니다.")
    assert english.subject == "[Customer center] Sign-in code"
    code = last_code(app, "jamie@example.com")
    assert english.text.startswith(f"[Customer center] Your sign-in code is {code}. Enter it within ")
    assert "Our agents never ask for your code." in english.text
