"""The access matrix: every HTTP route and page, asked by every kind of caller, on both databases.

The decisions live in tests/security/access_policy.py. One app per backend serves the whole
module; the rows used as path parameters are created through the app, as users would.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import re
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from PIL import Image
from sqlalchemy import select
from starlette.routing import Mount, WebSocketRoute

from gogaek.app import create_app
from gogaek.appeals.models import RestrictionAppeal
from gogaek.chat.service import assign, queue_to_team, start_conversation
from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.demo import load_demo_content
from gogaek.helpcenter.models import Category
from gogaek.identity.customer_tokens import issue_customer_token
from gogaek.identity.models import Customer, StaffRole, StaffUser
from gogaek.identity.schemas import StaffCreate
from gogaek.identity.service import create_staff_user
from gogaek.jobs.queue import enqueue
from gogaek.mail.models import InboundMail
from gogaek.notify.models import Notification
from gogaek.notify.providers import ConsoleProvider
from gogaek.phone.cti import token_hash
from gogaek.phone.models import (
    CallbackCapacityOverride,
    CallbackRosterEntry,
    CallChecklistItem,
    CallLog,
    CtiToken,
)
from tests.conftest import BACKENDS, _truncate_all
from tests.phone.factories import make_callback
from tests.security.access_policy import ACCESS, SIGN_IN_ROUTES, Expect, Policy, Role

PASSWORD = "matrix-password-1"
SESSION_COOKIE = "gogaek_session"
SIGN_IN_PAGES = ("/admin/login", "/auth/login")
CODE = re.compile(r"\b([0-9]{6})\b")
STAFF_EMAILS = {
    Role.AGENT: "agent@matrix.test",
    Role.OTHER_TEAM_AGENT: "other@matrix.test",
    Role.SUPERVISOR: "supervisor@matrix.test",
    Role.ADMIN: "admin@matrix.test",
    Role.DEACTIVATED: "gone@matrix.test",
    Role.DEMOTED: "demoted@matrix.test",
}
STAFF_CREATED_AS = {
    Role.SUPERVISOR: StaffRole.SUPERVISOR,
    Role.ADMIN: StaffRole.ADMIN,
    Role.DEMOTED: StaffRole.SUPERVISOR,
}


@dataclass
class Caller:
    """How one role authenticates: a bearer token on the API, a session cookie on pages."""

    bearer: str | None = None
    cookie: str | None = None

    @property
    def csrf(self) -> str | None:
        token = session_of(self.cookie).get("csrf") if self.cookie is not None else None
        return token if isinstance(token, str) else None


def session_of(cookie: str) -> dict[str, Any]:
    """A Starlette session cookie is base64 JSON, then a timestamp and a signature after dots."""
    payload = cookie.split(".", 1)[0]
    data: dict[str, Any] = json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))
    return data


@dataclass
class World:
    """The app, its callers and the real rows whose ids fill the path templates."""

    app: FastAPI
    http: httpx.AsyncClient
    callers: dict[Role, Caller]
    ids: dict[str, Any] = field(default_factory=dict)
    spare: dict[str, Any] = field(default_factory=dict)  # rows that destructive routes may destroy
    overrides: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # per-route ids


def png_bytes() -> bytes:
    """A real image: uploads are checked by content."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def host_token(settings: Settings, sub: str) -> str:
    """A fresh host-app token each call (a new jti), as the pay app would mint one."""
    email = None if "@" in sub else f"{sub}@host.test"  # a sub spelling an address is no mailbox of its own
    return issue_customer_token(settings, sub=sub, name="김고객", email=email)


# --- the app and its rows, once per backend --------------------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def matrix_settings(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path
) -> Settings:
    data_dir = tmp_path_factory.mktemp("matrix")
    common: dict[str, Any] = {
        "env": "test",
        "data_dir": data_dir,
        "search_refresh_seconds": 0,
        "search_semantic": False,
        "embedding_cache": embedding_cache,
        "admin_totp_required": False,
        "jobs_enabled": False,
        "chat_hours": "always",
        "chat_auto_assign": False,
    }
    if request.param == "sqlite":
        shutil.copy(request.getfixturevalue("migrated_sqlite"), data_dir / "gogaek.db")
        return Settings(**common)
    url = request.getfixturevalue("migrated_postgres")
    asyncio.run(_truncate_all(url))
    return Settings(**common, database_url=url)


