"""The customer's own export from the help center: the button on 문의 내역, as a browser uses it."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI

from gogaek.config import Settings
from gogaek.helpcenter.models import Category
from gogaek.identity.customer_tokens import issue_customer_token
from tests.api.test_privacy import png_bytes, signed
from tests.conftest import customer_headers

HTML = {"Accept": "text/html,application/xhtml+xml"}
EXPORT_FORM = re.compile(
    r'<form id="my-data-export-form" method="post" action="/my-data/export"[^>]*>\s*'
    r'<input type="hidden" name="csrf_token" value="([^"]+)">'
)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"privacy_api_secret": "page-test-secret-0123456789abcdef"})


@asynccontextmanager
async def signed_in(app: FastAPI, settings: Settings, sub: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=HTML) as client:
        token = issue_customer_token(settings, sub=sub, name=f"{sub} 고객")
        response = await client.get("/auth/customer", params={"token": token})
        assert response.status_code == 303, response.text
        yield client


@pytest.fixture(autouse=True)
async def filed(app: FastAPI, client: httpx.AsyncClient, settings: Settings) -> None:
    """Two customers with one inquiry each, the first with a photo."""
    async with app.state.sessionmaker() as session:
        session.add(Category(slug="payment", name="결제·환불", position=1))
        await session.commit()
    photo = ("attachments", ("사진.png", png_bytes("red"), "image/png"))
    empty = ("attachments", ("", b"", "application/octet-stream"))  # a browser's "no file chosen"
    for sub, files in (("page-a", [photo]), ("page-b", [empty])):
        response = await client.post(
            "/api/v1/inquiries",
            data={"category": "payment", "title": f"{sub}의 문의", "body": "환불해 주세요."},
            files=files,
            headers=customer_headers(settings, sub=sub),
        )
        assert response.status_code == 201, response.text


async def test_the_inquiry_list_offers_the_export_and_it_downloads_only_my_data(
    app: FastAPI, settings: Settings
) -> None:
    async with signed_in(app, settings, "page-a") as browser:
        page = await browser.get("/inquiries")
        assert page.status_code == 200
        assert "내 정보 내려받기" in page.text
        match = EXPORT_FORM.search(page.text)
        assert match, "the export form with its CSRF field"
        response = await browser.post("/my-data/export", data={"csrf_token": match.group(1)})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"].startswith("attachment")
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        data = json.loads(archive.read("data.json"))
        names = archive.namelist()
    assert data["customer"]["external_id"] == "page-a"
    assert [inquiry["title"] for inquiry in data["inquiries"]] == ["page-a의 문의"]
    assert len([name for name in names if name.startswith("files/")]) == 1
    assert "page-b" not in json.dumps(data, ensure_ascii=False)


async def test_the_export_needs_the_page_csrf_token(app: FastAPI, settings: Settings) -> None:
    async with signed_in(app, settings, "page-a") as browser:
        response = await browser.post("/my-data/export", data={"csrf_token": "forged"})
    assert response.status_code == 403
    assert "application/zip" not in response.headers.get("content-type", "")


async def test_an_anonymous_visitor_is_sent_to_sign_in(app: FastAPI, client: httpx.AsyncClient) -> None:
    response = await client.post("/my-data/export", data={"csrf_token": "x"}, headers=HTML)
    assert response.status_code in (303, 403)
    assert "application/zip" not in response.headers.get("content-type", "")


async def test_a_page_session_of_an_erased_customer_ends(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    async with signed_in(app, settings, "page-a") as browser:
        assert (await browser.get("/inquiries")).status_code == 200
        request = signed("/api/v1/privacy/erasure", {"external_id": "page-a"}, secret=settings.privacy_api_secret or "")
        erased = await client.post("/api/v1/privacy/erasure", content=request["content"], headers=request["headers"])
        assert erased.status_code == 200, erased.text
        after = await browser.get("/inquiries")
    assert after.status_code == 303 and after.headers["location"].startswith("/auth/login")
