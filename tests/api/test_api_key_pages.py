"""연동 키 page: the phone system's push keys created (shown once), used, revoked; the keys kept in
the server's settings are shown as set or not, never by value."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.config import Settings
from gogaek.identity.models import StaffRole
from gogaek.phone.models import CtiToken
from tests.api.config_pages import audit_actions, field_error, flash_texts, signed_in
from tests.api.test_pages import admin_user, browser, post_form, sign_in
from tests.phone.cti_helpers import call_fields, signed_headers

__all__ = ["admin_user", "browser"]

PAGE = "/admin/api-keys"
NEW = "/admin/api-keys/new"


async def tokens(session: AsyncSession) -> list[CtiToken]:
    session.expire_all()
    return list((await session.scalars(select(CtiToken).order_by(CtiToken.id))).all())


def created_value(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}">([^<]+)<', html)
    assert found is not None, html
    return found.group(1)


async def test_the_page_needs_an_admin_or_supervisor(browser: httpx.AsyncClient, session: AsyncSession) -> None:
    response = await browser.get(PAGE)
    assert (response.status_code, response.headers["location"]) == (303, f"/admin/login?next={PAGE}")
    await signed_in(browser, session, StaffRole.AGENT)
    assert (await browser.get(PAGE)).status_code == 403
    assert (await post_form(browser, "/console", NEW, {"name": "PBX", "signed": "1"})).status_code == 403
    assert await tokens(session) == []


@pytest.mark.usefixtures("admin_user")
async def test_a_signed_key_is_shown_once_works_for_the_pbx_and_stops_when_revoked(
    browser: httpx.AsyncClient, session: AsyncSession
) -> None:
    await sign_in(browser)
    assert "아직 연동 키가 없습니다." in (await browser.get(PAGE)).text
    created = await post_form(browser, PAGE, NEW, {"name": "본사 교환기", "signed": "1"})
    assert created.status_code == 200, created.text
    push_url, secret = created_value(created.text, "api-key-url"), created_value(created.text, "api-key-secret")
    [token] = await tokens(session)
    assert token.name == "본사 교환기" and token.signing_secret == secret
    assert push_url.startswith("http://testserver/api/v1/cti/")
    listed = (await browser.get(PAGE)).text
    assert "본사 교환기" in listed and secret not in listed and push_url.rsplit("/", 1)[1] not in listed

    body = json.dumps(call_fields("newCall", "page-key-1")).encode()
    unsigned = await browser.post(push_url, content=body, headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401  # a signed key refuses a push without the signature
    pushed = await browser.post(push_url, content=body, headers=signed_headers(secret, body))
    assert pushed.status_code == 200, pushed.text
    assert "아직 없음" not in (await browser.get(PAGE)).text  # its last use is shown now

    revoked = await post_form(browser, PAGE, f"{PAGE}/{token.id}/revoke", {})
    assert (revoked.status_code, revoked.headers["location"]) == (303, PAGE)
    after = await browser.get(PAGE)
    assert "연동 키를 폐기했습니다." in flash_texts(after.text) and "폐기됨" in after.text
    body = json.dumps(call_fields("newCall", "page-key-2")).encode()
    assert (await browser.post(push_url, content=body, headers=signed_headers(secret, body))).status_code == 404
    assert (await post_form(browser, PAGE, f"{PAGE}/{token.id}/revoke", {})).status_code == 303  # twice: no change
    assert await audit_actions(session, "cti_token") == ["cti_token.create", "cti_token.revoke"]


@pytest.mark.usefixtures("admin_user")
async def test_an_unsigned_key_takes_plain_pushes_and_a_blank_name_is_refused(
    browser: httpx.AsyncClient, session: AsyncSession
) -> None:
    await sign_in(browser)
    refused = await post_form(browser, PAGE, NEW, {"name": "   ", "signed": "1"})
    assert refused.status_code == 422
    assert field_error(refused.text, "name") and 'name="signed" value="1" checked' in refused.text
    assert await tokens(session) == []
    created = await post_form(browser, PAGE, NEW, {"name": "콜센터 2층"})
    assert 'id="api-key-secret"' not in created.text
    push_url = created_value(created.text, "api-key-url")
    pushed = await browser.post(push_url, json=call_fields("newCall", "page-key-3"))
    assert pushed.status_code == 200, pushed.text
    assert (await browser.post(f"{PAGE}/999999/revoke", data={})).status_code == 403  # no CSRF token
    assert (await post_form(browser, PAGE, f"{PAGE}/999999/revoke", {})).status_code == 404


@pytest.mark.usefixtures("admin_user")
async def test_keys_in_the_settings_show_whether_they_are_set_never_their_value(
    browser: httpx.AsyncClient, settings: Settings
) -> None:
    await sign_in(browser)
    keys = (await browser.get(PAGE)).text
    section = keys[keys.index('id="settings-keys"') :]
    assert "GOGAEK_PRIVACY_API_SECRET" in section and "설정 안 됨" in section
    assert settings.secret_key not in keys
