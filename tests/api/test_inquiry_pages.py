"""Customer inquiry pages as a browser without JavaScript uses them: file, list, read, answer, rate."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.helpcenter.models import Category
from gogaek.identity.customer_tokens import issue_customer_token
from gogaek.identity.models import StaffRole
from gogaek.identity.schemas import StaffCreate
from gogaek.identity.service import create_staff_user
from gogaek.inquiries.agent_verbs import reply_as_agent
from gogaek.inquiries.emergency import ACCIDENT_GUIDANCE
from gogaek.inquiries.models import Inquiry, InquiryAttachment, InquiryFeedback, InquiryMessage
from gogaek.korean.pii import PII_NOTICE

HTML = {"Accept": "text/html,application/xhtml+xml"}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
IDEMPOTENCY = re.compile(r'name="idempotency_key" value="([^"]+)"')
DUE = re.compile(r"[0-9]{1,2}월 [0-9]{1,2}일\([월화수목금토일]\) [0-9]{2}:[0-9]{2}까지")
Files = list[tuple[str, tuple[str, bytes, str]]]


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (29, 91, 216)).save(buffer, format="PNG")
    return buffer.getvalue()


EXE_AS_JPG = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200 + b"This program cannot be run"
)


@asynccontextmanager
async def signed_in(app: FastAPI, settings: Settings, sub: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=HTML) as client:
        response = await client.get("/auth/customer", params={"token": issue_customer_token(settings, sub=sub)})
        assert response.status_code == 303, response.text
        yield client


@pytest.fixture
async def category(session: AsyncSession) -> Category:
    row = Category(slug="payment", name="결제·환불", position=1)
    session.add(row)
    await session.commit()
    return row


@pytest.fixture
async def browser(app: FastAPI, settings: Settings, category: Category) -> AsyncIterator[httpx.AsyncClient]:
    """Signed in as a host-app customer, with one category to file under."""
    async with signed_in(app, settings, "customer-a") as client:
        yield client


@pytest.fixture
async def stranger(app: FastAPI, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with signed_in(app, settings, "customer-b") as client:
        yield client


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


def form_data(**overrides: str) -> dict[str, str]:
    return {
        "category": "payment",
        "title": "결제가 두 번 됐어요",
        "body": "어제 편의점에서 한 번 결제했는데 내역에 두 번 찍혔어요.",
        "transaction_ref": "TX-20261127-0001",
        **overrides,
    }


async def file_inquiry(browser: httpx.AsyncClient, files: Files | None = None, **fields: str) -> httpx.Response:
    page = await browser.get("/inquiries/new")
    data: dict[str, Any] = {"csrf_token": csrf_of(page.text), **form_data(**fields)}
    key = IDEMPOTENCY.search(page.text)
    assert key
    data["idempotency_key"] = key.group(1)
    # An empty file part is what a browser sends when no file was chosen.
    return await browser.post(
        "/inquiries", data=data, files=files or [("attachments", ("", b"", "application/octet-stream"))]
    )


async def new_inquiry_id(browser: httpx.AsyncClient, files: Files | None = None, **fields: str) -> int:
    response = await file_inquiry(browser, files, **fields)
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/inquiries/([0-9]+)", response.headers["location"])
    assert match
    return int(match.group(1))


async def post_action(browser: httpx.AsyncClient, inquiry_id: int, action: str, **data: str) -> httpx.Response:
    page = await browser.get(f"/inquiries/{inquiry_id}")
    return await browser.post(f"/inquiries/{inquiry_id}/{action}", data={"csrf_token": csrf_of(page.text), **data})


def stored_files(settings: Settings) -> list[Path]:
    root = settings.attachment_path
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


async def count(session: AsyncSession, model: type[Any]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


# --- signing in -----------------------------------------------------------------------


async def test_anonymous_visitors_are_sent_to_sign_in(app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=HTML) as anonymous:
        for path, next_param in [
            ("/inquiries", "%2Finquiries"),
            ("/inquiries/new?category=payment", "%2Finquiries%2Fnew%3Fcategory%3Dpayment"),
            ("/inquiries/7", "%2Finquiries%2F7"),
        ]:
            response = await anonymous.get(path)
            assert response.status_code == 303, path
            assert response.headers["location"] == f"/auth/login?next={next_param}"
        posted = await anonymous.post("/inquiries", data=form_data())
        assert posted.status_code == 303 and posted.headers["location"].startswith("/auth/login")


async def test_navigation_links_to_the_inquiry_pages(browser: httpx.AsyncClient) -> None:
    home = await browser.get("/")
    assert 'href="/inquiries/new"' in home.text and 'href="/inquiries"' in home.text


# --- filing ---------------------------------------------------------------------------


async def test_the_form_shows_categories_limits_promise_and_pii_notice(
    browser: httpx.AsyncClient, settings: Settings
) -> None:
    page = await browser.get("/inquiries/new?category=payment")
    assert page.status_code == 200
    assert '<option value="payment" selected>결제·환불</option>' in page.text
    assert "영업일 기준 1~2일 이내 답변" in page.text
    assert PII_NOTICE in page.text
    assert f"최대 {settings.attachment_max_count}개" in page.text and "10MB" in page.text
    assert 'enctype="multipart/form-data"' in page.text and 'id="f-attachments"' in page.text
    assert '<script src="/static/js/inquiry-form.js" defer></script>' in page.text
    assert (await browser.get("/static/js/inquiry-form.js")).status_code == 200


async def test_filing_with_an_image_shows_it_on_the_detail_page(
    browser: httpx.AsyncClient, settings: Settings, session: AsyncSession
) -> None:
    image = png_bytes()
    inquiry_id = await new_inquiry_id(browser, [("attachments", ("영수증 사진.png", image, "image/png"))])
    page = await browser.get(f"/inquiries/{inquiry_id}")
    assert page.status_code == 200
    inquiry = await session.get(Inquiry, inquiry_id)
    assert inquiry is not None and inquiry.number
    assert f"문의번호 {inquiry.number}" in page.text
    assert DUE.search(page.text), "the flash promises an answer time"
    assert "결제가 두 번 됐어요" in page.text and "TX-20261127-0001" in page.text
    attachment = await session.scalar(select(InquiryAttachment).where(InquiryAttachment.inquiry_id == inquiry_id))
    assert attachment is not None and attachment.display_name == "영수증 사진.png"
    url = f"/api/v1/inquiries/{inquiry_id}/attachments/{attachment.id}"
    assert f'<img class="attachment-thumb" src="{url}/preview"' in page.text
    assert len(stored_files(settings)) == 1
    download = await browser.get(url)
    assert download.status_code == 200 and download.content == image
    # Shown once: the flash is gone on the next visit.
    assert f"문의번호 {inquiry.number} ·" not in (await browser.get(f"/inquiries/{inquiry_id}")).text


async def test_the_list_shows_number_status_category_and_due_time(
    browser: httpx.AsyncClient, session: AsyncSession
) -> None:
    inquiry_id = await new_inquiry_id(browser)
    inquiry = await session.get(Inquiry, inquiry_id)
    assert inquiry is not None
    page = await browser.get("/inquiries")
    assert page.status_code == 200
    item = page.text.split(f'data-inquiry-id="{inquiry_id}"', 1)[1]
    assert inquiry.number and inquiry.number in item
    assert "결제가 두 번 됐어요" in item and "결제·환불" in item
    assert 'class="badge badge-status badge-status-received"' in item and ">접수<" in item
    assert DUE.search(item)


async def test_a_disguised_executable_is_refused_and_nothing_is_stored(
    browser: httpx.AsyncClient, settings: Settings, session: AsyncSession
) -> None:
    response = await file_inquiry(
        browser,
        [
            ("attachments", ("ok.png", png_bytes(), "image/png")),
            ("attachments", ("photo.jpg", EXE_AS_JPG, "image/jpeg")),
        ],
    )
    assert response.status_code == 422
    assert "photo.jpg" in response.text and "JPEG, PNG, GIF, WEBP 이미지와 PDF 파일만" in response.text
    assert 'value="결제가 두 번 됐어요"' in response.text
    assert "어제 편의점에서 한 번 결제했는데" in response.text
    assert await count(session, Inquiry) == 0
    assert await count(session, InquiryAttachment) == 0
    assert stored_files(settings) == []


async def test_too_many_files_are_refused(
    browser: httpx.AsyncClient, settings: Settings, session: AsyncSession
) -> None:
    image = png_bytes()
    files: Files = [("attachments", (f"{n}.png", image, "image/png")) for n in range(settings.attachment_max_count + 1)]
    response = await file_inquiry(browser, files)
    assert response.status_code == 422 and f"최대 {settings.attachment_max_count}개" in response.text
    assert await count(session, Inquiry) == 0 and stored_files(settings) == []


async def test_a_missing_title_keeps_what_was_typed(browser: httpx.AsyncClient, session: AsyncSession) -> None:
    response = await file_inquiry(browser, title="   ", body="환불 언제 되나요?\n둘째 줄")
    assert response.status_code == 422
    assert "제목을 입력해 주세요" in response.text
    assert "환불 언제 되나요?\n둘째 줄</textarea>" in response.text
    assert 'value="TX-20261127-0001"' in response.text
    assert await count(session, Inquiry) == 0


async def test_an_unchosen_or_unknown_category_is_explained(browser: httpx.AsyncClient, session: AsyncSession) -> None:
    missing = await file_inquiry(browser, category="")
    assert missing.status_code == 422 and "문의 유형을 골라 주세요." in missing.text
    unknown = await file_inquiry(browser, category="no-such-category")
    assert unknown.status_code == 422 and "알 수 없는 문의 유형" in unknown.text
    assert 'value="결제가 두 번 됐어요"' in unknown.text
    assert await count(session, Inquiry) == 0


async def test_filing_without_the_csrf_token_is_forbidden(
    browser: httpx.AsyncClient, settings: Settings, session: AsyncSession
) -> None:
    await browser.get("/inquiries/new")
    response = await browser.post(
        "/inquiries", data=form_data(), files=[("attachments", ("a.png", png_bytes(), "image/png"))]
    )
    assert response.status_code == 403
    assert await count(session, Inquiry) == 0 and stored_files(settings) == []


async def test_a_double_submit_files_one_inquiry(browser: httpx.AsyncClient, session: AsyncSession) -> None:
    page = await browser.get("/inquiries/new")
    key = IDEMPOTENCY.search(page.text)
    assert key
    data = {**form_data(), "csrf_token": csrf_of(page.text), "idempotency_key": key.group(1)}
    first = await browser.post("/inquiries", data=data)
    second = await browser.post("/inquiries", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert await count(session, Inquiry) == 1
    assert "이미 접수된 문의입니다" in (await browser.get(second.headers["location"])).text


async def test_an_emergency_shows_the_accident_guidance_at_once(browser: httpx.AsyncClient) -> None:
    inquiry_id = await new_inquiry_id(browser, title="보이스피싱 당한 것 같아요", body="모르는 사람에게 송금했어요")
    page = await browser.get(f"/inquiries/{inquiry_id}")
    assert 'id="emergency-guidance"' in page.text and ACCIDENT_GUIDANCE in page.text
    calm = await new_inquiry_id(browser)
    assert 'id="emergency-guidance"' not in (await browser.get(f"/inquiries/{calm}")).text


# --- ownership ------------------------------------------------------------------------


async def test_another_customers_inquiry_is_not_found(
    browser: httpx.AsyncClient, stranger: httpx.AsyncClient, session: AsyncSession
) -> None:
    inquiry_id = await new_inquiry_id(browser, [("attachments", ("a.png", png_bytes(), "image/png"))])
    page = await stranger.get(f"/inquiries/{inquiry_id}")
    assert page.status_code == 404 and "페이지를 찾을 수 없어요" in page.text
    assert "결제가 두 번 됐어요" not in page.text
    token = csrf_of((await stranger.get("/inquiries")).text)
    for action, data in [
        ("resolve", {}),
        ("reopen", {}),
        ("feedback", {"score": "1"}),
        ("messages", {"body": "남의 문의에 끼어들기"}),
    ]:
        response = await stranger.post(f"/inquiries/{inquiry_id}/{action}", data={"csrf_token": token, **data})
        assert response.status_code == 404, action
    assert await count(session, InquiryMessage) == 0
    inquiry = await session.get(Inquiry, inquiry_id)
    assert inquiry is not None
    await session.refresh(inquiry)
    assert inquiry.status == "received"
    assert "결제가 두 번 됐어요" not in (await stranger.get("/inquiries")).text
    assert (await stranger.get("/inquiries/99999999999")).status_code == 404
    assert (await stranger.get("/inquiries/abc")).status_code == 404


# --- adding information, resolving, rating, reopening --------------------------------


async def test_adding_information_with_a_file(browser: httpx.AsyncClient, session: AsyncSession) -> None:
    inquiry_id = await new_inquiry_id(browser)
    page = await browser.get(f"/inquiries/{inquiry_id}")
    assert 'id="message-form"' in page.text and 'id="resolve-form"' in page.text
    token = csrf_of(page.text)
    refused = await browser.post(
        f"/inquiries/{inquiry_id}/messages",
        data={"csrf_token": token, "body": "캡처 첨부합니다"},
        files=[("attachments", ("virus.jpg", EXE_AS_JPG, "image/jpeg"))],
    )
    assert refused.status_code == 422 and "virus.jpg" in refused.text
    assert "캡처 첨부합니다</textarea>" in refused.text
    blank = await browser.post(f"/inquiries/{inquiry_id}/messages", data={"csrf_token": token, "body": "  "})
    assert blank.status_code == 422 and "추가할 내용을 입력해 주세요" in blank.text
    added = await browser.post(
        f"/inquiries/{inquiry_id}/messages",
        data={"csrf_token": token, "body": "캡처 첨부합니다"},
        files=[("attachments", ("capture.png", png_bytes(), "image/png"))],
    )
    assert added.status_code == 303
    thread = (await browser.get(f"/inquiries/{inquiry_id}")).text
    assert 'data-author="customer"' in thread and "캡처 첨부합니다" in thread and "capture.png" in thread
    assert await count(session, InquiryMessage) == 1


async def test_resolve_then_rate_once_then_reopen(browser: httpx.AsyncClient, session: AsyncSession) -> None:
    inquiry_id = await new_inquiry_id(browser)
    assert 'id="feedback-form"' not in (await browser.get(f"/inquiries/{inquiry_id}")).text
    resolved = await post_action(browser, inquiry_id, "resolve")
    assert resolved.status_code == 303
    page = await browser.get(f"/inquiries/{inquiry_id}")
    assert 'id="inquiry-status">해결<' in page.text
    assert 'id="feedback-form"' in page.text and 'id="reopen-form"' in page.text
    assert 'id="message-form"' not in page.text and 'id="resolve-form"' not in page.text
    assert DUE.search(page.text.split('id="reopen"', 1)[1])
    no_score = await post_action(browser, inquiry_id, "feedback", comment="별점을 깜빡했어요")
    assert no_score.status_code == 422 and "만족도를 골라 주세요" in no_score.text
    assert "별점을 깜빡했어요</textarea>" in no_score.text
    rated = await post_action(browser, inquiry_id, "feedback", score="4", comment="빨리 답해 주셔서 좋았어요")
    assert rated.status_code == 303
    page = await browser.get(f"/inquiries/{inquiry_id}")
    assert 'id="feedback-result"' in page.text and "4점" in page.text and "빨리 답해 주셔서 좋았어요" in page.text
    assert 'id="feedback-form"' not in page.text
    token = csrf_of(page.text)
    again = await browser.post(f"/inquiries/{inquiry_id}/feedback", data={"csrf_token": token, "score": "1"})
    assert again.status_code == 409 and "이미 평가하신 문의입니다" in again.text
    assert await count(session, InquiryFeedback) == 1
    reopened = await post_action(browser, inquiry_id, "reopen")
    assert reopened.status_code == 303
    page = await browser.get(f"/inquiries/{inquiry_id}")
    assert 'id="inquiry-status">처리중<' in page.text and 'id="message-form"' in page.text


async def test_resolving_twice_is_explained(browser: httpx.AsyncClient) -> None:
    inquiry_id = await new_inquiry_id(browser)
    token = csrf_of((await browser.get(f"/inquiries/{inquiry_id}")).text)
    assert (await browser.post(f"/inquiries/{inquiry_id}/resolve", data={"csrf_token": token})).status_code == 303
    again = await browser.post(f"/inquiries/{inquiry_id}/resolve", data={"csrf_token": token})
    assert again.status_code == 409 and 'id="action-error"' in again.text
    late_message = await browser.post(f"/inquiries/{inquiry_id}/messages", data={"csrf_token": token, "body": "추가"})
    assert late_message.status_code == 409 and "다시 열어 주세요" in late_message.text


async def test_rating_an_open_inquiry_is_refused(browser: httpx.AsyncClient, session: AsyncSession) -> None:
    inquiry_id = await new_inquiry_id(browser)
    response = await post_action(browser, inquiry_id, "feedback", score="5")
    assert response.status_code == 409 and "해결된 문의만 평가할 수 있습니다" in response.text
    assert await count(session, InquiryFeedback) == 0


async def test_reopening_after_the_window_is_refused(
    browser: httpx.AsyncClient, settings: Settings, session: AsyncSession
) -> None:
    inquiry_id = await new_inquiry_id(browser)
    assert (await post_action(browser, inquiry_id, "resolve")).status_code == 303
    long_ago = utcnow() - timedelta(days=settings.inquiry_reopen_days, hours=1)
    await session.execute(update(Inquiry).where(Inquiry.id == inquiry_id).values(resolved_at=long_ago))
    await session.commit()
    page = await browser.get(f"/inquiries/{inquiry_id}")
    assert 'id="reopen-form"' not in page.text and 'id="new-inquiry-hint"' in page.text
    response = await browser.post(f"/inquiries/{inquiry_id}/reopen", data={"csrf_token": csrf_of(page.text)})
    assert response.status_code == 409 and "다시 열 수 없습니다" in response.text


async def test_actions_require_the_csrf_token(browser: httpx.AsyncClient, session: AsyncSession) -> None:
    inquiry_id = await new_inquiry_id(browser)
    for action in ("resolve", "reopen", "feedback", "messages"):
        response = await browser.post(f"/inquiries/{inquiry_id}/{action}", data={"score": "5", "body": "x"})
        assert response.status_code == 403, action
    inquiry = await session.get(Inquiry, inquiry_id)
    assert inquiry is not None
    await session.refresh(inquiry)
    assert inquiry.status == "received"


async def test_the_thread_shows_public_replies_but_never_internal_notes(
    browser: httpx.AsyncClient, settings: Settings, session: AsyncSession
) -> None:
    inquiry_id = await new_inquiry_id(browser)
    agent = await create_staff_user(
        session,
        StaffCreate(
            email="agent@example.com", password="agent-password-123", display_name="김상담", role=StaffRole.AGENT
        ),
    )
    inquiry = await session.get(Inquiry, inquiry_id)
    assert inquiry is not None
    await reply_as_agent(
        session, agent, inquiry, "고객님 확인해 보니 중복 결제가 맞습니다.", internal=False, settings=settings
    )
    await reply_as_agent(session, agent, inquiry, "내부 메모: 가맹점에 확인 요청", internal=True, settings=settings)
    page = await browser.get(f"/inquiries/{inquiry_id}")
    assert 'data-author="agent"' in page.text and "김상담" in page.text
    assert "중복 결제가 맞습니다" in page.text and "내부 메모" not in page.text
    assert 'id="inquiry-status">답변완료<' in page.text
    assert 'id="inquiry-due"' not in page.text  # waiting on the customer: no promise is running
    assert "agent@example.com" not in page.text
    # Adding information hands it back to the agent with a fresh promise.
    token = csrf_of(page.text)
    added = await browser.post(f"/inquiries/{inquiry_id}/messages", data={"csrf_token": token, "body": "감사합니다"})
    assert added.status_code == 303
    page = await browser.get(f"/inquiries/{inquiry_id}")
    assert 'id="inquiry-status">처리중<' in page.text and DUE.search(page.text.split('id="inquiry-due"', 1)[1])
