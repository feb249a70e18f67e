"""Where attachment bytes live: outside the web root, under random keys nobody can guess or steer.

Keys look like ``2026/11/<32 hex>.png``. Every key handed back in is matched against that exact
shape before it touches a path or a bucket, so a crafted key cannot reach another file.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import re
import secrets
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from gogaek.config import Settings
from gogaek.errors import ProblemError
from gogaek.web.i18n import N_

_KEY = re.compile(r"[0-9]{4}/(?:0[1-9]|1[0-2])/[0-9a-f]{32}\.[a-z0-9]{1,8}")
_EXTENSION = re.compile(r"[a-z0-9]{1,8}")
DIRECTORY_MODE = 0o700
TEMP_PREFIX = ".upload-"
_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
RETRY_AFTER_SECONDS = "60"


class AttachmentStorage(Protocol):
    async def save(self, data: bytes, extension: str) -> str: ...

    async def load(self, key: str) -> bytes: ...

    async def delete(self, key: str) -> None: ...


def new_key(extension: str) -> str:
    """Month folders keep directories small; the random part makes keys unguessable."""
    if not _EXTENSION.fullmatch(extension):
        raise ValueError(f"invalid attachment extension: {extension!r}")
    now = datetime.now(UTC)
    return f"{now:%Y}/{now:%m}/{secrets.token_hex(16)}.{extension}"


def validate_key(key: str) -> str:
    """Raises ValueError for anything but the exact key shape: keys come from our database, never users."""
    if not _KEY.fullmatch(key):
        raise ValueError(f"invalid attachment storage key: {key!r}")
    return key


def _missing() -> ProblemError:
    return ProblemError(404, "not_found", N_("첨부 파일을 찾을 수 없습니다."))


def storage_unavailable(exc: Exception) -> ProblemError:
    """A full disk is 507, anything else (read-only, gone, I/O error, bucket down) 503; both may be retried."""
    if isinstance(exc, OSError) and exc.errno in _FULL:
        status, message = 507, N_("첨부 파일 저장 공간이 부족합니다. 잠시 후 다시 시도해 주세요.")
    else:
        status, message = 503, N_("첨부 파일을 저장할 수 없습니다. 잠시 후 다시 시도해 주세요.")
    return ProblemError(status, "storage_unavailable", message, headers={"Retry-After": RETRY_AFTER_SECONDS})


async def save_all(storage: AttachmentStorage, files: Sequence[tuple[bytes, str]]) -> list[str]:
    """Every file or none: when one write fails, the ones already written are deleted again."""
    keys: list[str] = []
    try:
        for data, extension in files:
            keys.append(await storage.save(data, extension))
    except BaseException:
        for key in keys:
            with contextlib.suppress(OSError):
                await storage.delete(key)
        raise
    return keys


class LocalAttachmentStorage:
    """Files under ``root`` readable only by the service user; writes are atomic renames."""

    def __init__(self, root: Path) -> None:
        self.root = root

    async def save(self, data: bytes, extension: str) -> str:
        """A full or read-only disk becomes ``storage_unavailable``, never a 500."""
        key = new_key(extension)
        try:
            await asyncio.to_thread(self._write, key, data)
        except OSError as exc:
            raise storage_unavailable(exc) from exc
        return key

    async def load(self, key: str) -> bytes:
        path = self.root / validate_key(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError as exc:
            raise _missing() from exc

    async def delete(self, key: str) -> None:
        path = self.root / validate_key(key)
        await asyncio.to_thread(path.unlink, missing_ok=True)

    def stale_files(self, modified_before: float) -> dict[str, Path]:
        """Files with a key's shape, and leftover temp files, last modified before the timestamp.

        Anything else under the root is not ours to judge and is left alone.
        """
        found: dict[str, Path] = {}
        for path in self.root.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/*"):
            relative = path.relative_to(self.root).as_posix()
            ours = _KEY.fullmatch(relative) or path.name.startswith(TEMP_PREFIX)
            with contextlib.suppress(FileNotFoundError):  # deleted meanwhile
                if ours and path.is_file() and path.stat().st_mtime < modified_before:
                    found[relative] = path
        return found

    def _write(self, key: str, data: bytes) -> None:
        """A temp file in the target folder, then os.replace: readers never see half a file.

        mkstemp creates the file with mode 0o600, which the rename keeps.
        """
        target = self.root / key
        self._make_private_dirs(target.parent)
        fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=TEMP_PREFIX, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as temp:
                temp.write(data)
                temp.flush()
                os.fsync(temp.fileno())
            os.replace(temp_name, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp_name)
            raise

    def _make_private_dirs(self, directory: Path) -> None:
        """Each level separately: mkdir(parents=True) ignores ``mode`` for the parents it creates."""
        self.root.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
        current = self.root
        for part in directory.relative_to(self.root).parts:
            current = current / part
            current.mkdir(mode=DIRECTORY_MODE, exist_ok=True)


class S3AttachmentStorage:
    """An S3 (or S3-compatible) bucket; boto3 is blocking, so every call runs in a worker thread."""

    def __init__(self, bucket: str, endpoint_url: str | None = None, region: str | None = None) -> None:
        import boto3  # optional extra "s3": only needed when this storage is chosen

        self.bucket = bucket
        self._client: Any = boto3.client("s3", endpoint_url=endpoint_url, region_name=region)

    async def save(self, data: bytes, extension: str) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        key = new_key(extension)
        try:
            await asyncio.to_thread(self._client.put_object, Bucket=self.bucket, Key=key, Body=data)
        except (BotoCoreError, ClientError) as exc:
            raise storage_unavailable(exc) from exc
        return key

    async def load(self, key: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            response = await asyncio.to_thread(self._client.get_object, Bucket=self.bucket, Key=validate_key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise _missing() from exc
            raise
        body: bytes = await asyncio.to_thread(response["Body"].read)
        return body

    async def delete(self, key: str) -> None:
        """S3 deletes are idempotent, so a missing key is already a no-op."""
        await asyncio.to_thread(self._client.delete_object, Bucket=self.bucket, Key=validate_key(key))


def build_attachment_storage(settings: Settings) -> AttachmentStorage:
    if settings.attachment_storage == "s3":
        if not settings.s3_bucket:
            raise ValueError("GOGAEK_S3_BUCKET is required when GOGAEK_ATTACHMENT_STORAGE is s3")
        return S3AttachmentStorage(settings.s3_bucket, settings.s3_endpoint_url, settings.s3_region)
    return LocalAttachmentStorage(settings.attachment_path)
