"""Raw RFC 5322 bytes to a ParsedMail: what the email channel stores, threads and shows to agents.

The stdlib parser (``email.policy.compat32``: it never raises on broken headers and leaves raw
8-bit bytes reachable) builds the part tree; headers, parameters, charsets and transfer
encodings are decoded here, leniently, because Korean mail is often mislabelled.

Limits, so hostile mail costs bounded work:

* ``MAX_DEPTH`` (20): parts nested deeper than this are ignored. Nesting so deep that the stdlib
  parser itself recurses out (several hundred levels) raises MailParseError.
* ``MAX_PARTS`` (500): parts after the 500th (in document order) are ignored.
* Message size is not limited here; the SMTP listener refuses oversized mail. The stdlib parser
  is fed in 64 KiB chunks and payloads are decoded once per part, so a 24 MB mail peaks at about
  four times its size in memory (one big feed alone would take eight).
"""

from __future__ import annotations

import binascii
import email.utils
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.feedparser import BytesFeedParser
from email.generator import BytesGenerator
from email.message import Message
from email.policy import compat32

from gogaek.mail.charsets import decode_base64, decode_header_value, decode_text, parse_parameters, to_raw_bytes, unfold
from gogaek.mail.classify import (
    automatic_reason,
    header_block,
    normalise_message_id,
    original_message_ids,
    parse_message_ids,
)
from gogaek.mail.html_text import html_to_text, referenced_content_ids
from gogaek.mail.quoting import strip_quoted

__all__ = ["MailAttachment", "MailParseError", "ParsedMail", "normalise_message_id", "parse_mail", "parse_message_ids"]

MAX_DEPTH = 20
MAX_PARTS = 500
FEED_CHUNK = 1 << 16
KNOWN_HEADERS = frozenset(
    {
        "from", "to", "cc", "subject", "date", "message-id", "received", "return-path", "content-type",
        "mime-version", "delivered-to", "x-original-to", "sender", "reply-to", "in-reply-to", "references",
    }
)  # fmt: skip
BODY_TYPES = frozenset({"text/plain", "text/html"})
_MIME_TYPE = re.compile(r"^[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+$")
_ADDRESS = re.compile(r"^[^@\s<>,;:\"()\[\]]+@[^@\s<>,;:\"()\[\]]+$")
_LOOSE_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
_FILENAME_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


class MailParseError(ValueError):
    """The only exception parse_mail may raise: says in Korean first, then English, why the bytes are not a mail."""


@dataclass(frozen=True, slots=True)
class MailAttachment:
    """A non-body part: a file, an inline image, a forwarded message (.eml) or a bounce report part."""

    filename: str | None
    content_type: str
    data: bytes
    inline: bool


@dataclass(frozen=True, slots=True)
class ParsedMail:
    """Everything the email channel needs from one received mail; see the module docstring for limits."""

    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    subject: str
    sender: str | None
    sender_name: str | None
    recipients: tuple[str, ...]
    date: datetime | None
    text: str
    visible_text: str
    attachments: tuple[MailAttachment, ...]
    automatic: str | None
    bounce_of: tuple[str, ...]


# --- headers -------------------------------------------------------------------------------------


def _raw_headers(part: Message, name: str) -> list[bytes]:
    """Every value of one header as the bytes on the wire (unfolded later), in order."""
    lowered = name.lower()
    return [to_raw_bytes(value) for key, value in part.raw_items() if key.lower() == lowered and isinstance(value, str)]


def _first_header(part: Message, name: str) -> bytes | None:
    values = _raw_headers(part, name)
    return values[0] if values else None


def _content_type(part: Message) -> tuple[str, dict[str, str]]:
    raw = _first_header(part, "content-type")
    if raw is None:
        return part.get_default_type(), {}
    main, params = parse_parameters(raw)
    return (main, params) if _MIME_TYPE.match(main) else ("text/plain", params)


def _disposition(part: Message) -> tuple[str, dict[str, str]]:
    raw = _first_header(part, "content-disposition")
    return parse_parameters(raw) if raw is not None else ("", {})


def _addresses(values: list[bytes]) -> list[tuple[str, str]]:
    """(decoded display name, lowercased address) pairs; unparsable entries are skipped."""
    pairs: list[tuple[str, str]] = []
    for raw in values:
        text = decode_text(unfold(raw), None).replace("\r", " ").replace("\n", " ")
        try:
            parsed = email.utils.getaddresses([text])
        except (ValueError, TypeError, IndexError, AttributeError):
            parsed = []
        good = [(name, address.strip().lower()) for name, address in parsed if _ADDRESS.match(address.strip())]
        if not good:
            good = [("", match.group().lower()) for match in _LOOSE_ADDRESS.finditer(text)]
        pairs.extend((decode_header_value(name), address) for name, address in good)
    return pairs


def _date(raw: bytes | None) -> datetime | None:
    if raw is None:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(decode_text(unfold(raw), None).strip())
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)  # "-0000": the zone is unknown; UTC is the honest guess
        return parsed.astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


