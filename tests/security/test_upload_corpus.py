"""The hostile upload corpus, through the real HTTP API on SQLite and PostgreSQL.

Every refused file gets 422 with a stable code, and nothing is written: no inquiry, no
attachment row, no file in the storage folder. Odd names that are accepted are stored under
random keys and served back with safe headers. One test id per trick; the files are built
here (tests/security/hostile_files.py), never committed as blobs.
"""

from __future__ import annotations

import io
import re
import zlib

import httpx
import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.config import Settings
from gogaek.helpcenter.models import Category
from gogaek.inquiries.models import Inquiry, InquiryAttachment
from tests.conftest import customer_headers
from tests.security.hostile_files import (
    Pdf,
    declared_size_png,
    image_bytes,
    incremental_update,
    object_stream,
    one_bit_png,
    packed,
    png_sub_rows,
    stream,
    zip_bytes,
)

BOUNDARY = "gogaek-upload-corpus"
FIELDS = {"category": "payment", "title": "결제 증빙을 보냅니다", "body": "영수증과 거래내역서를 첨부합니다."}
KEY_SHAPE = re.compile(r"[0-9]{4}/[0-9]{2}/[0-9a-f]{32}\.(png|pdf)")
SCRIPT = b"<< /S /JavaScript /JS (app.alert(1)) >>"
URI_ACTION = b"<< /S /URI /URI (http://evil.example/) >>"
SMALL_PNG = image_bytes("PNG", (8, 8))

ACTIVE = "attachment_active_content"
NOT_ALLOWED = "attachment_type_not_allowed"


def hidden_script(filters: list[str]) -> bytes:
    """The catalog opens object 7, a script packed in object stream 6 behind ``filters``."""
    return Pdf(catalog_extra=b" /OpenAction 7 0 R", extra_objects=[object_stream({7: SCRIPT}, filters)]).build()


def predicted_script() -> bytes:
    """The object stream is PNG-predicted before deflate: inflating alone shows only differences."""
    header = b"7 0 "
    rows = png_sub_rows(header + SCRIPT, 8)
    parms = b" /Type /ObjStm /N 1 /First %d /DecodeParms << /Predictor 11 /Columns 8 >>" % len(header)
    return Pdf(
        catalog_extra=b" /OpenAction 7 0 R", extra_objects=[packed(stream(rows, ["FlateDecode"], parms), 7)]
    ).build()


def raw_deflate_script() -> bytes:
    """Deflate without the zlib header: readers fall back to it, so the check must too."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    data = compressor.compress(b"7 0 " + SCRIPT) + compressor.flush()
    objstm = b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream"
    return Pdf(catalog_extra=b" /OpenAction 7 0 R", extra_objects=[packed(objstm % (len(data), data), 7)]).build()


def deflate_bomb() -> bytes:
    compressor = zlib.compressobj(9)
    packed = b"".join(compressor.compress(bytes(1 << 20)) for _ in range(65)) + compressor.flush()
    bomb = b"<< /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream" % (len(packed), packed)
    return Pdf(extra_objects=[bomb]).build()


def run_length_bomb() -> bytes:
    """Each two-byte run repeats a byte 128 times; deflate packs the runs themselves."""
    packed = zlib.compress(b"\x81\x00" * 600_000 + b"\x80", 9)
    bomb = b"<< /Filter [/Fl /RL] /Length %d >>\nstream\n%s\nendstream" % (len(packed), packed)
    return Pdf(extra_objects=[bomb]).build()


def embedded_exe() -> bytes:
    return Pdf(
        catalog_extra=b" /Names << /EmbeddedFiles << /Names [(setup.exe) 6 0 R] >> >> /OpenAction " + URI_ACTION,
        extra_objects=[
            b"<< /Type /Filespec /F (setup.exe) /EF << /F 7 0 R >> >>",
            stream(b"MZ\x90\x00" + bytes(200), ["FlateDecode"], b" /Type /EmbeddedFile"),
        ],
    ).build()


def pillow_pdf() -> bytes:
    """A scan as another program writes it: a JPEG page (DCTDecode), by Pillow's PDF writer."""
    buffer = io.BytesIO()
    with Image.open(io.BytesIO(image_bytes("JPEG", (200, 300)))) as scan:
        scan.save(buffer, format="PDF", resolution=72)
    return buffer.getvalue()


def updated(base: bytes, objects: dict[int, bytes]) -> bytes:
    return incremental_update(base, objects)


CATALOG = b"<< /Type /Catalog /Pages 2 0 R /OpenAction 7 0 R >>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(200)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"

