"""Evidence attachments: content checks on real bytes, name cleaning, and both storages."""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import io
import os
import re
import stat
import struct
import subprocess
import sys
import unicodedata
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from PIL import Image, TiffImagePlugin
from starlette.datastructures import UploadFile

from gogaek.config import Settings
from gogaek.errors import ProblemError
from gogaek.inquiries.attachments import (
    CheckedUpload,
    check_upload,
    check_upload_count,
    clean_display_name,
    read_upload,
)
from gogaek.inquiries.pdf_filters import Budget, BudgetExceededError, UndecodableError, lzw, unpredict
from gogaek.inquiries.pdf_syntax import PdfValue
from gogaek.inquiries.storage import (
    LocalAttachmentStorage,
    S3AttachmentStorage,
    build_attachment_storage,
)
from gogaek.web.i18n import in_language_of
from tests.security.hostile_files import (
    Pdf,
    image_bytes,
    lzw_encode,
    object_stream,
    one_bit_png,
    png_sub_rows,
    stream,
)

settings_for_fuzzing = hypothesis_settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

KEY_SHAPE = re.compile(r"[0-9]{4}/[0-9]{2}/[0-9a-f]{32}\.[a-z]+")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(env="test", data_dir=tmp_path, attachment_max_bytes=1024 * 1024, attachment_max_count=3)


def pdf_bytes(catalog_extra: bytes = b"", trailer_extra: bytes = b"", extra_objects: tuple[bytes, ...] = ()) -> bytes:
    return Pdf(catalog_extra=catalog_extra, trailer_extra=trailer_extra, extra_objects=extra_objects).build()


def flate_stream(payload: bytes, extra: bytes = b"") -> bytes:
    return stream(payload, ["FlateDecode"], extra)


def refusal(filename: str | None, data: bytes, settings: Settings) -> ProblemError:
    with pytest.raises(ProblemError) as caught:
        check_upload(filename, data, settings)
    return caught.value


# --- allowed content -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image_format", "content_type", "extension"),
    [
        ("JPEG", "image/jpeg", "jpg"),
        ("PNG", "image/png", "png"),
        ("GIF", "image/gif", "gif"),
        ("WEBP", "image/webp", "webp"),
    ],
)
def test_real_images_are_accepted(image_format: str, content_type: str, extension: str, settings: Settings) -> None:
    data = image_bytes(image_format)
    checked = check_upload(f"증빙 사진.{extension}", data, settings)
    assert checked == CheckedUpload(
        display_name=f"증빙 사진.{extension}",
        content_type=content_type,
        extension=extension,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
    )


def test_a_hand_written_pdf_is_accepted(settings: Settings) -> None:
    data = pdf_bytes()
    checked = check_upload("거래내역서.pdf", data, settings)
    assert (checked.content_type, checked.extension, checked.display_name) == (
        "application/pdf",
        "pdf",
        "거래내역서.pdf",
    )


def test_pdf_names_that_merely_start_like_script_names_are_fine(settings: Settings) -> None:
    data = pdf_bytes(catalog_extra=b" /JSONData (JavaScript) /Launcher 1", extra_objects=(flate_stream(b"q Q" * 50),))
    assert check_upload("ok.pdf", data, settings).extension == "pdf"


def test_the_detected_type_decides_the_extension_not_the_name(settings: Settings) -> None:
    checked = check_upload("photo.jpg", image_bytes("PNG"), settings)
    assert (checked.display_name, checked.content_type) == ("photo.png", "image/png")


# --- refused content -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("invoice.jpg", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(200)),
        ("photo.png", b"\x7fELF\x02\x01\x01" + bytes(200)),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'),
        ("logo.png", b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>'),
        ("page.jpg", b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"),
        ("page.pdf", b"  <html><body onload='alert(1)'></body></html>"),
        ("notes.txt", "그냥 텍스트입니다".encode()),
    ],
)
def test_anything_but_the_allowed_types_is_refused(filename: str, data: bytes, settings: Settings) -> None:
    problem = refusal(filename, data, settings)
    assert (problem.status, problem.code) == (422, "attachment_type_not_allowed")
    assert problem.message == "JPEG, PNG, GIF, WEBP 이미지와 PDF 파일만 첨부할 수 있습니다."
    assert in_language_of("en", problem.message) == "Only JPEG, PNG, GIF, WEBP images and PDF files are allowed"