# --- parts ---------------------------------------------------------------------------------------


@dataclass
class _Attachment:
    filename: str | None
    content_type: str
    data: bytes
    disposition: str
    content_id: str | None


@dataclass
class _Walk:
    """What a walk over the part tree collects."""

    texts: list[str] = field(default_factory=list)
    attachments: list[_Attachment] = field(default_factory=list)
    shown_cids: set[str] = field(default_factory=set)
    attached_headers: list[bytes] = field(default_factory=list)
    parts: int = 0


def _payload(part: Message) -> bytes:
    """A leaf part's content with its transfer encoding undone (once: payloads may be megabytes).

    Base64 and quoted-printable get our lenient decoders when the encoded text is ASCII, as it
    should be. Otherwise the stdlib's ``decode=True`` is the only public way to the raw bytes
    (``decode=False`` would decode 8-bit bytes with the declared charset, replacing errors).
    """
    encoding = (_first_header(part, "content-transfer-encoding") or b"").strip().lower()
    if encoding in {b"base64", b"quoted-printable"}:
        text = part.get_payload()
        if isinstance(text, str) and text.isascii():
            raw = text.encode("ascii")
            if encoding == b"base64":
                return decode_base64(raw)
            try:
                return binascii.a2b_qp(raw)
            except (binascii.Error, ValueError):
                return raw
    try:
        decoded = part.get_payload(decode=True)
    except (binascii.Error, ValueError, TypeError, LookupError, IndexError):
        return b""
    return decoded if isinstance(decoded, bytes) else b""


def _text_of(data: bytes, charset: str | None) -> str:
    text = decode_text(data, charset)
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


def _serialise(message: Message) -> bytes:
    """An embedded message back to bytes, for a .eml attachment; broken ones as best we can."""
    buffer = io.BytesIO()
    try:
        BytesGenerator(buffer, mangle_from_=False, policy=compat32).flatten(message)
        return buffer.getvalue()
    except Exception:  # the generator trips over what the parser accepted; fall back below
        try:
            return message.as_string().encode("utf-8", "surrogateescape")
        except Exception:  # anything: an attachment is not worth failing the mail
            return b""


def _eml_name(inner: Message | None, given: str | None) -> str:
    if given:
        return given
    subject = decode_header_value(_first_header(inner, "subject") or b"") if inner is not None else ""
    subject = _FILENAME_UNSAFE.sub("_", subject).strip(" ._")[:100]
    return f"{subject or 'forwarded-message'}.eml"


def _filename(params: dict[str, str], disposition_params: dict[str, str]) -> str | None:
    raw = disposition_params.get("filename") or params.get("name")
    if not raw:
        return None
    return decode_header_value(raw) or None


def _choose_alternative(children: list[Message]) -> Message | None:
    """Plain text if it says anything, else the richest other alternative (HTML or a related bundle)."""
    plain = [c for c in children if not c.is_multipart() and _content_type(c)[0] == "text/plain"]
    for child in plain:
        if _payload(child).strip():
            return child
    nested = [c for c in children if c.is_multipart() and _content_type(c)[0].startswith("multipart/")]
    if nested:
        return nested[-1]
    html = [c for c in children if not c.is_multipart() and _content_type(c)[0] == "text/html"]
    if html:
        return html[-1]
    return plain[0] if plain else (children[0] if children else None)


def _walk(part: Message, depth: int, body: bool, state: _Walk) -> None:
    """Body text (when ``body``), attachments and cid references, depth-first in document order."""
    state.parts += 1
    if state.parts > MAX_PARTS or depth > MAX_DEPTH:
        return
    content_type, params = _content_type(part)
    disposition, disposition_params = _disposition(part)
    filename = _filename(params, disposition_params)
    payload = part.get_payload()
    if isinstance(payload, list):
        children = [child for child in payload if isinstance(child, Message)]
        if content_type.startswith("multipart/"):
            chosen = _choose_alternative(children) if content_type == "multipart/alternative" and body else None
            for child in children:
                _walk(child, depth + 1, body and (chosen is None or child is chosen), state)
            return
        _embedded(part, content_type, children, filename, disposition, state)
        return
    data = _payload(part)
    if content_type.startswith("multipart/"):
        content_type = "text/plain"  # a multipart without a usable boundary: the stdlib kept it as text
    is_body = content_type in BODY_TYPES and disposition != "attachment" and filename is None
    if is_body:
        if content_type == "text/html":
            html = _text_of(data, params.get("charset"))
            state.shown_cids |= referenced_content_ids(html)
            if body:
                state.texts.append(html_to_text(html))
        elif body:
            state.texts.append(_text_of(data, params.get("charset")))
        return
    if content_type in {"text/rfc822-headers", "message/rfc822-headers", "message/rfc822"}:
        state.attached_headers.append(header_block(data))
        if content_type == "message/rfc822":
            filename = _eml_name(None, filename)
    content_id = (_first_header(part, "content-id") or b"").decode("utf-8", "replace").strip().strip("<>").lower()
    state.attachments.append(_Attachment(filename, content_type, data, disposition, content_id or None))


