"""Admin page for the answer bot (챗봇 설정): greeting, confidence threshold, handoff rule.

Saved values apply to the next chat and the next customer message in every process (this one
at once, others within the reference copy's few seconds), without a restart. Admins and
supervisors may change them, like the rest of the chat configuration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gogaek.chat.bot_settings import (
    MAX_CONFIDENCE,
    MAX_MISSES,
    MIN_CONFIDENCE,
    BotSettings,
    BotSettingsUpdate,
    bot_settings,
    reset_bot_settings,
    save_bot_settings,
)
from gogaek.deps import SessionDep
from gogaek.web.auth import PageAdmin
from gogaek.web.csrf import CsrfForm
from gogaek.web.flash import flash
from gogaek.web.forms import FormValues, validate
from gogaek.web.i18n import N_
from gogaek.web.i18n import gettext as _
from gogaek.web.views import redirect, render

router = APIRouter(prefix="/admin/bot", include_in_schema=False)

PAGE_PATH = "/admin/bot"
LABELS = {"greeting": N_("첫인사"), "confidence": N_("답변 기준 신뢰도"), "misses": N_("상담원 연결 기준")}


@dataclass(frozen=True, slots=True)
class BotForm(FormValues):
    greeting: str = ""
    confidence: str = ""
    misses: str = ""

    @classmethod
    def of(cls, current: BotSettings) -> BotForm:
        return cls(greeting=current.greeting, confidence=f"{current.confidence:.2f}", misses=str(current.misses))

    def payload(self) -> dict[str, object]:
        return {
            "greeting": self.greeting,
            "confidence": self.confidence.strip().replace(",", "."),
            "misses": self.misses.strip(),
        }


def korean_bot_errors(errors: Mapping[str, str]) -> dict[str, str]:
    """Numbers get one sentence with their allowed range, whatever was wrong with them."""
    ranges = {
        "confidence": _("답변 기준 신뢰도는 %(low)s~%(high)s 사이의 숫자로 입력해 주세요. (예: 0.70)")
        % {"low": f"{MIN_CONFIDENCE:.2f}", "high": f"{MAX_CONFIDENCE:.2f}"},
        "misses": _("상담원 연결 기준은 1~%(high)s 사이의 정수로 입력해 주세요. (예: 2)") % {"high": MAX_MISSES},
    }
    return {name: ranges.get(name, message) for name, message in errors.items()}


async def _page(
    request: Request,
    session: SessionDep,
    values: BotForm | None = None,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    settings = request.app.state.settings
    current = await bot_settings(session, settings)
    context = {
        "values": values or BotForm.of(current),
        "errors": dict(errors or {}),
        "current": current,
        "defaults": BotSettings.defaults(settings),
    }
    return render(request, "admin/bot_settings.html", context, status=status)


@router.get("", response_class=HTMLResponse)
async def bot_settings_page(request: Request, session: SessionDep, _: PageAdmin) -> HTMLResponse:
    return await _page(request, session)


@router.post("")
async def update_bot_settings(request: Request, session: SessionDep, user: PageAdmin, form: CsrfForm) -> Response:
    values = BotForm.read(form)
    data, errors = validate(BotSettingsUpdate, values.payload(), LABELS)
    if data is None:
        return await _page(request, session, values, korean_bot_errors(errors), 422)
    changed = await save_bot_settings(session, user, data, request)
    flash(
        request,
        _("챗봇 설정을 저장했습니다. 다음 메시지부터 적용됩니다.") if changed else _("바뀐 내용이 없습니다."),
    )
    return redirect(PAGE_PATH)


@router.post("/reset")
async def reset_bot_settings_page(
    request: Request, session: SessionDep, user: PageAdmin, _csrf: CsrfForm
) -> RedirectResponse:
    changed = await reset_bot_settings(session, user, request)
    flash(request, _("환경 설정의 기본값으로 되돌렸습니다.") if changed else _("이미 기본값을 쓰고 있습니다."))
    return redirect(PAGE_PATH)
