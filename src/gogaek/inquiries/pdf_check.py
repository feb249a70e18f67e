"""Is this PDF inert? Active content is looked for everywhere a reader could find it.

Every stream is decoded (all standard filters, chains and predictors, within a budget) and
scanned along with the raw bytes, so object streams, filter tricks, incremental updates and
bytes after ``%%EOF`` hide nothing; ``#xx`` name escapes are decoded before names are compared.

Refused: scripts (JavaScript, JS), Launch, embedded files and file attachments, XFA forms,
rich media, movies and sounds, 3D scripts, and the actions that send data or open other
documents (SubmitForm, ImportData, GoToR, GoToE) wherever they appear; any additional-action
(AA) dictionary, because it runs without a click; and an OpenAction that is more than a jump
inside the document. A /URI link annotation stays allowed: the reader must click it and the
viewer asks first. Encrypted PDFs are refused because their streams cannot be read.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from enum import Enum

from gogaek.inquiries.pdf_filters import (
    CRYPT_FILTER,
    DECODERS,
    FILTER_ALIASES,
    IMAGE_ONLY_FILTERS,
    Budget,
    BudgetExceededError,
    UndecodableError,
    unpredict,
)
from gogaek.inquiries.pdf_syntax import Name, PdfString, PdfValue, Ref, UnparsableError, decode_name, parse_object

DECODE_BUDGET_BYTES = 64 * 1024 * 1024  # a PDF that expands past this is refused, not scanned partially
# LZW, run-length and predictors are decoded byte by byte in Python (about a second a megabyte at
# worst); real PDFs use them on small streams (cross-reference tables), so this budget is small.
SLOW_DECODE_BUDGET_BYTES = 2 * 1024 * 1024
_SLOW_FILTERS = frozenset({b"LZWDecode", b"RunLengthDecode"})
_PREDICTED_FILTERS = frozenset({b"FlateDecode", b"LZWDecode"})  # the only ones predictors apply to
EOF_WINDOW_BYTES = 1024  # readers accept %%EOF anywhere in the last kilobyte
DICT_LOOKBACK_BYTES = 64 * 1024
DICT_CANDIDATES = 24  # "<<" positions tried per stream; real stream dictionaries nest a few deep
MAX_STREAMS = 10_000  # each costs a dictionary search; a PDF with more is refused as too complex
MAX_REFERENCE_HOPS = 8

ACTIVE_NAMES = frozenset(
    {
        b"JavaScript",
        b"Launch",
        b"EmbeddedFile",
        b"EmbeddedFiles",
        b"FileAttachment",
        b"XFA",
        b"RichMedia",
        b"RichMediaExecute",
        b"Movie",
        b"Sound",
        b"Rendition",
        b"OnInstantiate",
        b"SubmitForm",
        b"ImportData",
        b"GoToR",
        b"GoToE",
    }
)
# Short names a random byte run could spell: active only when followed by what they hold.
_SCRIPT_KEY = b"JS"
_ADDITIONAL_ACTIONS_KEY = b"AA"
_OPEN_ACTION_KEY = b"OpenAction"
_ENCRYPT = b"Encrypt"

_NAME = re.compile(rb"/([^\x00\t\n\x0c\r ()<>\[\]{}/%]+)")
# A comment must end at its line break here: "%[^\r\n]*" alone would split a run of "%" in
# exponentially many ways before failing.
_STREAM = re.compile(rb">>(?:[\x00\t\n\x0c\r ]|%[^\r\n]*[\r\n])*stream *(?:\r\n|\r|\n)?")
_OBJECT = re.compile(rb"(?<![0-9])([0-9]{1,10})[\x00\t\n\x0c\r ]+[0-9]{1,5}[\x00\t\n\x0c\r ]+obj(?![A-Za-z])")
_ENDSTREAM = b"endstream"


class Reason(Enum):
    ACTIVE = "active"
    ENCRYPTED = "encrypted"
    CORRUPT = "corrupt"
    TOO_COMPLEX = "too_complex"


class PdfRefusedError(Exception):
    def __init__(self, reason: Reason) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass
class _Inspection:
    """One pass over one upload: what was decoded, and where each object number is defined."""

    raw: bytes
    budget: Budget = field(default_factory=lambda: Budget(DECODE_BUDGET_BYTES))
    slow_budget: Budget = field(default_factory=lambda: Budget(SLOW_DECODE_BUDGET_BYTES))
    decoded: list[bytes] = field(default_factory=list)
    # Every definition counts: incremental updates and object streams may define a number twice.
    objects: defaultdict[int, list[tuple[bytes, int]]] = field(default_factory=lambda: defaultdict(list))


def check_pdf(data: bytes) -> None:
    """Raises PdfRefusedError unless the PDF is intact enough to inspect and holds nothing that runs."""
    if b"%%EOF" not in data[-EOF_WINDOW_BYTES:]:
        raise PdfRefusedError(Reason.CORRUPT)
    inspection = _Inspection(data)
    _index_objects(inspection, data)
    try:
        for count, match in enumerate(_STREAM.finditer(data)):
            if count >= MAX_STREAMS:
                raise BudgetExceededError
            _decode_stream(inspection, match)
    except BudgetExceededError as exc:
        raise PdfRefusedError(Reason.TOO_COMPLEX) from exc
    except (UndecodableError, UnparsableError) as exc:
        raise PdfRefusedError(Reason.CORRUPT) from exc
    for buffer in (data, *inspection.decoded):
        _check_names(inspection, buffer)


def _index_objects(inspection: _Inspection, buffer: bytes) -> None:
    for match in _OBJECT.finditer(buffer):
        inspection.objects[int(match.group(1))].append((buffer, match.end()))


def _index_object_stream(inspection: _Inspection, info: dict[bytes, PdfValue], decoded: bytes) -> None:
    """Objects packed in an object stream: a header of "number offset" pairs, then the objects."""
    first = info.get(b"First")
    if not isinstance(first, int) or not 0 <= first <= len(decoded):
        raise UnparsableError("bad object stream")
    numbers = [int(token) for token in re.findall(rb"[0-9]+", decoded[:first])]
    for number, offset in zip(numbers[::2], numbers[1::2], strict=False):
        inspection.objects[number].append((decoded, first + offset))


def _resolve(inspection: _Inspection, value: PdfValue) -> list[PdfValue]:
    """Every definition of a referenced object (usually one); a direct value as is."""
    values, hops = [value], 0
    while any(isinstance(item, Ref) for item in values):
        hops += 1
        if hops > MAX_REFERENCE_HOPS:
            raise UnparsableError("reference chain too long")
        resolved: list[PdfValue] = []
        for item in values:
            if not isinstance(item, Ref):
                resolved.append(item)
                continue
            definitions = inspection.objects.get(item.number)
            if not definitions:
                raise UnparsableError(f"object {item.number} is not defined")
            resolved.extend(parse_object(buffer, offset)[0] for buffer, offset in definitions)
        values = resolved
    return values


def _resolve_one(inspection: _Inspection, value: PdfValue) -> PdfValue:
    values = _resolve(inspection, value)
    if len({repr(item) for item in values}) != 1:
        raise UnparsableError("an object defined twice differently")
    return values[0]


def _stream_dict(data: bytes, match: re.Match[bytes]) -> dict[bytes, PdfValue]:
    """The dictionary that ends at this ``>>``: the nearest ``<<`` whose parse ends exactly there."""
    end = match.start() + 2
    pos = end - 2
    floor = max(0, end - DICT_LOOKBACK_BYTES)
    for _ in range(DICT_CANDIDATES):
        pos = data.rfind(b"<<", floor, pos)
        if pos < 0:
            break
        try:
            value, value_end = parse_object(data, pos)
        except UnparsableError:
            continue
        if value_end == end and isinstance(value, dict):
            return value
    raise UnparsableError("stream without a dictionary")


def _stream_data(inspection: _Inspection, info: dict[bytes, PdfValue], data: bytes, start: int) -> bytes:
    """Up to /Length when ``endstream`` follows it (as readers check), else up to ``endstream``."""
    try:
        length = _resolve_one(inspection, info.get(b"Length"))
    except UnparsableError:
        length = None
    if isinstance(length, int) and 0 <= length <= len(data) - start:
        stop = start + length
        if data[stop : stop + 32].lstrip().startswith(_ENDSTREAM):
            return data[start:stop]
    end = data.find(_ENDSTREAM, start)
    return data[start : end if end >= 0 else len(data)]


def _filters(inspection: _Inspection, info: dict[bytes, PdfValue]) -> list[tuple[bytes, dict[bytes, PdfValue]]]:
    """(filter name, decode parameters) in the order they are applied."""
    names = _resolve_one(inspection, info.get(b"Filter"))
    parms = _resolve_one(inspection, info.get(b"DecodeParms", info.get(b"DP")))
    name_list = [] if names is None else names if isinstance(names, list) else [names]
    parm_list = parms if isinstance(parms, list) else [parms]
    chain = []
    for index, item in enumerate(name_list):
        name = _resolve_one(inspection, item)
        parm = _resolve_one(inspection, parm_list[index] if index < len(parm_list) else None)
        if not isinstance(name, Name) or not (parm is None or isinstance(parm, dict)):
            raise UnparsableError("bad filter")
        chain.append((FILTER_ALIASES.get(bytes(name), bytes(name)), parm or {}))
    return chain


def _decode_stream(inspection: _Inspection, match: re.Match[bytes]) -> None:
    """Decodes one stream and keeps what a reader could parse as PDF syntax for the name scan.

    Image data is decoded too (a bomb is a bomb), but pixels are not scanned: random bytes would
    spell short names by chance. Decoding stops at an image-only filter.
    """
    data = inspection.raw
    info = _stream_dict(data, match)
    encoded = _stream_data(inspection, info, data, match.end())
    is_object_stream = info.get(b"Type") == b"ObjStm"
    pixels = info.get(b"Subtype") == b"Image" and not is_object_stream
    decoded = encoded
    for name, parms in _filters(inspection, info):
        if name in IMAGE_ONLY_FILTERS:
            break
        if name == CRYPT_FILTER:
            raise PdfRefusedError(Reason.ENCRYPTED)
        decoder = DECODERS.get(name)
        if decoder is None:
            raise UndecodableError(f"unknown filter {name!r}")
        if name in _SLOW_FILTERS:
            inspection.slow_budget.take(len(decoded))
        decoded = decoder(decoded, inspection.budget, parms)
        if name in _PREDICTED_FILTERS and not pixels:
            decoded = unpredict(decoded, parms, inspection.slow_budget)
    if pixels or decoded is encoded:
        return  # pixels, or bytes the raw scan already covers
    inspection.decoded.append(decoded)
    if is_object_stream:
        _index_object_stream(inspection, info, decoded)


def _check_names(inspection: _Inspection, buffer: bytes) -> None:
    for match in _NAME.finditer(buffer):
        name = decode_name(match.group(1))
        if name == _ENCRYPT:
            raise PdfRefusedError(Reason.ENCRYPTED)
        if name in ACTIVE_NAMES or _runs_by_itself(inspection, name, buffer, match.end()):
            raise PdfRefusedError(Reason.ACTIVE)


def _runs_by_itself(inspection: _Inspection, name: bytes, buffer: bytes, end: int) -> bool:
    """A script string, an additional-actions dictionary, or an open action other than a jump."""
    if name not in (_SCRIPT_KEY, _ADDITIONAL_ACTIONS_KEY, _OPEN_ACTION_KEY):
        return False
    try:
        value = parse_object(buffer, end)[0]
        if name == _SCRIPT_KEY:
            return isinstance(value, PdfString | Ref)
        if name == _ADDITIONAL_ACTIONS_KEY:
            return isinstance(value, dict | Ref)
        return any(not _is_jump(inspection, item) for item in _resolve(inspection, value))
    except UnparsableError:
        return name == _OPEN_ACTION_KEY  # an open action we cannot read is not given the benefit of the doubt


def _is_jump(inspection: _Inspection, action: PdfValue) -> bool:
    """A destination (array, name or string), or a GoTo action with nothing chained after it."""
    if isinstance(action, list | Name | PdfString) or action is None:
        return True
    if not isinstance(action, dict):
        return False
    return _resolve_one(inspection, action.get(b"S")) == b"GoTo" and b"Next" not in action
