"""Hypothesis on parse_mail: whatever bytes arrive over SMTP, a ParsedMail or a MailParseError.

Arbitrary bytes, header-shaped bytes, and the fixtures mutated the ways real mail breaks:
truncated, bit-flipped, headers duplicated or dropped, charset labels swapped, base64 broken,
parts nested deep, header lines huge. A MailParseError must come from the parser's own checks
(its ``__cause__`` is None, or RecursionError for absurd nesting), never from a wrapped bug.
Example counts keep this module to a few seconds on a slow 2-core box; the ``long`` profile
(``GOGAEK_HYPOTHESIS_PROFILE=long``) multiplies them by ten.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gogaek.mail.parsing import MailParseError, ParsedMail, parse_mail

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "emails"
SAMPLES = {path.name: path.read_bytes() for path in sorted(FIXTURES.glob("*.eml"))}
SCALE = 10 if os.environ.get("GOGAEK_HYPOTHESIS_PROFILE") == "long" else 1


def fuzz(examples: int) -> settings:
    """Explicit counts (the fixture mutations are slower than the project's other fuzzers)."""
    return settings(
        max_examples=examples * SCALE,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


CHARSETS = [
    "utf-8", "euc-kr", "ks_c_5601-1987", "cp949", "iso-2022-kr", "iso-8859-1", "us-ascii", "utf-16", "utf-7",
    "x-unknown", "", "base64", "unicode_escape", "gb2312", "shift_jis", '"', "utf-8*ko", "a" * 300,
]  # fmt: skip
HEADER_NAMES = [
    b"From", b"To", b"Cc", b"Subject", b"Date", b"Message-ID", b"In-Reply-To", b"References", b"Content-Type",
    b"Content-Transfer-Encoding", b"Content-Disposition", b"Auto-Submitted", b"Precedence", b"List-Id",
    b"X-Auto-Response-Suppress", b"Delivered-To", b"Return-Path", b"MIME-Version", b"Content-ID",
]  # fmt: skip
_MESSAGE_ID = re.compile(r"^<[^<>\s@]+@[^<>\s@]+>$")


def check(raw: bytes, envelope_sender: str | None = None) -> None:
    """The whole contract: a clean error, or a ParsedMail whose fields keep their promises."""
    try:
        mail = parse_mail(raw, envelope_sender=envelope_sender)
    except MailParseError as error:
        assert error.__cause__ is None or isinstance(error.__cause__, RecursionError), repr(error.__cause__)
        return
    assert isinstance(mail, ParsedMail)
    for value in (mail.subject, mail.text, mail.visible_text, mail.sender_name or "", *mail.recipients):
        value.encode("utf-8")  # no lone surrogates: everything must be storable
    assert "\x00" not in mail.text
    assert "\r" not in mail.text
    assert not mail.text or mail.visible_text
    for message_id in (mail.message_id, *mail.in_reply_to, *mail.references, *mail.bounce_of):
        assert message_id is None or _MESSAGE_ID.match(message_id), message_id
    assert mail.sender is None or (mail.sender == mail.sender.lower() and "@" in mail.sender)
    assert mail.date is None or mail.date.utcoffset() is not None
    assert len(set(mail.recipients)) == len(mail.recipients)
    for attachment in mail.attachments:
        assert isinstance(attachment.data, bytes)
        assert attachment.content_type == attachment.content_type.lower()
        if attachment.filename is not None:
            attachment.filename.encode("utf-8")
    if mail.bounce_of:
        assert mail.automatic in {"bounce", "mailer-daemon"}


@fuzz(150)
@given(raw=st.binary(max_size=3000), envelope=st.none() | st.sampled_from(["", "<>", "MAILER-DAEMON@x.example"]))
def test_arbitrary_bytes(raw: bytes, envelope: str | None) -> None:
    check(raw, envelope)


HEADER_VALUES = st.binary(max_size=200) | st.text(max_size=60).map(lambda text: text.encode("utf-8", "surrogatepass"))
HEADER_LINES = st.lists(
    st.tuples(st.sampled_from(HEADER_NAMES) | st.binary(min_size=1, max_size=12), HEADER_VALUES), max_size=12
)


@fuzz(150)
@given(headers=HEADER_LINES, body=st.binary(max_size=500), newline=st.sampled_from([b"\r\n", b"\n", b"\r"]))
def test_header_shaped_bytes(headers: list[tuple[bytes, bytes]], body: bytes, newline: bytes) -> None:
    check(b"".join(name + b": " + value + newline for name, value in headers) + newline + body)


@st.composite
def mutated_fixtures(draw: st.DrawFn) -> bytes:
    """A fixture broken the ways mail breaks in transit and in bad software."""
    raw = bytearray(SAMPLES[draw(st.sampled_from(sorted(SAMPLES)))])
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        kind = draw(st.sampled_from(["truncate", "flip", "duplicate", "drop", "charset", "base64", "junk", "crlf"]))
        position = draw(st.integers(min_value=0, max_value=max(0, len(raw) - 1)))
        lines = bytes(raw).split(b"\n")
        line = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        if kind == "truncate":
            del raw[position:]
        elif kind == "flip" and raw:
            raw[position] ^= draw(st.integers(min_value=1, max_value=255))
        elif kind == "duplicate":
            lines.insert(line, lines[line])
            raw = bytearray(b"\n".join(lines))
        elif kind == "drop":
            del lines[line]
            raw = bytearray(b"\n".join(lines))
        elif kind == "charset":
            raw = bytearray(
                re.sub(rb"(?i)charset=\"?[^\";\s]*\"?", b"charset=" + draw(st.sampled_from(CHARSETS)).encode(), raw)
            )
        elif kind == "base64":
            raw[position:position] = draw(st.sampled_from([b"=", b"==", b"!", b"\xff", b"=?", b"\r\n\r\n", b"A"]))
        elif kind == "junk":
            raw[position:position] = draw(st.binary(min_size=1, max_size=40))
        else:
            raw = bytearray(raw.replace(b"\r\n", draw(st.sampled_from([b"\n", b"\r", b"\r\r\n"]))))
    return bytes(raw)


@fuzz(200)
@given(raw=mutated_fixtures())
def test_mutated_fixtures(raw: bytes) -> None:
    check(raw)


@fuzz(40)
@given(
    depth=st.integers(min_value=0, max_value=600),
    inner=st.sampled_from(sorted(SAMPLES)),
    kind=st.sampled_from([b"multipart/mixed", b"message/rfc822", b"multipart/alternative"]),
)
def test_deep_nesting(depth: int, inner: str, kind: bytes) -> None:
    if kind == b"message/rfc822":
        head = b"From: a@example.com\r\nContent-Type: message/rfc822\r\n\r\n" * depth
    else:
        head = b"".join(b"Content-Type: %s; boundary=b%d\r\n\r\n--b%d\r\n" % (kind, i, i) for i in range(depth))
    check(b"From: a@example.com\r\nSubject: deep\r\n" + head + SAMPLES[inner])


@fuzz(20)
@given(
    name=st.sampled_from([b"Subject", b"From", b"References", b"Content-Type", b"X-Long"]),
    unit=st.sampled_from([b"=?utf-8?B?7ZWc?= ", b"<a@b> ", b"a", "한".encode(), b"(", b'"', b"; x*0*=%ED", b"\r\n "]),
    count=st.integers(min_value=1000, max_value=40_000),
)
def test_huge_header_lines(name: bytes, unit: bytes, count: int) -> None:
    check(name + b": " + unit * count + b"\r\n" + SAMPLES["plain_utf8.eml"])


@fuzz(15)
@given(parts=st.integers(min_value=1, max_value=800), body=st.sampled_from([b"x", b"", b"=?=", "한".encode("cp949")]))
def test_many_parts(parts: int, body: bytes) -> None:
    part = (
        b"--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n" + body + b"\r\n"
    )
    check(b"From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" + part * parts + b"--b--\r\n")
