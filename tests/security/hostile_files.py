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
from collections.abc import Callable, Sequence
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


def object_stream(objects: dict[int, bytes], filters: Sequence[str] = ("FlateDecode",)) -> bytes:
    """PDF 1.5 object stream: a header of "number offset" pairs, then the objects themselves."""
    header, body = b"", b""
    for number, text in objects.items():
        header += b"%d %d " % (number, len(body))
        body += text + b"\n"
    extra = b" /Type /ObjStm /N %d /First %d" % (len(objects), len(header))
    return stream(header + body, filters, extra)


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
        return write_pdf(self.objects(), self.trailer_extra)


def write_pdf(objects: Sequence[bytes], trailer_extra: bytes = b"", first_number: int = 1, base: bytes = b"") -> bytes:
    """Objects numbered from ``first_number`` with their xref section; ``base`` makes it an update."""
    out = bytearray(base or b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=first_number):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    if base:
        out += b"xref\n%d %d\n" % (first_number, len(objects))
    else:
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    size = first_number + len(objects)
    prev = b" /Prev %s" % base.rsplit(b"startxref", 1)[1].split()[0] if base else b""
    out += b"trailer\n<< /Size %d /Root 1 0 R%s%s >>\nstartxref\n%d\n%%%%EOF\n" % (size, prev, trailer_extra, xref)
    return bytes(out)


def incremental_update(base: bytes, objects: dict[int, bytes]) -> bytes:
    """Appends new versions of objects, as an editor saving changes would."""
    out = base
    for number, body in objects.items():
        out = write_pdf([body], first_number=number, base=out)
    return out