def test_zip_archives_are_refused_whatever_they_are_called(settings: Settings) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("evidence.jpg", image_bytes("JPEG"))
    problem = refusal("evidence.jpg", buffer.getvalue(), settings)
    assert problem.code == "attachment_type_not_allowed"


@pytest.mark.parametrize(
    "data",
    [
        image_bytes("PNG")[:3000],
        image_bytes("JPEG")[:1000],
        image_bytes("WEBP")[:1000],
        image_bytes("GIF")[:500],
        b"\xff\xd8\xff" + bytes(range(256)) * 4,
        b"RIFF\x00\x00\x00\x00WEBPjunk",
    ],
    ids=[
        "truncated-png",
        "truncated-jpeg",
        "truncated-webp",
        "truncated-gif",
        "jpeg-magic-junk",
        "webp-junk",
    ],
)
def test_images_that_do_not_parse_are_corrupt(data: bytes, settings: Settings) -> None:
    problem = refusal("photo.png", data, settings)
    assert (problem.status, problem.code) == (422, "attachment_corrupt")


@pytest.mark.parametrize(
    ("width", "height"),
    [(7_000, 7_000), (10_000, 10_000), (20_000, 20_000)],
    ids=["above-our-limit", "above-pillow-limit-pillow-warns", "above-twice-pillow-limit-pillow-raises"],
)
def test_pixel_bombs_are_refused_by_the_configured_limit(width: int, height: int, settings: Settings) -> None:
    data = one_bit_png(width, height)
    assert len(data) < settings.attachment_max_bytes
    assert width * height > settings.attachment_max_pixels
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the refusal must not depend on pytest's warnings-as-errors
        problem = refusal("bomb.png", data, settings)
    assert (problem.status, problem.code) == (422, "attachment_too_many_pixels")
    assert "40메가픽셀" in problem.message


def test_the_pixel_limit_is_a_setting(tmp_path: Path) -> None:
    """Proves the refusal above is the pixel limit, not a malformed test file."""
    data = one_bit_png(7_000, 7_000)
    roomy = Settings(env="test", data_dir=tmp_path, attachment_max_pixels=50_000_000)
    assert check_upload("big.png", data, roomy).content_type == "image/png"
    tight = Settings(env="test", data_dir=tmp_path, attachment_max_pixels=48_999_999)
    assert refusal("big.png", data, tight).code == "attachment_too_many_pixels"


@pytest.mark.parametrize(
    "catalog_extra",
    [
        b" /OpenAction << /S /JavaScript /JS (app.alert(1)) >>",
        b" /OpenAction << /JS (app.alert(1)) >>",
        b" /OpenAction << /S /Launch /F (C:\\\\Windows\\\\System32\\\\calc.exe) >>",
        b" /OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >>",
        b" /AA << /O << /S/JavaScript/JS(app.alert(1))>> >>",
    ],
    ids=["javascript", "js-only", "launch", "hex-escaped-names", "no-spaces"],
)
def test_pdfs_with_scripts_or_launch_actions_are_refused(catalog_extra: bytes, settings: Settings) -> None:
    problem = refusal("statement.pdf", pdf_bytes(catalog_extra=catalog_extra), settings)
    assert (problem.status, problem.code) == (422, "attachment_active_content")
    assert "스크립트" in problem.message


def test_a_script_hidden_in_a_compressed_object_stream_is_found(settings: Settings) -> None:
    hidden = b"6 0 << /S /JavaScript /JS (app.alert(1)) >>"
    object_stream = flate_stream(hidden, extra=b" /Type /ObjStm /N 1 /First 4")
    data = pdf_bytes(catalog_extra=b" /OpenAction 6 0 R", extra_objects=(object_stream,))
    assert b"JavaScript" not in data
    assert refusal("statement.pdf", data, settings).code == "attachment_active_content"


def test_a_pdf_that_inflates_past_the_budget_is_refused(settings: Settings) -> None:
    compressor = zlib.compressobj(9)
    block = bytes(1024 * 1024)
    packed = b"".join(compressor.compress(block) for _ in range(65)) + compressor.flush()
    bomb = b"<< /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream" % (len(packed), packed)
    problem = refusal("big.pdf", pdf_bytes(extra_objects=(bomb,)), settings)
    assert (problem.status, problem.code) == (422, "attachment_too_complex")


def test_encrypted_pdfs_are_refused_because_they_cannot_be_inspected(settings: Settings) -> None:
    data = pdf_bytes(trailer_extra=b" /Encrypt 6 0 R", extra_objects=(b"<< /Filter /Standard /V 2 /R 3 >>",))
    problem = refusal("statement.pdf", data, settings)
    assert problem.code == "attachment_type_not_allowed"
    assert "암호" in problem.message


