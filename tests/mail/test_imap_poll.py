"""IMAP polling against a real dovecot: every mail stored exactly once, flagged or moved only after.

Transport and exactly-once storage only; what a stored mail becomes is the parser's business.
Every test runs on SQLite and on PostgreSQL (the ``settings`` fixture).
"""

from __future__ import annotations

import asyncio
import base64
import imaplib
import logging
import socket
import uuid
from collections.abc import AsyncIterator, Sequence

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gogaek.config import Settings
from gogaek.db import create_engine, create_sessionmaker, utcnow
from gogaek.mail.imap_connection import TAKEN_FLAG, TOO_LARGE_FLAG, ImapMailbox, ImapMessageError, imap_utf7
from gogaek.mail.imap_poll import imap_periodic_tasks, poll_mailbox
from gogaek.mail.intake import store_raw_mail
from gogaek.mail.models import InboundMail
from tests.mail_servers import DovecotServer, ImapAccount, dovecot  # noqa: F401 - the fixture

pytestmark = pytest.mark.integration


def mail(
    subject: str = "환불 문의", *, body: bytes = b"Hello, I would like a refund.", message_id: bool = True
) -> bytes:
    """A raw mail as it travels: CRLF line ends, a unique Message-ID unless told otherwise."""
    lines = [
        b"From: Kim <kim@example.kr>",
        b"To: help@gogaek.example",
        b"Subject: =?UTF-8?B?" + base64.b64encode(subject.encode()) + b"?=",
        b"Date: Sun, 06 Dec 2026 10:00:00 +0900",
    ]
    if message_id:
        lines.append(f"Message-ID: <{uuid.uuid4().hex}@example.kr>".encode())
    lines += [b"MIME-Version: 1.0", b"Content-Type: text/plain; charset=utf-8", b"", body, b""]
    return b"\r\n".join(lines)


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def euc_kr_mail() -> bytes:
    body = "안녕하세요. 지난주 주문한 상품의 환불을 요청합니다.\r\n감사합니다.".encode("euc-kr")
    return (
        b"From: =?EUC-KR?B?seiw7bC0?= <kim@example.kr>\r\nTo: help@gogaek.example\r\n"
        b"Subject: =?EUC-KR?B?yK+60iC5rsDH?=\r\nMessage-ID: <" + uuid.uuid4().hex.encode() + b"@example.kr>\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=euc-kr\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + body
        + b"\r\n"
    )


@pytest.fixture
async def sessionmaker(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(settings)
    yield create_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
def account(dovecot: DovecotServer) -> ImapAccount:  # noqa: F811 - the imported fixture
    return dovecot.new_mailbox()


def imap_settings(settings: Settings, account: ImapAccount, **overrides: object) -> Settings:
    return settings.model_copy(update=account.imap_settings(**overrides))


async def stored_mails(sessionmaker: async_sessionmaker[AsyncSession]) -> list[tuple[str, bytes]]:
    async with sessionmaker() as session:
        rows = await session.execute(select(InboundMail.source, InboundMail.raw).order_by(InboundMail.id))
        return [(source, bytes(raw)) for source, raw in rows.all()]


async def test_new_mails_are_stored_byte_exact_then_flagged_and_not_taken_twice(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], account: ImapAccount
) -> None:
    raws = [mail(), euc_kr_mail(), mail("메시지 아이디 없음", message_id=False)]
    for raw in raws:
        account.deliver(raw)
    polling = imap_settings(settings, account)

    assert await poll_mailbox(sessionmaker, polling) == 3

    assert await stored_mails(sessionmaker) == [("imap", raw) for raw in raws]
    on_server = account.messages()
    assert sorted(raw for _, raw in on_server.values()) == sorted(raws)
    assert all({TAKEN_FLAG, "\\Seen"} <= flags for flags, _ in on_server.values())
    assert await poll_mailbox(sessionmaker, polling) == 0
    assert len(await stored_mails(sessionmaker)) == 3


async def test_a_mail_a_human_already_read_is_still_taken(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], account: ImapAccount
) -> None:
    raw = mail("읽은 메일")
    account.deliver(raw, flags="\\Seen")

    assert await poll_mailbox(sessionmaker, imap_settings(settings, account)) == 1

    assert await stored_mails(sessionmaker) == [("imap", raw)]
    [(flags, _)] = account.messages().values()
    assert TAKEN_FLAG in flags


