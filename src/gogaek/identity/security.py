"""Password hashing, TOTP and signed staff tokens."""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

# argon2-cffi's defaults (RFC 9106's low-memory profile): about half a second per hash on
# a busy 2-core machine, which is right for a login and wrong for a test suite that creates
# hundreds of accounts. The test profile is the smallest argon2 allows, and only a process
# started with GOGAEK_ENV=test (the variable ``Settings.env`` reads) ever uses it.
_HASHER = PasswordHasher()
_TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
_STAFF_TOKEN_SALT = "gogaek.staff-token.v1"  # noqa: S105 - a salt label, not a secret


def _hasher() -> PasswordHasher:
    """Read per call, not at import, so no import order can pin the wrong profile.

    Verifying reads the parameters stored in each hash, so either profile verifies hashes made
    by the other; outside tests a test-profile hash counts as needing a rehash and is
    upgraded at the next successful sign-in.
    """
    return _TEST_HASHER if os.environ.get("GOGAEK_ENV") == "test" else _HASHER


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


def new_totp_secret() -> str:
    return pyotp.random_base32()


# A secret an admin's reset handed out that its owner has not yet confirmed with a code. It
# lives in the same column, marked, so a reset needs no schema change; until it is confirmed
# the account signs in only through the enrolment step of the sign-in page.
PENDING_TOTP_PREFIX = "enrol:"


def pending_totp(secret: str) -> str:
    return PENDING_TOTP_PREFIX + secret


def pending_totp_secret(stored: str | None) -> str | None:
    """The unconfirmed secret of an account whose TOTP was reset, else None."""
    if stored is None or not stored.startswith(PENDING_TOTP_PREFIX):
        return None
    return stored.removeprefix(PENDING_TOTP_PREFIX)


def totp_active(stored: str | None) -> bool:
    """A confirmed secret: sign-ins ask for its code."""
    return stored is not None and pending_totp_secret(stored) is None


def totp_uri(secret: str, email: str) -> str:
    return str(pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name="Gogaek"))


def verify_totp(secret: str, code: str) -> bool:
    return bool(pyotp.TOTP(secret).verify(code.strip(), valid_window=1))


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class StaffToken:
    """Who a staff token was issued to, and when: the account's cut-off is checked against it."""

    staff_id: int
    issued_at: datetime


class StaffTokenSigner:
    """Stateless, expiring bearer tokens for the staff API (the account is re-checked on use)."""

    def __init__(self, secret_key: str, max_age_seconds: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt=_STAFF_TOKEN_SALT)
        self._max_age = max_age_seconds

    def issue(self, staff_id: int) -> str:
        # The signer's own timestamp has whole seconds; "at" tells apart a token signed just
        # before a deactivation from one signed just after the reactivation.
        return self._serializer.dumps({"sid": staff_id, "at": time.time()})

    def read(self, token: str) -> StaffToken | None:
        try:
            payload, signed_at = self._serializer.loads(token, max_age=self._max_age, return_timestamp=True)
        except (SignatureExpired, BadSignature):
            return None
        if not isinstance(payload, dict):
            return None
        staff_id, issued = payload.get("sid"), payload.get("at")
        if not isinstance(staff_id, int) or isinstance(staff_id, bool):
            return None
        if isinstance(issued, float) and abs(issued - signed_at.timestamp()) < 1:
            return StaffToken(staff_id, datetime.fromtimestamp(issued, UTC))
        return StaffToken(staff_id, signed_at.astimezone(UTC))
