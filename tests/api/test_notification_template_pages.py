"""알림 문구 (/admin/notification-templates): edit, preview with sample data, placeholder errors, reset."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.audit.models import AuditEntry
from gogaek.identity.models import StaffRole
from gogaek.notify.texts import INQUIRY_ANSWERED, KINDS, rendered_notice
from gogaek.runtime_settings.models import RuntimeSetting
from tests.api.config_pages import audit_actions, field_error, flash_texts, signed_in
from tests.api.test_pages import admin_user, browser, post_form, sign_in

__all__ = ["admin_user", "browser"]

PAGE = "/admin/notification-templates"
KOREAN = {
    "kind": INQUIRY_ANSWERED,
    "lang": "ko",
    "title": "답변이 도착했어요 ({number})",
    "email_subject": "[페이] 문의 답변 안내",
    "email_body": "고객님, 문의 {number}에 답변드렸어요.\r\n{link}",
    "sms": "[페이] 문의 {number} 답변 완료 {link}",
    "action": "save",
}
SAMPLE = KINDS[INQUIRY_ANSWERED].sample


async def stored(session: AsyncSession) -> dict[str, Any]:
    session.expire_all()
    return {row.key: row.value for row in await session.scalars(select(RuntimeSetting))}


async def test_the_page_needs_an_admin_or_supervisor(browser: httpx.AsyncClient, session: AsyncSession) -> None:
    response = await browser.get(PAGE)
    assert (response.status_code, response.headers["location"]) == (303, f"/admin/login?next={PAGE}")
    await signed_in(browser, session, StaffRole.AGENT)
    assert (await browser.get(PAGE)).status_code == 403
    assert (await post_form(browser, "/console", PAGE, KOREAN)).status_code == 403
    assert await stored(session) == {}


async def test_the_built_in_texts_are_shown_with_a_preview(browser: httpx.AsyncClient, session: AsyncSession) -> None:
    await signed_in(browser, session, StaffRole.SUPERVISOR)
    page = await browser.get(PAGE)
    assert page.status_code == 200 and "알림 문구" in page.text and "문의 답변 등록" in page.text
    assert "한국어" in page.text and "English" in page.text and page.text.count("(기본 문구)") == 2
    assert "{number}" in page.text and "문의번호" in page.text
    assert f"문의하신 내용에 답변이 등록되었습니다 (문의번호 {SAMPLE['number']})" in page.text
    assert f"Your inquiry {SAMPLE['number']} has been answered. {SAMPLE['link']}" in page.text


async def test_preview_shows_the_typed_texts_and_saves_nothing(
    browser: httpx.AsyncClient, session: AsyncSession
) -> None:
    await signed_in(browser, session, StaffRole.SUPERVISOR)
    preview = await post_form(browser, PAGE, PAGE, {**KOREAN, "action": "preview"})
    assert preview.status_code == 200
    assert "미리보기 (저장하지 않음)" in preview.text
    assert f"[페이] 문의 {SAMPLE['number']} 답변 완료 {SAMPLE['link']}" in preview.text
    assert await stored(session) == {}
    assert await audit_actions(session, "runtime_setting") == []


async def test_saving_changes_what_the_next_notification_says_and_is_audited(
    browser: httpx.AsyncClient, session: AsyncSession
) -> None:
    lead_id = (await signed_in(browser, session, StaffRole.SUPERVISOR)).id
    saved = await post_form(browser, PAGE, PAGE, KOREAN)
    assert (saved.status_code, saved.headers["location"]) == (303, f"{PAGE}#{INQUIRY_ANSWERED}-ko")
    page = await browser.get(PAGE)
    assert "문의 답변 등록 알림 문구(한국어)를 저장했습니다" in " ".join(flash_texts(page.text))
    assert page.text.count("(기본 문구)") == 1 and "기본 문구로 되돌리기" in page.text

    values = {"number": "Q-7", "link": "https://help.example.com/inquiries/7"}
    words = await rendered_notice(session, INQUIRY_ANSWERED, values)
    assert words.sms == "[페이] 문의 Q-7 답변 완료 https://help.example.com/inquiries/7"
    assert words.email_body == "고객님, 문의 Q-7에 답변드렸어요.\nhttps://help.example.com/inquiries/7"
    assert words.title == "답변이 도착했어요 (Q-7)" and words.email_subject == "[페이] 문의 답변 안내"
    english = await rendered_notice(session, INQUIRY_ANSWERED, values, "en")
    assert english.sms == "[Customer Center] Your inquiry Q-7 has been answered. https://help.example.com/inquiries/7"

    assert await audit_actions(session, "runtime_setting") == ["notify.templates.update"]
    entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "notify.templates.update"))
    assert entry is not None and entry.actor_id == lead_id
    assert entry.detail["fields"] == ["title", "email_subject", "email_body", "sms"] and entry.detail["lang"] == "ko"

    again = await post_form(browser, PAGE, PAGE, KOREAN)
    assert again.status_code == 303 and "바뀐 내용이 없습니다." in flash_texts((await browser.get(PAGE)).text)
    reset = await post_form(browser, PAGE, f"{PAGE}/reset", {"kind": INQUIRY_ANSWERED, "lang": "ko"})
    assert reset.status_code == 303
    assert await stored(session) == {}
    assert (await rendered_notice(session, INQUIRY_ANSWERED, values)).sms.startswith("[고객센터] 문의(문의번호 Q-7)")
    assert await audit_actions(session, "runtime_setting") == ["notify.templates.update", "notify.templates.update"]


@pytest.mark.usefixtures("admin_user")
async def test_bad_placeholders_are_explained_in_korean_and_nothing_is_saved(
    browser: httpx.AsyncClient, session: AsyncSession
) -> None:
    await sign_in(browser)
    bad = await post_form(
        browser,
        PAGE,
        PAGE,
        {**KOREAN, "lang": "en", "title": "", "sms": "Answered {numbr}", "email_body": "See {link"},
    )
    assert bad.status_code == 422
    assert field_error(bad.text, "en-title") == "알림 제목을 입력해 주세요."
    assert field_error(bad.text, "en-sms").startswith(
        "{numbr}는 쓸 수 없는 자리표시자입니다. 쓸 수 있는 것: {number}, {link}"
    )
    assert field_error(bad.text, "en-email_body").startswith("중괄호 { }의 짝이 맞지 않습니다.")
    assert "Answered {numbr}" in bad.text  # what was typed stays
    no_link = await post_form(browser, PAGE, PAGE, {**KOREAN, "sms": "답변 완료 {number}"})
    assert no_link.status_code == 422
    assert (
        field_error(no_link.text, "ko-sms") == "문자 내용에 {link}(답변을 확인하는 주소가 들어갈 자리)를 넣어 주세요."
    )
    unknown = await post_form(browser, PAGE, PAGE, {**KOREAN, "kind": "no_such_kind"})
    assert unknown.status_code == 404
    no_token = await browser.post(PAGE, data=KOREAN)
    assert no_token.status_code == 403 and "보안 확인에 실패했습니다" in no_token.text
    assert (await browser.post(f"{PAGE}/reset", data={"kind": INQUIRY_ANSWERED, "lang": "ko"})).status_code == 403
    assert await stored(session) == {}
    assert await audit_actions(session, "runtime_setting") == []
