"""Staff sign-in throttling by account *and* client, so guesses cannot lock the owner out.

Failures count per (account, client address) and per client address across accounts. Five
wrong passwords from one address lock that address out of that account for 15 minutes;
twenty from one address, whatever the accounts, lock the address out of every sign-in. The
account's owner signing in from anywhere else is not affected. Counters live in the database,
so every app process sees the same ones.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta

from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.db import utcnow
from gogaek.errors import ProblemError
from gogaek.identity.models import LoginThrottle
from gogaek.web.i18n import N_

ACCOUNT_FAILURES = 5
CLIENT_FAILURES = 20
LOCKOUT = timedelta(minutes=15)
KEEP_ROWS = timedelta(days=1)


def throttle_keys(staff_id: int | None, client: str) -> list[tuple[str, int]]:
    """The counters one attempt touches, with the failures each allows (hashed: addresses are personal data)."""
    keys = [(_digest(f"client:{client}"), CLIENT_FAILURES)]
    if staff_id is not None:
        keys.append((_digest(f"account:{staff_id}:{client}"), ACCOUNT_FAILURES))
    return keys


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def check_not_locked(session: AsyncSession, keys: list[tuple[str, int]], now: datetime | None = None) -> None:
    now = now or utcnow()
    query = select(LoginThrottle.locked_until).where(
        LoginThrottle.key.in_([key for key, _ in keys]), LoginThrottle.locked_until > now
    )
    until = max((row for row in (await session.scalars(query)).all() if row is not None), default=None)
    if until is not None:
        raise ProblemError(
            429,
            "account_locked",
            N_("로그인 시도가 너무 많아 이 기기에서의 로그인이 잠시 잠겼습니다. 15분 후 다시 시도해 주세요."),
            headers={"Retry-After": str(max(1, math.ceil((until - now).total_seconds())))},
        )


async def record_failure(session: AsyncSession, keys: list[tuple[str, int]]) -> bool:
    """Counts one failure on every key (an upsert, safe under concurrency); True when one locked."""
    now = utcnow()
    window_start = now - LOCKOUT
    insert = postgres_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    locked = False
    await session.execute(delete(LoginThrottle).where(LoginThrottle.window_started_at < now - KEEP_ROWS))
    for key, limit in keys:
        expired = LoginThrottle.window_started_at < window_start
        statement = insert(LoginThrottle).values(key=key, failures=1, window_started_at=now)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=[LoginThrottle.key],
                set_={
                    "failures": case((expired, 1), else_=LoginThrottle.failures + 1),
                    "window_started_at": case((expired, now), else_=LoginThrottle.window_started_at),
                },
            )
        )
        result = await session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key == key, LoginThrottle.failures >= limit)
            .values(failures=0, window_started_at=now, locked_until=now + LOCKOUT)
        )
        locked = locked or bool(getattr(result, "rowcount", 0))
    await session.commit()
    return locked


async def clear_account(session: AsyncSession, staff_id: int, client: str) -> None:
    """A successful sign-in forgets this address's failures on this account (not across accounts)."""
    key = _digest(f"account:{staff_id}:{client}")
    await session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))