def test_a_run_of_comment_signs_after_a_dictionary_does_not_stall_the_scan(settings: Settings) -> None:
    """Before, the stream pattern split such a run in exponentially many ways (2**64 here)."""
    data = pdf_bytes(extra_objects=(b"<< /Note 1 >>" + b"%" * 64 + b"x\n",))
    assert check_upload("a.pdf", data, settings).extension == "pdf"


def test_a_stream_dictionary_with_nested_dictionaries_is_found(settings: Settings) -> None:
    object_stream = stream(
        b"7 0 << /S /JavaScript /JS (x) >>", ["FlateDecode"], b" /Type /ObjStm /N 1 /First 4 /X << /Y << /Z 1 >> >>"
    )
    assert refusal("a.pdf", pdf_bytes(extra_objects=(object_stream,)), settings).code == "attachment_active_content"


def test_byte_by_byte_decoding_has_a_small_budget_of_its_own(settings: Settings) -> None:
    """Predictors and LZW run in Python: a few megabytes would cost seconds of CPU per upload."""
    rows = bytes(101) * 21_000  # 2.1 MB of PNG predictor rows, each "no change"
    predicted = stream(rows, ["FlateDecode"], b" /DecodeParms << /Predictor 12 /Columns 100 >>")
    assert len(predicted) < 10_000
    problem = refusal("a.pdf", pdf_bytes(extra_objects=(predicted,)), settings)
    assert (problem.status, problem.code) == (422, "attachment_too_complex")


SEED_PDF = Pdf(
    catalog_extra=b" /OpenAction [3 0 R /Fit] /Outlines 7 0 R",
    extra_objects=(
        object_stream({7: b"<< /Type /Outlines /Count 0 >>"}, ["A85", "LZW", "Fl", "RL"]),
        stream(png_sub_rows(b"q Q " * 40, 4), ["Fl"], b" /DecodeParms << /Predictor 12 /Columns 4 >>"),
        stream(b"q Q " * 40, ["AHx"], b" /DecodeParms << /Predictor 12 /Columns 4 >>"),  # not Flate: no predictor
    ),
).build()


@settings_for_fuzzing
@given(edits=st.lists(st.tuples(st.integers(0, len(SEED_PDF) - 1), st.binary(max_size=8)), max_size=6))
def test_damaged_pdfs_are_refused_cleanly_or_accepted_never_crash(edits: list[tuple[int, bytes]]) -> None:
    """Random overwrites of a PDF that uses every filter: a ProblemError at worst, never another exception."""
    settings = Settings(env="test", attachment_max_bytes=1024 * 1024)
    assert check_upload("seed.pdf", SEED_PDF, settings).extension == "pdf"
    data = bytearray(SEED_PDF)
    for offset, replacement in edits:
        data[offset : offset + len(replacement)] = replacement
    try:
        check_upload("a.pdf", bytes(data), settings)
    except ProblemError as problem:
        assert problem.status in (413, 422)


# --- PDF filters -----------------------------------------------------------------------------


def test_lzw_reads_what_libtiff_writes() -> None:
    """TIFF's LZW is PDF's LZW with EarlyChange 1: an independent encoder for our decoder."""
    data = os.urandom(5000) + b"receipt " * 4000 + os.urandom(20000)
    buffer = io.BytesIO()
    Image.frombytes("L", (len(data), 1), data).save(buffer, format="TIFF", compression="tiff_lzw")
    with Image.open(io.BytesIO(buffer.getvalue())) as tiff:
        assert isinstance(tiff, TiffImagePlugin.TiffImageFile)
        offset, length = tiff.tag_v2[273][0], tiff.tag_v2[279][0]
    assert lzw(buffer.getvalue()[offset : offset + length], Budget(10**8)) == data
    assert lzw(lzw_encode(data), Budget(10**8)) == data


@pytest.mark.parametrize("predictor", [2, 10, 11, 12, 13, 14, 15])
def test_predictors_are_undone(predictor: int) -> None:
    """Rows written with PNG filters by Pillow's own PNG encoder, and a TIFF difference by hand."""
    rows = [bytes((column * row + 7) % 256 for column in range(12)) for row in range(6)]
    if predictor == 2:
        encoded = b"".join(bytes([r[0], *((r[i] - r[i - 1]) % 256 for i in range(1, 12))]) for r in rows)
    else:
        buffer = io.BytesIO()
        Image.frombytes("L", (12, 6), b"".join(rows)).save(buffer, format="PNG", optimize=False)
        encoded = zlib.decompress(b"".join(body for tag, body in png_chunks(buffer.getvalue()) if tag == b"IDAT"))
    parms: dict[bytes, PdfValue] = {b"Predictor": predictor, b"Columns": 12}
    assert unpredict(encoded, parms, Budget(10**6)) == b"".join(rows)


