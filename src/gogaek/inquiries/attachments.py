"""Evidence attachments: uploads are judged by their bytes, never by their name or declared type.

A customer's file ends up in an agent's browser, so anything that could run there (SVG, HTML,
PDF scripts) or on the agent's machine (executables, archives) is refused, images must really
parse as the image their first bytes claim to be, and PDFs are inspected by ``pdf_check``.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import re
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass

from PIL import Image
from starlette.datastructures import FormData, UploadFile

from gogaek.config import Settings
from gogaek.errors import ProblemError
from gogaek.inquiries.pdf_check import PdfRefusedError, Reason, check_pdf
from gogaek.web.i18n import N_, gettext

DEFAULT_STEM = "첨부파일"
MAX_DISPLAY_NAME_CHARS = 100
READ_CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class FileType:
    content_type: str
    extension: str
    pillow_format: str | None  # None for PDF, which Pillow does not read


JPEG = FileType("image/jpeg", "jpg", "JPEG")
PNG = FileType("image/png", "png", "PNG")
GIF = FileType("image/gif", "gif", "GIF")
WEBP = FileType("image/webp", "webp", "WEBP")
PDF = FileType("application/pdf", "pdf", None)

# (offset, magic bytes, type). Every entry must match for its type; anything else is refused.
_SIGNATURES: tuple[tuple[tuple[tuple[int, bytes], ...], FileType], ...] = (
    (((0, b"\xff\xd8\xff"),), JPEG),
    (((0, b"\x89PNG\r\n\x1a\n"),), PNG),
    (((0, b"GIF87a"),), GIF),
    (((0, b"GIF89a"),), GIF),
    (((0, b"RIFF"), (8, b"WEBP")), WEBP),
    (((0, b"%PDF-"),), PDF),
)

# Markup a browser would run, found anywhere in an image or PDF: the file is two things at once.
_EMBEDDED_MARKUP = re.compile(rb"<(?:script|html|svg|iframe|object|embed|!doctype\s+html)\b", re.IGNORECASE)
_PDF_HEADER = b"%PDF-"
# Windows refuses these as file names whatever the extension, so a download named "CON.png" fails.
_WINDOWS_DEVICES = frozenset(
    {"CON", "PRN", "AUX", "NUL", *(f"{port}{n}" for port in ("COM", "LPT") for n in range(1, 10))}
)
_NAME_SEPARATORS = re.compile(r"[/\\]")
_NAME_RESERVED = re.compile(r'[<>:"|?*]')
_NAME_EXTENSION = re.compile(r"[A-Za-z0-9]{1,8}")


@dataclass(frozen=True)
class CheckedUpload:
    display_name: str
    content_type: str
    extension: str
    size: int
    sha256: str
    data: bytes


def _refuse_type() -> ProblemError:
    return ProblemError(
        422,
        "attachment_type_not_allowed",
        N_("JPEG, PNG, GIF, WEBP 이미지와 PDF 파일만 첨부할 수 있습니다."),
    )


def _corrupt(what: str) -> ProblemError:
    return ProblemError(
        422, "attachment_corrupt", gettext("%(what)s 파일이 손상되었거나 열 수 없습니다.") % {"what": gettext(what)}
    )


def _too_large(message: str) -> ProblemError:
    return ProblemError(413, "attachment_too_large", message)


def detect_type(data: bytes) -> FileType | None:
    """The type the leading bytes announce; None for anything not on the allow-list."""
    for magics, file_type in _SIGNATURES:
        if all(data[offset : offset + len(magic)] == magic for offset, magic in magics):
            return file_type
    return None


def _check_image(data: bytes, file_type: FileType, max_pixels: int) -> None:
    """Pillow must parse it as the same format (no polyglots) and within the pixel limit.

    ``verify()`` checks every chunk CRC of a PNG but only headers and dimensions of GIF and WEBP,
    whose full decoding would cost bytes per pixel. JPEG, the usual phone photo, is decoded cheaply.
    """
    assert file_type.pillow_format is not None
    with warnings.catch_warnings():
        # Pillow warns between its MAX_IMAGE_PIXELS and twice that, and raises above; both are bombs.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=[file_type.pillow_format]) as image:
                _check_pixels(image.size, max_pixels)
                image.verify()
            if file_type is JPEG:
                _decode_jpeg_scaled(data)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_many_pixels(max_pixels) from exc
        except Exception as exc:  # Pillow raises many types on malformed input; all mean "not an image"
            raise _corrupt(N_("이미지")) from exc


def _decode_jpeg_scaled(data: bytes) -> None:
    """verify() does nothing for JPEG; decoding at 1/8 scale reads every byte for 1/64 of the memory."""
    with Image.open(io.BytesIO(data), formats=["JPEG"]) as image:
        image.draft(image.mode, (max(1, image.width // 8), max(1, image.height // 8)))
        image.load()


def _check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    """Our own limit, checked on the header before any pixel is decoded (Pillow's is far higher)."""
    if size[0] * size[1] > max_pixels:
        raise Image.DecompressionBombError(f"{size[0]}x{size[1]} pixels")


def _too_many_pixels(max_pixels: int) -> ProblemError:
    return ProblemError(
        422,
        "attachment_too_many_pixels",
        gettext("이미지 해상도가 너무 큽니다. 최대 %(megapixels)s메가픽셀까지 올릴 수 있습니다.")
        % {"megapixels": f"{max_pixels / 1_000_000:g}"},
    )


_PDF_REFUSALS = {
    Reason.ACTIVE: (
        "attachment_active_content",
        N_("스크립트, 내장 파일이나 자동 실행 동작이 포함된 PDF는 첨부할 수 없습니다."),
    ),
    Reason.ENCRYPTED: (
        "attachment_type_not_allowed",
        N_("암호가 걸린 PDF는 첨부할 수 없습니다. 암호를 해제한 뒤 다시 올려 주세요."),
    ),
    Reason.TOO_COMPLEX: (
        "attachment_too_complex",
        N_("압축을 푼 내용이 너무 큰 PDF는 첨부할 수 없습니다."),
    ),
}


def _check_pdf(data: bytes) -> None:
    """The PDF rules live in pdf_check; here its verdict becomes the customer's error."""
    try:
        check_pdf(data)
    except PdfRefusedError as refused:
        if refused.reason is Reason.CORRUPT:
            raise _corrupt("PDF") from refused
        code, message = _PDF_REFUSALS[refused.reason]
        raise ProblemError(422, code, message) from refused


def _check_single_format(data: bytes, file_type: FileType) -> None:
    """Polyglots are refused: an image or PDF that is also a ZIP, carries HTML, or hides a PDF.

    Image decoders and PDF readers ignore what follows their data, but an archive tool, a
    browser sniffing a saved file, or a PDF reader scanning for ``%PDF-`` would find the other file.
    """
    also_pdf = file_type is not PDF and _PDF_HEADER in data
    if also_pdf or _EMBEDDED_MARKUP.search(data) or zipfile.is_zipfile(io.BytesIO(data)):
        raise ProblemError(
            422,
            "attachment_type_not_allowed",
            N_("다른 형식(ZIP, HTML, PDF 등)이 섞여 있는 파일은 첨부할 수 없습니다."),
        )


def _without_controls(text: str) -> str:
    """Whitespace controls (tab, newline) become spaces; other control and format characters go."""
    return "".join(" " if ch.isspace() else ch for ch in text if ch.isspace() or unicodedata.category(ch)[0] != "C")


def clean_display_name(filename: str | None, extension: str) -> str:
    """A name safe to show and to offer as a download name; never a path.

    Keeps the last path segment, NFC-normalises (macOS sends Korean names decomposed), turns
    whitespace into single spaces, drops control and format characters (including the
    right-to-left override that disguises "exe.jpg"), replaces characters Windows forbids, and
    REPLACES the extension with the detected type's canonical one: the name must not claim a type
    the content is not. Empty names become "첨부파일.<ext>".
    """
    name = _NAME_SEPARATORS.split(unicodedata.normalize("NFC", filename or ""))[-1]
    name = _NAME_RESERVED.sub("_", " ".join(_without_controls(name).split()))
    stem, dot, suffix = name.rpartition(".")
    if not dot or not _NAME_EXTENSION.fullmatch(suffix) or suffix.isdigit():
        stem = name
    stem = stem.strip(" .")
    if stem.split(".")[0].rstrip(" ").upper() in _WINDOWS_DEVICES:
        stem = f"_{stem}"
    stem = stem[: MAX_DISPLAY_NAME_CHARS - len(extension) - 1].rstrip(" .")
    return f"{stem or DEFAULT_STEM}.{extension}"


def check_upload(filename: str | None, data: bytes, settings: Settings) -> CheckedUpload:
    """Accepts the upload only if its bytes are an allowed, intact, inert file within the limits."""
    if not data:
        raise ProblemError(422, "attachment_empty", N_("빈 파일은 첨부할 수 없습니다."))
    if len(data) > settings.attachment_max_bytes:
        limit_mb = settings.attachment_max_bytes / (1024 * 1024)
        raise _too_large(
            gettext("첨부 파일이 너무 큽니다. 최대 %(mb)sMB까지 올릴 수 있습니다.") % {"mb": f"{limit_mb:g}"}
        )
    file_type = detect_type(data)
    if file_type is None:
        raise _refuse_type()
    _check_single_format(data, file_type)
    if file_type.pillow_format is None:
        _check_pdf(data)
    else:
        _check_image(data, file_type, settings.attachment_max_pixels)
    return CheckedUpload(
        display_name=clean_display_name(filename, file_type.extension),
        content_type=file_type.content_type,
        extension=file_type.extension,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
    )


def check_upload_count(count: int, settings: Settings) -> None:
    if count > settings.attachment_max_count:
        raise ProblemError(
            422,
            "too_many_attachments",
            gettext("첨부 파일은 최대 %(count)s개까지 올릴 수 있습니다.") % {"count": settings.attachment_max_count},
        )


async def read_upload(upload: UploadFile, settings: Settings) -> CheckedUpload:
    """Reads at most one byte past the limit, so a huge upload is refused without being held in memory.

    The content check parses images and inflates PDF streams, so it runs off the event loop.
    """
    limit = settings.attachment_max_bytes + 1
    buffer = bytearray()
    while len(buffer) < limit:
        chunk = await upload.read(min(READ_CHUNK_BYTES, limit - len(buffer)))
        if not chunk:
            break
        buffer += chunk
    return await asyncio.to_thread(check_upload, upload.filename, bytes(buffer), settings)


async def read_form_uploads(form: FormData, field: str, settings: Settings) -> list[CheckedUpload]:
    """Every file sent under ``field``, counted and then checked by content; an empty part is a
    file input left blank, not a file."""
    files = [item for item in form.getlist(field) if isinstance(item, UploadFile) and item.filename]
    check_upload_count(len(files), settings)
    return [await read_upload(upload, settings) for upload in files]
