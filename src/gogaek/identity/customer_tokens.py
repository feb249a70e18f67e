"""Customers signed in by the host pay app: verifying (and, for development, issuing) its JWTs.

Only the one configured algorithm is accepted, so ``alg: none`` and HS256/RS256 key
confusion are refused by construction. Every claim we keep is type- and length-checked
because it ends up in the database and on staff screens.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from starlette.requests import HTTPConnection

from gogaek.config import Settings
from gogaek.errors import ProblemError
from gogaek.web.i18n import N_, gettext, use_language

log = logging.getLogger(__name__)

MAX_TOKEN_LENGTH = 4096
MAX_SUB_LENGTH = 128
MAX_NAME_LENGTH = 100
MAX_PHONE_LENGTH = 32
MAX_EMAIL_LENGTH = 254
MAX_TOKEN_ID_LENGTH = 128
MAX_LOCALE_LENGTH = 35  # a BCP 47 tag such as ko-KR
# One bare address: no display name, no list (a host's "a@x, b@y" must not mail b).
_ONE_ADDRESS = re.compile(r"[^@\s,;<>\"()]+@[^@\s,;<>\"()]+\.[^@\s,;<>\"()]+")

TOKEN_EXPIRED = "token_expired"  # noqa: S105 - an error code, not a secret
TOKEN_INVALID = "token_invalid"  # noqa: S105 - an error code, not a secret
TOKEN_REPLAYED = "token_replayed"  # noqa: S105 - an error code, not a secret
_MESSAGES = {
    TOKEN_EXPIRED: N_("로그인이 만료되었습니다. 앱에서 다시 열어 주세요."),
    TOKEN_INVALID: N_("로그인 정보를 확인할 수 없습니다. 앱에서 다시 열어 주세요."),
    TOKEN_REPLAYED: N_("이미 사용된 로그인 링크입니다. 앱에서 고객센터를 다시 열어 주세요."),
}


@dataclass(frozen=True)
class CustomerClaims:
    """What we trust about a customer after the host app's signature checked out."""

    sub: str
    name: str | None
    phone: str | None
    email: str | None
    verified_at: datetime | None
    expires_at: datetime
    token_id: str | None
    issued_at: datetime | None = None
    locale: str | None = None  # the language the host app shows the customer (ko, en)


class CustomerTokenError(ProblemError):
    """A 401 that tells the client to fetch a fresh bearer token from the host app."""

    def __init__(self, code: str) -> None:
        super().__init__(401, code, _MESSAGES[code], headers={"WWW-Authenticate": "Bearer"})


class _ClaimError(ValueError):
    """A claim with the wrong type or size; a ValueError so issuing surfaces it directly."""


