"""Admin page for integration keys (연동 키): the phone system's push URLs and their signing
secrets, created (shown once), listed with their last use, and revoked; plus whether the keys
that live in the server's settings (host-app token secret, privacy API secret) are set.

The same ``cti_service`` verbs as the admin API, so every change has its audit entry. Admins
and supervisors, as in ``/api/v1/admin/cti-tokens``.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gogaek.config import Settings
from gogaek.deps import SessionDep, SettingsDep
from gogaek.phone import cti_service
from gogaek.phone.cti_routes import PUSH_PATH
from gogaek.phone.cti_schemas import CtiTokenCreate
from gogaek.phone.models import CtiToken
from gogaek.web.admin_forms import act, submit
from gogaek.web.auth import PageAdmin
from gogaek.web.csrf import CsrfForm
from gogaek.web.i18n import gettext as _
from gogaek.web.views import id_or_404, render

router = APIRouter(prefix="/admin/api-keys", include_in_schema=False)

LIST_PATH = "/admin/api-keys"
LABELS = {"name": "이름", "signed": "서명 요구"}


def _settings_keys(settings: Settings) -> list[dict[str, object]]:
    """Keys kept in the environment: the page says whether each is set, never its value."""
    return [
        {
            "name": _("고객 토큰 서명 키 (GOGAEK_CUSTOMER_TOKEN_SECRET)"),
            "set": settings.customer_token_secret is not None,
            "note": _("없으면 서버 비밀키(GOGAEK_SECRET_KEY)로 검증합니다."),
        },
        {
            "name": _("개인정보 API 서명 키 (GOGAEK_PRIVACY_API_SECRET)"),
            "set": settings.privacy_api_secret is not None,
            "note": _("없으면 내보내기·삭제 API가 모든 요청을 거절합니다."),
        },
    ]


async def _page(
    request: Request,
    session: SessionDep,
    settings: Settings,
    values: Mapping[str, object] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    context = {
        "tokens": await cti_service.list_tokens(session),
        "settings_keys": _settings_keys(settings),
        "errors": errors or {},
        "values": values or {"name": "", "signed": True},
    }
    return render(request, "admin/api_keys.html", context, status=status)


@router.get("", response_class=HTMLResponse)
async def api_keys_page(
    request: Request, session: SessionDep, settings: SettingsDep, _admin: PageAdmin
) -> HTMLResponse:
    return await _page(request, session, settings)


@router.post("/new")
async def create_api_key(
    request: Request, session: SessionDep, settings: SettingsDep, user: PageAdmin, form: CsrfForm
) -> Response:
    """The token and its signing secret are on this one answer only: only a hash is kept."""
    name = form.get("name")
    payload = {"name": name if isinstance(name, str) else "", "signed": bool(form.get("signed"))}

    async def save(data: CtiTokenCreate) -> tuple[CtiToken, str]:
        return await cti_service.create_token(session, user, data.name, signed=data.signed, request=request)

    outcome = await submit(session, CtiTokenCreate, payload, LABELS, save)
    if outcome.saved is None:
        return await _page(request, session, settings, payload, outcome.errors, outcome.status)
    row, token = outcome.saved
    context = {
        "token": row,
        "secret": token,
        "push_url": str(request.base_url).rstrip("/") + PUSH_PATH.format(token=token),
    }
    return render(request, "admin/api_key_created.html", context)


@router.post("/{cti_token_id}/revoke")
async def revoke_api_key(
    cti_token_id: str, request: Request, session: SessionDep, user: PageAdmin, _form: CsrfForm
) -> RedirectResponse:
    """Pushes with the key are refused from now on; revoking twice changes nothing."""
    key = id_or_404(cti_token_id, "연동 키")

    async def revoke() -> None:
        await cti_service.revoke_token(session, user, key, request)

    return await act(request, session, revoke, _("연동 키를 폐기했습니다."), LIST_PATH)
