"""Builders for hostile (and benign) uploads, so no binary blob is committed.

``Pdf`` writes a PDF by hand with a correct cross-reference table; the encoders apply the
standard PDF filters, so a test can hide a dictionary behind any chain of them.
"""

from __future__ import annotations

import base64
import binascii
import io
import os
import struct
import zipfile
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from PIL import Image

PAGE_CONTENT = b"BT /F1 18 Tf 20 100 Td (Receipt 12,000 KRW) Tj ET"


def image_bytes(image_format: str, size: tuple[int, int] = (64, 48)) -> bytes:
    """Noise, so compressed data is long enough to cut in the middle."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(buffer, format=image_format)
    return buffer.getvalue()


def png_chunk(tag: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))


def one_bit_png(width: int, height: int) -> bytes:
    """A valid all-black 1-bit PNG: tens of kilobytes on disk, ``width * height`` pixels decoded."""
    compressor = zlib.compressobj(9)
    row = bytes(1 + (width + 7) // 8)  # filter byte 0, then packed pixels
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def declared_size_png(width: int, height: int) -> bytes:
    """A PNG header announcing a huge image with almost no data behind it."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 16)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


# --- PDF filters (encoders) ------------------------------------------------------------------


def lzw_encode(data: bytes) -> bytes:
    """PDF LZW with EarlyChange 1 (the default), the same bit stream TIFF's LZW writes."""
    table: dict[bytes, int] = {}
    out, buffer, held, width, emitted = bytearray(), 0, 0, 9, 0

    def emit(code: int) -> None:
        nonlocal buffer, held, width, emitted
        buffer, held = (buffer << width) | code, held + width
        while held >= 8:
            held -= 8
            out.append((buffer >> held) & 0xFF)
        if code == 256:
            table.clear()
            table.update({bytes([value]): value for value in range(256)})
            width, emitted = 9, 0
        elif code != 257:
            emitted += 1  # the reader's table lags one entry behind ours and widens one code early
            if 258 + emitted >= 1 << width and width < 12:
                width += 1

    emit(256)
    word = b""
    for value in data:
        candidate = word + bytes([value])
        if candidate in table:
            word = candidate
            continue
        emit(table[word])
        if len(table) + 2 < 4096:
            table[candidate] = len(table) + 2
        else:
            emit(256)
        word = bytes([value])
    if word:
        emit(table[word])
    emit(257)
    if held:
        out.append((buffer << (8 - held)) & 0xFF)
    return bytes(out)


def run_length_encode(data: bytes) -> bytes:
    """Literal runs only: enough for a reader, and each byte stays one byte."""
    out = bytearray()
    for start in range(0, len(data), 128):
        piece = data[start : start + 128]
        out += bytes([len(piece) - 1]) + piece
    return bytes(out + b"\x80")


def png_sub_rows(data: bytes, columns: int) -> bytes:
    """PNG predictor rows of type 1 (Sub): each byte stored as its difference from the one before."""
    rows = [data[start : start + columns].ljust(columns, b"\x00") for start in range(0, len(data), columns)]
    return b"".join(b"\x01" + bytes((row[i] - (row[i - 1] if i else 0)) % 256 for i in range(columns)) for row in rows)


ENCODERS: dict[str, Callable[[bytes], bytes]] = {
    "FlateDecode": zlib.compress,
    "Fl": zlib.compress,
    "ASCIIHexDecode": lambda data: binascii.hexlify(data) + b">",
    "AHx": lambda data: binascii.hexlify(data) + b">",
    "ASCII85Decode": lambda data: base64.a85encode(data) + b"~>",
    "A85": lambda data: base64.a85encode(data) + b"~>",
    "LZWDecode": lzw_encode,
    "LZW": lzw_encode,
    "RunLengthDecode": run_length_encode,
    "RL": run_length_encode,
}


def stream(payload: bytes, filters: Sequence[str] = (), extra: bytes = b"") -> bytes:
    """A stream object body; ``filters`` in the order a reader applies them."""
    data = payload
    for name in reversed(filters):
        data = ENCODERS[name](data)
    names = b" ".join(b"/" + name.encode() for name in filters)
    filter_entry = b" /Filter [%s]" % names if filters else b""
    return b"<<%s /Length %d%s >>\nstream\n%s\nendstream" % (filter_entry, len(data), extra, data)