def _embedded(
    part: Message, content_type: str, children: list[Message], filename: str | None, disposition: str, state: _Walk
) -> None:
    """A message/* part the stdlib parsed into messages: a forwarded mail, a bounce's original or report."""
    if content_type == "message/delivery-status":
        data = b"\n".join(_serialise(child) for child in children)
        state.attachments.append(_Attachment(filename, content_type, data, disposition, None))
        return
    inner = children[0] if children else None
    data = _serialise(inner) if inner is not None else b""
    state.attached_headers.append(header_block(data))
    if content_type == "message/rfc822-headers":
        state.attachments.append(_Attachment(filename, content_type, data, disposition, None))
        return
    name = _eml_name(inner, filename)
    state.attachments.append(_Attachment(name, "message/rfc822", data, disposition, None))


def _finish_attachments(state: _Walk) -> tuple[MailAttachment, ...]:
    """Inline means an image the HTML shows by Content-ID or one declared inline."""
    out = []
    for item in state.attachments:
        shown = item.content_id is not None and item.content_id in state.shown_cids
        inline = item.content_type.startswith("image/") and (shown or item.disposition == "inline")
        out.append(MailAttachment(item.filename, item.content_type, item.data, inline))
    return tuple(out)


# --- the mail ------------------------------------------------------------------------------------


def _parse_tree(raw: bytes) -> Message:
    """The stdlib's part tree, fed in chunks: one big feed splits a 24 MB mail into lines all at once
    (about 8 times its size in memory); chunks keep that near 3 times."""
    parser = BytesFeedParser(policy=compat32)
    view = memoryview(raw)
    try:
        for start in range(0, len(raw), FEED_CHUNK):
            parser.feed(bytes(view[start : start + FEED_CHUNK]))
        message = parser.close()
    except RecursionError as exc:
        raise MailParseError("MIME 구조가 너무 깊게 중첩되어 있습니다 (MIME parts are nested too deeply)") from exc
    if not any(key.lower() in KNOWN_HEADERS for key in message):
        raise MailParseError("메일 헤더가 없습니다 (no mail header fields such as From, To, Subject or Date)")
    return message


def parse_mail(raw: bytes, *, envelope_sender: str | None = None) -> ParsedMail:
    """Parse one received mail; raises MailParseError, and only that, when the bytes are not a mail."""
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise MailParseError("메일은 바이트여야 합니다 (a mail must be bytes)")
    data = raw if isinstance(raw, bytes) else bytes(raw)
    if not data or data.isspace():  # not .strip(): that would copy a 24 MB mail
        raise MailParseError("빈 메일입니다 (the mail is empty)")
    try:
        return _parse(data, envelope_sender)
    except MailParseError:
        raise
    except RecursionError as exc:
        raise MailParseError("MIME 구조가 너무 깊게 중첩되어 있습니다 (MIME parts are nested too deeply)") from exc
    except Exception as exc:  # the contract holds even for a parser bug; the cause stays attached for tests
        raise MailParseError(f"메일을 해석하지 못했습니다 (could not parse the mail: {type(exc).__name__})") from exc


def _parse(raw: bytes, envelope_sender: str | None) -> ParsedMail:
    message = _parse_tree(raw)

    def header(name: str) -> str | None:
        value = _first_header(message, name)
        return None if value is None else decode_header_value(value)

    def ids(name: str) -> tuple[str, ...]:
        found: list[str] = []
        for value in _raw_headers(message, name):
            found.extend(parse_message_ids(decode_text(unfold(value), None)))
        return tuple(dict.fromkeys(found))

    senders = _addresses(_raw_headers(message, "from"))
    sender_name, sender = senders[0] if senders else ("", None)
    recipients: list[str] = []
    for name in ("to", "cc", "delivered-to", "x-original-to"):
        recipients.extend(address for _name, address in _addresses(_raw_headers(message, name)))

    state = _Walk()
    _walk(message, 0, True, state)
    text = "\n".join(piece.strip("\n") for piece in state.texts if piece.strip()).strip()
    in_reply_to, references = ids("in-reply-to"), ids("references")
    content_type, params = _content_type(message)
    automatic = automatic_reason(
        header, content_type=content_type, report_type=params.get("report-type"), sender=sender,
        envelope_sender=envelope_sender,
    )  # fmt: skip
    bounce_of: tuple[str, ...] = ()
    if automatic in {"bounce", "mailer-daemon"}:
        bounce_of = original_message_ids(state.attached_headers, text, (*in_reply_to, *references[-1:]))
    return ParsedMail(
        message_id=next(iter(ids("message-id")), None),
        in_reply_to=in_reply_to,
        references=references,
        subject=header("subject") or "",
        sender=sender,
        sender_name=sender_name or None,
        recipients=tuple(dict.fromkeys(recipients)),
        date=_date(_first_header(message, "date")),
        text=text,
        visible_text=strip_quoted(text) or text,
        attachments=_finish_attachments(state),
        automatic=automatic,
        bounce_of=bounce_of,
    )
