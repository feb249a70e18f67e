"""웹훅 관리 pages: list, create (secret once), edit, switch off, test delivery and its log, delete."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.errors import ProblemError
from gogaek.identity.models import StaffRole
from gogaek.jobs.models import Job, JobStatus
from gogaek.notify.models import WebhookEndpoint
from gogaek.notify.webhooks import refusal_failure
from tests.api.config_pages import audit_actions, field_error, signed_in
from tests.api.test_pages import admin_user, browser, post_form, sign_in

__all__ = ["admin_user", "browser"]

LIST = "/admin/webhooks"
NEW = "/admin/webhooks/new"
PUBLIC_URL = "https://93.184.216.34/hooks/gogaek-token-abc"  # a global address: no DNS, passes the SSRF check
CRM = {
    "url": PUBLIC_URL,
    "description": "CRM 연동",
    "events": ["inquiry.created", "inquiry.answered"],
    "is_active": "on",
}


async def endpoints(session: AsyncSession) -> list[WebhookEndpoint]:
    session.expire_all()
    return list((await session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id))).all())


async def test_webhook_pages_need_an_admin_or_supervisor(browser: httpx.AsyncClient, session: AsyncSession) -> None:
    for url in (LIST, NEW, f"{LIST}/1"):
        response = await browser.get(url)
        assert (response.status_code, response.headers["location"]) == (303, f"/admin/login?next={url}")
    await signed_in(browser, session, StaffRole.AGENT)
    for url in (LIST, NEW, f"{LIST}/1"):
        assert (await browser.get(url)).status_code == 403, url
    assert (await post_form(browser, "/console", NEW, CRM)).status_code == 403
    assert await endpoints(session) == []


@pytest.mark.usefixtures("admin_user")
async def test_create_edit_test_delivery_log_and_delete(browser: httpx.AsyncClient, session: AsyncSession) -> None:
    await sign_in(browser)
    assert "아직 웹훅이 없습니다." in (await browser.get(LIST)).text
    created = await post_form(browser, NEW, NEW, CRM)
    assert created.status_code == 200, created.text
    secret = re.search(r'id="webhook-secret">([^<]+)<', created.text)
    [endpoint] = await endpoints(session)
    assert secret is not None and secret.group(1) == endpoint.secret
    assert (endpoint.url, endpoint.description, endpoint.events) == (PUBLIC_URL, "CRM 연동", CRM["events"])
    page = f"{LIST}/{endpoint.id}"
    detail = await browser.get(page)
    assert endpoint.secret not in detail.text and "아직 전송 기록이 없습니다." in detail.text
    assert 'value="inquiry.answered" checked' in detail.text

    tested = await post_form(browser, page, f"{page}/test", {})
    assert (tested.status_code, tested.headers["location"]) == (303, page)
    shown = await browser.get(page)
    assert "테스트 전송을 보냈습니다" in shown.text
    job = await session.scalar(select(Job).order_by(Job.id.desc()))
    assert job is not None and job.payload["event"] == "ping" and job.payload["endpoint_id"] == endpoint.id
    assert f"#{job.id}" in shown.text and "대기 중" in shown.text
    job.status, job.last_error, job.attempts = JobStatus.PARKED.value, "HTTP 500 Internal Server Error", 1
    await session.commit()
    failed = await browser.get(page)
    assert "실패 (멈춤)" in failed.text and "HTTP 500 Internal Server Error" in failed.text

    private = ProblemError(422, "webhook_target_private", "내부망·루프백·예약된 주소로는 웹훅을 보낼 수 없습니다.")
    job.last_error = refusal_failure(private)  # the address came to resolve to a private one
    await session.commit()
    korean = (await browser.get(page)).text
    assert "내부망·루프백·예약된 주소로는 웹훅을 보낼 수 없습니다: webhook_target_private" in korean
    english = (await browser.get(page, headers={"Accept-Language": "en"})).text
    assert "Webhook target resolves to a private, loopback or reserved address: webhook_target_private" in english
    assert "내부망·루프백" not in english

    off = await post_form(browser, page, f"{page}/edit", {"url": PUBLIC_URL, "description": "CRM 연동 (중지)"})
    assert (off.status_code, off.headers["location"]) == (303, page)
    [switched] = await endpoints(session)
    assert (switched.is_active, switched.events, switched.description) == (False, [], "CRM 연동 (중지)")
    listed = await browser.get(LIST)
    assert "꺼짐" in listed.text and "모든 이벤트" in listed.text
    refused = await post_form(browser, LIST, f"{page}/test", {})
    assert refused.status_code == 303
    assert "비활성화된 웹훅입니다" in (await browser.get(page)).text

    deleted = await post_form(browser, LIST, f"{page}/delete", {})
    assert (deleted.status_code, deleted.headers["location"]) == (303, LIST)
    assert "웹훅을 삭제했습니다" in (await browser.get(LIST)).text
    assert await endpoints(session) == []
    assert (await browser.get(page)).status_code == 404
    assert await audit_actions(session, "webhook") == [
        "webhook.create",
        "webhook.test",
        "webhook.update",
        "webhook.delete",
    ]


@pytest.mark.usefixtures("admin_user")
async def test_bad_forms_are_explained_in_korean_and_save_nothing(
    browser: httpx.AsyncClient, session: AsyncSession
) -> None:
    await sign_in(browser)
    private = await post_form(browser, NEW, NEW, {**CRM, "url": "http://127.0.0.1:9/hook"})
    assert private.status_code == 422
    assert "내부망·루프백·예약된 주소로는 웹훅을 보낼 수 없습니다" in field_error(private.text, "url")
    assert 'value="http://127.0.0.1:9/hook"' in private.text
    scheme = await post_form(browser, NEW, NEW, {**CRM, "url": "ftp://93.184.216.34/x"})
    assert scheme.status_code == 422 and "http 또는 https" in field_error(scheme.text, "url")
    blank = await post_form(browser, NEW, NEW, {"url": " ", "description": "x" * 201})
    assert blank.status_code == 422
    assert field_error(blank.text, "url") == "주소를 입력해 주세요."
    assert field_error(blank.text, "description") == "설명은 200자 이하로 입력해 주세요."
    unknown = await post_form(browser, NEW, NEW, {**CRM, "events": ["inquiry.exploded"]})
    assert unknown.status_code == 422 and "이벤트" in field_error(unknown.text, "events")
    no_token = await browser.post(NEW, data=CRM)
    assert no_token.status_code == 403 and "보안 확인에 실패했습니다" in no_token.text
    assert await endpoints(session) == []
    for missing in (f"{LIST}/99999", f"{LIST}/abc"):
        assert (await browser.get(missing)).status_code == 404


async def test_a_supervisor_cannot_allow_private_targets(browser: httpx.AsyncClient, session: AsyncSession) -> None:
    await signed_in(browser, session, StaffRole.SUPERVISOR)
    form = await browser.get(NEW)
    assert 'name="allow_private" type="checkbox" value="on" disabled' in form.text
    refused = await post_form(browser, NEW, NEW, {**CRM, "url": "http://127.0.0.1:9/hook", "allow_private": "on"})
    assert refused.status_code == 403
    assert "내부망 주소 허용은 관리자만" in field_error(refused.text, "allow_private")
    assert await endpoints(session) == []
    assert (await post_form(browser, NEW, NEW, CRM)).status_code == 200
    [endpoint] = await endpoints(session)
    page = f"{LIST}/{endpoint.id}"
    edited = await post_form(browser, page, f"{page}/edit", {**CRM, "description": "바뀐 설명"})
    assert edited.status_code == 303