@pytest.mark.parametrize("move_capability", [True, False], ids=["move", "copy-expunge"])
async def test_processed_folder_gets_the_taken_mail(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    account: ImapAccount,
    monkeypatch: pytest.MonkeyPatch,
    move_capability: bool,
) -> None:
    if not move_capability:
        original = ImapMailbox.mark_taken

        def without_move(self: ImapMailbox, uids: Sequence[int]) -> None:
            self.capabilities = self.capabilities - {"MOVE"}
            original(self, uids)

        monkeypatch.setattr(ImapMailbox, "mark_taken", without_move)
    raws = [mail(), euc_kr_mail()]
    for raw in raws:
        account.deliver(raw, flags="\\Seen")  # in move mode what is left in the folder is untaken
    polling = imap_settings(settings, account, imap_processed_folder="처리 완료")

    assert await poll_mailbox(sessionmaker, polling) == 2

    assert await stored_mails(sessionmaker) == [("imap", raw) for raw in raws]
    assert account.messages() == {}
    moved = account.messages(imap_utf7("처리 완료").join('""'))
    assert sorted(raw for _, raw in moved.values()) == sorted(raws)
    assert await poll_mailbox(sessionmaker, polling) == 0


async def test_crash_between_store_and_flag_stores_nothing_new_and_flags_next_time(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    account: ImapAccount,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    raws = [mail(), mail("두 번째")]
    for raw in raws:
        account.deliver(raw)
    polling = imap_settings(settings, account)
    original = ImapMailbox.mark_taken

    def connection_drops(self: ImapMailbox, uids: Sequence[int]) -> None:
        self.connection.shutdown()  # the network goes away after the commit, before the flag
        original(self, uids)

    monkeypatch.setattr(ImapMailbox, "mark_taken", connection_drops)
    with caplog.at_level(logging.WARNING, logger="gogaek.mail.imap"):
        assert await poll_mailbox(sessionmaker, polling) == 2
    assert "IMAP 연결" in caplog.text
    # Fetched with BODY.PEEK and never flagged: the server shows them exactly as before.
    assert all(flags == frozenset() for flags, _ in account.messages().values())

    monkeypatch.setattr(ImapMailbox, "mark_taken", original)
    assert await poll_mailbox(sessionmaker, polling) == 0

    assert await stored_mails(sessionmaker) == [("imap", raw) for raw in raws]
    assert all(TAKEN_FLAG in flags for flags, _ in account.messages().values())


async def test_a_mail_stored_before_is_only_flagged(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], account: ImapAccount
) -> None:
    raw = mail()
    async with sessionmaker() as session:
        assert (await store_raw_mail(session, raw, source="imap")).created
    account.deliver(raw)

    assert await poll_mailbox(sessionmaker, imap_settings(settings, account)) == 0

    assert await stored_mails(sessionmaker) == [("imap", raw)]
    [(flags, _)] = account.messages().values()
    assert TAKEN_FLAG in flags


async def test_a_message_that_cannot_be_fetched_is_retried_next_poll(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    account: ImapAccount,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, second = mail("첫 번째"), mail("두 번째")
    broken_uid = account.deliver(first)
    account.deliver(second)
    polling = imap_settings(settings, account)
    original = ImapMailbox.fetch

    def fails_once(self: ImapMailbox, uid: int) -> bytes:
        if uid == broken_uid:
            raise ImapMessageError("simulated NO")
        return original(self, uid)

    monkeypatch.setattr(ImapMailbox, "fetch", fails_once)
    assert await poll_mailbox(sessionmaker, polling) == 1
    assert TAKEN_FLAG not in account.messages()[broken_uid][0]

    monkeypatch.setattr(ImapMailbox, "fetch", original)
    assert await poll_mailbox(sessionmaker, polling) == 1
    assert sorted(raw for _, raw in await stored_mails(sessionmaker)) == sorted([first, second])


@pytest.mark.parametrize("processed_folder", [None, "Processed"], ids=["flag", "move"])
async def test_two_pollers_at_once_store_every_mail_exactly_once(
    settings: Settings, account: ImapAccount, processed_folder: str | None
) -> None:
    raws = [mail(f"동시 {n}") for n in range(12)]
    for raw in raws:
        account.deliver(raw)
    polling = imap_settings(settings, account, imap_batch_size=5, imap_processed_folder=processed_folder)
    engines = [create_engine(settings), create_engine(settings)]  # as two processes would have
    try:
        makers = [create_sessionmaker(engine) for engine in engines]
        counts = await asyncio.gather(*(poll_mailbox(maker, polling) for maker in makers))
        assert sum(counts) == 12
        assert await poll_mailbox(makers[0], polling) == 0
        stored = await stored_mails(makers[0])
    finally:
        for engine in engines:
            await engine.dispose()

    assert sorted(raw for _, raw in stored) == sorted(raws)
    if processed_folder is None:
        assert all(TAKEN_FLAG in flags for flags, _ in account.messages().values())
    else:
        assert account.messages() == {}
        # Two sessions moving the same mail at the same moment may both copy it (dovecot does):
        # the processed folder can hold a duplicate, the database never does.
        moved = [raw for _, raw in account.messages(processed_folder).values()]
        assert set(moved) == set(raws)


async def test_starttls_on_plain_imap(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], account: ImapAccount
) -> None:
    raw = mail()
    account.deliver(raw)
    # dovecot refuses to log in before STARTTLS (disable_plaintext_auth): storing proves TLS was used.
    polling = imap_settings(settings, account, imap_ssl=False, imap_port=account.server.plain_port)

    assert await poll_mailbox(sessionmaker, polling) == 1
    assert await stored_mails(sessionmaker) == [("imap", raw)]


