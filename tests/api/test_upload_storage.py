"""Attachment storage under stress, on SQLite and PostgreSQL: a full or read-only disk, files
left behind by a crash, and images shown inline only as bounded previews."""

from __future__ import annotations

import errno
import io
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.background import periodic_tasks
from gogaek.chat.models import Sender
from gogaek.chat.service import post_message, start_conversation
from gogaek.config import Settings
from gogaek.helpcenter.models import Category
from gogaek.identity.models import Customer, StaffRole
from gogaek.identity.schemas import StaffCreate
from gogaek.identity.service import create_staff_user
from gogaek.inquiries.models import Inquiry, InquiryAttachment
from gogaek.inquiries.storage import TEMP_PREFIX, LocalAttachmentStorage
from gogaek.inquiries.sweeps import delete_orphan_files
from tests.conftest import IN_CI, customer_headers
from tests.security.hostile_files import Pdf, image_bytes, one_bit_png

FIELDS = {"category": "payment", "title": "결제 증빙", "body": "영수증을 첨부합니다."}
TWO_HOURS = 2 * 3600


@pytest.fixture
def small_disk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    """A real tmpfs (``mount`` needs root), with the mount options the test passes as its parameter."""
    options: str = request.param
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    command = ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount_point)]
    try:
        refused = subprocess.run(command, capture_output=True, text=True).stderr if os.geteuid() == 0 else "not root"
    except FileNotFoundError:
        refused = "no mount command"
    if not os.path.ismount(mount_point):
        if IN_CI:
            pytest.fail(f"tmpfs mount is required under CI: {refused or 'mount failed'}")
        pytest.skip(f"mounting a tmpfs is not permitted here: {refused or 'mount failed'}")
    yield mount_point
    subprocess.run(["umount", str(mount_point)], check=True)


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """Storage on the small disk when the test asks for one, else a plain folder."""
    if "small_disk" in request.fixturenames:
        return settings.model_copy(update={"attachment_dir": request.getfixturevalue("small_disk")})
    return settings


@pytest.fixture
async def payment(session: AsyncSession) -> None:
    session.add(Category(slug="payment", name="결제"))
    await session.commit()


