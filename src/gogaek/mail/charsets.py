"""Charset guessing for Korean mail: declared labels are often wrong, so bytes get the last word.

Korean mailers label CP949 text ``euc-kr`` or ``ks_c_5601-1987`` (CP949 is the superset, so we
always decode those as CP949), webmail sends UTF-8 labelled ``iso-8859-1``, and old clients put
raw 8-bit bytes in headers. Valid UTF-8 with non-ASCII bytes is almost never an accident in
another charset, so it wins over any 8-bit label; then the declared charset; then CP949.
"""

from __future__ import annotations

import binascii
import codecs
import re
import unicodedata
from urllib.parse import unquote_to_bytes

KOREAN_ALIASES = frozenset(
    {
        "euc-kr", "euc_kr", "euckr", "ks_c_5601-1987", "ks_c_5601", "ks_c_5601_1987", "ksc5601",
        "ksc_5601", "ks-c-5601-1987", "ks_c_5601-1989", "x-windows-949", "windows-949", "cp949", "ms949",
        "uhc", "x-uhc", "korean", "cseuckr", "ks_x_1001", "x-euc-kr",
    }
)  # fmt: skip
UTF8_ALIASES = frozenset({"utf-8", "utf8", "utf_8", "unicode-1-1-utf-8", "x-unicode20utf8", "x-utf8"})
ISO2022KR_ALIASES = frozenset({"iso-2022-kr", "iso2022kr", "iso2022_kr", "csiso2022kr"})
# Codecs Python knows that no mail should make us run: they interpret escapes or are not charsets.
REFUSED_CODECS = frozenset({"unicode_escape", "raw_unicode_escape", "idna", "punycode", "undefined"})
WIDE_CODECS = ("utf_16", "utf_32")  # NUL-heavy encodings where "valid UTF-8" proves nothing

_ENCODED_WORD = re.compile(rb"=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=")
_FOLD = re.compile(rb"\r?\n(?=[ \t])")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_SPACES = re.compile(r"\s+")
_B64_CHUNK = re.compile(rb"[A-Za-z0-9+/]+")
_B64_JUNK = re.compile(rb"[^A-Za-z0-9+/=]+")
_CONTINUATION = re.compile(r"^([^*]+)\*(?:(\d{1,3})\*?|)(\*?)$")
MAX_PARAMETERS = 64  # a Content-Type with more parameters than this is an attack, not a mailer


def canonical_charset(name: str | None) -> str | None:
    """The Python codec name for a MIME charset label, or None when the label is useless or unknown."""
    if not name:
        return None
    label = name.strip().strip("\"'").lower()
    label = label.split("*", 1)[0]  # RFC 2231 language suffix: utf-8*ko
    if not label or len(label) > 40:
        return None
    if label in KOREAN_ALIASES:
        return "cp949"
    if label in UTF8_ALIASES:
        return "utf-8"
    if label in ISO2022KR_ALIASES:
        return "iso2022_kr"
    try:
        codec = codecs.lookup(label).name
        b"a".decode(codec, "ignore")  # bytes-to-bytes codecs (base64, zlib) are no charsets
    except (LookupError, ValueError, TypeError):
        return None
    if codec.replace("-", "_") in REFUSED_CODECS:
        return None
    return codec


def _is_single_byte(codec: str) -> bool:
    """Charsets where every byte string decodes, so a clean decode proves nothing."""
    normal = codec.replace("-", "_")
    return normal in {"ascii", "latin_1"} or normal.startswith(("iso8859", "iso_8859", "cp125", "cp437", "mac_"))


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError, ValueError, TypeError):
        return None


def _looks_korean(text: str) -> bool:
    """Most non-ASCII characters are Hangul or CJK: CP949 read right, not Latin-1 mojibake."""
    wide = [ch for ch in text if ord(ch) > 0x7F]
    if not wide:
        return False
    hangul = sum(
        1 for ch in wide if "\uac00" <= ch <= "\ud7a3" or "\u3130" <= ch <= "\u318f" or "\u4e00" <= ch <= "\u9fff"
    )
    return hangul * 2 >= len(wide)


def decode_text(data: bytes, declared: str | None) -> str:
    """Decode a text part or header fragment: valid UTF-8, then the label, then CP949, never an error."""
    if not data:
        return ""
    codec = canonical_charset(declared)
    if codec is not None and codec.startswith(WIDE_CODECS):
        wide = _strict(data, codec)
        if wide is not None:
            return wide.lstrip("\ufeff")
    if data.isascii():
        if b"\x1b$)C" in data:
            korean = _strict(data, "iso2022_kr")
            if korean is not None:
                return korean
        if codec is not None and codec not in {"utf-7", "utf_7"}:
            text = _strict(data, codec)  # ASCII-compatible charsets give the same; refused ones return None
            if text is not None and text.isascii():
                return text
        return data.decode("ascii")
    utf8 = _strict(data, "utf-8")
    if utf8 is not None:
        return utf8.lstrip("\ufeff")
    if codec is not None and codec != "utf-8":
        text = _strict(data, codec)
        if text is not None and "\ufffd" not in text:
            if not _is_single_byte(codec):
                return text
            korean = _strict(data, "cp949")
            if korean is not None and _looks_korean(korean):
                return korean
            return text
    korean = _strict(data, "cp949")
    if korean is not None:
        return korean
    return _least_broken(data, codec)


def _least_broken(data: bytes, codec: str | None) -> str:
    """Nothing decodes cleanly: the candidate with the fewest replacement characters."""
    candidates = [c for c in (codec, "utf-8", "cp949") if c is not None]
    best = ""
    best_bad = -1
    for candidate in candidates:
        try:
            text = data.decode(candidate, errors="replace")
        except (LookupError, ValueError, TypeError):
            continue
        bad = text.count("\ufffd")
        if best_bad < 0 or bad < best_bad:
            best, best_bad = text, bad
    return best


