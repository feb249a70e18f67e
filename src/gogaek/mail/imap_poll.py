"""IMAP polling of an existing mailbox: every mail in it is stored exactly once, none is lost.

Order is what makes it safe: fetch (BODY.PEEK, so \\Seen is not ours to set), commit through
``store_raw_mail``, and only then flag the mail ``$GogaekStored`` or move it away. A crash in
between leaves the mail untaken on the server; the next poll fetches it again and the store
dedupes it (by Message-ID, else by bytes), then flags it. Several processes may poll at once for
the same reason. The IMAP talk is blocking imaplib in a worker thread; the database work stays
on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gogaek.config import Settings
from gogaek.jobs.worker import PeriodicTask
from gogaek.mail.imap_connection import ImapMailbox, ImapMessageError, ImapUnavailableError
from gogaek.mail.intake import store_raw_mail

log = logging.getLogger("gogaek.mail.imap")

SOURCE = "imap"


async def poll_mailbox(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> int:
    """Takes every untaken mail of the folder; returns how many were new to the database.

    Server trouble (network, TLS, login, a connection lost midway) is logged and ends the poll
    with what was stored so far: it never raises, the next poll simply tries again.
    """
    if not settings.imap_host:
        return 0
    if not settings.imap_username or not settings.imap_password:
        log.warning(
            "IMAP 사용자 이름과 비밀번호가 설정되지 않았습니다 / GOGAEK_IMAP_USERNAME and _PASSWORD are not set"
        )
        return 0
    try:
        mailbox = await asyncio.to_thread(ImapMailbox.open, settings)
    except ImapUnavailableError as exc:
        log.warning(
            "IMAP 메일을 가져오지 못했습니다, 다음 주기에 다시 시도합니다: %s / IMAP poll failed, retrying next time",
            exc,
        )
        return 0
    counter = _Counter()
    try:
        await _take_all(mailbox, sessionmaker, settings, counter)
    except ImapUnavailableError as exc:
        log.warning(
            "IMAP 연결 문제로 이번 가져오기를 중단합니다 (새 메일 %d건 저장): %s / IMAP poll stopped, %d new stored",
            counter.created,
            exc,
            counter.created,
        )
    finally:
        await asyncio.to_thread(mailbox.close)
    if counter.created:
        log.info("IMAP 새 메일 %d건 저장 / stored %d new mails from IMAP", counter.created, counter.created)
    return counter.created


class _Counter:
    created = 0


async def _take_all(
    mailbox: ImapMailbox,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    counter: _Counter,
) -> None:
    """Batch by batch: sizes, bodies one at a time (stored as each arrives), then one flag/move."""
    uids = await asyncio.to_thread(mailbox.untaken_uids)
    batch_size = max(1, settings.imap_batch_size)
    for start in range(0, len(uids), batch_size):
        batch = uids[start : start + batch_size]
        sizes = await asyncio.to_thread(mailbox.sizes, batch)
        too_large = [uid for uid in batch if sizes.get(uid, 0) > settings.inbound_mail_max_bytes]
        if too_large:
            log.warning(
                "IMAP 메일이 최대 크기(%d바이트)를 넘어 가져오지 않고 메일함에 둡니다 (UID %s) / "
                "mail over inbound_mail_max_bytes left in the mailbox",
                settings.inbound_mail_max_bytes,
                too_large,
            )
            await asyncio.to_thread(_mark_quietly, mailbox.mark_too_large, too_large)
        taken: list[int] = []
        async with sessionmaker() as session:
            for uid in batch:
                if uid not in sizes or uid in too_large:
                    continue  # gone meanwhile (another poller moved it), or left for a human
                try:
                    raw = await asyncio.to_thread(mailbox.fetch, uid)
                except ImapMessageError as exc:
                    log.warning("IMAP 메일 UID %d를 가져오지 못해 다음에 다시 시도합니다: %s / fetch failed", uid, exc)
                    continue
                if len(raw) > settings.inbound_mail_max_bytes:  # RFC822.SIZE lied; the limit still holds
                    log.warning("IMAP 메일 UID %d가 최대 크기를 넘습니다 / mail over the limit", uid)
                    continue
                stored = await store_raw_mail(session, raw, source=SOURCE)
                counter.created += stored.created
                taken.append(uid)
        # Only now, with every stored mail committed, is the server told that they are ours.
        await asyncio.to_thread(_mark_quietly, mailbox.mark_taken, taken)


def _mark_quietly(mark: Callable[[Sequence[int]], None], uids: list[int]) -> None:
    """A refused STORE/MOVE only means the mails are fetched (and deduped) again next poll."""
    try:
        mark(uids)
    except ImapMessageError as exc:
        log.warning("IMAP 메일 표시/이동 실패, 다음에 다시 시도합니다: %s / flag or move failed", exc)


async def _run(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, now: datetime) -> int:
    return await poll_mailbox(sessionmaker, settings)


def imap_periodic_tasks(settings: Settings) -> list[PeriodicTask]:
    """The poll as a worker periodic task, only when an IMAP host is configured."""
    if not settings.imap_host:
        return []
    return [PeriodicTask("mail-imap-poll", settings.imap_poll_seconds, _run)]
