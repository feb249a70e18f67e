"""Is this mail from a person? Auto-replies, bulk mail and bounces must not open or reopen inquiries.

Rules, first match wins (the reason code is what ``ParsedMail.automatic`` says):

1. ``bounce``: Content-Type multipart/report with report-type delivery-status (a DSN). It comes
   first because a DSN usually also carries Auto-Submitted and a MAILER-DAEMON sender, and
   "this bounced" is the most useful thing to know. Other reports (read receipts,
   report-type disposition-notification) are machine mail too: ``auto-submitted``.
2. ``mailer-daemon``: the From or envelope sender's local part is mailer-daemon or postmaster.
3. ``auto-submitted``: Auto-Submitted present with any value but "no" (RFC 3834).
4. ``x-autoreply``: X-Autoreply, X-Autorespond or X-Auto-Reply present (unless "no"/"false"/"0").
5. ``list``: Precedence: list, or List-Id / List-Unsubscribe present. Note a Google Group used as
   the support address adds List-Id to a customer's mail; such a setup must deliver the original.
6. ``precedence``: Precedence bulk or junk.
7. ``auto-response-suppress``: X-Auto-Response-Suppress naming All, AutoReply or OOF. Outlook puts
   this header on auto-replies and on some ordinary mail (meeting responses, mail sent by
   programs); we treat those three values as automatic, and e.g. "RN, NRN" alone as human.
8. ``null-sender``: the SMTP envelope sender (or a Return-Path header) is empty: "" or "<>".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

DAEMON_LOCAL_PARTS = frozenset({"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"})
AUTOREPLY_HEADERS = ("x-autoreply", "x-autorespond", "x-auto-reply")
SUPPRESS_AUTOMATIC = frozenset({"all", "autoreply", "oof"})
FALSE_VALUES = frozenset({"no", "false", "0", "off"})
_MESSAGE_ID_LINE = re.compile(rb"(?im)^[ \t>]*message-id[ \t]*:[ \t]*(.*(?:\r?\n[ \t]+.*)*)")
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_COMMENT = re.compile(r"\([^()]*\)")
_ANGLED_ID = re.compile(r"<\s*([^<>\s@]+@[^<>\s@]+?)\s*>")
_BARE_ID = re.compile(r"^[^<>\s@,;]+@[^<>\s@,;]+$")
MAX_ID_LENGTH = 998  # one RFC 5322 line

HeaderGetter = Callable[[str], "str | None"]


def _local_part(address: str | None) -> str | None:
    if not address:
        return None
    return address.strip().strip("<>").rsplit("@", 1)[0].lower()


def is_null_sender(envelope_sender: str | None) -> bool:
    """SMTP MAIL FROM:<> — what bounces and (properly written) auto-replies use."""
    return envelope_sender is not None and envelope_sender.strip() in {"", "<>"}


def is_daemon(address: str | None) -> bool:
    """A mail system's own address: mailer-daemon@…, postmaster@…."""
    return _local_part(address) in DAEMON_LOCAL_PARTS


def automatic_reason(
    header: HeaderGetter,
    *,
    content_type: str,
    report_type: str | None,
    sender: str | None,
    envelope_sender: str | None,
) -> str | None:
    """The reason code for a machine-sent mail (see the module docstring), or None for a person's mail."""
    if content_type == "multipart/report":
        return "bounce" if (report_type or "").strip().lower() == "delivery-status" else "auto-submitted"
    if is_daemon(sender) or (envelope_sender and is_daemon(envelope_sender)):
        return "mailer-daemon"
    submitted = (header("auto-submitted") or "").split(";", 1)[0].strip().lower()
    if submitted and submitted != "no":
        return "auto-submitted"
    for name in AUTOREPLY_HEADERS:
        value = header(name)
        if value is not None and value.strip().lower() not in FALSE_VALUES:
            return "x-autoreply"
    precedence = (header("precedence") or "").strip().lower()
    if precedence == "list" or header("list-id") is not None or header("list-unsubscribe") is not None:
        return "list"
    if precedence in {"bulk", "junk"}:
        return "precedence"
    suppress = {token.strip().lower() for token in re.split(r"[,;\s]+", header("x-auto-response-suppress") or "")}
    if suppress & SUPPRESS_AUTOMATIC:
        return "auto-response-suppress"
    return_path = header("return-path")
    if is_null_sender(envelope_sender) or (
        envelope_sender is None and return_path is not None and is_null_sender(return_path)
    ):
        return "null-sender"
    return None


def normalise_message_id(value: str) -> str | None:
    """``<local@domain>`` without comments or whitespace, or None when the value holds no such id."""
    ids = parse_message_ids(value)
    return ids[0] if ids else None


def _strip_comments(value: str) -> str:
    for _ in range(8):  # nested comments, innermost first
        stripped = _COMMENT.sub(" ", value)
        if stripped == value:
            break
        value = stripped
    return value


def parse_message_ids(value: str) -> tuple[str, ...]:
    """Every normalised id in a Message-ID / In-Reply-To / References value, in order, without repeats."""
    if not isinstance(value, str):
        return ()
    text = _strip_comments(value.replace("\r", " ").replace("\n", " "))
    found = [f"<{match.group(1)}>" for match in _ANGLED_ID.finditer(text)]
    if not found:
        found = [f"<{token}>" for token in re.split(r"[\s,;]+", text) if _BARE_ID.match(token)]
    return tuple(dict.fromkeys(item for item in found if len(item) <= MAX_ID_LENGTH))


def message_id_values_in_headers(data: bytes) -> list[str]:
    """Message-ID values in a block of header lines (text/rfc822-headers, a quoted original)."""
    return [match.group(1).decode("utf-8", "replace") for match in _MESSAGE_ID_LINE.finditer(data)]


def header_block(data: bytes) -> bytes:
    """The header part of a serialised message: up to the first empty line."""
    match = _HEADER_END.search(data)
    return data[: match.start()] if match else data


def original_message_ids(
    attached_headers: Iterable[bytes], body_text: str, reply_ids: Iterable[str]
) -> tuple[str, ...]:
    """Which of our mails bounced: the attached original's id, else a quoted one, else the threading ids."""
    for block in attached_headers:
        found = [i for value in message_id_values_in_headers(block) for i in parse_message_ids(value)]
        if found:
            return (found[0],)
    quoted = [
        i
        for value in message_id_values_in_headers(body_text.encode("utf-8", "replace"))
        for i in parse_message_ids(value)
    ]
    if quoted:
        return (quoted[0],)
    return tuple(dict.fromkeys(reply_ids))