REFUSED = [
    # disguised executables and markup
    pytest.param("invoice.jpg", EXE, "image/jpeg", NOT_ALLOWED, id="exe-named-jpg"),
    pytest.param("photo.png", b"\x7fELF\x02\x01\x01" + bytes(200), "image/png", NOT_ALLOWED, id="elf-named-png"),
    pytest.param("statement.pdf", EXE, "application/pdf", NOT_ALLOWED, id="exe-named-pdf"),
    pytest.param("logo.svg", SVG, "image/svg+xml", NOT_ALLOWED, id="svg-with-script"),
    pytest.param("logo.png", SVG, "image/png", NOT_ALLOWED, id="svg-named-png"),
    pytest.param("page.jpg", HTML, "image/jpeg", NOT_ALLOWED, id="html-named-jpg"),
    # polyglots
    pytest.param("a.png", SMALL_PNG + zip_bytes({"a.exe": EXE}), "image/png", NOT_ALLOWED, id="png-plus-zip"),
    pytest.param("a.jpg", image_bytes("JPEG") + HTML, "image/jpeg", NOT_ALLOWED, id="jpeg-plus-html"),
    pytest.param("a.jpg", image_bytes("JPEG") + Pdf().build(), "image/jpeg", NOT_ALLOWED, id="jpeg-plus-pdf"),
    pytest.param("a.gif", b"GIF89a" + HTML, "image/gif", NOT_ALLOWED, id="gif-header-then-html"),
    pytest.param("a.pdf", Pdf().build() + zip_bytes({"x": b"x"}), "application/pdf", NOT_ALLOWED, id="pdf-plus-zip"),
    # pixel and decompression bombs
    pytest.param(
        "big.png",
        declared_size_png(100_000, 100_000),
        "image/png",
        "attachment_too_many_pixels",
        id="png-declares-10-gigapixels",
    ),
    pytest.param(
        "big.png", one_bit_png(9_400, 9_400), "image/png", "attachment_too_many_pixels", id="png-88-megapixels"
    ),
    pytest.param("bomb.pdf", deflate_bomb(), "application/pdf", "attachment_too_complex", id="pdf-deflate-bomb"),
    pytest.param(
        "bomb.pdf", run_length_bomb(), "application/pdf", "attachment_too_complex", id="pdf-run-length-bomb-in-flate"
    ),
    # PDF scripts, however they are hidden
    pytest.param(
        "a.pdf",
        Pdf(catalog_extra=b" /OpenAction " + SCRIPT).build(),
        "application/pdf",
        ACTIVE,
        id="pdf-js-open-action",
    ),
    pytest.param(
        "a.pdf", hidden_script(["ASCIIHexDecode"]), "application/pdf", ACTIVE, id="pdf-js-asciihex-object-stream"
    ),
    pytest.param(
        "a.pdf", hidden_script(["ASCII85Decode"]), "application/pdf", ACTIVE, id="pdf-js-ascii85-object-stream"
    ),
    pytest.param("a.pdf", hidden_script(["LZWDecode"]), "application/pdf", ACTIVE, id="pdf-js-lzw-object-stream"),
    pytest.param(
        "a.pdf", hidden_script(["RunLengthDecode"]), "application/pdf", ACTIVE, id="pdf-js-run-length-object-stream"
    ),
    pytest.param(
        "a.pdf", hidden_script(["AHx", "Fl"]), "application/pdf", ACTIVE, id="pdf-js-abbreviated-filter-chain"
    ),
    pytest.param(
        "a.pdf", hidden_script(["A85", "LZW", "Fl", "RL"]), "application/pdf", ACTIVE, id="pdf-js-four-filter-chain"
    ),
    pytest.param("a.pdf", predicted_script(), "application/pdf", ACTIVE, id="pdf-js-png-predictor"),
    pytest.param(
        "a.pdf",
        Pdf(
            catalog_extra=b" /OpenAction 7 0 R", extra_objects=[object_stream({7: b"<< /S /Java#53cript /J#53 (x) >>"})]
        ).build(),
        "application/pdf",
        ACTIVE,
        id="pdf-js-name-escapes-in-object-stream",
    ),
    pytest.param(
        "a.pdf",
        Pdf(catalog_extra=b" /OpenAction << /S /#4A#61#76#61#53#63#72#69#70#74 /#4A#53 (x) >>").build(),
        "application/pdf",
        ACTIVE,
        id="pdf-js-every-letter-hex-escaped",
    ),
    pytest.param("a.pdf", raw_deflate_script(), "application/pdf", ACTIVE, id="pdf-js-raw-deflate-object-stream"),
    pytest.param(
        "a.pdf",
        Pdf(
            catalog_extra=b" /OpenAction 8 0 R",
            extra_objects=[
                b"[/ASCIIHexDecode]",
                packed(
                    stream(b"8 0 " + SCRIPT, ["AHx"], b" /Type /ObjStm /N 1 /First 4").replace(b"[/AHx]", b"6 0 R"), 8
                ),
            ],
        ).build(),
        "application/pdf",
        ACTIVE,
        id="pdf-js-filter-given-by-reference",
    ),
    pytest.param(
        "a.pdf",
        Pdf(
            catalog_extra=b" /OpenAction 7 0 R",
            extra_objects=[
                packed(stream(b"7 0 " + SCRIPT, ["Fl"], b" /Type /ObjStm /N 1 /First 4").replace(b"/Fl]", b"/F#6C]"), 7)
            ],
        ).build(),
        "application/pdf",
        ACTIVE,
        id="pdf-js-filter-name-escaped",
    ),
    pytest.param(
        "a.pdf", Pdf().build() + b"7 0 obj " + SCRIPT + b" endobj\n", "application/pdf", ACTIVE, id="pdf-js-after-eof"
    ),
    pytest.param(
        "a.pdf",
        Pdf().build() + b"6 0 obj\n" + object_stream({7: SCRIPT}, ["AHx"]) + b"\nendobj\n",
        "application/pdf",
        ACTIVE,
        id="pdf-js-object-stream-after-eof",
    ),
    pytest.param(
        "a.pdf",
        updated(Pdf().build(), {1: CATALOG, 6: object_stream({7: SCRIPT}, ["FlateDecode"])}),
        "application/pdf",
        ACTIVE,
        id="pdf-js-in-incremental-update",
    ),
    pytest.param(
        "a.pdf",
        updated(Pdf().build(), {1: b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /Launch /F (calc.exe) >> >>"}),
        "application/pdf",
        ACTIVE,
        id="pdf-launch-in-incremental-update",
    ),
    # other active content and automatic actions
    pytest.param("a.pdf", embedded_exe(), "application/pdf", ACTIVE, id="pdf-embedded-exe-and-uri-open-action"),
    pytest.param(
        "a.pdf",
        Pdf(catalog_extra=b" /OpenAction " + URI_ACTION).build(),
        "application/pdf",
        ACTIVE,
        id="pdf-uri-open-action",
    ),
    pytest.param(
        "a.pdf",
        Pdf(catalog_extra=b" /OpenAction 7 0 R", extra_objects=[object_stream({7: URI_ACTION})]).build(),
        "application/pdf",
        ACTIVE,
        id="pdf-uri-open-action-in-object-stream",
    ),
    pytest.param(
        "a.pdf",
        Pdf(catalog_extra=b" /OpenAction << /S /GoTo /D [3 0 R /Fit] /Next " + URI_ACTION + b" >>").build(),
        "application/pdf",
        ACTIVE,
        id="pdf-goto-with-chained-uri",
    ),
    pytest.param(
        "a.pdf",
        Pdf(page_extra=b" /AA << /O << /S /SubmitForm /F << /FS /URL /F (http://evil.example/) >> >> >>").build(),
        "application/pdf",
        ACTIVE,
        id="pdf-submit-form-page-open-action",
    ),
    pytest.param(
        "a.pdf",
        Pdf(catalog_extra=b" /OpenAction << /S /GoToR /F (other.pdf) /D [0 /Fit] >>").build(),
        "application/pdf",
        ACTIVE,
        id="pdf-go-to-remote-open-action",
    ),
    pytest.param(
        "a.pdf",
        Pdf(
            catalog_extra=b" /AcroForm << /Fields [] /XFA 6 0 R >>", extra_objects=[stream(b"<xdp:xdp/>", ["Fl"])]
        ).build(),
        "application/pdf",
        ACTIVE,
        id="pdf-xfa-form",
    ),
    pytest.param(
        "a.pdf",
        Pdf(
            page_extra=b" /Annots [6 0 R]", extra_objects=[b"<< /Type /Annot /Subtype /RichMedia /Rect [0 0 9 9] >>"]
        ).build(),
        "application/pdf",
        ACTIVE,
        id="pdf-rich-media-annotation",
    ),
    # what cannot be inspected
    pytest.param(
        "a.pdf",
        Pdf(extra_objects=[stream(b"7 0 " + SCRIPT, extra=b" /Filter /FooDecode")]).build(),
        "application/pdf",
        "attachment_corrupt",
        id="pdf-unknown-filter",
    ),
    pytest.param(
        "a.pdf",
        Pdf(trailer_extra=b" /Encrypt 6 0 R", extra_objects=[b"<< /Filter /Standard /V 2 /R 3 >>"]).build(),
        "application/pdf",
        NOT_ALLOWED,
        id="pdf-encrypted",
    ),
]

ACCEPTED = [
    pytest.param("영수증.pdf", Pdf().build(), "영수증.pdf", id="pdf-plain-text"),
    pytest.param(
        "link.pdf",
        Pdf(
            page_extra=b" /Annots [6 0 R]",
            extra_objects=[
                b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /URI /URI (https://pay.example/) >> >>"
            ],
        ).build(),
        "link.pdf",
        id="pdf-link-annotation",
    ),
    pytest.param(
        "compressed.pdf",
        Pdf(
            catalog_extra=b" /OpenAction [3 0 R /Fit] /Outlines 7 0 R",
            extra_objects=[object_stream({7: b"<< /Type /Outlines /Count 0 >>"}, ["FlateDecode"])],
        ).build(),
        "compressed.pdf",
        id="pdf-compressed-object-stream",
    ),
    pytest.param(
        "word.pdf",
        Pdf(
            extra_objects=[
                stream(
                    png_sub_rows(bytes([1, 0, 9, 0] * 6), 4),
                    ["FlateDecode"],
                    b" /Type /XRef /W [1 2 1] /Size 6 /DecodeParms << /Columns 4 /Predictor 12 >>",
                )
            ]
        ).build(),
        "word.pdf",
        id="pdf-xref-stream-with-predictor",
    ),
    pytest.param("scan.pdf", pillow_pdf(), "scan.pdf", id="pdf-written-by-pillow-with-a-jpeg"),
    pytest.param("../../etc/passwd.png", SMALL_PNG, "passwd.png", id="name-traversal"),
    pytest.param("a/b.png", SMALL_PNG, "b.png", id="name-with-folder"),
    pytest.param("..\\x.png", SMALL_PNG, "x.png", id="name-backslash-traversal"),
    pytest.param("\u202egnp.exe", SMALL_PNG, "gnp.png", id="name-right-to-left-override"),
    pytest.param("evil\x00.exe.png", SMALL_PNG, "evil.exe.png", id="name-nul-byte"),
    pytest.param("가" * 500 + ".png", SMALL_PNG, "가" * 96 + ".png", id="name-very-long"),
    pytest.param("CON.png", SMALL_PNG, "_CON.png", id="name-windows-device"),
]


def multipart(filename: str, data: bytes, content_type: str) -> tuple[bytes, dict[str, str]]:
    """Written by hand: an HTTP client would percent-encode the name, and the tricks must arrive raw."""
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in FIELDS.items()
    ]
    head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="attachments"; filename="{filename}"\r\n'
    parts.append(head.encode() + f"Content-Type: {content_type}\r\n\r\n".encode() + data + b"\r\n")
    body = b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


@pytest.fixture
async def payment(session: AsyncSession) -> None:
    session.add(Category(slug="payment", name="결제"))
    await session.commit()


async def upload(
    client: httpx.AsyncClient, settings: Settings, filename: str, data: bytes, content_type: str
) -> httpx.Response:
    body, headers = multipart(filename, data, content_type)
    return await client.post("/api/v1/inquiries", content=body, headers={**headers, **customer_headers(settings)})


async def count(session: AsyncSession, model: type[object]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def stored_files(settings: Settings) -> list[str]:
    root = settings.attachment_path
    return sorted(path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file())


@pytest.mark.usefixtures("payment")
@pytest.mark.parametrize(("filename", "data", "content_type", "code"), REFUSED)
async def test_hostile_uploads_are_refused_and_leave_nothing_behind(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    filename: str,
    data: bytes,
    content_type: str,
    code: str,
) -> None:
    assert len(data) <= settings.attachment_max_bytes  # refused for what it is, not for its size
    response = await upload(client, settings, filename, data, content_type)
    assert (response.status_code, response.json()["code"]) == (422, code), response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert not response.json()["detail"].endswith(")")  # Korean, without the English gloss in brackets
    assert await count(session, Inquiry) == 0 and await count(session, InquiryAttachment) == 0
    assert stored_files(settings) == []


@pytest.mark.usefixtures("payment")
@pytest.mark.parametrize(("filename", "data", "shown_as"), ACCEPTED)
async def test_benign_files_and_odd_names_are_stored_under_random_keys_and_served_safely(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, filename: str, data: bytes, shown_as: str
) -> None:
    content_type = "application/pdf" if data.startswith(b"%PDF") else "image/png"
    response = await upload(client, settings, filename, data, content_type)
    assert response.status_code == 201, response.text
    attachment = response.json()["attachments"][0]
    assert attachment["name"] == shown_as
    row = await session.scalar(select(InquiryAttachment))
    assert row is not None and KEY_SHAPE.fullmatch(row.storage_key)
    assert stored_files(settings) == [row.storage_key]
    download = await client.get(attachment["url"], headers=customer_headers(settings))
    assert download.status_code == 200 and download.content == data
    assert download.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in download.headers["content-security-policy"]
    disposition = download.headers["content-disposition"]
    fallback = re.fullmatch(
        r"attachment; filename=\"([\x20-\x7e]*)\"; filename\*=UTF-8''([A-Za-z0-9%._~-]+)", disposition
    )
    assert fallback is not None, disposition
    assert not set(fallback.group(1)) & set('"\\/')
