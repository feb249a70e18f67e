"""Admin page for the notification providers (알림 발송 설정): which e-mail and SMS provider this
server uses, and a test send to an address or number the admin types.

Secrets never reach the page: the SMTP password and the gateway token are shown only as 설정됨,
and of the gateway URL only the scheme and host (a URL often carries a key in its path or query).
The test goes straight to the provider, not through the job queue, so the admin reads the
provider's own answer (or error) at once; each test is one audit entry with the masked recipient.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.audit.service import record_audit
from gogaek.config import Settings
from gogaek.deps import SessionDep
from gogaek.identity.models import StaffUser
from gogaek.identity.otp import normalise_email, normalise_phone
from gogaek.notify.providers import EmailMessage, NotificationError, NotificationProviders, SmsMessage
from gogaek.phone.agent_history import mask_email
from gogaek.phone.numbers import mask_phone
from gogaek.web.auth import PageAdmin
from gogaek.web.csrf import CsrfForm
from gogaek.web.flash import flash
from gogaek.web.i18n import gettext as _
from gogaek.web.views import redirect, render

router = APIRouter(prefix="/admin/notification-providers", include_in_schema=False)

PAGE_PATH = "/admin/notification-providers"
TEST_SUBJECT = "[고객센터] 알림 발송 테스트"
TEST_TEXT = "고객센터 관리자 화면에서 보낸 테스트 메시지입니다. 이 메시지를 받았다면 발송 설정이 정상입니다."


@dataclass(frozen=True, slots=True)
class ProviderFacts:
    """What the page shows about one provider: a name and label/value rows, no secrets."""

    name: str
    rows: list[tuple[str, str]]


def _configured(value: str | None) -> str:
    return _("설정됨") if value else _("없음")


def email_facts(settings: Settings) -> ProviderFacts:
    if settings.email_provider != "smtp":
        return ProviderFacts(_("콘솔 (개발용: 서버 로그에만 출력, 실제로 보내지 않음)"), [])
    return ProviderFacts(
        "SMTP",
        [
            (_("서버"), f"{settings.smtp_host}:{settings.smtp_port}"),
            ("STARTTLS", _("사용") if settings.smtp_starttls else _("사용 안 함")),
            (_("계정"), settings.smtp_username or _("없음")),
            (_("비밀번호"), _configured(settings.smtp_password)),
            (_("보내는 사람"), settings.smtp_from),
        ],
    )


def sms_facts(settings: Settings) -> ProviderFacts:
    if settings.sms_provider != "http" or not settings.sms_http_url:
        return ProviderFacts(_("콘솔 (개발용: 서버 로그에만 출력, 실제로 보내지 않음)"), [])
    url = httpx.URL(settings.sms_http_url)
    return ProviderFacts(
        _("HTTP 문자/알림톡 게이트웨이"),
        [
            (_("게이트웨이"), f"{url.scheme}://{url.netloc.decode()}"),
            (_("인증 토큰"), _configured(settings.sms_http_token)),
            (_("발신 번호"), settings.sms_sender),
        ],
    )


def _page(
    request: Request,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    context = {
        "email": email_facts(settings),
        "sms": sms_facts(settings),
        "values": dict(values or {}),
        "errors": dict(errors or {}),
    }
    return render(request, "admin/notification_providers.html", context, status=status)


@router.get("", response_class=HTMLResponse)
async def providers_page(request: Request, _: PageAdmin) -> HTMLResponse:
    return _page(request)


async def _audit(
    session: AsyncSession, user: StaffUser, request: Request, channel: str, masked: str, error: str | None
) -> None:
    detail = {"channel": channel, "to": masked, "ok": error is None, **({"error": error[:300]} if error else {})}
    record_audit(
        session,
        user,
        "notify.provider_test",
        target_type="notify_provider",
        target_id=channel,
        detail=detail,
        request=request,
    )
    await session.commit()


def _providers(request: Request) -> NotificationProviders:
    providers: NotificationProviders = request.app.state.notification_providers
    return providers


def _report(request: Request, channel: str, masked: str, error: str | None) -> None:
    """``channel`` is "email" or "sms"; the flash names it in the page's language."""
    if error is None:
        sent = _("%(to)s(으)로 테스트 메일을 보냈습니다. 받았는지 확인해 주세요.")
        if channel == "sms":
            sent = _("%(to)s(으)로 테스트 문자를 보냈습니다. 받았는지 확인해 주세요.")
        flash(request, sent % {"to": masked})
    else:
        failed = _("테스트 메일을 보내지 못했습니다. 발송 서비스의 답: %(error)s")
        if channel == "sms":
            failed = _("테스트 문자를 보내지 못했습니다. 발송 서비스의 답: %(error)s")
        flash(request, failed % {"error": error}, "error")


@router.post("/test-email")
async def test_email(request: Request, session: SessionDep, user: PageAdmin, form: CsrfForm) -> Response:
    raw = form.get("email_to")
    typed = raw if isinstance(raw, str) else ""
    address = normalise_email(typed)
    if address is None:
        return _page(
            request,
            {"email_to": typed},
            {"email_to": _("받는 사람 이메일 주소 형식을 확인해 주세요. (예: name@example.com)")},
            422,
        )
    error = None
    try:
        await _providers(request).email.send_email(EmailMessage(to=address, subject=TEST_SUBJECT, text=TEST_TEXT))
    except NotificationError as exc:
        error = exc.message
    masked = mask_email(address) or ""
    await _audit(session, user, request, "email", masked, error)
    _report(request, "email", masked, error)
    return redirect(PAGE_PATH)


@router.post("/test-sms")
async def test_sms(request: Request, session: SessionDep, user: PageAdmin, form: CsrfForm) -> Response:
    raw = form.get("sms_to")
    typed = raw if isinstance(raw, str) else ""
    number = normalise_phone(typed)
    if number is None:
        return _page(
            request,
            {"sms_to": typed},
            {"sms_to": _("받는 사람 휴대폰 번호 형식을 확인해 주세요. (예: 010-1234-5678)")},
            422,
        )
    error = None
    try:
        await _providers(request).sms.send_sms(SmsMessage(to=number, text=f"[고객센터] {TEST_TEXT}"))
    except NotificationError as exc:
        error = exc.message
    masked = mask_phone(number)
    await _audit(session, user, request, "sms", masked, error)
    _report(request, "sms", masked, error)
    return redirect(PAGE_PATH)
