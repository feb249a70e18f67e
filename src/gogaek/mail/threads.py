"""Which inquiry a mail belongs to: by the Message-IDs it answers, else by the number in its subject.

A Message-ID of ours is random, so a mail that cites one was written by someone who received
our mail. The inquiry number is guessable (a date and a counter), so a subject number alone
joins the thread only when the sender is the inquiry's own customer.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.mail.models import MailDirection, MailThreadId

_SUBJECT_NUMBER = re.compile(r"\[#\s*(\d{8}-\d{6})\s*\]")


def thread_key(message_id: str) -> str:
    return hashlib.sha256(message_id.encode("utf-8", "surrogateescape")).hexdigest()


async def remember_message_id(
    session: AsyncSession, message_id: str, inquiry_id: int, direction: MailDirection
) -> None:
    """Adds the id to the inquiry's thread (uncommitted); an id already known keeps its first inquiry."""
    key = thread_key(message_id)
    if await session.get(MailThreadId, key) is not None:
        return
    session.add(MailThreadId(key=key, message_id=message_id[:255], inquiry_id=inquiry_id, direction=direction.value))


async def inquiry_for_message_ids(session: AsyncSession, message_ids: Iterable[str]) -> int | None:
    """The inquiry of the most recent id the mail cites (References lists oldest first)."""
    keys = [thread_key(message_id) for message_id in message_ids]
    if not keys:
        return None
    rows = await session.execute(select(MailThreadId.key, MailThreadId.inquiry_id).where(MailThreadId.key.in_(keys)))
    found = {key: inquiry_id for key, inquiry_id in rows}
    for key in reversed(keys):
        if key in found:
            return found[key]
    return None


async def thread_message_ids(session: AsyncSession, inquiry_id: int, limit: int = 20) -> list[str]:
    """The thread's ids, theirs and ours, oldest first: what References of a new mail lists."""
    rows = await session.scalars(
        select(MailThreadId.message_id)
        .where(MailThreadId.inquiry_id == inquiry_id)
        .order_by(MailThreadId.created_at.desc())
        .limit(limit)
    )
    return list(reversed(rows.all()))


async def last_inbound_id(session: AsyncSession, inquiry_id: int) -> str | None:
    """The customer's latest mail on the inquiry: what our reply's In-Reply-To names."""
    return await session.scalar(
        select(MailThreadId.message_id)
        .where(MailThreadId.inquiry_id == inquiry_id, MailThreadId.direction == MailDirection.INBOUND.value)
        .order_by(MailThreadId.created_at.desc())
        .limit(1)
    )


def subject_number(subject: str) -> str | None:
    """The inquiry number in a subject such as "Re: 결제 취소 [#20261206-000007]"."""
    match = _SUBJECT_NUMBER.search(subject)
    return match.group(1) if match else None


def subject_with_number(subject: str, number: str) -> str:
    """Our subjects carry the number once, so any client's "Re:" keeps the thread findable."""
    tag = f"[#{number}]"
    return subject if tag in subject else f"{subject.strip()} {tag}".strip()