class Packed(bytes):
    """An object stream's body that remembers which object numbers it holds, for the xref stream."""

    numbers: tuple[int, ...] = ()


def packed(body: bytes, *numbers: int) -> Packed:
    """A hand-made object stream body, marked with the object numbers it holds."""
    result = Packed(body)
    result.numbers = numbers
    return result


def object_stream(objects: dict[int, bytes], filters: Sequence[str] = ("FlateDecode",)) -> Packed:
    """PDF 1.5 object stream: a header of "number offset" pairs, then the objects themselves."""
    header, body = b"", b""
    for number, text in objects.items():
        header += b"%d %d " % (number, len(body))
        body += text + b"\n"
    extra = b" /Type /ObjStm /N %d /First %d" % (len(objects), len(header))
    return packed(stream(header + body, filters, extra), *objects)


@dataclass
class Pdf:
    """A one-page PDF; objects 1–5 are catalog, pages, page, content and font, extras follow."""

    catalog_extra: bytes = b""
    page_extra: bytes = b""
    extra_objects: Sequence[bytes] = ()
    trailer_extra: bytes = b""
    content: bytes = field(default=PAGE_CONTENT)

    def objects(self) -> list[bytes]:
        return [
            b"<< /Type /Catalog /Pages 2 0 R" + self.catalog_extra + b" >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R"
            b" /Resources << /Font << /F1 5 0 R >> >>" + self.page_extra + b" >>",
            stream(self.content),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            *self.extra_objects,
        ]

    def build(self) -> bytes:
        return write_pdf(dict(enumerate(self.objects(), start=1)), self.trailer_extra)


def write_pdf(objects: Mapping[int, bytes], trailer_extra: bytes = b"", base: bytes = b"") -> bytes:
    """The objects and their cross-reference section; ``base`` makes it an incremental update.

    Objects inside an object stream can only be found through a cross-reference *stream*
    (PDF 1.5), so one is written whenever an object stream is present; else a classic table.
    """
    out = bytearray(base or b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    entries: dict[int, tuple[int, int, int]] = {} if base else {0: (0, 0, 65535)}
    for number, body in objects.items():
        entries[number] = (1, len(out), 0)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
        for index, packed in enumerate(body.numbers if isinstance(body, Packed) else ()):
            entries[packed] = (2, number, index)
    size = max(max(entries) + 1, int(base.rsplit(b"/Size ", 1)[1].split()[0]) if base else 0)
    prev = b" /Prev %s" % base.rsplit(b"startxref", 1)[1].split()[0] if base else b""
    xref = len(out)
    if any(kind == 2 for kind, _, _ in entries.values()):
        entries[size] = (1, xref, 0)  # the cross-reference stream lists itself
        trailer = b"/Size %d /Root 1 0 R%s%s" % (size + 1, prev, trailer_extra)
        rows = b"".join(struct.pack(">BIH", *entries[number]) for number in sorted(entries))
        runs = b" ".join(b"%d %d" % run for run in _runs(sorted(entries)))
        head = b"<< /Type /XRef /W [1 4 2] /Index [%s] %s /Length %d >>" % (runs, trailer, len(rows))
        out += b"%d 0 obj\n%s\nstream\n%s\nendstream\nendobj\n" % (size, head, rows)
    else:
        out += b"xref\n"
        for first, count in _runs(sorted(entries)):
            out += b"%d %d\n" % (first, count)
            for number in range(first, first + count):
                kind, offset, generation = entries[number]
                out += b"%010d %05d %s \n" % (offset, generation, b"n" if kind == 1 else b"f")
        out += b"trailer\n<< /Size %d /Root 1 0 R%s%s >>\n" % (size, prev, trailer_extra)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def _runs(numbers: list[int]) -> list[tuple[int, int]]:
    """Sorted object numbers as (first, count) runs of consecutive numbers."""
    runs: list[tuple[int, int]] = []
    for number in numbers:
        if runs and runs[-1][0] + runs[-1][1] == number:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((number, 1))
    return runs


def incremental_update(base: bytes, objects: dict[int, bytes]) -> bytes:
    """Appends new versions of objects, as an editor saving changes would."""
    return write_pdf(objects, base=base)
