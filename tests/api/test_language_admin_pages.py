"""The admin pages in English (issue 15 §5): every page an admin opens, set up through the pages
themselves with data written in English, speaks English from top to bottom when English is
chosen, and the same pages stay Korean otherwise.

Korean that stays on purpose is cut out precisely before looking for Hangul: the names of the
Korean public holidays, the synonym dictionary (Korean words for a Korean search), the macro
placeholders agents type (``{고객명}``…), the Korean notification texts being edited and the
webhook test delivery's payload (data for the receiving server, shown as it is queued)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.calendar.hours import korean_holidays
from gogaek.config import Settings
from gogaek.helpcenter.models import Article, Category, Notice
from gogaek.identity.models import StaffRole, StaffUser, Team
from gogaek.identity.schemas import StaffCreate
from gogaek.identity.service import create_staff_user
from gogaek.inquiries.models import Macro, SlaPolicy
from gogaek.notify.models import WebhookEndpoint
from gogaek.web.i18n import COOKIE
from tests.api.config_pages import flash_texts
from tests.api.test_pages import browser, post_form
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.hangul import hangul_in

__all__ = ["browser"]

ENGLISH = {"Accept-Language": "en"}
KOREAN = {"Accept-Language": "ko"}
PUBLIC_URL = "https://93.184.216.34/hooks/lang-test"  # a global address: no DNS, passes the SSRF check
MACRO_PLACEHOLDERS = ("{고객명}", "{문의번호}", "{상담사명}")
PING_MESSAGE = "Gogaek 웹훅 연결 테스트입니다."  # the test delivery's payload, data for the receiving server


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The bot's greeting is the operator's text: an English one here, as the page lists it."""
    return settings.model_copy(update={"chat_bot_greeting": "Hello! Ask me anything."})


@pytest.fixture(autouse=True)
async def english_admin(session: AsyncSession) -> None:
    data = StaffCreate(email=ADMIN_EMAIL, password=ADMIN_PASSWORD, display_name="Ada Admin", role=StaffRole.ADMIN)
    await create_staff_user(session, data)


def without_korean_on_purpose(path: str, html: str) -> str:
    """The page minus what is Korean on purpose (and only that)."""
    if path == "/admin/hours":
        today = date.today()
        names = {name for year in (today.year, today.year + 1) for name in korean_holidays(year).values()}
        for name in sorted(names, key=len, reverse=True):  # "설날 전날" before "설날"
            html = html.replace(f"<td>{name}", "<td>")
    if path == "/admin/synonyms":
        html = re.sub(r"(<textarea[^>]*>).*?(</textarea>)", r"\1\2", html, flags=re.S)
        html = re.sub(r"<code>[^<]*</code>", "<code></code>", html).replace("취소", "")
    if path.startswith("/admin/macros/"):
        for placeholder in MACRO_PLACEHOLDERS:
            html = html.replace(placeholder, "")
    if path.startswith("/admin/jobs"):
        html = html.replace(PING_MESSAGE, "")
    if path == "/admin/notification-templates":
        start, end = html.index('id="inquiry_answered-ko"'), html.index('id="inquiry_answered-en"')
        html = html[:start] + html[end:]
    return html


