"""One blocking IMAP session (stdlib imaplib) for the poller; every method runs in a worker thread.

Kept apart from the poller so that the protocol details (quoting, modified UTF-7 folder names,
parsing FETCH answers by UID, MOVE or COPY + EXPUNGE) are in one place and the poller only says
what to do with a mail.
"""

from __future__ import annotations

import base64
import contextlib
import imaplib
import logging
import re
import ssl
from collections.abc import Callable, Sequence
from typing import Any

from gogaek.config import Settings

TAKEN_FLAG = "$GogaekStored"  # our keyword: stored in Gogaek's database (a human's \Seen is not ours)
TOO_LARGE_FLAG = "$GogaekTooLarge"  # over inbound_mail_max_bytes: left in the mailbox for a human
SOCKET_TIMEOUT_SECONDS = 60.0

log = logging.getLogger("gogaek.mail.imap")

_UID = re.compile(rb"\bUID (\d+)")
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")


class ImapUnavailableError(Exception):
    """The server cannot be used now (network, TLS, login, folder); the next poll tries again."""


class ImapMessageError(Exception):
    """One message could not be fetched; it stays untaken and is tried again next poll."""


def imap_utf7(name: str) -> str:
    """A folder name in IMAP's modified UTF-7 (RFC 3501 5.1.3): Korean names such as "처리완료"."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).decode("ascii")
            out.append("&" + encoded.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


def quoted_mailbox(name: str) -> str:
    """imaplib sends arguments as they are; a folder name with spaces or quotes must be quoted."""
    encoded = imap_utf7(name).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{encoded}"'


def tls_context(settings: Settings) -> ssl.SSLContext:
    """Verifies the server against the system CAs, plus imap_ca_file (a private or self-signed CA)."""
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if settings.imap_ca_file is not None:
        context.load_verify_locations(cafile=str(settings.imap_ca_file))
    return context


def _check(result: tuple[str, list[Any]], what: str) -> list[Any]:
    typ, data = result
    if typ != "OK":
        raise ImapMessageError(f"{what}: {typ} {data!r}")
    return data


def _uid_set(uids: Sequence[int]) -> str:
    return ",".join(str(uid) for uid in uids)


class ImapMailbox:
    """A logged-in connection with the source folder selected read-write."""

    def __init__(self, connection: imaplib.IMAP4, settings: Settings) -> None:
        self.connection = connection
        self.settings = settings
        self.capabilities: frozenset[str] = frozenset()
        self.keywords_allowed = False

    @classmethod
    def open(cls, settings: Settings) -> ImapMailbox:
        """Connects, secures, logs in and selects; anything that goes wrong is ImapUnavailableError."""
        host, port = settings.imap_host or "", settings.imap_port
        try:
            if settings.imap_ssl:
                connection: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                    host, port, ssl_context=tls_context(settings), timeout=SOCKET_TIMEOUT_SECONDS
                )
            else:
                connection = imaplib.IMAP4(host, port, timeout=SOCKET_TIMEOUT_SECONDS)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise ImapUnavailableError(
                f"IMAP 서버 {host}:{port}에 연결하지 못했습니다 / cannot connect: {exc}"
            ) from exc
        mailbox = cls(connection, settings)
        try:
            mailbox._secure_login_select()
        except BaseException:
            mailbox.close()
            raise
        return mailbox

    def _secure_login_select(self) -> None:
        settings, connection = self.settings, self.connection
        try:
            if not settings.imap_ssl and "STARTTLS" in connection.capabilities:
                connection.starttls(ssl_context=tls_context(settings))
            elif not settings.imap_ssl:
                log.warning(
                    "IMAP 서버가 STARTTLS를 제공하지 않아 암호화 없이 로그인합니다 (%s) / logging in without TLS",
                    settings.imap_host,
                )
            connection.login(settings.imap_username or "", settings.imap_password or "")
        except (OSError, imaplib.IMAP4.error, UnicodeError) as exc:
            raise ImapUnavailableError(f"IMAP 로그인 실패 / login failed ({settings.imap_username}): {exc}") from exc
        try:
            # imaplib keeps the capabilities from before login; servers announce more after it.
            capability = _check(connection.capability(), "CAPABILITY")
            self.capabilities = frozenset(
                word.upper() for line in capability if isinstance(line, bytes) for word in line.decode().split()
            )
            if settings.imap_processed_folder:
                # NO when it exists already: harmless, so the answer is not checked.
                connection.create(quoted_mailbox(settings.imap_processed_folder))
            connection.untagged_responses.pop("PERMANENTFLAGS", None)
            typ, data = connection.select(quoted_mailbox(settings.imap_folder))
            if typ != "OK":
                raise ImapUnavailableError(
                    f"IMAP 폴더 {settings.imap_folder}를 열지 못했습니다 / cannot select: {data!r}"
                )
            if "READ-ONLY" in connection.untagged_responses:
                raise ImapUnavailableError(f"IMAP 폴더 {settings.imap_folder}가 읽기 전용입니다 / folder is read-only")
            _, permanent = connection.response("PERMANENTFLAGS")
            flags = b" ".join(item for item in permanent if isinstance(item, bytes))
            self.keywords_allowed = b"\\*" in flags or TAKEN_FLAG.encode() in flags
            if not self.keywords_allowed and not settings.imap_processed_folder:
                raise ImapUnavailableError(
                    f"IMAP 서버가 {TAKEN_FLAG} 키워드를 허용하지 않습니다; GOGAEK_IMAP_PROCESSED_FOLDER를 설정하세요 / "
                    "the server does not allow our keyword flag: set a processed folder (move mode)"
                )
        except (OSError, imaplib.IMAP4.error, ImapMessageError) as exc:
            raise ImapUnavailableError(f"IMAP 폴더 준비 실패 / cannot prepare folder: {exc}") from exc

    def untaken_uids(self) -> list[int]:
        """Every mail not yet taken: the keyword marks taken mail (in move mode, what is left is untaken)."""
        criteria: list[str] = []
        if self.settings.imap_processed_folder:
            criteria.append("UNDELETED")  # copied, marked \Deleted, expunge interrupted: already taken
        else:
            criteria += ["UNKEYWORD", TAKEN_FLAG]
        if self.keywords_allowed:
            criteria += ["UNKEYWORD", TOO_LARGE_FLAG]
        data = self._run("UID SEARCH", lambda: self.connection.uid("SEARCH", *criteria))
        return sorted({int(uid) for line in data if isinstance(line, bytes) for uid in line.split()})

    def sizes(self, uids: Sequence[int]) -> dict[int, int]:
        """RFC822.SIZE by UID; a mail expunged meanwhile (another poller moved it) is simply absent."""
        data = self._run("UID FETCH SIZE", lambda: self.connection.uid("FETCH", _uid_set(uids), "(RFC822.SIZE)"))
        sizes: dict[int, int] = {}
        for item in data:
            head = item[0] if isinstance(item, tuple) else item
            if isinstance(head, bytes) and (uid := _UID.search(head)) and (size := _SIZE.search(head)):
                sizes[int(uid.group(1))] = int(size.group(1))
        return sizes

    def fetch(self, uid: int) -> bytes:
        """The exact bytes; BODY.PEEK so that fetching does not set \\Seen for the humans reading along."""
        data = self._run("UID FETCH BODY", lambda: self.connection.uid("FETCH", str(uid), "(BODY.PEEK[])"))
        literals: list[bytes] = []
        for index, item in enumerate(data):
            if not isinstance(item, tuple) or len(item) != 2 or not isinstance(item[1], bytes):
                continue
            head, literal = item
            after = data[index + 1] if index + 1 < len(data) else b""
            found = _UID.search(head) or (_UID.search(after) if isinstance(after, bytes) else None)
            if found and int(found.group(1)) == uid:
                return bytes(literal)
            if not found:
                literals.append(literal)
        if len(literals) == 1:  # a server that names the UID nowhere we look: the one literal is ours
            return bytes(literals[0])
        raise ImapMessageError(f"UID {uid}: 본문이 응답에 없습니다 / no body in the answer")

    def mark_taken(self, uids: Sequence[int]) -> None:
        """After the database commit: flag in place, or move to the processed folder."""
        if not uids:
            return
        folder = self.settings.imap_processed_folder
        if not folder:
            flags = f"({TAKEN_FLAG} \\Seen)"
            self._run("UID STORE", lambda: self.connection.uid("STORE", _uid_set(uids), "+FLAGS.SILENT", flags))
            return
        target = quoted_mailbox(folder)
        if "MOVE" in self.capabilities:
            self._run("UID MOVE", lambda: self.connection.uid("MOVE", _uid_set(uids), target))
            return
        self._run("UID COPY", lambda: self.connection.uid("COPY", _uid_set(uids), target))
        self._run("UID STORE", lambda: self.connection.uid("STORE", _uid_set(uids), "+FLAGS.SILENT", "(\\Deleted)"))
        if "UIDPLUS" in self.capabilities:
            self._run("UID EXPUNGE", lambda: self.connection.uid("EXPUNGE", _uid_set(uids)))
        else:  # without UIDPLUS only a plain EXPUNGE exists; the search skips \Deleted mail anyway
            self._run("EXPUNGE", self.connection.expunge)

    def mark_too_large(self, uids: Sequence[int]) -> None:
        """So that a mail we will never take is not fetched every poll; a human removes the keyword."""
        if uids and self.keywords_allowed:
            flags = f"({TOO_LARGE_FLAG})"
            self._run("UID STORE", lambda: self.connection.uid("STORE", _uid_set(uids), "+FLAGS.SILENT", flags))

    def close(self) -> None:
        """Logs out and closes the socket whatever state the connection is in (no ResourceWarning)."""
        try:
            self.connection.logout()
        except Exception:  # a dead connection: the socket still has to be closed
            with contextlib.suppress(Exception):
                self.connection.shutdown()

    def _run(self, what: str, command: Callable[[], tuple[str, list[Any]]]) -> list[Any]:
        """A command's data; a NO/BAD is ImapMessageError, a broken connection ImapUnavailableError."""
        try:
            return _check(command(), what)
        except imaplib.IMAP4.abort as exc:
            raise ImapUnavailableError(f"IMAP 연결이 끊어졌습니다 / connection lost during {what}: {exc}") from exc
        except OSError as exc:
            raise ImapUnavailableError(f"IMAP 연결 오류 / connection error during {what}: {exc}") from exc
        except imaplib.IMAP4.error as exc:
            raise ImapMessageError(f"{what}: {exc}") from exc
