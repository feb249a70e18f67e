"""Who may push: URL tokens (several, revocable, stored hashed) and signed pushes that cannot be replayed."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.audit.models import AuditEntry
from gogaek.phone.cti import token_hash
from gogaek.phone.models import CallLog, CtiEvent, CtiSignatureNonce, CtiToken
from tests.phone.cti_helpers import call_fields, count, json_body, new_token, push, signed_headers

MAX_AGE = 300  # Settings.cti_signature_max_age_seconds


async def test_tokens_are_shown_once_stored_hashed_and_listed_without_the_secret(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    first = await new_token(client, admin_headers)
    second = await new_token(client, admin_headers, signed=True)
    assert first["push_path"] == f"/api/v1/cti/{first['token']}" and first["signing_secret"] is None
    assert second["signed"] is True and len(second["signing_secret"]) >= 32
    stored = (await session.scalars(select(CtiToken).order_by(CtiToken.id))).all()
    assert [row.token_hash for row in stored] == [token_hash(first["token"]), token_hash(second["token"])]
    listed = (await client.get("/api/v1/admin/cti-tokens", headers=admin_headers)).json()
    assert [row["id"] for row in listed] == [first["id"], second["id"]]
    assert all("token" not in row and "signing_secret" not in row for row in listed)
    audit = (await session.scalars(select(AuditEntry.action).where(AuditEntry.target_type == "cti_token"))).all()
    assert audit == ["cti_token.create", "cti_token.create"]


async def test_an_unknown_or_revoked_token_is_a_404_and_stores_nothing(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    kept = await new_token(client, admin_headers)
    revoked = await new_token(client, admin_headers)
    gone = await client.delete(f"/api/v1/admin/cti-tokens/{revoked['id']}", headers=admin_headers)
    assert gone.status_code == 204
    assert (await client.delete(f"/api/v1/admin/cti-tokens/{revoked['id']}", headers=admin_headers)).status_code == 204
    for token in (revoked["token"], "not-a-token", kept["token"][:-1], "x" * 5000):
        response = await push(client, token, call_fields("newCall", "t-1"))
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), token
    assert (await count(session, CallLog), await count(session, CtiEvent)) == (0, 0)
    assert (await push(client, kept["token"], call_fields("newCall", "t-1"))).status_code == 200
    listed = {row["id"]: row for row in (await client.get("/api/v1/admin/cti-tokens", headers=admin_headers)).json()}
    assert listed[revoked["id"]]["revoked_at"] is not None and listed[kept["id"]]["last_used_at"] is not None
    actions = (await session.scalars(select(AuditEntry.action).where(AuditEntry.target_type == "cti_token"))).all()
    assert actions.count("cti_token.revoke") == 1  # the second revoke changed nothing
    missing = await client.delete("/api/v1/admin/cti-tokens/999999", headers=admin_headers)
    assert missing.status_code == 404


async def test_token_administration_needs_an_admin(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    assert (await client.get("/api/v1/admin/cti-tokens")).status_code == 401
    assert (await client.post("/api/v1/admin/cti-tokens", json={"name": "x"})).status_code == 401
    blank = await client.post("/api/v1/admin/cti-tokens", json={"name": "  "}, headers=admin_headers)
    assert blank.status_code == 422


async def test_a_signed_push_is_accepted_once(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    created = await new_token(client, admin_headers, signed=True)
    url = f"/api/v1/cti/{created['token']}"
    body = json_body(call_fields("newCall", "s-1"))
    headers = signed_headers(created["signing_secret"], body)
    assert (await client.post(url, content=body, headers=headers)).status_code == 200
    replay = await client.post(url, content=body, headers=headers)
    assert (replay.status_code, replay.json()["code"]) == (409, "signature_replayed")
    assert await count(session, CtiSignatureNonce) == 1
    # The same event freshly signed is a PBX retry: 200 and, being a duplicate, no change.
    later = signed_headers(created["signing_secret"], body, timestamp=int(time.time()) + 1)
    assert (await client.post(url, content=body, headers=later)).status_code == 200
    assert (await count(session, CallLog), await count(session, CtiEvent)) == (1, 1)


@pytest.mark.parametrize(
    ("how", "code"),
    [
        ("unsigned", "signature_required"),
        ("garbled", "invalid_signature"),
        ("wrong secret", "invalid_signature"),
        ("body changed", "invalid_signature"),
        ("stale", "signature_expired"),
        ("from the future", "signature_expired"),
    ],
)
async def test_a_bad_signature_is_refused_and_stores_nothing(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str], how: str, code: str
) -> None:
    created = await new_token(client, admin_headers, signed=True)
    secret = created["signing_secret"]
    body = json_body(call_fields("newCall", "s-2"))
    now = int(time.time())
    headers = {
        "unsigned": {"Content-Type": "application/json"},
        "garbled": {"Content-Type": "application/json", "X-Gogaek-Signature": "t=1,v1=zz"},
        "wrong secret": signed_headers(secret + "x", body),
        "body changed": signed_headers(secret, body.replace(b"s-2", b"s-3")),
        "stale": signed_headers(secret, body, timestamp=now - MAX_AGE - 60),
        "from the future": signed_headers(secret, body, timestamp=now + MAX_AGE + 60),
    }[how]
    response = await client.post(f"/api/v1/cti/{created['token']}", content=body, headers=headers)
    assert (response.status_code, response.json()["code"]) == (401, code)
    assert (await count(session, CallLog), await count(session, CtiSignatureNonce)) == (0, 0)


async def test_signatures_are_forgotten_once_they_would_be_refused_as_stale_anyway(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    created = await new_token(client, admin_headers, signed=True)
    secret, url = created["signing_secret"], f"/api/v1/cti/{created['token']}"
    session.add(CtiSignatureNonce(signature="f" * 64, expires_at=datetime(2000, 1, 1, tzinfo=UTC)))
    await session.commit()
    body = json_body(call_fields("newCall", "s-5"))
    assert (await client.post(url, content=body, headers=signed_headers(secret, body))).status_code == 200
    kept = (await session.scalars(select(CtiSignatureNonce.signature))).all()
    assert len(kept) == 1 and kept[0] != "f" * 64