def verify_customer_token(token: str, settings: Settings) -> CustomerClaims:
    """Checks signature, expiry, issuer and audience, then the claims we keep."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        log.info("customer token refused: empty or longer than %d characters", MAX_TOKEN_LENGTH)
        raise CustomerTokenError(TOKEN_INVALID)
    try:
        payload = jwt.decode(
            token,
            _verification_key(settings),
            algorithms=[settings.customer_token_algorithm],
            issuer=settings.customer_token_issuer,
            audience=settings.customer_token_audience,
            leeway=settings.customer_token_leeway_seconds,
            options={"require": ["exp", "sub"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise CustomerTokenError(TOKEN_EXPIRED) from exc
    except jwt.InvalidTokenError as exc:
        # Operators need the reason (wrong issuer, bad signature…); the client never sees it.
        log.info("customer token refused: %s", exc)
        raise CustomerTokenError(TOKEN_INVALID) from exc
    try:
        claims = _claims_from_payload(payload)
        _check_lifetime(claims, settings)
    except _ClaimError as exc:
        log.info("customer token refused: %s", exc)
        raise CustomerTokenError(TOKEN_INVALID) from exc
    return claims


def verify_request_token(request: HTTPConnection, token: str, settings: Settings) -> CustomerClaims:
    """``verify_customer_token`` once per request: the public-write rate limit keys on the
    subject and the customer dependency needs the same claims (a verification costs ≈ 0.3 ms)."""
    verified: tuple[str, CustomerClaims] | None = getattr(request.state, "verified_customer_token", None)
    if verified is not None and verified[0] == token:
        return verified[1]
    claims = verify_customer_token(token, settings)
    request.state.verified_customer_token = (token, claims)
    if claims.locale is not None:  # the host's choice comes before the browser's
        use_language(claims.locale)
    return claims


def _check_lifetime(claims: CustomerClaims, settings: Settings) -> None:
    """A token may not live longer than the configured maximum, whether or not it says when it was issued."""
    longest = timedelta(seconds=settings.customer_token_max_lifetime_seconds + settings.customer_token_leeway_seconds)
    if claims.issued_at is not None and claims.expires_at - claims.issued_at > longest:
        raise _ClaimError("exp - iat is longer than the maximum token lifetime")
    if claims.expires_at - datetime.now(UTC) > longest:
        raise _ClaimError("exp is further away than the maximum token lifetime")


def spent_token_key(claims: CustomerClaims, token: str) -> str:
    """What marks a token as exchanged for a page session: its jti, or the whole token without one."""
    if claims.token_id is not None:
        return hashlib.sha256(claims.token_id.encode()).hexdigest()
    return hashlib.sha256(f"token:{token}".encode()).hexdigest()


def issue_customer_token(
    settings: Settings,
    *,
    sub: str,
    name: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    verified_at: datetime | None = None,
    ttl_seconds: int = 3600,
    locale: str | None = None,
) -> str:
    """Signs a token the way the host app would, for the dev CLI and tests (HS256 only)."""
    if settings.customer_token_algorithm != "HS256":  # noqa: S105 - an algorithm name
        raise ValueError(gettext("RS256 고객 토큰은 발급할 수 없습니다: 개인 키는 호스트 앱만 가지고 있습니다."))
    if not 0 < ttl_seconds <= settings.customer_token_max_lifetime_seconds:
        raise ValueError(f"ttl_seconds must be between 1 and {settings.customer_token_max_lifetime_seconds}")
    if verified_at is not None and verified_at.utcoffset() is None:
        raise ValueError("verified_at must be timezone-aware")
    now = datetime.now(UTC)
    payload: dict[str, Any] = {
        "sub": sub,
        "jti": secrets.token_urlsafe(16),
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl_seconds)).timestamp()),
    }
    optional = {
        "name": name,
        "phone": phone,
        "email": email,
        "verified_at": int(verified_at.timestamp()) if verified_at is not None else None,
        "iss": settings.customer_token_issuer,
        "aud": settings.customer_token_audience,
        "locale": locale,
    }
    payload.update({key: value for key, value in optional.items() if value is not None})
    _claims_from_payload(payload)  # refuse to sign what verification would reject
    return jwt.encode(payload, settings.customer_token_key, algorithm="HS256")


def _verification_key(settings: Settings) -> str | RSAPublicKey:
    if settings.customer_token_algorithm == "RS256":  # noqa: S105 - an algorithm name
        return _rsa_public_key(settings.customer_token_key)
    return settings.customer_token_key


@lru_cache(maxsize=4)
def _rsa_public_key(pem: str) -> RSAPublicKey:
    """Parsed once per key; a broken key is a configuration error (500), never a 401."""
    public_key = load_pem_public_key(pem.encode("utf-8"))
    if not isinstance(public_key, RSAPublicKey):
        raise ValueError("GOGAEK_CUSTOMER_TOKEN_PUBLIC_KEY must be an RSA public key for RS256")
    return public_key


def _claims_from_payload(payload: dict[str, Any]) -> CustomerClaims:
    sub = _subject(payload)
    email = _text(payload, "email", MAX_EMAIL_LENGTH)
    if email is not None and not _ONE_ADDRESS.fullmatch(email):
        raise _ClaimError("email must be one plain address")
    verified_at = payload.get("verified_at")
    return CustomerClaims(
        sub=sub,
        name=_text(payload, "name", MAX_NAME_LENGTH),
        phone=_text(payload, "phone", MAX_PHONE_LENGTH),
        email=email,
        verified_at=None if verified_at is None else _instant(verified_at, "verified_at"),
        expires_at=_epoch(payload["exp"], "exp"),
        token_id=_text(payload, "jti", MAX_TOKEN_ID_LENGTH),
        issued_at=None if payload.get("iat") is None else _epoch(payload["iat"], "iat"),
        locale=_text(payload, "locale", MAX_LOCALE_LENGTH),
    )


def _subject(payload: dict[str, Any]) -> str:
    """The host's customer id, kept verbatim: trimming it could merge two customers."""
    sub = payload.get("sub")
    if not isinstance(sub, str) or not 0 < len(sub) <= MAX_SUB_LENGTH or sub != sub.strip() or not sub.isprintable():
        raise _ClaimError(f"sub must be a printable string of 1-{MAX_SUB_LENGTH} characters without surrounding spaces")
    return sub


def _text(payload: dict[str, Any], claim: str, max_length: int) -> str | None:
    """An optional printable string; blank counts as absent since hosts often send ""."""
    value = payload.get(claim)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _ClaimError(f"{claim} must be a string")
    if len(value) > max_length:
        raise _ClaimError(f"{claim} is longer than {max_length} characters")
    if not value.isprintable():
        raise _ClaimError(f"{claim} contains control characters")
    return value.strip() or None


def _instant(value: object, claim: str) -> datetime:
    """Epoch seconds or an ISO 8601 string with an offset (a bare local time is ambiguous)."""
    if not isinstance(value, str):
        return _epoch(value, claim)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise _ClaimError(f"{claim} is not an ISO 8601 date-time") from exc
    if parsed.utcoffset() is None:
        raise _ClaimError(f"{claim} must include a timezone offset")
    return parsed.astimezone(UTC)


def _epoch(value: object, claim: str) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _ClaimError(f"{claim} must be epoch seconds")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise _ClaimError(f"{claim} is out of range") from exc