def png_chunks(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    pos = 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        yield data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length


def test_every_filter_stops_at_the_budget() -> None:
    with pytest.raises(BudgetExceededError):
        lzw(lzw_encode(bytes(100_000)), Budget(50_000))
    with pytest.raises(UndecodableError):
        lzw(b"\xff\xff\xff", Budget(100))


@pytest.mark.parametrize(
    "data",
    [pdf_bytes()[:-20], pdf_bytes() + b"\n" + b"x" * 2000, b"%PDF-1.4\n"],
    ids=["truncated", "eof-marker-too-far-from-the-end", "header-only"],
)
def test_pdfs_without_a_trailer_are_corrupt(data: bytes, settings: Settings) -> None:
    problem = refusal("statement.pdf", data, settings)
    assert (problem.status, problem.code) == (422, "attachment_corrupt")


def test_empty_files_are_refused(settings: Settings) -> None:
    problem = refusal("empty.png", b"", settings)
    assert (problem.status, problem.code) == (422, "attachment_empty")


def test_files_over_the_size_limit_are_refused_before_parsing(settings: Settings) -> None:
    data = b"\x89PNG\r\n\x1a\n" + bytes(settings.attachment_max_bytes)
    problem = refusal("big.png", data, settings)
    assert (problem.status, problem.code) == (413, "attachment_too_large")
    assert "1MB" in problem.message


def test_a_file_exactly_at_the_limit_is_accepted(tmp_path: Path) -> None:
    data = pdf_bytes()
    exact = Settings(env="test", data_dir=tmp_path, attachment_max_bytes=len(data))
    assert check_upload("a.pdf", data, exact).size == len(data)
    assert refusal("a.pdf", data + b" ", exact).code == "attachment_too_large"


def test_attachment_count_limit(settings: Settings) -> None:
    check_upload_count(0, settings)
    check_upload_count(settings.attachment_max_count, settings)
    with pytest.raises(ProblemError) as caught:
        check_upload_count(settings.attachment_max_count + 1, settings)
    assert (caught.value.status, caught.value.code) == (422, "too_many_attachments")
    assert "3개" in caught.value.message


# --- display names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("../../etc/passwd", "passwd.png"),
        ("..\\..\\windows\\system32\\cmd.exe", "cmd.png"),
        ("C:\\Users\\김민수\\Desktop\\영수증.JPG", "영수증.png"),
        ("/var/www/", "첨부파일.png"),
        ("..", "첨부파일.png"),
        (".jpg", "첨부파일.png"),
        ("", "첨부파일.png"),
        (None, "첨부파일.png"),
        ("\x00\x01\x7f", "첨부파일.png"),
        ("sc\x00re\x1ben\x7fshot.png", "screenshot.png"),
        ("  my \t\n  receipt   .jpeg ", "my receipt.png"),
        ("사진\u202egnp.exe", "사진gnp.png"),
        ("zero\u200bwidth.png", "zerowidth.png"),
        ('a<b>c:d"e|f?g*h.png', "a_b_c_d_e_f_g_h.png"),
        ("report v1.2 final", "report v1.2 final.png"),
        ("invoice.2024", "invoice.2024.png"),
        ("archive.tar.gz", "archive.tar.png"),
        (unicodedata.normalize("NFD", "결제 내역.png"), "결제 내역.png"),
        ("CON.png", "_CON.png"),
        ("nul .tar.gz", "_nul .tar.png"),
        ("lpt9", "_lpt9.png"),
        ("Console.png", "Console.png"),
    ],
)
def test_display_names_are_cleaned(filename: str | None, expected: str) -> None:
    cleaned = clean_display_name(filename, "png")
    assert cleaned == expected
    assert "/" not in cleaned and "\\" not in cleaned
    assert unicodedata.is_normalized("NFC", cleaned)


def test_long_names_are_cut_but_keep_the_detected_extension() -> None:
    cleaned = clean_display_name("가" * 300 + ".jpg", "webp")
    assert len(cleaned) == 100
    assert cleaned == "가" * 95 + ".webp"
    assert clean_display_name("a" * 98 + " .x." + "b" * 50, "pdf") == "a" * 96 + ".pdf"


