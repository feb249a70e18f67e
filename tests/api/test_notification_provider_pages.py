"""알림 발송 설정 (/admin/notification-providers): which providers, no secrets, and a test send."""

from __future__ import annotations

import socket

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.audit.models import AuditEntry
from gogaek.config import Settings
from gogaek.identity.models import StaffRole
from gogaek.notify.providers import ConsoleProvider, EmailMessage, SmsMessage, build_providers
from tests.api.config_pages import audit_actions, field_error, flash_texts, signed_in
from tests.api.test_pages import admin_user, browser, post_form, sign_in

__all__ = ["admin_user", "browser"]

PAGE = "/admin/notification-providers"
SECRETS = ("smtp-pass-s3cret", "gateway-token-s3cret", "key=path-s3cret")


def console(app: FastAPI) -> ConsoleProvider:
    provider = app.state.notification_providers.email
    assert isinstance(provider, ConsoleProvider)
    return provider


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_the_page_needs_an_admin_or_supervisor(
    browser: httpx.AsyncClient, session: AsyncSession, app: FastAPI
) -> None:
    response = await browser.get(PAGE)
    assert (response.status_code, response.headers["location"]) == (303, f"/admin/login?next={PAGE}")
    await signed_in(browser, session, StaffRole.AGENT)
    assert (await browser.get(PAGE)).status_code == 403
    refused = await post_form(browser, "/console", f"{PAGE}/test-email", {"email_to": "ops@example.com"})
    assert refused.status_code == 403
    assert console(app).sent == []


async def test_a_test_send_through_the_console_provider_is_reported_and_audited(
    browser: httpx.AsyncClient, session: AsyncSession, app: FastAPI
) -> None:
    await signed_in(browser, session, StaffRole.SUPERVISOR)
    page = await browser.get(PAGE)
    assert page.status_code == 200 and "알림 발송 설정" in page.text
    assert page.text.count("콘솔 (개발용") == 2

    sent = await post_form(browser, PAGE, f"{PAGE}/test-email", {"email_to": " Ops@Example.com "})
    assert (sent.status_code, sent.headers["location"]) == (303, PAGE)
    shown = " ".join(flash_texts((await browser.get(PAGE)).text))
    assert "o***@example.com(으)로 테스트 메일을 보냈습니다" in shown
    texted = await post_form(browser, PAGE, f"{PAGE}/test-sms", {"sms_to": "010-1234-5678"})
    assert texted.status_code == 303
    assert "010-****-5678(으)로 테스트 문자를 보냈습니다" in " ".join(flash_texts((await browser.get(PAGE)).text))

    messages = console(app).sent
    assert isinstance(messages[0], EmailMessage) and messages[0].to == "ops@example.com"
    assert messages[0].subject == "[고객센터] 알림 발송 테스트"
    assert isinstance(messages[1], SmsMessage) and messages[1].to == "01012345678"
    assert await audit_actions(session, "notify_provider") == ["notify.provider_test", "notify.provider_test"]
    details = (
        await session.scalars(select(AuditEntry.detail).where(AuditEntry.target_type == "notify_provider"))
    ).all()
    assert [d["to"] for d in details] == ["o***@example.com", "010-****-5678"] and all(d["ok"] for d in details)


async def test_configured_providers_hide_their_secrets_and_report_their_errors_in_korean(
    browser: httpx.AsyncClient, session: AsyncSession, app: FastAPI, settings: Settings
) -> None:
    port = closed_port()
    configured = settings.model_copy(
        update={
            "email_provider": "smtp",
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_username": "mailer",
            "smtp_password": SECRETS[0],
            "sms_provider": "http",
            "sms_http_url": f"http://127.0.0.1:{port}/send/path-s3cret?{SECRETS[2]}",
            "sms_http_token": SECRETS[1],
        }
    )
    app.state.settings = configured
    app.state.notification_providers = build_providers(configured)
    await signed_in(browser, session, StaffRole.ADMIN)
    page = await browser.get(PAGE)
    assert page.status_code == 200
    assert f"127.0.0.1:{port}" in page.text and "mailer" in page.text and "설정됨" in page.text
    assert f"http://127.0.0.1:{port}<" in page.text  # scheme and host only
    for secret in (*SECRETS, "path-s3cret"):
        assert secret not in page.text

    failed = await post_form(browser, PAGE, f"{PAGE}/test-email", {"email_to": "ops@example.com"})
    assert failed.status_code == 303
    errors = (await browser.get(PAGE)).text
    assert "테스트 메일을 보내지 못했습니다. 발송 서비스의 답: SMTP 연결 실패" in " ".join(flash_texts(errors))
    await post_form(browser, PAGE, f"{PAGE}/test-sms", {"sms_to": "01012345678"})
    assert "테스트 문자를 보내지 못했습니다. 발송 서비스의 답: 문자 게이트웨이 연결 실패" in " ".join(
        flash_texts((await browser.get(PAGE)).text)
    )
    details = (
        await session.scalars(select(AuditEntry.detail).where(AuditEntry.target_type == "notify_provider"))
    ).all()
    assert [(d["channel"], d["ok"]) for d in details] == [("email", False), ("sms", False)]
    assert all(secret not in str(details) for secret in SECRETS)


@pytest.mark.usefixtures("admin_user")
async def test_bad_addresses_are_explained_in_korean_and_nothing_is_sent(
    browser: httpx.AsyncClient, session: AsyncSession, app: FastAPI
) -> None:
    await sign_in(browser)
    bad = await post_form(browser, PAGE, f"{PAGE}/test-email", {"email_to": "ops at example"})
    assert bad.status_code == 422
    assert field_error(bad.text, "email_to") == "받는 사람 이메일 주소 형식을 확인해 주세요. (예: name@example.com)"
    assert 'value="ops at example"' in bad.text
    bad_phone = await post_form(browser, PAGE, f"{PAGE}/test-sms", {"sms_to": "02-123-4567"})
    assert bad_phone.status_code == 422
    assert field_error(bad_phone.text, "sms_to") == "받는 사람 휴대폰 번호 형식을 확인해 주세요. (예: 010-1234-5678)"
    no_token = await browser.post(f"{PAGE}/test-email", data={"email_to": "ops@example.com"})
    assert no_token.status_code == 403 and "보안 확인에 실패했습니다" in no_token.text
    assert (await browser.post(f"{PAGE}/test-sms", data={"sms_to": "01012345678"})).status_code == 403
    assert console(app).sent == []
    assert await audit_actions(session, "notify_provider") == []
