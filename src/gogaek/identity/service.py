"""Staff account verbs: create, authenticate (with throttling and TOTP)."""

from __future__ import annotations

from datetime import timedelta
from functools import cache

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.db import commit_unique, utcnow
from gogaek.errors import ProblemError
from gogaek.identity.models import StaffRole, StaffUser
from gogaek.identity.schemas import StaffCreate, StaffLogin
from gogaek.identity.security import (
    hash_password,
    new_totp_secret,
    password_needs_rehash,
    verify_password,
    verify_totp,
)

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)


def email_taken() -> ProblemError:
    return ProblemError(409, "email_taken", "이미 등록된 이메일입니다. (Email already registered)")


def _bad_credentials() -> ProblemError:
    return ProblemError(
        401,
        "invalid_credentials",
        "이메일 또는 비밀번호가 올바르지 않습니다. (Invalid email or password)",
    )


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def create_staff_user(session: AsyncSession, data: StaffCreate, *, with_totp: bool = False) -> StaffUser:
    email = normalise_email(data.email)
    existing = await session.scalar(select(StaffUser).where(StaffUser.email == email))
    if existing is not None:
        raise email_taken()
    user = StaffUser(
        email=email,
        display_name=data.display_name,
        password_hash=hash_password(data.password),
        role=data.role.value,
        totp_secret=new_totp_secret() if with_totp else None,
    )
    session.add(user)
    await commit_unique(session, email_taken)
    return user


async def authenticate_staff(session: AsyncSession, login: StaffLogin) -> StaffUser:
    """Checks password and TOTP; five failures lock the account for 15 minutes."""
    email = normalise_email(login.email)
    user = await session.scalar(select(StaffUser).where(StaffUser.email == email))
    if user is None or not user.is_active:
        verify_password(_dummy_hash(), login.password)  # same cost whether or not the user exists
        raise _bad_credentials()
    now = utcnow()
    if user.locked_until is not None and user.locked_until > now:
        raise ProblemError(
            429,
            "account_locked",
            "로그인 시도가 너무 많아 잠시 잠겼습니다. 15분 후 다시 시도해 주세요. (Account locked)",
        )
    if not verify_password(user.password_hash, login.password):
        await _record_failure(session, user)
        raise _bad_credentials()
    if user.totp_secret is not None:
        if not login.totp:
            raise ProblemError(401, "totp_required", "OTP 인증 코드를 입력해 주세요. (TOTP code required)")
        if not verify_totp(user.totp_secret, login.totp):
            await _record_failure(session, user)
            raise ProblemError(401, "totp_invalid", "OTP 인증 코드가 올바르지 않습니다. (Invalid TOTP code)")
    if password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(login.password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    await session.commit()
    return user


async def _record_failure(session: AsyncSession, user: StaffUser) -> None:
    user.failed_logins += 1
    if user.failed_logins >= MAX_FAILED_LOGINS:
        user.locked_until = utcnow() + LOCKOUT
        user.failed_logins = 0
    await session.commit()


async def get_active_staff(session: AsyncSession, staff_id: int) -> StaffUser | None:
    user = await session.get(StaffUser, staff_id)
    return user if user is not None and user.is_active else None


async def count_admins(session: AsyncSession) -> int:
    query = select(func.count()).select_from(StaffUser).where(StaffUser.role == StaffRole.ADMIN.value)
    return int(await session.scalar(query) or 0)


@cache
def _dummy_hash() -> str:
    return hash_password("gogaek-timing-equaliser")
