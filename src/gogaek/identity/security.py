"""Password hashing, TOTP and signed staff tokens."""

from __future__ import annotations

import secrets
from typing import Any

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

_hasher = PasswordHasher()
_STAFF_TOKEN_SALT = "gogaek.staff-token.v1"  # noqa: S105 - a salt label, not a secret


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, email: str) -> str:
    return str(pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name="Gogaek"))


def verify_totp(secret: str, code: str) -> bool:
    return bool(pyotp.TOTP(secret).verify(code.strip(), valid_window=1))


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


class StaffTokenSigner:
    """Stateless, expiring bearer tokens for the staff API (the account is re-checked on use)."""

    def __init__(self, secret_key: str, max_age_seconds: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt=_STAFF_TOKEN_SALT)
        self._max_age = max_age_seconds

    def issue(self, staff_id: int) -> str:
        return self._serializer.dumps({"sid": staff_id})

    def read(self, token: str) -> int | None:
        try:
            payload: Any = self._serializer.loads(token, max_age=self._max_age)
        except (SignatureExpired, BadSignature):
            return None
        staff_id = payload.get("sid") if isinstance(payload, dict) else None
        return staff_id if isinstance(staff_id, int) else None
