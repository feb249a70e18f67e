"""매크로 관리 pages: list, create, edit, switch off, delete; agents see the result at once."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.helpcenter.models import Category
from gogaek.identity.models import StaffRole
from gogaek.inquiries.models import Macro
from tests.api.config_pages import audit_actions, field_error, signed_in
from tests.api.test_pages import admin_user, browser, post_form, sign_in

__all__ = ["admin_user", "browser"]

LIST = "/admin/macros"
NEW = "/admin/macros/new"
GREETING = {
    "title": "첫 인사",
    "body": "{고객명}님, 문의({문의번호}) 확인했습니다. 상담사 {상담사명} 드림",
    "is_active": "on",
}


async def macro_by_title(session: AsyncSession, title: str) -> Macro | None:
    session.expire_all()
    return await session.scalar(select(Macro).where(Macro.title == title))


async def test_macro_pages_need_an_admin_or_supervisor(browser: httpx.AsyncClient, session: AsyncSession) -> None:
    for url in (LIST, NEW, f"{LIST}/1/edit"):
        response = await browser.get(url)
        assert (response.status_code, response.headers["location"]) == (303, f"/admin/login?next={url}")
    await signed_in(browser, session, StaffRole.AGENT)
    for url in (LIST, NEW, f"{LIST}/1/edit"):
        assert (await browser.get(url)).status_code == 403, url
    assert (await post_form(browser, "/console", NEW, GREETING)).status_code == 403
    assert await macro_by_title(session, "첫 인사") is None


@pytest.mark.usefixtures("admin_user")
async def test_create_edit_switch_off_and_delete(browser: httpx.AsyncClient, session: AsyncSession) -> None:
    await sign_in(browser)
    assert "아직 매크로가 없습니다." in (await browser.get(LIST)).text
    payment = Category(slug="payment", name="결제")
    session.add(payment)
    await session.commit()
    payment_id = payment.id
    form = await browser.get(NEW)
    assert "{고객명}" in form.text and "결제" in form.text
    created = await post_form(browser, NEW, NEW, GREETING)
    assert (created.status_code, created.headers["location"]) == (303, LIST)
    listed = await browser.get(LIST)
    assert "매크로를 저장했습니다" in listed.text and "첫 인사" in listed.text and "모든 유형" in listed.text
    macro = await macro_by_title(session, "첫 인사")
    assert macro is not None and macro.body == GREETING["body"] and macro.category_id is None and macro.is_active
    edit = f"{LIST}/{macro.id}/edit"
    page = await browser.get(edit)
    assert 'value="첫 인사"' in page.text and "상담사 {상담사명} 드림</textarea>" in page.text
    changed = {"title": "결제 안내", "body": "결제 내역을 확인해 주세요.", "category_id": str(payment_id)}
    saved = await post_form(browser, edit, edit, changed)  # no is_active: switched off
    assert saved.status_code == 303
    updated = await macro_by_title(session, "결제 안내")
    assert updated is not None
    assert (updated.body, updated.category_id, updated.is_active) == ("결제 내역을 확인해 주세요.", payment_id, False)
    assert "사용 안 함" in (await browser.get(LIST)).text
    general = await post_form(browser, edit, edit, {**changed, "category_id": "", "is_active": "on"})
    assert general.status_code == 303
    back = await macro_by_title(session, "결제 안내")
    assert back is not None and back.category_id is None and back.is_active
    deleted = await post_form(browser, edit, f"{LIST}/{back.id}/delete", {})
    assert (deleted.status_code, deleted.headers["location"]) == (303, LIST)
    assert "매크로를 삭제했습니다" in (await browser.get(LIST)).text
    assert await macro_by_title(session, "결제 안내") is None
    assert (await browser.get(edit)).status_code == 404
    assert await audit_actions(session, "macro") == ["macro.create", "macro.update", "macro.update", "macro.delete"]


@pytest.mark.usefixtures("admin_user")
async def test_bad_forms_are_explained_in_korean_and_save_nothing(
    browser: httpx.AsyncClient, session: AsyncSession
) -> None:
    await sign_in(browser)
    bad = await post_form(browser, NEW, NEW, {"title": "  ", "body": "", "category_id": "4242"})
    assert bad.status_code == 422
    assert field_error(bad.text, "title") == "제목을 입력해 주세요."
    assert field_error(bad.text, "body") == "내용을 입력해 주세요."
    assert (await session.scalars(select(Macro))).all() == []
    unknown = await post_form(browser, NEW, NEW, {**GREETING, "category_id": "4242"})
    assert unknown.status_code == 422
    assert "알 수 없는 문의 유형입니다" in field_error(unknown.text, "category_id")
    no_token = await browser.post(NEW, data=GREETING)
    assert no_token.status_code == 403 and "보안 확인에 실패했습니다" in no_token.text
    assert (await session.scalars(select(Macro))).all() == []
    assert (await post_form(browser, NEW, NEW, GREETING)).status_code == 303
    assert (await post_form(browser, NEW, NEW, {**GREETING, "title": "둘째"})).status_code == 303
    taken = await post_form(browser, NEW, NEW, GREETING)
    assert taken.status_code == 409 and "같은 제목의 매크로가 이미 있습니다" in field_error(taken.text, "title")
    second = await macro_by_title(session, "둘째")
    assert second is not None
    edit = f"{LIST}/{second.id}/edit"
    clash = await post_form(browser, edit, edit, {**GREETING, "body": "바뀐 내용"})
    assert clash.status_code == 409 and "바뀐 내용</textarea>" in clash.text
    blank = await post_form(browser, edit, edit, {"title": "둘째", "body": " "})
    assert blank.status_code == 422 and field_error(blank.text, "body") == "내용을 입력해 주세요."
    kept = await macro_by_title(session, "둘째")
    assert kept is not None and kept.body == GREETING["body"]
    for missing in (f"{LIST}/99999/edit", f"{LIST}/abc/edit"):
        assert (await browser.get(missing)).status_code == 404