async def sign_in_in_english(browser: httpx.AsyncClient) -> None:
    browser.headers.update(ENGLISH)
    signed = await post_form(
        browser, "/admin/login", "/admin/login", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    assert signed.status_code == 303, signed.text


async def set_up_in_english(browser: httpx.AsyncClient, app: FastAPI, session: AsyncSession) -> dict[str, str]:
    """Everything the pages list, made through the pages in English; returns the new staff
    member's first password."""
    saved = [
        ("/admin/categories/new", {"name": "Payments", "slug": "payments", "description": "Cards", "position": "1"}),
        (
            "/admin/articles/new",
            {
                "question": "How do I reset my password?",
                "category": "payments",
                "answer": "Use the reset link on the sign-in page.",
                "tags": "password",
                "alternates": "forgot password",
                "status": "published",
            },
        ),
        (
            "/admin/notices/new",
            {"title": "Maintenance window", "body": "Short downtime.", "kind": "notice", "status": "published"},
        ),
        ("/admin/teams/new", {"name": "Tier Two", "slug": "tier-two"}),
        (
            "/admin/macros/new",
            {"title": "Thanks", "body": "Thank you for waiting.", "category_id": "", "is_active": "on"},
        ),
        (
            "/admin/sla/new",
            {"category_id": "", "priority": "urgent", "first_response_hours": "2", "resolution_hours": "8"},
        ),
        ("/admin/hours/days-off", {"day": (date.today() + timedelta(days=20)).isoformat(), "name": "Founders day"}),
        ("/admin/callback-roster/entries", {"weekday": "0", "starts": "09:00", "ends": "12:00", "capacity": "2"}),
        (
            "/admin/callback-roster/overrides",
            {"day": (date.today() + timedelta(days=21)).isoformat(), "day_capacity": "0", "note": "Workshop"},
        ),
    ]
    for action, data in saved:
        response = await post_form(browser, "/admin", action, data)
        assert response.status_code == 303, (action, response.text[:2000])
        after = await browser.get(response.headers["location"])
        assert flash_texts(after.text) and not hangul_in(" ".join(flash_texts(after.text))), (
            action,
            flash_texts(after.text),
        )

    created = await post_form(
        browser,
        "/admin/staff/new",
        "/admin/staff/new",
        {"email": "alex@lang.test", "display_name": "Alex Agent", "role": "agent", "enrol_totp": "on"},
    )
    assert created.status_code == 200 and not hangul_in(created.text), hangul_in(created.text)
    assert "Account created for Alex Agent (Agent)" in created.text
    password = re.search(r'id="initial-password">([^<]+)<', created.text)
    assert password is not None

    hook = {"url": PUBLIC_URL, "description": "CRM sync", "events": ["inquiry.created"], "is_active": "on"}
    made = await post_form(browser, "/admin/webhooks/new", "/admin/webhooks/new", hook)
    assert made.status_code == 200 and "Webhook created" in made.text and not hangul_in(made.text), hangul_in(made.text)
    endpoint = await session.scalar(select(WebhookEndpoint.id).where(WebhookEndpoint.url == PUBLIC_URL))
    pinged = await post_form(browser, "/admin", f"/admin/webhooks/{endpoint}/test", {})
    assert pinged.status_code == 303

    assert (await browser.get("/api/v1/faq/search", params={"q": "reset password"})).status_code == 200
    await app.state.search_index.query_log.flush()
    return {"password": password.group(1)}


async def ids(session: AsyncSession) -> dict[str, int]:
    columns = {
        "category": Category.id,
        "article": Article.id,
        "notice": Notice.id,
        "team": Team.id,
        "macro": Macro.id,
        "sla": SlaPolicy.id,
        "webhook": WebhookEndpoint.id,
    }
    found = {name: await session.scalar(select(column).order_by(column.desc())) for name, column in columns.items()}
    found["staff"] = await session.scalar(select(StaffUser.id).where(StaffUser.email == "alex@lang.test"))
    assert all(found.values()), found
    return {name: int(value or 0) for name, value in found.items()}


def pages(found: dict[str, int]) -> list[tuple[str, str, str]]:
    """Path, an English phrase it must show, and the Korean phrase it shows otherwise."""
    return [
        ("/admin", "Write a new question", "새 질문 쓰기"),
        ("/admin?status=draft", "No questions yet.", "아직 질문이 없습니다."),
        ("/admin/articles/new", "Answer (Markdown)", "답변 (Markdown)"),
        (f"/admin/articles/{found['article']}/edit", "View as a customer", "고객 화면에서 보기"),
        ("/admin/notices/new", "Pin to the top (important notice)", "상단에 고정 (중요 공지)"),
        (f"/admin/notices/{found['notice']}/edit", "Delete notice", "공지 삭제"),
        ("/admin/categories", "Published articles", "게시된 글"),
        ("/admin/categories/new", "Slug (the name used in the address)", "slug (주소에 쓰이는 이름)"),
        (f"/admin/categories/{found['category']}/edit", "Delete category", "카테고리 삭제"),
        ("/admin/staff", "To register at next sign-in", "다음 로그인 때 등록"),
        ("/admin/staff/new", "Name (shown to customers)", "이름 (고객에게 보이는 이름)"),
        (f"/admin/staff/{found['staff']}", "Deactivate account", "계정 비활성화"),
        ("/admin/teams", "Tier Two", "팀 관리"),
        ("/admin/teams/new", "Create team", "팀 만들기"),
        (f"/admin/teams/{found['team']}", "Members (0)", "팀원 (0명)"),
        ("/admin/macros", "All types", "모든 유형"),
        ("/admin/macros/new", "Active (shown to agents)", "사용 (상담사에게 보임)"),
        (f"/admin/macros/{found['macro']}/edit", "Delete macro", "매크로 삭제"),
        ("/admin/sla", "<td>Urgent</td>", "<td>긴급</td>"),
        (f"/admin/sla/{found['sla']}/edit", "All types · Urgent", "모든 유형 · 긴급"),
        ("/admin/hours", "Mon, Tue, Wed, Thu, Fri 09:00–18:00 (Korea time)", "월화수목금 09:00–18:00 (한국 시간)"),
        ("/admin/audit", "Download CSV", "CSV 내려받기"),
        ("/admin/webhooks", "CRM sync", "웹훅 관리"),
        ("/admin/webhooks/new", "Allow internal addresses (admins only)", "내부망 주소 허용 (관리자만)"),
        (f"/admin/webhooks/{found['webhook']}", "Recent deliveries", "전송 기록 (최근)"),
        ("/admin/jobs", "Parked (needs attention)", "멈춤 (확인 필요)"),
        ("/admin/jobs?status=all", "Job queue", "작업 대기열"),
        ("/admin/search-insights", "Last 30 days", "최근 30일"),
        (
            "/admin/search-insights/query?q=reset+password",
            "Add as another phrasing of this article",
            "이 글의 다른 표현으로 추가",
        ),
        ("/admin/synonyms", "Save and apply to search", "저장하고 검색에 반영"),
        ("/admin/bot", "Answer confidence threshold", "답변 기준 신뢰도"),
        ("/admin/notification-templates", "Inquiry answered", "문의 답변 등록"),
        ("/admin/notification-providers", "Send test e-mail", "테스트 메일 보내기"),
        ("/admin/callback-roster", "Default (every day)", "기본 (모든 요일)"),
        ("/admin/api-keys", "Integration keys", "연동 키"),
    ]


async def test_every_admin_page_is_english_when_english_is_chosen_and_korean_otherwise(
    browser: httpx.AsyncClient, app: FastAPI, session: AsyncSession
) -> None:
    await sign_in_in_english(browser)
    await set_up_in_english(browser, app, session)
    for path, english_phrase, korean_phrase in pages(await ids(session)):
        english = await browser.get(path)
        assert english.status_code == 200, (path, english.status_code)
        assert '<html lang="en">' in english.text, path
        assert english_phrase in english.text, (path, english_phrase)
        left = hangul_in(without_korean_on_purpose(path, english.text))
        assert not left, (path, left)
        korean = await browser.get(path, headers=KOREAN)
        assert '<html lang="ko">' in korean.text and korean_phrase in korean.text, (path, korean_phrase)
        assert english_phrase not in korean.text or english_phrase in ("Tier Two", "CRM sync"), path
        assert not hangul_in(" ".join(flash_texts(english.text))), path
    english_csv = await browser.get("/admin/audit.csv")
    assert english_csv.text.lstrip("\ufeff").startswith("No.,Time (Korea),Actor,Actor type,Action,Target type")
    assert (await browser.get("/admin/audit.csv", headers=KOREAN)).text.lstrip("\ufeff").startswith("번호,시각(한국)")


async def test_the_sign_in_pages_are_english_and_the_switch_cookie_is_honoured(
    browser: httpx.AsyncClient, app: FastAPI, session: AsyncSession
) -> None:
    await sign_in_in_english(browser)
    first = (await set_up_in_english(browser, app, session))["password"]
    browser.cookies.clear()
    del browser.headers["Accept-Language"]

    korean = await browser.get("/admin/login")
    assert "상담사·관리자 로그인" in korean.text and "Staff sign-in" not in korean.text  # no English gloss
    switched = await browser.get("/language/en", params={"next": "/admin/login"})
    assert switched.status_code == 303 and browser.cookies.get(COOKIE) == "en"
    login = await browser.get("/admin/login")
    assert "Staff sign-in" in login.text and "Staff sign-in</span>" not in login.text and "One-time code" in login.text
    assert not hangul_in(login.text), hangul_in(login.text)

    started = await post_form(browser, "/admin/login", "/admin/login", {"email": "alex@lang.test", "password": first})
    assert (started.status_code, started.headers["location"]) == (303, "/admin/login/totp")
    enrol = await browser.get("/admin/login/totp")
    assert enrol.status_code == 200 and "Register your authenticator again" in enrol.text
    assert "<strong>alex@lang.test</strong>" in enrol.text and not hangul_in(enrol.text), hangul_in(enrol.text)
    assert "Register your authenticator</span>" not in enrol.text  # the Korean page's gloss, not repeated

    browser.cookies.clear()
    browser.cookies.set(COOKIE, "en")
    missing = await post_form(browser, "/admin/login", "/admin/login", {"email": ADMIN_EMAIL, "password": ""})
    assert missing.status_code == 422 and "Enter your email and password." in missing.text
    assert not hangul_in(missing.text), hangul_in(missing.text)


BAD_FORMS = [
    ("/admin/articles/new", "/admin/articles/new", {"question": "", "category": "", "answer": "", "status": "draft"}),
    ("/admin/notices/new", "/admin/notices/new", {"title": "", "body": "", "kind": "notice", "status": "draft"}),
    ("/admin/categories/new", "/admin/categories/new", {"name": "", "slug": "Bad Slug", "position": "x"}),
    ("/admin/staff/new", "/admin/staff/new", {"email": "not-an-email", "display_name": "", "role": "agent"}),
    ("/admin/teams/new", "/admin/teams/new", {"name": "", "slug": "-bad"}),
    ("/admin/macros/new", "/admin/macros/new", {"title": "", "body": "", "category_id": ""}),
    ("/admin/sla", "/admin/sla/new", {"priority": "high", "first_response_hours": "8", "resolution_hours": "2"}),
    ("/admin/hours", "/admin/hours/weekly", {"opens": "", "closes": "25:00"}),
    ("/admin/hours", "/admin/hours/days-off", {"day": "someday", "name": "Retreat"}),
    ("/admin/webhooks/new", "/admin/webhooks/new", {"url": "http://127.0.0.1/hook", "description": "Loopback"}),
    ("/admin/bot", "/admin/bot", {"greeting": "", "confidence": "5", "misses": "0"}),
    ("/admin/notification-providers", "/admin/notification-providers/test-email", {"email_to": "nobody"}),
    ("/admin/callback-roster", "/admin/callback-roster/entries", {"weekday": "9", "starts": "25:00", "capacity": "-1"}),
    (
        "/admin/callback-roster",
        "/admin/callback-roster/overrides",
        {"day": "soon", "day_starts": "18:00", "day_ends": "09:00"},
    ),
]


async def test_form_errors_on_admin_pages_are_english_too(browser: httpx.AsyncClient) -> None:
    await sign_in_in_english(browser)
    for path, action, data in BAD_FORMS:
        response = await post_form(browser, path, action, data)
        assert response.status_code == 422, (action, response.status_code)
        assert "field-error" in response.text or "form-error" in response.text, action
        left = hangul_in(without_korean_on_purpose(path, response.text))
        assert not left, (action, left)
    audit = await browser.get("/admin/audit", params={"date_from": "yesterday"})
    assert audit.status_code == 422 and "Please check the date." in audit.text and not hangul_in(audit.text)
    browser.headers.update(KOREAN)
    korean = await post_form(browser, "/admin/sla", "/admin/sla/new", BAD_FORMS[6][2])
    assert "해결 목표 시간은 첫 응답 목표 시간보다 짧을 수 없습니다." in korean.text


async def test_refusals_and_sign_in_failures_read_in_english(browser: httpx.AsyncClient) -> None:
    browser.headers.update(ENGLISH)
    wrong = await post_form(
        browser, "/admin/login", "/admin/login", {"email": ADMIN_EMAIL, "password": "wrong-password"}
    )
    assert wrong.status_code == 401 and not hangul_in(wrong.text), hangul_in(wrong.text)
    await sign_in_in_english(browser)
    bad = await post_form(browser, "/admin/synonyms", "/admin/synonyms", {"text": "transfer\n"})
    assert bad.status_code == 422 and "field-error" in bad.text
    assert not hangul_in(without_korean_on_purpose("/admin/synonyms", bad.text)), hangul_in(bad.text)