async def test_a_server_that_refuses_keywords_is_only_polled_in_move_mode(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    account: ImapAccount,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    original = imaplib.IMAP4.response

    def no_keywords(self: imaplib.IMAP4, code: str) -> tuple[str, list[object]]:
        typ, data = original(self, code)
        return (typ, [b"(\\Answered \\Flagged \\Deleted \\Seen \\Draft)"]) if code == "PERMANENTFLAGS" else (typ, data)

    monkeypatch.setattr(imaplib.IMAP4, "response", no_keywords)
    raw = mail()
    account.deliver(raw)

    with caplog.at_level(logging.WARNING, logger="gogaek.mail.imap"):
        assert await poll_mailbox(sessionmaker, imap_settings(settings, account)) == 0
    assert "키워드를 허용하지 않습니다" in caplog.text
    assert await poll_mailbox(sessionmaker, imap_settings(settings, account, imap_processed_folder="Done")) == 1
    assert [raw for _, raw in account.messages("Done").values()] == [raw]


@pytest.mark.parametrize("trouble", ["wrong-password", "untrusted-certificate", "server-down", "no-folder"])
async def test_server_trouble_is_logged_and_polls_nothing(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    account: ImapAccount,
    caplog: pytest.LogCaptureFixture,
    trouble: str,
) -> None:
    account.deliver(mail())
    overrides: dict[str, object] = {
        "wrong-password": {"imap_password": "not-the-password"},
        "untrusted-certificate": {"imap_ca_file": None},
        "server-down": {"imap_port": unused_port()},
        "no-folder": {"imap_folder": "없는 폴더"},
    }[trouble]  # type: ignore[assignment]

    with caplog.at_level(logging.WARNING, logger="gogaek.mail.imap"):
        assert await poll_mailbox(sessionmaker, imap_settings(settings, account, **overrides)) == 0

    assert "IMAP 메일을 가져오지 못했습니다" in caplog.text
    assert await stored_mails(sessionmaker) == []
    [(flags, _)] = account.messages().values()
    assert TAKEN_FLAG not in flags


async def test_oversized_mail_is_left_in_the_mailbox_and_not_fetched_again(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    account: ImapAccount,
    caplog: pytest.LogCaptureFixture,
) -> None:
    small, large = mail(), mail("큰 메일", body=b"x" * 5000)
    account.deliver(small)
    large_uid = account.deliver(large)
    polling = imap_settings(settings, account, inbound_mail_max_bytes=2000)

    with caplog.at_level(logging.WARNING, logger="gogaek.mail.imap"):
        assert await poll_mailbox(sessionmaker, polling) == 1
    assert "최대 크기" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="gogaek.mail.imap"):
        assert await poll_mailbox(sessionmaker, polling) == 0
    assert "최대 크기" not in caplog.text  # flagged $GogaekTooLarge: not looked at every poll

    assert await stored_mails(sessionmaker) == [("imap", small)]
    large_flags, large_raw = account.messages()[large_uid]
    assert large_raw == large
    assert large_flags == {TOO_LARGE_FLAG}  # neither taken nor \Seen: a human deals with it


async def test_periodic_task_only_when_a_host_is_set(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], account: ImapAccount
) -> None:
    assert imap_periodic_tasks(settings) == []
    account.deliver(mail())
    polling = imap_settings(settings, account, imap_poll_seconds=30.0)

    [task] = imap_periodic_tasks(polling)

    assert (task.name, task.interval_seconds) == ("mail-imap-poll", 30.0)
    assert await task.run(sessionmaker, polling, utcnow()) == 1
