"""Just enough PDF syntax to read stream dictionaries and action values in a hostile file.

The checker never trusts the cross-reference table (an attacker writes it); it reads objects
where it finds them, so this parser works from any offset and fails loudly on anything odd.
"""

from __future__ import annotations

import re
from typing import NamedTuple

WHITESPACE = b"\x00\t\n\x0c\r "
DELIMITERS = b"()<>[]{}/%"
MAX_DEPTH = 32

_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_TOKEN_END = re.compile(rb"[\x00\t\n\x0c\r ()<>\[\]{}/%]|\Z")
_NUMBER = re.compile(rb"[+-]?(?:\d+\.?\d*|\.\d+)")
_REFERENCE = re.compile(rb"\s*(\d+)\s+R(?=[\x00\t\n\x0c\r ()<>\[\]{}/%]|\Z)")


class Name(bytes):
    """A decoded name: ``/J#61vaScript`` reads as ``Name(b"JavaScript")``."""


class Ref(NamedTuple):
    number: int
    generation: int


class PdfString(bytes):
    """A literal or hex string; its content never matters to the checks, only where it ends."""


PdfValue = None | bool | int | float | Name | PdfString | Ref | list["PdfValue"] | dict[bytes, "PdfValue"] | bytes


class UnparsableError(ValueError):
    """The bytes are not the PDF object they were expected to be."""


def decode_name(raw: bytes) -> Name:
    return Name(_NAME_ESCAPE.sub(lambda escape: bytes([int(escape.group(1), 16)]), raw) if b"#" in raw else raw)


def skip_space(data: bytes, pos: int) -> int:
    """Whitespace and comments, which may sit between any two tokens."""
    while pos < len(data):
        byte = data[pos]
        if byte in WHITESPACE:
            pos += 1
        elif byte == 0x25:  # %
            while pos < len(data) and data[pos] not in b"\r\n":
                pos += 1
        else:
            break
    return pos


def parse_object(data: bytes, pos: int, depth: int = 0) -> tuple[PdfValue, int]:
    """The object starting at ``pos`` (after whitespace) and the offset just past it."""
    if depth > MAX_DEPTH:
        raise UnparsableError("nesting too deep")
    pos = skip_space(data, pos)
    if pos >= len(data):
        raise UnparsableError("end of data")
    head = data[pos : pos + 2]
    if head == b"<<":
        return _parse_dict(data, pos + 2, depth)
    if head[:1] == b"[":
        return _parse_array(data, pos + 1, depth)
    if head[:1] == b"(":
        return PdfString(), _literal_string_end(data, pos + 1)
    if head[:1] == b"<":
        close = data.find(b">", pos + 1)
        if close < 0:
            raise UnparsableError("unterminated hex string")
        return PdfString(), close + 1
    if head[:1] == b"/":
        end = _TOKEN_END.search(data, pos + 1)
        assert end is not None  # \Z always matches
        return decode_name(data[pos + 1 : end.start()]), end.start()
    return _parse_atom(data, pos)


def _parse_dict(data: bytes, pos: int, depth: int) -> tuple[dict[bytes, PdfValue], int]:
    result: dict[bytes, PdfValue] = {}
    while True:
        pos = skip_space(data, pos)
        if data.startswith(b">>", pos):
            return result, pos + 2
        key, pos = parse_object(data, pos, depth + 1)
        if not isinstance(key, Name):
            raise UnparsableError("dictionary key is not a name")
        result[bytes(key)], pos = parse_object(data, pos, depth + 1)


def _parse_array(data: bytes, pos: int, depth: int) -> tuple[list[PdfValue], int]:
    result: list[PdfValue] = []
    while True:
        pos = skip_space(data, pos)
        if data.startswith(b"]", pos):
            return result, pos + 1
        item, pos = parse_object(data, pos, depth + 1)
        result.append(item)


def _literal_string_end(data: bytes, pos: int) -> int:
    """Balanced parentheses, with backslash escapes."""
    level = 1
    while pos < len(data):
        byte = data[pos]
        if byte == 0x5C:  # backslash
            pos += 2
            continue
        level += (byte == 0x28) - (byte == 0x29)
        pos += 1
        if level == 0:
            return pos
    raise UnparsableError("unterminated string")


def _parse_atom(data: bytes, pos: int) -> tuple[PdfValue, int]:
    """Numbers, ``N G R`` references and the keywords true, false and null."""
    number = _NUMBER.match(data, pos)
    if number is not None:
        text = number.group()
        if b"." not in text:
            reference = _REFERENCE.match(data, number.end())
            if reference is not None and text.isdigit():
                return Ref(int(text), int(reference.group(1))), reference.end()
            return int(text), number.end()
        return float(text), number.end()
    end = _TOKEN_END.search(data, pos)
    assert end is not None
    word = data[pos : end.start()]
    keywords: dict[bytes, PdfValue] = {b"true": True, b"false": False, b"null": None}
    if word in keywords:
        return keywords[word], end.start()
    raise UnparsableError(f"unexpected token {word[:20]!r}")