def test_check_upload_uses_the_cleaned_name(settings: Settings) -> None:
    checked = check_upload("../../../etc/cron.d/evil.exe", image_bytes("GIF"), settings)
    assert checked.display_name == "evil.gif"


# --- reading uploads -------------------------------------------------------------------------


class EndlessZeros(io.RawIOBase):
    """An upload that never ends; counts how much was actually read from it."""

    def __init__(self) -> None:
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        buffer[:] = bytes(len(buffer))
        self.consumed += len(buffer)
        return len(buffer)


async def test_read_upload_checks_what_it_read(settings: Settings) -> None:
    data = image_bytes("PNG", size=(400, 300))
    upload = UploadFile(io.BytesIO(data), filename="C:\\fakepath\\스크린샷.png")
    checked = await read_upload(upload, settings)
    assert (checked.data, checked.display_name) == (data, "스크린샷.png")


async def test_read_upload_stops_one_byte_past_the_limit(settings: Settings) -> None:
    endless = EndlessZeros()
    with pytest.raises(ProblemError) as caught:
        await read_upload(UploadFile(io.BufferedReader(endless), filename="huge.png"), settings)
    assert caught.value.code == "attachment_too_large"
    # BufferedReader may read ahead by one buffer, never the whole stream.
    assert endless.consumed <= settings.attachment_max_bytes + 1 + io.DEFAULT_BUFFER_SIZE


async def test_read_upload_refuses_an_empty_upload(settings: Settings) -> None:
    with pytest.raises(ProblemError) as caught:
        await read_upload(UploadFile(io.BytesIO(b""), filename="empty.pdf"), settings)
    assert caught.value.code == "attachment_empty"


async def test_read_upload_refuses_by_content(settings: Settings) -> None:
    upload = UploadFile(io.BytesIO(b"MZ" + bytes(5000)), filename="photo.jpg")
    with pytest.raises(ProblemError) as caught:
        await read_upload(upload, settings)
    assert caught.value.code == "attachment_type_not_allowed"


