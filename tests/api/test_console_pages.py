"""The agent console pages (상담사 콘솔) as a browser without JavaScript drives them, on both backends.

Inquiries are filed through the real service; agents sign in through the real form with the
CSRF token scraped from the page, and every check reads the database or the customer's view.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TypeVar

import httpx
import pyotp
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.helpcenter.models import Category
from gogaek.identity.models import Customer, StaffRole, StaffUser
from gogaek.inquiries import console_pages
from gogaek.inquiries.agent_schemas import TimelineEvent
from gogaek.inquiries.attachments import check_upload
from gogaek.inquiries.console_forms import event_text
from gogaek.inquiries.models import Inquiry, InquiryMessage, Macro
from gogaek.inquiries.queries import customer_inquiry_view
from gogaek.web.csrf import verified_form
from gogaek.web.templating import korean_datetime
from tests.api.test_agent_auth import PASSWORD, file_inquiry, make_customer, make_staff
from tests.api.test_pages import HTML, _depends_on, browser, csrf_of, post_form

__all__ = ["browser"]  # fixture shared with test_pages.py

SIGN_IN = "/admin/login?next=/console"


@dataclass
class Desk:
    agent: StaffUser
    colleague: StaffUser
    customer: Customer
    inquiry: Inquiry

    @property
    def url(self) -> str:
        return f"/console/inquiries/{self.inquiry.id}"


@pytest.fixture
async def desk(session: AsyncSession, settings: Settings) -> Desk:
    session.add(Category(slug="payment", name="결제"))
    await session.commit()
    customer = await make_customer(session)
    return Desk(
        agent=await make_staff(session, "agent@example.com", name="김상담"),
        colleague=await make_staff(session, "colleague@example.com", name="이상담"),
        customer=customer,
        inquiry=await file_inquiry(session, settings, customer),
    )


@pytest.fixture
async def other_browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A second person at another desk: their own cookies."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=HTML) as http:
        yield http


async def console_sign_in(browser: httpx.AsyncClient, email: str, totp: str = "") -> httpx.Response:
    data = {"email": email, "password": PASSWORD, "totp": totp, "next": "/console"}
    return await post_form(browser, SIGN_IN, "/admin/login", data)


async def signed_in(browser: httpx.AsyncClient, email: str = "agent@example.com") -> None:
    response = await console_sign_in(browser, email)
    assert (response.status_code, response.headers["location"]) == (303, "/console"), response.text


async def submit(browser: httpx.AsyncClient, page: str, action: str, data: dict[str, str]) -> str:
    """Posts a console form and follows the redirect back: the page with its flash message, unescaped."""
    response = await post_form(browser, page, action, data)
    assert response.status_code == 303, response.text
    return html.unescape((await browser.get(response.headers["location"])).text)


Row = TypeVar("Row", Inquiry, StaffUser)


async def fresh(session: AsyncSession, row: Row) -> Row:
    await session.refresh(row)
    return row


def textarea(html: str) -> str:
    match = re.search(r'<textarea id="reply-body"[^>]*>(.*?)</textarea>', html, re.S)
    assert match, "no reply box"
    return match.group(1)


# --- sign-in and who may do what -----------------------------------------------------


async def test_anonymous_visitors_are_sent_to_sign_in(browser: httpx.AsyncClient) -> None:
    for url, next_param in (
        ("/console", "/console"),
        ("/console/inquiries/1", "/console/inquiries/1"),
        ("/console?view=mine", "/console%3Fview%3Dmine"),
        ("/console/inquiries/1/attachments/1", "/console/inquiries/1/attachments/1"),
    ):
        response = await browser.get(url)
        assert (response.status_code, response.headers["location"]) == (303, f"/admin/login?next={next_param}")
    for url in ("/console/inquiries/1/reply", "/console/availability", "/console/inquiries/1/status"):
        response = await browser.post(url, data={"body": "x"})
        assert (response.status_code, response.headers["location"]) == (303, "/admin/login?next=/console")
    alias = await browser.get("/console/login")
    assert alias.headers["location"] == SIGN_IN


def test_every_console_post_checks_the_csrf_token() -> None:
    routes = [r for r in console_pages.router.routes if isinstance(r, APIRoute) and "POST" in (r.methods or set())]
    assert len(routes) == 9
    for route in routes:
        assert _depends_on(route.dependant, verified_form), route.path


async def test_agent_with_totp_lands_on_the_console_but_not_in_admin(
    browser: httpx.AsyncClient, session: AsyncSession
) -> None:
    agent = await make_staff(session, "otp@example.com", name="박상담", totp=True)
    assert agent.totp_secret is not None
    missing = await console_sign_in(browser, "otp@example.com")
    assert missing.status_code == 401 and "OTP 인증 코드를 입력해 주세요" in missing.text
    wrong = await console_sign_in(browser, "otp@example.com", "000000")
    assert wrong.status_code == 401 and "OTP 인증 코드가 올바르지 않습니다" in wrong.text
    response = await console_sign_in(browser, "otp@example.com", pyotp.TOTP(agent.totp_secret).now())
    assert (response.status_code, response.headers["location"]) == (303, "/console")
    queue = await browser.get("/console")
    assert queue.status_code == 200 and "박상담" in queue.text and 'href="/admin"' not in queue.text
    for admin_only in ("/admin", "/admin/categories", "/admin/articles/new"):
        assert (await browser.get(admin_only)).status_code == 403, admin_only
    assert (await browser.get("/admin/login?next=/console")).headers["location"] == "/console"
    signed_out = await post_form(browser, "/console", "/admin/logout", {"next": "/console"})
    assert signed_out.headers["location"] == SIGN_IN
    assert (await browser.get("/console")).status_code == 303


async def test_agents_signing_in_for_the_admin_area_are_refused(browser: httpx.AsyncClient, desk: Desk) -> None:
    data = {"email": "agent@example.com", "password": PASSWORD, "next": "/admin/categories"}
    response = await post_form(browser, "/admin/login", "/admin/login", data)
    assert response.status_code == 403 and "상담사 콘솔(/console)" in response.text
    assert (await browser.get("/console")).status_code == 303  # and no session was started


async def test_admins_use_both_areas(browser: httpx.AsyncClient, session: AsyncSession, desk: Desk) -> None:
    await make_staff(session, "boss@example.com", name="최관리", role=StaffRole.ADMIN)
    response = await post_form(
        browser, "/admin/login", "/admin/login", {"email": "boss@example.com", "password": PASSWORD}
    )
    assert response.headers["location"] == "/admin"
    queue = await browser.get("/console")
    assert queue.status_code == 200 and 'href="/admin"' in queue.text
    assert f'data-inquiry-id="{desk.inquiry.id}"' in queue.text


async def test_missing_csrf_token_is_refused_and_nothing_is_written(
    browser: httpx.AsyncClient, session: AsyncSession, desk: Desk
) -> None:
    await signed_in(browser)
    for action, data in (("reply", {"body": "몰래 보내는 답변"}), ("status", {"status": "in_progress"})):
        response = await browser.post(f"{desk.url}/{action}", data=data)
        assert response.status_code == 403 and "보안 확인에 실패했습니다" in response.text
    stale = await browser.post(f"{desk.url}/reply", data={"csrf_token": "forged", "body": "x"})
    assert stale.status_code == 403
    assert await session.scalar(select(func.count()).select_from(InquiryMessage)) == 0
    assert (await fresh(session, desk.inquiry)).status == "received"


# --- the queue -----------------------------------------------------------------------


async def test_queue_lists_filed_inquiries_with_their_tabs_and_filters(
    browser: httpx.AsyncClient, session: AsyncSession, desk: Desk
) -> None:
    await signed_in(browser)
    row = f'data-inquiry-id="{desk.inquiry.id}"'
    queue = (await browser.get("/console")).text
    for text in (
        row,
        desk.inquiry.number or "-",
        "결제가 두 번 됐어요",
        "김고객",
        "결제",
        "미배정",
        "badge-priority-normal",
    ):
        assert text in queue, text
    assert korean_datetime(desk.inquiry.first_response_due_at) in queue  # the due time, in Seoul time
    for label in ("전체", "미배정", "내 문의", "우리 팀", "기한 임박", "기한 초과"):
        assert f">{label}</a>" in queue
    assert row not in (await browser.get("/console?view=mine")).text
    assert row in (await browser.get("/console?view=unassigned")).text
    assert row not in (await browser.get("/console?status=resolved")).text
    assert row in (await browser.get("/console?view=nonsense&status=nonsense&before_id=x")).text
    await submit(browser, desk.url, f"{desk.url}/assign", {"assignee": "me"})
    mine = (await browser.get("/console?view=mine")).text
    assert row in mine and "김상담" in mine and 'aria-current="page"' in mine
    gone = await browser.get("/console?before_id=99999")
    assert gone.status_code == 303 and "목록 위치" in (await browser.get(gone.headers["location"])).text


async def test_queue_pages_with_a_more_link(
    browser: httpx.AsyncClient, session: AsyncSession, settings: Settings, desk: Desk
) -> None:
    for number in range(console_pages.PAGE_SIZE):
        await file_inquiry(session, settings, desk.customer, title=f"문의 {number}")
    await signed_in(browser)
    first = (await browser.get("/console")).text
    more = re.search(r'<a id="queue-more" class="button" href="([^"]+)"', first)
    assert more is not None
    second = (await browser.get(more.group(1).replace("&amp;", "&"))).text
    first_ids = set(re.findall(r'data-inquiry-id="(\d+)"', first))
    second_ids = set(re.findall(r'data-inquiry-id="(\d+)"', second))
    assert len(first_ids) == console_pages.PAGE_SIZE and len(second_ids) == 1
    assert not first_ids & second_ids and 'id="queue-more"' not in second


async def test_availability_toggle(browser: httpx.AsyncClient, session: AsyncSession, desk: Desk) -> None:
    await signed_in(browser)
    page = await submit(browser, "/console", "/console/availability", {"availability": "away"})
    assert "자리 비움" in page and "상담 상태를" in page
    assert (await fresh(session, desk.agent)).availability == "away"
    refused = await submit(browser, "/console", "/console/availability", {"availability": "sleeping"})
    assert "flash-error" in refused and "상담 상태를 목록에서 골라 주세요" in refused
    assert (await fresh(session, desk.agent)).availability == "away"


# --- one inquiry ---------------------------------------------------------------------


async def test_reply_answers_and_internal_note_stays_internal(
    browser: httpx.AsyncClient, session: AsyncSession, settings: Settings, desk: Desk
) -> None:
    await signed_in(browser)
    detail = (await browser.get(desk.url)).text
    assert "010-1234-5678" not in detail and "kim@example.com" in detail and "확인 안 됨" in detail
    noted = await post_form(
        browser, desk.url, f"{desk.url}/reply", {"body": "환불 건 재무팀 확인 중", "internal": "on"}
    )
    assert noted.headers["location"] == f"{desk.url}#timeline"
    page = (await browser.get(desk.url)).text
    assert "내부 메모를 남겼습니다" in page and "message-internal" in page and "badge-internal" in page
    assert (await fresh(session, desk.inquiry)).status == "received"
    page = await submit(browser, desk.url, f"{desk.url}/reply", {"body": "확인 후 환불해 드렸습니다."})
    assert "답변을 보냈습니다" in page and "상태 변경: 접수 → 답변완료" in page
    inquiry = await fresh(session, desk.inquiry)
    assert inquiry.status == "answered" and inquiry.assignee_id == desk.agent.id
    view = await customer_inquiry_view(session, desk.customer, inquiry.id, settings)
    assert [m.body for m in view.messages] == ["확인 후 환불해 드렸습니다."]


async def test_refused_replies_keep_the_typed_text(
    browser: httpx.AsyncClient, session: AsyncSession, settings: Settings, desk: Desk
) -> None:
    await signed_in(browser)
    blank = await post_form(browser, desk.url, f"{desk.url}/reply", {"body": "   "})
    assert blank.status_code == 422 and "답변 내용을 입력해 주세요" in blank.text
    await submit(browser, desk.url, f"{desk.url}/status", {"status": "resolved"})
    refused = await post_form(browser, desk.url, f"{desk.url}/reply", {"body": "길게 쓴 답변 <내용>"})
    assert refused.status_code == 409 and 'id="reply-error"' in refused.text
    assert "다시 열어 주세요" in refused.text and textarea(refused.text) == "길게 쓴 답변 &lt;내용&gt;"
    assert await session.scalar(select(func.count()).select_from(InquiryMessage)) == 0
    page = await submit(browser, desk.url, f"{desk.url}/status", {"status": "closed"})
    assert 'id="reply-form"' not in page and 'id="status-none"' in page


async def test_macro_fills_placeholders_with_and_without_typed_text(
    browser: httpx.AsyncClient, session: AsyncSession, desk: Desk
) -> None:
    macro = Macro(title="환불 안내", body="{고객명}님, 문의 {문의번호} 확인했습니다. - {상담사명}")
    off = Macro(title="옛 안내", body="쓰지 않는 매크로", is_active=False)
    session.add_all([macro, off])
    await session.commit()
    await signed_in(browser)
    filled = f"김고객님, 문의 {desk.inquiry.number} 확인했습니다. - 김상담"
    page = (await browser.get(f"{desk.url}?macro={macro.id}")).text
    assert textarea(page) == filled and f'data-text="{filled}"' in page and "옛 안내" not in page
    applied = await post_form(browser, desk.url, f"{desk.url}/macro", {"macro": str(macro.id), "body": "안녕하세요."})
    assert applied.status_code == 200 and textarea(applied.text) == f"안녕하세요.\n\n{filled}"
    for bad in (str(off.id), "abc"):
        page = (await browser.get(f"{desk.url}?macro={bad}")).text
        assert "매크로를 찾을 수 없습니다" in page and textarea(page) == ""


async def test_status_changes_follow_the_workflow(
    browser: httpx.AsyncClient, session: AsyncSession, desk: Desk
) -> None:
    await signed_in(browser)
    page = (await browser.get(desk.url)).text
    options = re.search(r'<select id="status-select" name="status">(.*?)</select>', page, re.S)
    assert options is not None
    assert re.findall(r'value="(\w+)"', options.group(1)) == ["in_progress", "answered", "resolved", "closed"]
    for status, message in (
        ("received", "'접수' 상태에서 '접수'로 바꿀 수 없습니다"),
        ("bogus", "바꿀 상태를 골라"),
    ):
        page = await submit(browser, desk.url, f"{desk.url}/status", {"status": status})
        assert "flash-error" in page and message in page
    page = await submit(browser, desk.url, f"{desk.url}/status", {"status": "in_progress"})
    assert "상태를 '처리중'(으)로 바꿨습니다" in page
    assert (await fresh(session, desk.inquiry)).status == "in_progress"


async def test_assign_priority_and_tags(browser: httpx.AsyncClient, session: AsyncSession, desk: Desk) -> None:
    await signed_in(browser)
    await submit(browser, desk.url, f"{desk.url}/assign", {"assignee": str(desk.colleague.id)})
    inquiry = await fresh(session, desk.inquiry)
    assert (inquiry.assignee_id, inquiry.status) == (desk.colleague.id, "in_progress")
    page = await submit(browser, desk.url, f"{desk.url}/assign", {"assignee": "none"})
    assert "배정을 해제했습니다" in page and "담당자 변경: 이상담 → 미배정" in page
    for bad in ("99999", "someone"):
        page = await submit(browser, desk.url, f"{desk.url}/assign", {"assignee": bad})
        assert "flash-error" in page
    assert (await fresh(session, desk.inquiry)).assignee_id is None
    page = await submit(browser, desk.url, f"{desk.url}/priority", {"priority": "urgent"})
    assert 'badge-priority-urgent" id="inquiry-priority">긴급' in page
    assert "알 수 없는 우선순위" in await submit(browser, desk.url, f"{desk.url}/priority", {"priority": "asap"})
    page = await submit(browser, desk.url, f"{desk.url}/tags", {"tags": "환불, 카드 ,환불,"})
    assert (await fresh(session, desk.inquiry)).tags == ["환불", "카드"] and "#환불" in page
    page = await submit(browser, desk.url, f"{desk.url}/tags", {"tags": "가" * 31})
    assert "30자 이하" in page and (await fresh(session, desk.inquiry)).tags == ["환불", "카드"]
    queue = (await browser.get("/console")).text
    assert "badge-priority-urgent" in queue and "#카드" in queue


async def test_merge_into_another_inquiry_of_the_customer(
    browser: httpx.AsyncClient, session: AsyncSession, settings: Settings, desk: Desk
) -> None:
    target = await file_inquiry(session, settings, desk.customer, title="같은 내용 다시 보냄")
    stranger = await file_inquiry(session, settings, await make_customer(session, "host-2"), title="다른 고객")
    await signed_in(browser)
    page = (await browser.get(desk.url)).text
    assert f'href="/console/inquiries/{target.id}">{target.number}</a>' in page  # the customer's other inquiries
    for into, message in (
        ("20990101-999999", "합칠 문의를 찾을 수 없습니다"),
        (str(desk.inquiry.id), "같은 문의끼리는 합칠 수 없습니다"),
        (stranger.number or "", "같은 고객의 문의만 합칠 수 있습니다"),
    ):
        page = await submit(browser, desk.url, f"{desk.url}/merge", {"into": into})
        assert "flash-error" in page and message in page, into
    page = await submit(browser, desk.url, f"{desk.url}/merge", {"into": target.number or ""})
    assert f"문의 {target.number}에 합쳤습니다" in page and 'id="merged-into"' in page
    duplicate = await fresh(session, desk.inquiry)
    assert (duplicate.status, duplicate.merged_into_id) == ("closed", target.id)


async def test_second_agent_sees_who_else_has_it_open(
    browser: httpx.AsyncClient, other_browser: httpx.AsyncClient, desk: Desk
) -> None:
    await signed_in(browser)
    await signed_in(other_browser, "colleague@example.com")
    first = (await browser.get(desk.url)).text
    assert re.search(r'id="viewers-notice"[^>]* hidden>', first)
    second = (await other_browser.get(desk.url)).text
    assert "다른 상담사가 보고 있습니다" in second and "<strong data-viewer-names>김상담</strong>" in second
    assert not re.search(r'id="viewers-notice"[^>]* hidden>', second)
    beat = await browser.post(f"{desk.url}/viewing", data={"csrf_token": csrf_of(first)})
    assert beat.status_code == 200
    assert [viewer["display_name"] for viewer in beat.json()["other_viewers"]] == ["이상담"]


async def test_attachments_show_as_thumbnails_behind_the_session(
    browser: httpx.AsyncClient, other_browser: httpx.AsyncClient, session: AsyncSession, settings: Settings, desk: Desk
) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(buffer, format="PNG")
    upload = check_upload("영수증.png", buffer.getvalue(), settings)
    inquiry = await file_inquiry(session, settings, desk.customer, uploads=[upload])
    await signed_in(browser)
    page = (await browser.get(f"/console/inquiries/{inquiry.id}")).text
    found = re.search(r'<img class="attachment-thumb" src="([^"]+)/preview"', page)
    assert found is not None
    thumbnail = await browser.get(f"{found.group(1)}/preview")
    assert thumbnail.status_code == 200 and thumbnail.headers["content-type"] == "image/webp"
    download = await browser.get(found.group(1))
    assert download.status_code == 200 and download.content == buffer.getvalue()
    assert download.headers["content-type"] == "image/png"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert (await other_browser.get(found.group(1))).status_code == 303
    attachment_id = found.group(1).rsplit("/", 1)[1]
    elsewhere = await browser.get(f"/console/inquiries/{desk.inquiry.id}/attachments/{attachment_id}")
    assert elsewhere.status_code == 404


async def test_unknown_inquiries_are_404_pages(browser: httpx.AsyncClient, desk: Desk) -> None:
    await signed_in(browser)
    for url in ("/console/inquiries/99999", "/console/inquiries/abc", "/console/inquiries/99999999999"):
        assert (await browser.get(url)).status_code == 404, url
    token = csrf_of((await browser.get(desk.url)).text)
    assert (await browser.post("/console/inquiries/99999/status", data={"csrf_token": token})).status_code == 404


def test_system_events_read_as_sentences() -> None:
    def event(kind: str, **data: object) -> TimelineEvent:
        return TimelineEvent(id=1, kind=kind, actor="system", actor_name=None, data=data, created_at=utcnow())

    names = {7: "김상담"}
    assert event_text(event("sla_warning", clock="first_response"), names) == "SLA 기한 임박 (첫 답변)"
    assert event_text(event("sla_breached", clock="resolution"), names) == "SLA 기한 초과 (해결)"
    assert event_text(event("assigned", auto=True, to=7), names) == "자동 배정: 김상담"
    assert event_text(event("assigned", reason="deactivated", to=None, **{"from": 7}), names) == (
        "배정 해제: 김상담 (계정 비활성화)"
    )
    assert (
        event_text(event("status_changed", **{"from": "resolved", "to": "closed"}), names) == "상태 변경: 해결 → 종료"
    )
    assert event_text(event("created", emergency=True), names) == "문의 접수 · 금융사고 의심"
    assert event_text(event("something_new"), names) == "something_new"