def decode_base64(data: bytes) -> bytes:
    """Lenient base64: ignores junk, repairs padding, and joins chunks that were padded separately."""
    first_pad = data.find(b"=")
    if first_pad == -1 or not data[first_pad:].strip(b"= \r\n\t"):  # padding only at the end: the fast path
        try:
            return binascii.a2b_base64(data)
        except (binascii.Error, ValueError):
            pass
    cleaned = _B64_JUNK.sub(b"", data)
    out = bytearray()
    for match in _B64_CHUNK.finditer(cleaned):
        chunk = match.group()
        usable = len(chunk) - len(chunk) % 4
        rest = chunk[usable:]
        chunk = chunk[:usable] + rest + b"=" * (4 - len(rest)) if len(rest) >= 2 else chunk[:usable]
        try:
            out += binascii.a2b_base64(chunk)
        except (binascii.Error, ValueError):
            continue
    return bytes(out)


def to_raw_bytes(value: str | bytes) -> bytes:
    """Header text as the stdlib hands it over (surrogate-escaped 8-bit bytes) back to the wire bytes."""
    if isinstance(value, bytes):
        return value
    return value.encode("utf-8", "surrogateescape")


def unfold(data: bytes) -> bytes:
    """RFC 5322 unfolding: a line break followed by whitespace is no line break."""
    return _FOLD.sub(b"", data)


def _decode_encoded_group(charset: str, words: list[tuple[str, bytes]]) -> str:
    """Adjacent encoded-words in one charset are one byte string: Korean mailers split characters across them."""
    data = bytearray()
    pending_b64 = bytearray()
    for encoding, payload in words:
        if encoding == "b":
            pending_b64 += payload
            continue
        if pending_b64:
            data += decode_base64(bytes(pending_b64))
            pending_b64.clear()
        try:
            data += binascii.a2b_qp(payload, header=True)
        except (binascii.Error, ValueError):
            data += payload
    if pending_b64:
        data += decode_base64(bytes(pending_b64))
    return decode_text(bytes(data), charset)


def decode_header_value(raw: str | bytes) -> str:
    """One header's value as display text: encoded-words (split, adjacent, mislabelled) and raw 8-bit bytes."""
    data = unfold(to_raw_bytes(raw))
    pieces: list[str] = []
    group_charset: str | None = None
    group: list[tuple[str, bytes]] = []
    position = 0

    def flush() -> None:
        nonlocal group_charset
        if group_charset is not None:
            pieces.append(_decode_encoded_group(group_charset, group))
        group.clear()
        group_charset = None

    for match in _ENCODED_WORD.finditer(data):
        between = data[position : match.start()]
        charset = match.group(1).decode("ascii", "replace").lower().split("*", 1)[0]
        if group_charset is not None and not between.strip():
            if charset != group_charset:  # whitespace between encoded-words is not text (RFC 2047 6.2)
                flush()
        else:
            flush()
            if between:
                pieces.append(decode_text(between, None))
        group_charset = charset
        group.append((match.group(2).decode("ascii").lower(), match.group(3)))
        position = match.end()
    flush()
    pieces.append(decode_text(data[position:], None))
    text = "".join(pieces)
    text = _CONTROL.sub(" ", text)
    text = unicodedata.normalize("NFC", text)
    return _SPACES.sub(" ", text).strip()


def _split_parameters(text: str) -> list[str]:
    """Split at semicolons that are not inside a quoted string."""
    pieces: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == ";" and not quoted:
            pieces.append("".join(current))
            current = []
            continue
        current.append(char)
    pieces.append("".join(current))
    return pieces


def _unquote(value: str) -> str:
    value = value.strip()
    if value.startswith('"'):
        value = value[1:-1] if len(value) > 1 and value.endswith('"') else value[1:]
        return re.sub(r"\\(.)", r"\1", value)
    return value


def parse_parameters(raw: str | bytes) -> tuple[str, dict[str, str]]:
    """A Content-Type / Content-Disposition value: lowercased main value and its parameters.

    RFC 2231 parameters (``filename*=UTF-8''%ED%95%9C…`` and ``name*0*=…; name*1*=…`` continuations)
    are joined and decoded and win over plain ones. Plain values are returned as written
    (raw 8-bit bytes already decoded); RFC 2047 encoded-words in them are the caller's to decode.
    """
    text = decode_text(unfold(to_raw_bytes(raw)), None)
    segments = _split_parameters(text)
    main = segments[0].strip().lower()
    plain: dict[str, str] = {}
    sections: dict[str, dict[int, tuple[bool, str]]] = {}
    for segment in segments[1 : MAX_PARAMETERS + 1]:
        name, sep, value = segment.partition("=")
        name = name.strip().lower()
        if not sep or not name:
            continue
        match = _CONTINUATION.match(name)
        if match is None:
            plain.setdefault(name, _unquote(value))
            continue
        base, number, star = match.groups()
        encoded = bool(star) or number is None or name.endswith("*")
        sections.setdefault(base, {}).setdefault(int(number or 0), (encoded, _unquote(value)))
    for base, parts in sections.items():
        charset: str | None = None
        data = bytearray()
        for position, number in enumerate(sorted(parts)):
            encoded, value = parts[number]
            if encoded:
                if position == 0 and value.count("'") >= 2:
                    charset, _language, value = value.split("'", 2)
                data += unquote_to_bytes(value)
            else:
                data += value.encode("utf-8", "surrogatepass")
        plain[base] = decode_text(bytes(data), charset)
    return main, plain