# --- local storage ---------------------------------------------------------------------------


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def stored_files(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


async def test_local_storage_round_trip_with_private_permissions(tmp_path: Path) -> None:
    root = tmp_path / "attachments"
    storage = LocalAttachmentStorage(root)
    data = image_bytes("PNG")
    key = await storage.save(data, "png")
    assert KEY_SHAPE.fullmatch(key) and key.endswith(".png")
    assert await storage.load(key) == data
    stored = root / key
    assert mode_of(stored) == 0o600
    assert [mode_of(folder) for folder in (root, stored.parent.parent, stored.parent)] == [0o700] * 3
    assert stored_files(root) == [key]  # no temp file left behind


async def test_local_storage_keys_are_unique_and_writes_leave_no_temp_files(tmp_path: Path) -> None:
    storage = LocalAttachmentStorage(tmp_path)
    payloads = [os.urandom(2000 + n) for n in range(20)]
    keys = await asyncio.gather(*(storage.save(payload, "pdf") for payload in payloads))
    assert len(set(keys)) == 20
    assert [await storage.load(key) for key in keys] == payloads
    assert stored_files(tmp_path) == sorted(keys)


async def test_local_storage_missing_and_deleted_keys(tmp_path: Path) -> None:
    storage = LocalAttachmentStorage(tmp_path)
    with pytest.raises(ProblemError) as caught:
        await storage.load("2026/11/" + "0" * 32 + ".png")
    assert (caught.value.status, caught.value.code) == (404, "not_found")
    await storage.delete("2026/11/" + "0" * 32 + ".png")  # missing: no-op
    key = await storage.save(b"%PDF-1.4 ...", "pdf")
    await storage.delete(key)
    assert not (tmp_path / key).exists()
    with pytest.raises(ProblemError):
        await storage.load(key)


BAD_KEYS = [
    "../x",
    "../../outside.png",
    "/etc/passwd",
    "2026/11/../../outside.png",
    "2026\\11\\" + "a" * 32 + ".png",
    "2026/11/" + "a" * 32 + ".png\n",
    "2026/11/" + "A" * 32 + ".png",
    "2026/13/" + "a" * 32 + ".png",
    "٢٠٢٦/11/" + "a" * 32 + ".png",
    "2026/11/" + "a" * 31 + ".png",
    "2026/11/" + "a" * 32 + ".png/..",
    "2026/11/" + "a" * 32,
    "",
]


@pytest.mark.parametrize("key", BAD_KEYS)
async def test_crafted_keys_never_reach_the_filesystem(key: str, tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    outside = tmp_path / "outside.png"
    outside.write_bytes(b"secret")
    storage = LocalAttachmentStorage(root)
    with pytest.raises(ValueError, match="invalid attachment storage key"):
        await storage.load(key)
    with pytest.raises(ValueError, match="invalid attachment storage key"):
        await storage.delete(key)
    assert outside.read_bytes() == b"secret"


@pytest.mark.parametrize("extension", ["png/../../x", "", "PNG", "p.ng", "a" * 9])
async def test_save_refuses_extensions_that_could_shape_a_path(extension: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="invalid attachment extension"):
        await LocalAttachmentStorage(tmp_path).save(b"x", extension)
    assert stored_files(tmp_path) == []


def test_build_storage_follows_settings(tmp_path: Path) -> None:
    local = build_attachment_storage(Settings(env="test", data_dir=tmp_path))
    assert isinstance(local, LocalAttachmentStorage) and local.root == tmp_path / "attachments"
    chosen = build_attachment_storage(Settings(env="test", data_dir=tmp_path, attachment_dir=tmp_path / "evidence"))
    assert isinstance(chosen, LocalAttachmentStorage) and chosen.root == tmp_path / "evidence"
    with pytest.raises(ValueError, match="GOGAEK_S3_BUCKET"):
        build_attachment_storage(Settings(env="test", attachment_storage="s3"))
    s3_settings = Settings(env="test", attachment_storage="s3", s3_bucket="b", s3_region="ap-northeast-2")
    s3 = build_attachment_storage(s3_settings)
    assert isinstance(s3, S3AttachmentStorage) and s3.bucket == "b"


# --- S3 against moto's standalone server --------------------------------------------------------

MOTO_SERVER = """
import sys
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(server.get_host_and_port()[1], flush=True)
sys.stdin.read()
server.stop()
"""


@pytest.fixture(scope="module")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real S3-speaking HTTP server in its own process, stopped by closing its stdin."""
    if importlib.util.find_spec("moto") is None or importlib.util.find_spec("flask") is None:
        pytest.skip("moto[server] is not installed; S3 storage is not exercised")
    log_path = tmp_path_factory.mktemp("moto") / "server.log"
    with (
        log_path.open("w", encoding="utf-8") as log,
        subprocess.Popen(
            [sys.executable, "-c", MOTO_SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True
        ) as process,
    ):
        assert process.stdout is not None and process.stdin is not None
        port = process.stdout.readline().strip()
        if not port:
            process.kill()
            raise AssertionError(f"moto server did not start: {log_path.read_text(encoding='utf-8')}")
        yield f"http://127.0.0.1:{port}"
        process.stdin.close()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def s3_storage(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> S3AttachmentStorage:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    storage = S3AttachmentStorage("gogaek-evidence", endpoint_url=moto_endpoint, region="us-east-1")
    storage._client.create_bucket(Bucket="gogaek-evidence")
    return storage


async def test_s3_storage_round_trip(s3_storage: S3AttachmentStorage) -> None:
    data = pdf_bytes()
    key = await s3_storage.save(data, "pdf")
    assert KEY_SHAPE.fullmatch(key) and key.endswith(".pdf")
    assert await s3_storage.load(key) == data
    await s3_storage.delete(key)
    with pytest.raises(ProblemError) as caught:
        await s3_storage.load(key)
    assert (caught.value.status, caught.value.code) == (404, "not_found")
    await s3_storage.delete(key)  # already gone: no-op


@pytest.mark.parametrize("key", ["../x", "/etc/passwd", "2026\\11\\" + "a" * 32 + ".png"])
async def test_s3_storage_refuses_crafted_keys(key: str, s3_storage: S3AttachmentStorage) -> None:
    with pytest.raises(ValueError, match="invalid attachment storage key"):
        await s3_storage.load(key)
    with pytest.raises(ValueError, match="invalid attachment storage key"):
        await s3_storage.delete(key)


async def test_an_unreachable_bucket_is_storage_unavailable(s3_storage: S3AttachmentStorage) -> None:
    s3_storage.bucket = "no-such-bucket"
    with pytest.raises(ProblemError) as caught:
        await s3_storage.save(pdf_bytes(), "pdf")
    assert (caught.value.status, caught.value.code) == (503, "storage_unavailable")