@pytest.fixture(scope="module")
async def world(matrix_settings: Settings) -> AsyncIterator[World]:
    app = create_app(matrix_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            built = World(app=app, http=http, callers={role: Caller() for role in Role})
            await _populate(built, matrix_settings)
            yield built


async def _populate(world: World, settings: Settings) -> None:
    async with world.app.state.sessionmaker() as session:
        await load_demo_content(session)
    await world.app.state.search_index.load()
    staff = await _staff(world)
    await _content_ids(world)
    await _customers(world, settings)
    await _configuration(world, staff)
    await _chat(world, settings, staff[Role.AGENT])
    await _notifications(world, staff[Role.AGENT])
    await _phone_system(world)
    await _callbacks(world)
    await _appeal(world)
    await _turn_bad(world, staff)


async def _staff(world: World) -> dict[Role, int]:
    """Everyone signs in (API token and page session) before anything happens to their account."""
    ids: dict[Role, int] = {}
    async with world.app.state.sessionmaker() as session:
        for role, email in STAFF_EMAILS.items():
            data = StaffCreate(
                email=email,
                password=PASSWORD,
                display_name=role.value,
                role=STAFF_CREATED_AS.get(role, StaffRole.AGENT),
            )
            ids[role] = (await create_staff_user(session, data)).id
        spare = StaffCreate(email="spare@matrix.test", password=PASSWORD, display_name="spare")
        world.spare["staff_id"] = (await create_staff_user(session, spare)).id
    for role, email in STAFF_EMAILS.items():
        login = await world.http.post("/api/v1/agent/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        world.callers[role].bearer = login.json()["access_token"]
        world.callers[role].cookie = await _staff_page_session(world, email)
    world.ids["staff_id"] = ids[Role.AGENT]
    world.ids["code"] = "en"  # the language switch, /language/{code}
    return ids


async def _staff_page_session(world: World, email: str) -> str:
    anonymous = await _anonymous_cookie(world)
    token = Caller(cookie=anonymous).csrf
    data = {"csrf_token": token, "email": email, "password": PASSWORD, "next": "/console"}
    response = await _send(world, "POST", "/admin/login", cookie=anonymous, data=data)
    assert response.status_code == 303 and response.headers["location"] == "/console", response.text
    return response.cookies[SESSION_COOKIE]


async def _anonymous_cookie(world: World) -> str:
    """A session with only a CSRF token, as the sign-in form hands out."""
    response = await _send(world, "GET", "/auth/login")
    return response.cookies[SESSION_COOKIE]


async def _content_ids(world: World) -> None:
    categories = (await world.http.get("/api/v1/faq/categories")).json()
    articles = (await world.http.get("/api/v1/faq/articles")).json()
    notices = (await world.http.get("/api/v1/notices")).json()
    world.ids.update(
        category_id=categories[0]["id"],
        slug=categories[0]["slug"],
        article_id=articles[0]["id"],
        notice_id=notices[0]["id"],
        action="publish",
        day="2031-01-02",
    )
    world.spare.update(category_id=categories[-1]["id"], article_id=articles[-1]["id"], notice_id=notices[-1]["id"])


async def _customers(world: World, settings: Settings) -> None:
    """Customer A files an inquiry with evidence; B and a one-time-code visitor are strangers to it."""
    world.callers[Role.ANONYMOUS].cookie = await _anonymous_cookie(world)
    for role, sub in ((Role.CUSTOMER_A, "matrix-a"), (Role.CUSTOMER_B, "matrix-b")):
        world.callers[role].bearer = host_token(settings, sub)
        exchanged = await _send(world, "GET", "/auth/customer", params={"token": host_token(settings, sub)})
        assert exchanged.status_code == 303, exchanged.text
        world.callers[role].cookie = exchanged.cookies[SESSION_COOKIE]
    world.callers[Role.VISITOR].cookie = await _visitor_session(world)
    world.ids["visitor_inquiry_id"] = await _visitor_inquiry(world)
    submitted = await world.http.post(
        "/api/v1/inquiries",
        data={"category": world.ids["slug"], "title": "결제가 두 번 됐어요", "body": "어제 결제가 두 번 승인됐어요"},
        files={"attachments": ("receipt.png", png_bytes(), "image/png")},
        headers={"Authorization": f"Bearer {world.callers[Role.CUSTOMER_A].bearer}"},
    )
    assert submitted.status_code == 201, submitted.text
    inquiry = submitted.json()
    world.ids.update(inquiry_id=inquiry["id"], attachment_id=inquiry["attachments"][0]["id"])
    world.ids["mail_id"] = await _mail_of(world, inquiry["id"])


async def _mail_of(world: World, inquiry_id: int) -> int:
    """A received mail on A's inquiry, as the email channel stores it."""
    raw = b"From: a@matrix.test\r\nTo: help@gogaek.example\r\nSubject: x\r\n\r\nbody\r\n"
    async with world.app.state.sessionmaker() as session:
        mail = InboundMail(dedupe_key="matrix", source="smtp", raw=raw, size=len(raw), inquiry_id=inquiry_id)
        session.add(mail)
        await session.commit()
        return mail.id


async def _visitor_session(world: World) -> str:
    anonymous = await _anonymous_cookie(world)
    destination = "visitor@matrix.test"
    data = {"csrf_token": Caller(cookie=anonymous).csrf, "destination": destination, "next": ""}
    requested = await _send(world, "POST", "/auth/login", cookie=anonymous, data=data)
    assert requested.status_code == 303, requested.text
    pending = requested.cookies[SESSION_COOKIE]
    email = world.app.state.notification_providers.email
    assert isinstance(email, ConsoleProvider)
    match = CODE.search([m for m in email.sent if m.to == destination][-1].text)
    assert match is not None
    data = {"csrf_token": Caller(cookie=pending).csrf, "code": match.group(1), "next": ""}
    verified = await _send(world, "POST", "/auth/verify", cookie=pending, data=data)
    assert verified.status_code == 303, verified.text
    return verified.cookies[SESSION_COOKIE]


async def _visitor_inquiry(world: World) -> int:
    """The help center's script files inquiries with the session cookie and the CSRF header."""
    visitor = world.callers[Role.VISITOR]
    assert visitor.cookie is not None and visitor.csrf is not None
    body = {"category": world.ids["slug"], "title": "카드 등록", "body": "카드 등록이 안 돼요"}
    submitted = await _send(
        world, "POST", "/api/v1/inquiries", cookie=visitor.cookie, headers={"X-CSRF-Token": visitor.csrf}, json=body
    )
    assert submitted.status_code == 201, submitted.text
    return int(submitted.json()["id"])


async def _configuration(world: World, staff: dict[Role, int]) -> None:
    """Teams, a macro, an SLA policy, a webhook and a job, each with a spare copy to destroy."""
    admin = {"Authorization": f"Bearer {world.callers[Role.ADMIN].bearer}"}

    async def create(path: str, body: dict[str, Any]) -> int:
        response = await world.http.post(path, json=body, headers=admin)
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    teams = [await create("/api/v1/admin/teams", {"slug": f"team-{n}", "name": f"팀 {n}"}) for n in (1, 2, 3)]
    for team, role in ((teams[0], Role.AGENT), (teams[1], Role.OTHER_TEAM_AGENT)):
        added = await world.http.post(
            f"/api/v1/admin/teams/{team}/members", json={"staff_id": staff[role]}, headers=admin
        )
        assert added.status_code == 200, added.text
    macros = [await create("/api/v1/admin/macros", {"title": f"안내 {n}", "body": "안내드립니다."}) for n in (1, 2)]
    policies = [
        await create("/api/v1/admin/sla-policies", {"priority": p, "first_response_hours": 4, "resolution_hours": 8})
        for p in ("urgent", "high")
    ]
    hook = {"url": "http://127.0.0.1:9/hook", "allow_private": True}
    hooks = [await create("/api/v1/admin/webhooks", hook) for _ in (1, 2)]
    async with world.app.state.sessionmaker() as session:
        jobs = [await enqueue(session, "matrix.noop", {"n": n}) for n in (1, 2)]
        await session.commit()
    job_ids = [job.id for job in jobs if job is not None]
    world.ids.update(
        team_id=teams[0], macro_id=macros[0], policy_id=policies[0], endpoint_id=hooks[0], job_id=job_ids[0]
    )
    world.spare.update(
        team_id=teams[2], macro_id=macros[1], policy_id=policies[1], endpoint_id=hooks[1], job_id=job_ids[1]
    )
    world.spare["day"] = world.ids["day"]


async def _phone_system(world: World) -> None:
    """A CTI push token (the URL is the credential), a spare one to revoke, and a logged call."""
    async with world.app.state.sessionmaker() as session:
        tokens = [CtiToken(name=f"matrix-{n}", token_hash=token_hash(f"matrix-cti-{n}")) for n in (1, 2)]
        call = CallLog(call_id="matrix-call", direction="in", from_number="01012345678")
        session.add_all([*tokens, call])
        await session.commit()
    world.ids.update(token="matrix-cti-1", cti_token_id=tokens[0].id, call_log_id=call.id)
    world.spare["cti_token_id"] = tokens[1].id


async def _callbacks(world: World) -> None:
    """Customer A's callback (claimed by the first staff caller), one nobody claims for the release
    routes, and a call-checklist question with a spare one to delete."""
    async with world.app.state.sessionmaker() as session:
        customer = await session.scalar(select(Customer).where(Customer.external_id == "matrix-a"))
        category = await session.scalar(select(Category).order_by(Category.id))
        assert customer is not None and category is not None
        booked, unclaimed = [await make_callback(session, customer, category) for _ in range(2)]
        questions = [CallChecklistItem(question=f"확인 질문 {n}", position=n) for n in (1, 2)]
        entries = [CallbackRosterEntry(weekday=n, capacity=2) for n in (0, 1)]
        overrides = [CallbackCapacityOverride(day=utcnow().date(), capacity=n) for n in (1, 2)]
        session.add_all([*questions, *entries, *overrides])
        await session.commit()
    world.ids.update(
        callback_id=booked.id, checklist_item_id=questions[0].id, entry_id=entries[0].id, override_id=overrides[0].id
    )
    world.spare.update(checklist_item_id=questions[1].id, entry_id=entries[1].id, override_id=overrides[1].id)
    for path in ("/api/v1/agent/callbacks/{callback_id}/release", "/console/callbacks/{callback_id}/release"):
        world.overrides[("POST", path)] = {"callback_id": unclaimed.id}


async def _appeal(world: World) -> None:
    """Customer A's inquiry is also their suspension appeal, so the agent appeal routes find one."""
    async with world.app.state.sessionmaker() as session:
        customer = await session.scalar(select(Customer).where(Customer.external_id == "matrix-a"))
        assert customer is not None
        appeal = RestrictionAppeal(
            inquiry_id=world.ids["inquiry_id"], customer_id=customer.id, restricted_on=utcnow().date()
        )
        session.add(appeal)
        await session.commit()
    world.ids["appeal_id"] = appeal.id


async def _chat(world: World, settings: Settings, agent_id: int) -> None:
    """Customer A's chat, taken by the agent, with an image the customer sent."""
    sessionmaker = world.app.state.sessionmaker
    async with sessionmaker() as session:
        customer = await session.scalar(select(Customer).where(Customer.external_id == "matrix-a"))
        agent = await session.get(StaffUser, agent_id)
        assert customer is not None and agent is not None
        conversation = (await start_conversation(session, customer, "안녕하세요")).conversation
        await queue_to_team(session, conversation, None, "연결 중입니다.", utcnow())
        assert await assign(session, conversation.id, agent, settings) is not None
    sent = await world.http.post(
        f"/api/v1/chat/conversations/{conversation.id}/images",
        files={"file": ("photo.png", png_bytes(), "image/png")},
        headers={"Authorization": f"Bearer {world.callers[Role.CUSTOMER_A].bearer}"},
    )
    assert sent.status_code == 201, sent.text
    world.ids.update(conversation_id=conversation.id, seq=sent.json()["seq"])


async def _notifications(world: World, agent_id: int) -> None:
    async with world.app.state.sessionmaker() as session:
        customer = await session.scalar(select(Customer).where(Customer.external_id == "matrix-a"))
        assert customer is not None
        mine = Notification(recipient_kind="customer", recipient_id=customer.id, kind="answered", title="답변")
        agents = Notification(recipient_kind="staff", recipient_id=agent_id, kind="assigned", title="배정")
        session.add_all([mine, agents])
        await session.commit()
    world.ids["notification_id"] = mine.id
    world.overrides[("POST", "/api/v1/agent/notifications/{notification_id}/read")] = {"notification_id": agents.id}


async def _turn_bad(world: World, staff: dict[Role, int]) -> None:
    """After their tokens and sessions were issued: one agent leaves, one supervisor is demoted."""
    admin = {"Authorization": f"Bearer {world.callers[Role.ADMIN].bearer}"}
    gone = await world.http.post(f"/api/v1/admin/staff/{staff[Role.DEACTIVATED]}/deactivate", headers=admin)
    assert gone.status_code == 200, gone.text
    demoted = await world.http.patch(
        f"/api/v1/admin/staff/{staff[Role.DEMOTED]}", json={"role": "agent"}, headers=admin
    )
    assert demoted.status_code == 200, demoted.text


# --- requests ---------------------------------------------------------------------------------


async def _send(
    world: World,
    method: str,
    path: str,
    *,
    cookie: str | None = None,
    headers: dict[str, str] | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """Cookies are sent explicitly and never kept, so no request changes another role's session."""
    headers = dict(headers or {})
    if cookie is not None:
        headers["Cookie"] = f"{SESSION_COOKIE}={cookie}"
    try:
        return await world.http.request(method, path, headers=headers, **kwargs)
    finally:
        world.http.cookies.clear()


def is_page(path: str) -> bool:
    return not path.startswith("/api/")


def is_destructive(method: str, path: str) -> bool:
    admin_area = path.startswith(("/api/v1/admin/", "/admin/")) and path not in SIGN_IN_ROUTES
    return method == "DELETE" or (method != "GET" and admin_area)


def fill(world: World, method: str, path: str) -> str:
    params = {**world.ids, **(world.spare if is_destructive(method, path) else {})}
    params.update(world.overrides.get((method, path), {}))
    return path.format(**params)


# Routes that validate the body before they look at the id get a valid one, so that the
# answer shows who may use the row (404 for strangers), not that the body was empty.
IMAGE = {"file": ("photo.png", png_bytes(), "image/png")}
VALID_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/v1/chat/conversations/{conversation_id}/rating"): {"json": {"score": 5}},
    ("POST", "/api/v1/inquiries/{inquiry_id}/feedback"): {"json": {"score": 5}},
    ("POST", "/api/v1/chat/conversations/{conversation_id}/images"): {"files": IMAGE},
    ("POST", "/api/v1/agent/chats/{conversation_id}/images"): {"files": IMAGE},
    ("POST", "/api/v1/callbacks/{callback_id}/reschedule"): {"json": {"slot_start": "2030-01-07T10:00:00+09:00"}},
}


def query_for(world: World, method: str, path: str) -> dict[str, str]:
    """The token exchange needs a fresh token each time (a used one is refused as a replay)."""
    if (method, path) == ("GET", "/auth/customer"):
        settings: Settings = world.app.state.settings
        return {"token": host_token(settings, "matrix-exchange")}
    return {}


async def call(
    world: World, role: Role, method: str, path: str, *, with_csrf: bool = True, with_bearer: bool = True
) -> httpx.Response:
    """The role's request as its client would make it, with an empty body."""
    caller = world.callers[role]
    url = fill(world, method, path)
    params = query_for(world, method, path)
    if is_page(path):
        data = {"csrf_token": caller.csrf} if with_csrf and method != "GET" and caller.csrf else None
        return await _send(world, method, url, cookie=caller.cookie, params=params, data=data)
    headers: dict[str, str] = {}
    cookie = None
    if caller.bearer is not None and with_bearer:
        headers["Authorization"] = f"Bearer {caller.bearer}"
    else:
        cookie = caller.cookie
        if with_csrf and caller.csrf:
            headers["X-CSRF-Token"] = caller.csrf
    body = VALID_BODIES.get((method, path), {"json": None if method in ("GET", "DELETE") else {}})
    return await _send(world, method, url, cookie=cookie, headers=headers, params=params, **body)


def redirects_to_sign_in(response: httpx.Response) -> bool:
    return response.is_redirect and response.headers["location"].startswith(SIGN_IN_PAGES)


def check(expect: Expect, response: httpx.Response, path: str) -> None:
    status = response.status_code
    seen = f"{status} {response.headers.get('location', '')} {response.text[:300]}"
    assert status < 500, seen
    if expect is Expect.HIDDEN:
        assert status == 404, seen
    elif expect is Expect.DENY:
        assert status in (401, 403) or redirects_to_sign_in(response), seen
    else:
        assert status not in (401, 403), seen
        assert path in SIGN_IN_ROUTES or not redirects_to_sign_in(response), seen


# --- the tests -------------------------------------------------------------------------------


def app_routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    """Every (method, path template) the app answers over HTTP; static files and sockets aside."""
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, Mount | WebSocketRoute) or context.path is None:
            continue
        for method in sorted((context.methods or set()) - {"HEAD"}):
            yield method, context.path


def test_every_route_has_a_decision(tmp_path: Path) -> None:
    app = create_app(Settings(env="test", data_dir=tmp_path))
    routes = set(app_routes(app))
    undecided = sorted(routes - ACCESS.keys())
    assert not undecided, f"routes without an access decision in tests/security/access_policy.py: {undecided}"
    stale = sorted(ACCESS.keys() - routes)
    assert not stale, f"decisions for routes that no longer exist: {stale}"


ROUTES = sorted(ACCESS)


@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
async def test_access(world: World, method: str, path: str, role: Role) -> None:
    policy: Policy = ACCESS[(method, path)]
    check(policy[role], await call(world, role, method, path), path)


def cookie_writes() -> list[tuple[str, str, Role]]:
    """Writes a browser makes with a session cookie: every page form, and the API routes that
    take the help-center or console session (the customer API, the agent chat API)."""
    found = []
    for (method, path), policy in sorted(ACCESS.items()):
        if method == "GET":
            continue
        allowed = [role for role in policy if policy[role] is Expect.ALLOW]
        if not allowed:
            continue  # signed by the host's server (docs/privacy.md): no session takes it
        if not is_page(path) and allowed == list(Role):
            continue  # public API writes (sign-in, votes) carry no session to abuse
        found.append((method, path, allowed[0]))
    return found


COOKIE_WRITES = cookie_writes()


@pytest.mark.parametrize(("method", "path", "role"), COOKIE_WRITES, ids=[f"{m} {p}" for m, p, _ in COOKIE_WRITES])
async def test_cookie_writes_need_the_csrf_token(world: World, method: str, path: str, role: Role) -> None:
    """Signed in by cookie (no bearer token) but without the token: 403 csrf_failed, or 401 where the
    route does not take cookies at all."""
    response = await call(world, role, method, path, with_csrf=False, with_bearer=False)
    if is_page(path) or response.status_code != 401:
        assert response.status_code == 403, f"{response.status_code} {response.text[:300]}"
        assert response.json()["code"] == "csrf_failed"


async def test_a_host_token_cannot_reach_into_the_web_visitors_namespace(world: World) -> None:
    """A host user id that looks like a visitor's address is still another person (defect c)."""
    settings: Settings = world.app.state.settings
    spoof = {"Authorization": f"Bearer {host_token(settings, 'email:visitor@matrix.test')}"}
    listed = await _send(world, "GET", "/api/v1/inquiries", headers=spoof)
    assert listed.status_code == 200, listed.text
    assert world.ids["visitor_inquiry_id"] not in [item["id"] for item in listed.json()["items"]]
    read = await _send(world, "GET", f"/api/v1/inquiries/{world.ids['visitor_inquiry_id']}", headers=spoof)
    assert read.status_code == 404


async def test_a_host_token_spent_on_sign_in_is_not_a_bearer_token_afterwards(world: World) -> None:
    """The page exchange spends the token; replaying it on the API is the same replay (defect b)."""
    settings: Settings = world.app.state.settings
    token = host_token(settings, "matrix-a")
    exchanged = await _send(world, "GET", "/auth/customer", params={"token": token})
    assert exchanged.status_code == 303, exchanged.text
    replayed = await _send(world, "GET", "/api/v1/inquiries", headers={"Authorization": f"Bearer {token}"})
    assert replayed.status_code == 401


async def test_reactivating_an_account_does_not_revive_its_old_token_or_session(world: World) -> None:
    """Deactivation ends what was issued before it; coming back means signing in again (defect e)."""
    email = "returning@matrix.test"
    async with world.app.state.sessionmaker() as session:
        staff_id = (
            await create_staff_user(session, StaffCreate(email=email, password=PASSWORD, display_name="복귀"))
        ).id
    login = await world.http.post("/api/v1/agent/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    old_token = {"Authorization": f"Bearer {login.json()['access_token']}"}
    old_cookie = await _staff_page_session(world, email)
    admin = {"Authorization": f"Bearer {world.callers[Role.ADMIN].bearer}"}
    for step in ("deactivate", "reactivate"):
        changed = await world.http.post(f"/api/v1/admin/staff/{staff_id}/{step}", headers=admin)
        assert changed.status_code == 200, changed.text
    assert (await _send(world, "GET", "/api/v1/agent/me", headers=old_token)).status_code == 401
    assert redirects_to_sign_in(await _send(world, "GET", "/console", cookie=old_cookie))