def files_in(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


async def count(session: AsyncSession, model: type[object]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def submit(client: httpx.AsyncClient, settings: Settings, *files: tuple[str, bytes, str]) -> httpx.Response:
    attachments = [("attachments", file) for file in files]
    return await client.post("/api/v1/inquiries", data=FIELDS, files=attachments, headers=customer_headers(settings))


async def assert_nothing_written(session: AsyncSession, settings: Settings) -> None:
    assert await count(session, Inquiry) == 0 and await count(session, InquiryAttachment) == 0
    assert files_in(settings.attachment_path) == []


# --- a full or read-only disk ------------------------------------------------------------------


@pytest.mark.parametrize("small_disk", ["size=64k"], indirect=True)
@pytest.mark.usefixtures("payment")
async def test_a_full_disk_is_507_and_the_file_that_fitted_is_removed(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, small_disk: Path
) -> None:
    assert settings.attachment_path == small_disk
    fits, too_big = image_bytes("PNG", (60, 60)), image_bytes("PNG", (160, 160))
    assert len(fits) < 16 * 1024 and len(too_big) > 64 * 1024
    response = await submit(client, settings, ("a.png", fits, "image/png"), ("b.png", too_big, "image/png"))
    assert (response.status_code, response.json()["code"]) == (507, "storage_unavailable"), response.text
    assert response.headers["retry-after"] == "60"
    await assert_nothing_written(session, settings)


@pytest.mark.parametrize("small_disk", ["ro,size=64k"], indirect=True)
@pytest.mark.usefixtures("payment")
async def test_a_read_only_disk_is_503(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, small_disk: Path
) -> None:
    assert settings.attachment_path == small_disk
    response = await submit(client, settings, ("a.png", image_bytes("PNG", (8, 8)), "image/png"))
    assert (response.status_code, response.json()["code"]) == (503, "storage_unavailable"), response.text
    await assert_nothing_written(session, settings)


@pytest.mark.usefixtures("payment")
async def test_no_space_reported_when_the_data_is_flushed_is_507(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a mount: the operating system's answer on a full disk, injected where it comes (fsync)."""

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", disk_full)
    response = await submit(client, settings, ("a.png", image_bytes("PNG", (8, 8)), "image/png"))
    assert (response.status_code, response.json()["code"]) == (507, "storage_unavailable"), response.text
    await assert_nothing_written(session, settings)


# --- files left behind by a crash ----------------------------------------------------------------


def age(path: Path, seconds: int) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


@pytest.mark.usefixtures("payment")
async def test_the_sweep_deletes_old_unreferenced_files_and_nothing_else(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    root = settings.attachment_path
    storage = LocalAttachmentStorage(root)
    response = await submit(client, settings, ("evidence.png", image_bytes("PNG", (8, 8)), "image/png"))
    assert response.status_code == 201, response.text
    evidence = await session.scalar(select(InquiryAttachment.storage_key))
    customer = await session.scalar(select(Customer))
    assert evidence is not None and customer is not None
    chat_image = await storage.save(image_bytes("PNG", (8, 8)), "png")
    conversation = (await start_conversation(session, customer, "안녕하세요")).conversation
    image = {"key": chat_image, "name": "a.png", "content_type": "image/png", "size": 1}
    await post_message(session, conversation, Sender.CUSTOMER, "", client_msg_id=None, payload={"image": image})
    orphan = await storage.save(b"left behind by a killed upload", "png")
    young_orphan = await storage.save(b"an upload still in flight", "png")
    leftover_temp = root / orphan.rsplit("/", 1)[0] / f"{TEMP_PREFIX}abc123.tmp"
    leftover_temp.write_bytes(b"half a file")
    unrelated = root / "README.txt"
    unrelated.write_text("operator's note")
    for path in files_in(root):
        if path.name != young_orphan.rsplit("/", 1)[1]:
            age(path, TWO_HOURS)

    assert await delete_orphan_files(session, settings) == 2
    remaining = {path.relative_to(root).as_posix() for path in files_in(root)}
    assert remaining == {evidence, chat_image, young_orphan, "README.txt"}
    assert await delete_orphan_files(session, settings) == 0  # idempotent: another process may sweep too


def test_the_orphan_sweep_runs_periodically() -> None:
    assert "attachment-orphan-files" in {task.name for task in periodic_tasks(Settings())}


# --- previews -----------------------------------------------------------------------------------


def big_photo() -> bytes:
    """3000×2000 pixels, cheap to compress: a smooth gradient."""
    gradient = Image.linear_gradient("L").resize((3000, 2000))
    buffer = io.BytesIO()
    Image.merge("RGB", (gradient, gradient, gradient)).save(buffer, format="JPEG", quality=70)
    return buffer.getvalue()


@pytest.mark.usefixtures("payment")
async def test_images_are_downloads_and_inline_only_as_a_bounded_preview(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    photo = big_photo()
    response = await submit(
        client, settings, ("사진.jpg", photo, "image/jpeg"), ("내역.pdf", Pdf().build(), "application/pdf")
    )
    assert response.status_code == 201, response.text
    image, pdf = response.json()["attachments"]
    headers = customer_headers(settings)
    original = await client.get(image["url"], headers=headers)
    assert original.content == photo and original.headers["content-disposition"].startswith("attachment;")
    staff = await create_staff_user(
        session,
        StaffCreate(email="a@example.com", password="a-long-password-1", display_name="상담사", role=StaffRole.AGENT),
    )
    agent_url = f"/api/v1/agent/inquiries/{response.json()['id']}/attachments/{image['id']}/preview"
    agent_headers = {"Authorization": f"Bearer {app.state.token_signer.issue(staff.id)}"}
    for url, auth in ((f"{image['url']}/preview", headers), (agent_url, agent_headers)):
        preview = await client.get(url, headers=auth)
        assert preview.status_code == 200 and preview.headers["content-type"] == "image/webp"
        assert preview.headers["content-disposition"].startswith('inline; filename="__.webp"')
        assert "sandbox" in preview.headers["content-security-policy"]
        with Image.open(io.BytesIO(preview.content)) as shown:
            assert max(shown.size) == settings.attachment_preview_max_side
            assert shown.size == (1600, 1067)
    no_preview = await client.get(f"{pdf['url']}/preview", headers=headers)
    assert (no_preview.status_code, no_preview.json()["code"]) == (404, "not_found")
    stranger = await client.get(f"{image['url']}/preview", headers=customer_headers(settings, "stranger"))
    assert stranger.status_code == 404


@pytest.mark.usefixtures("payment")
@pytest.mark.parametrize(
    "stored", [one_bit_png(7_000, 7_000), b"\x89PNG\r\n\x1a\n damaged on disk"], ids=["over-todays-limit", "damaged"]
)
async def test_a_stored_image_that_cannot_be_previewed_is_404_not_500(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, stored: bytes
) -> None:
    """Files stored before today's limits (or damaged since) stay downloadable without a preview."""
    response = await submit(client, settings, ("a.png", image_bytes("PNG", (8, 8)), "image/png"))
    attachment = response.json()["attachments"][0]
    key = await session.scalar(select(InquiryAttachment.storage_key))
    assert key is not None
    (settings.attachment_path / key).write_bytes(stored)
    preview = await client.get(f"{attachment['url']}/preview", headers=customer_headers(settings))
    assert (preview.status_code, preview.json()["code"]) == (404, "not_found")
    download = await client.get(attachment["url"], headers=customer_headers(settings))
    assert download.status_code == 200 and download.content == stored
