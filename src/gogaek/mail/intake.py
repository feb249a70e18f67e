"""Keeping an arriving mail before saying yes to it: the one door SMTP and IMAP both go through.

The raw bytes and the job that will read them are committed in one transaction; only then does
the listener answer 250 (or the poller flag the mail on the server). A crash before the commit
loses nothing the sender thinks we have; a crash after it leaves a job the next worker runs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.jobs.queue import enqueue
from gogaek.mail.models import InboundMail
from gogaek.mail.parsing import normalise_message_id

MAIL_PROCESS_JOB = "mail.process"
_HEADER_SCAN_BYTES = 256 * 1024  # headers past this are not a Message-ID we could trust anyway


@dataclass(frozen=True, slots=True)
class StoredMail:
    id: int
    created: bool  # False: the same mail (same Message-ID, or same bytes) was stored before


def message_id_of(raw: bytes) -> str | None:
    """The normalised Message-ID from the headers alone; never raises, whatever the bytes."""
    head = raw[:_HEADER_SCAN_BYTES]
    try:
        value = BytesHeaderParser(policy=compat32).parsebytes(head).get("Message-ID")
    except Exception:  # any garbage is "no id"; the full parse reports it later
        return None
    return normalise_message_id(str(value)) if value is not None else None


def dedupe_key(raw: bytes, message_id: str | None) -> str:
    """Same Message-ID means same mail (a relay's retry, IMAP and SMTP both); else the same bytes."""
    basis = f"id:{message_id}".encode() if message_id else b"raw:" + raw
    return hashlib.sha256(basis).hexdigest()


async def store_raw_mail(
    session: AsyncSession,
    raw: bytes,
    *,
    source: str,
    envelope_sender: str | None = None,
    envelope_recipients: Sequence[str] = (),
) -> StoredMail:
    """Commits the mail and its processing job; a mail stored before is not stored again."""
    message_id = message_id_of(raw)
    key = dedupe_key(raw, message_id)
    existing = await session.scalar(select(InboundMail.id).where(InboundMail.dedupe_key == key))
    if existing is not None:
        return StoredMail(existing, created=False)
    mail = InboundMail(
        dedupe_key=key,
        message_id=message_id[:255] if message_id else None,
        source=source,
        envelope_sender=envelope_sender[:254] if envelope_sender is not None else None,
        envelope_recipients=[address[:254] for address in envelope_recipients],
        raw=raw,
        size=len(raw),
    )
    session.add(mail)
    try:
        await session.flush()
        await enqueue(session, MAIL_PROCESS_JOB, {"inbound_mail_id": mail.id})
        await session.commit()
    except IntegrityError:
        # The same mail arrived at the same moment through another door (or process).
        await session.rollback()
        winner = await session.scalar(select(InboundMail.id).where(InboundMail.dedupe_key == key))
        if winner is None:
            raise
        return StoredMail(winner, created=False)
    return StoredMail(mail.id, created=True)
