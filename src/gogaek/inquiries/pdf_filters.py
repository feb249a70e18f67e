"""The standard PDF stream filters, decoded within a byte budget so a bomb costs nothing.

Every filter that can carry PDF syntax is decoded: a script hidden behind ASCIIHex inside
Flate inside LZW is still a script. Image-only filters (DCT, JPX, CCITT fax, JBIG2) turn bytes
into pixels and cannot hide dictionaries from a reader, so decoding stops there and the bytes
before them are what gets scanned.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from gogaek.inquiries.pdf_syntax import WHITESPACE, PdfValue

# Abbreviations are the ones PDF allows in inline images; readers accept them in streams too.
FILTER_ALIASES = {
    b"AHx": b"ASCIIHexDecode",
    b"A85": b"ASCII85Decode",
    b"Fl": b"FlateDecode",
    b"LZW": b"LZWDecode",
    b"RL": b"RunLengthDecode",
    b"DCT": b"DCTDecode",
    b"CCF": b"CCITTFaxDecode",
}
IMAGE_ONLY_FILTERS = frozenset({b"DCTDecode", b"JPXDecode", b"CCITTFaxDecode", b"JBIG2Decode"})
CRYPT_FILTER = b"Crypt"
INFLATE_CHUNK_BYTES = 256 * 1024


class BudgetExceededError(Exception):
    """Decoding would produce more bytes than the whole document may expand to."""


class UndecodableError(ValueError):
    """A filter the checker does not know, or data its filter cannot decode."""


@dataclass
class Budget:
    """Decoded bytes left for the whole document; every filter draws from the same pot."""

    remaining: int

    def take(self, count: int) -> None:
        self.remaining -= count
        if self.remaining < 0:
            raise BudgetExceededError


def inflate(data: bytes, budget: Budget) -> bytes:
    """zlib (or gzip) data, else raw deflate: readers fall back to raw deflate, so must we.

    A stream cut short gives what it has, as it would in a reader; one that yields nothing is undecodable.
    """
    for wbits in (zlib.MAX_WBITS | 32, -zlib.MAX_WBITS):
        inflater = zlib.decompressobj(wbits)
        out = bytearray()
        try:
            pending = data
            while pending and not inflater.eof:
                chunk = inflater.decompress(pending, INFLATE_CHUNK_BYTES)
                budget.take(len(chunk))
                out += chunk
                pending = inflater.unconsumed_tail
        except zlib.error:
            if not out:
                continue
        return bytes(out)
    raise UndecodableError("not deflate data")


def ascii_hex(data: bytes, budget: Budget) -> bytes:
    digits = bytes(data.split(b">", 1)[0]).translate(None, WHITESPACE)
    if len(digits) % 2:
        digits += b"0"
    try:
        out = binascii.unhexlify(digits)
    except binascii.Error as exc:
        raise UndecodableError("bad hex digit") from exc
    budget.take(len(out))
    return out


def ascii85(data: bytes, budget: Budget) -> bytes:
    text = data.split(b"~>", 1)[0].translate(None, WHITESPACE)
    text = text.removeprefix(b"<~")
    budget.take(text.count(b"z") * 4 + len(text))  # an upper bound, before the work is done
    try:
        out = base64.a85decode(text, adobe=False)
    except ValueError as exc:
        raise UndecodableError("bad ASCII85 data") from exc
    return out


def run_length(data: bytes, budget: Budget) -> bytes:
    out = bytearray()
    pos = 0
    while pos < len(data) and data[pos] != 128:
        length = data[pos]
        if length < 128:
            piece = data[pos + 1 : pos + 2 + length]
            pos += 2 + length
        else:
            piece = data[pos + 1 : pos + 2] * (257 - length)
            pos += 2
        budget.take(len(piece))
        out += piece
    return bytes(out)


def lzw(data: bytes, budget: Budget, early_change: int = 1) -> bytes:
    """LZW as PDF uses it: 9 to 12 bit codes, 256 clears the table, 257 ends the data."""
    table = [bytes([value]) for value in range(256)] + [b"", b""]
    out = bytearray()
    width, buffer, held = 9, 0, 0
    previous: bytes | None = None
    for byte in data:
        buffer, held = (buffer << 8) | byte, held + 8
        while held >= width:
            held -= width
            code, buffer = buffer >> held, buffer & ((1 << held) - 1)
            if code == 257:
                return bytes(out)
            if code == 256:
                del table[258:]
                width, previous = 9, None
                continue
            if code < len(table):
                entry = table[code]
            elif code == len(table) and previous is not None:
                entry = previous + previous[:1]
            else:
                raise UndecodableError("bad LZW code")
            if previous is not None:
                table.append(previous + entry[:1])
            budget.take(len(entry))
            out += entry
            previous = entry
            if len(table) + early_change >= (1 << width) and width < 12:
                width += 1
    return bytes(out)


Decoder = Callable[[bytes, Budget, dict[bytes, PdfValue]], bytes]

DECODERS: dict[bytes, Decoder] = {
    b"FlateDecode": lambda data, budget, _: inflate(data, budget),
    b"ASCIIHexDecode": lambda data, budget, _: ascii_hex(data, budget),
    b"ASCII85Decode": lambda data, budget, _: ascii85(data, budget),
    b"RunLengthDecode": lambda data, budget, _: run_length(data, budget),
    b"LZWDecode": lambda data, budget, parms: lzw(data, budget, _int(parms.get(b"EarlyChange"), 1)),
}


def _int(value: PdfValue, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def unpredict(data: bytes, parms: dict[bytes, PdfValue], budget: Budget) -> bytes:
    """Undoes a PNG or TIFF predictor, which would otherwise scramble the bytes a reader sees.

    ``budget`` is the slow-decoding budget, not the output one: this loop runs in Python.
    """
    predictor = _int(parms.get(b"Predictor"), 1)
    if predictor == 1:
        return data
    colors = _int(parms.get(b"Colors"), 1)
    bits = _int(parms.get(b"BitsPerComponent"), 8)
    columns = _int(parms.get(b"Columns"), 1)
    if not (0 < colors <= 32 and bits in (1, 2, 4, 8, 16) and 0 < columns <= 1 << 20):
        raise UndecodableError("bad predictor parameters")
    pixel = max(1, colors * bits // 8)
    row = (colors * bits * columns + 7) // 8
    budget.take(len(data))
    if predictor == 2 and bits == 8:
        return _tiff(data, row, pixel)
    if predictor >= 10:
        return _png(data, row, pixel)
    raise UndecodableError("unsupported predictor")


def _tiff(data: bytes, row: int, pixel: int) -> bytes:
    out = bytearray(data)
    for start in range(0, len(out), row):
        for pos in range(start + pixel, min(start + row, len(out))):
            out[pos] = (out[pos] + out[pos - pixel]) & 0xFF
    return bytes(out)


def _png(data: bytes, row: int, pixel: int) -> bytes:
    out = bytearray()
    above = bytes(row)
    for start in range(0, len(data), row + 1):
        kind, line = data[start], bytearray(data[start + 1 : start + 1 + row].ljust(row, b"\x00"))
        for pos in range(row):
            left = line[pos - pixel] if pos >= pixel else 0
            up, corner = above[pos], (above[pos - pixel] if pos >= pixel else 0)
            line[pos] = (line[pos] + _png_guess(kind, left, up, corner)) & 0xFF
        out += line
        above = bytes(line)
    return bytes(out)


def _png_guess(kind: int, left: int, up: int, corner: int) -> int:
    if kind == 0:
        return 0
    if kind == 1:
        return left
    if kind == 2:
        return up
    if kind == 3:
        return (left + up) // 2
    if kind == 4:
        estimate = left + up - corner
        near_left, near_up, near_corner = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
        if near_left <= near_up and near_left <= near_corner:
            return left
        return up if near_up <= near_corner else corner
    raise UndecodableError("bad PNG predictor row type")
