"""How stored uploads go back out: originals only as downloads, images inline only as previews.

An original is never rendered by the browser (``Content-Disposition: attachment``, a sandbox
CSP, nosniff from the security middleware), because a customer wrote its bytes. Thumbnails and
chat pictures use a preview instead: re-encoded by Pillow at most ``attachment_preview_max_side``
pixels on the long side, so the browser never decodes a 40-megapixel upload. Previews are made on
demand and kept in a small per-process cache; two are made at a time at most.
"""

from __future__ import annotations

import asyncio
import io
import threading
import warnings
from collections import OrderedDict
from urllib.parse import quote

from fastapi import Response
from PIL import Image, ImageOps

from gogaek.config import Settings
from gogaek.errors import ProblemError
from gogaek.inquiries.models import InquiryAttachment
from gogaek.inquiries.storage import AttachmentStorage
from gogaek.web.i18n import N_

PREVIEW_FORMAT = "WEBP"  # keeps transparency, small, and every supported browser shows it
PREVIEW_CONTENT_TYPE = "image/webp"
PREVIEW_QUALITY = 80
PREVIEW_CACHE_ENTRIES = 64
SANDBOX_CSP = "default-src 'none'; sandbox"
_UNSAFE_IN_QUOTES = str.maketrans({'"': "_", "\\": "_", "/": "_"})

_previews: OrderedDict[str, bytes] = OrderedDict()
_previews_lock = threading.Lock()
_decoders = threading.BoundedSemaphore(2)  # each decode may hold one full-size image in memory


def content_disposition(disposition: str, name: str) -> str:
    """RFC 6266: an ASCII fallback that cannot break out of its quotes, and the exact UTF-8 name."""
    fallback = name.encode("ascii", "replace").decode("ascii").replace("?", "_").translate(_UNSAFE_IN_QUOTES)
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def original_response(name: str, content_type: str, data: bytes) -> Response:
    """The file as uploaded, always as a download with the type we detected."""
    return Response(
        data,
        media_type=content_type,
        headers={
            "Content-Disposition": content_disposition("attachment", name),
            "Cache-Control": "private, no-store",
            "Content-Security-Policy": SANDBOX_CSP,
        },
    )


def no_preview() -> ProblemError:
    return ProblemError(404, "not_found", N_("미리보기가 없는 첨부 파일입니다."))


async def download(attachment: InquiryAttachment, storage: AttachmentStorage) -> Response:
    data = await storage.load(attachment.storage_key)
    return original_response(attachment.display_name, attachment.content_type, data)


async def preview(attachment: InquiryAttachment, storage: AttachmentStorage, settings: Settings) -> Response:
    """A bounded re-encoding of an image for inline display; PDFs have none."""
    if not attachment.content_type.startswith("image/"):
        raise no_preview()
    key = attachment.storage_key
    return await preview_response(attachment.display_name, key, await storage.load(key), settings)


async def preview_response(name: str, key: str, data: bytes, settings: Settings) -> Response:
    """``key`` names the bytes for the cache: storage keys are never reused for other content."""
    limits = (settings.attachment_preview_max_side, settings.attachment_max_pixels)
    image = await asyncio.to_thread(cached_preview, key, data, limits)
    stem = name.rpartition(".")[0] or name
    return Response(
        image,
        media_type=PREVIEW_CONTENT_TYPE,
        headers={
            "Content-Disposition": content_disposition("inline", f"{stem}.webp"),
            "Cache-Control": "private, no-store",
            "Content-Security-Policy": SANDBOX_CSP,
        },
    )


def cached_preview(key: str, data: bytes, limits: tuple[int, int]) -> bytes:
    """Storage keys never change content, so a preview made once is good until evicted."""
    with _previews_lock:
        if key in _previews:
            _previews.move_to_end(key)
            return _previews[key]
    with _decoders:
        image = make_preview(data, *limits)
    with _previews_lock:
        _previews[key] = image
        while len(_previews) > PREVIEW_CACHE_ENTRIES:
            _previews.popitem(last=False)
    return image


def make_preview(data: bytes, max_side: int, max_pixels: int) -> bytes:
    """First frame, turned upright by its EXIF orientation, shrunk to fit; metadata is dropped.

    Files stored before today's limits (more pixels, or bytes Pillow no longer reads) get no
    preview rather than a 500; they stay downloadable. JPEG decodes straight at a reduced scale
    (``draft``), so a phone photo costs little.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > max_pixels:
                    raise no_preview()
                image.draft("RGB", (max_side, max_side))
                frame = ImageOps.exif_transpose(image)
                frame.thumbnail((max_side, max_side))
                if frame.mode not in ("RGB", "RGBA"):
                    frame = frame.convert("RGBA" if "A" in frame.getbands() or "transparency" in frame.info else "RGB")
                out = io.BytesIO()
                frame.save(out, format=PREVIEW_FORMAT, quality=PREVIEW_QUALITY)
        except ProblemError:
            raise
        except Exception as exc:  # Pillow raises many types on bad input; all mean "no preview"
            raise no_preview() from exc
    return out.getvalue()
