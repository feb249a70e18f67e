"""Admin HTML pages for webhooks (웹훅 관리): list, create (the signing secret shown once), edit,
switch off, delete, a test delivery and each endpoint's delivery log.

Admins and supervisors, as in the webhook API; allowing private targets stays admin-only (the
service refuses it). Every change is one ``notify.service`` verb with its audit entry; the URL
is checked against private and reserved addresses before anything is saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from gogaek.deps import SessionDep, SettingsDep
from gogaek.events import ALL_EVENTS
from gogaek.identity.models import StaffRole, StaffUser
from gogaek.jobs.models import Job, JobStatus
from gogaek.notify import queries, service
from gogaek.notify.models import WebhookEndpoint
from gogaek.notify.schemas import WebhookCreate, WebhookUpdate
from gogaek.web.admin_forms import act, submit
from gogaek.web.auth import PageAdmin
from gogaek.web.csrf import CsrfForm
from gogaek.web.flash import flash
from gogaek.web.i18n import N_
from gogaek.web.i18n import gettext as _
from gogaek.web.views import id_or_404, redirect, render

router = APIRouter(prefix="/admin/webhooks", include_in_schema=False)

LIST_PATH = "/admin/webhooks"
LABELS = {
    "url": N_("주소"),
    "events": N_("이벤트"),
    "description": N_("설명"),
    "is_active": N_("사용"),
    "allow_private": N_("내부망 주소"),
}
FIELD_FOR_CODE = {
    "webhook_url_invalid": "url",
    "webhook_host_unresolvable": "url",
    "webhook_target_private": "url",
    "allow_private_admin_only": "allow_private",
}


def status_names() -> dict[str, str]:
    """A delivery's state, in the page's language."""
    return {
        JobStatus.PENDING.value: _("대기 중"),
        JobStatus.RUNNING.value: _("보내는 중"),
        JobStatus.DONE.value: _("성공"),
        JobStatus.PARKED.value: _("실패 (멈춤)"),
    }


@dataclass(frozen=True, slots=True)
class WebhookForm:
    url: str = ""
    description: str = ""
    events: tuple[str, ...] = ()
    is_active: bool = True
    allow_private: bool = False

    @classmethod
    def read(cls, form: FormData) -> WebhookForm:
        def text(name: str) -> str:
            value = form.get(name)
            return value if isinstance(value, str) else ""

        events = tuple(value for value in form.getlist("events") if isinstance(value, str))
        return cls(text("url"), text("description"), events, bool(text("is_active")), bool(text("allow_private")))

    @classmethod
    def of(cls, endpoint: WebhookEndpoint) -> WebhookForm:
        events = tuple(endpoint.events or ())
        return cls(endpoint.url, endpoint.description, events, endpoint.is_active, endpoint.allow_private)

    def payload(self) -> dict[str, object]:
        return {
            "url": self.url,
            "description": self.description,
            "events": list(self.events),
            "is_active": self.is_active,
            "allow_private": self.allow_private,
        }


def _form_context(role: str, values: WebhookForm, errors: Mapping[str, str] | None) -> dict[str, object]:
    return {
        "values": values,
        "errors": dict(errors or {}),
        "all_events": ALL_EVENTS,
        "may_allow_private": role == StaffRole.ADMIN.value,
    }


@router.get("", response_class=HTMLResponse)
async def webhooks_page(request: Request, session: SessionDep, _: PageAdmin) -> HTMLResponse:
    return render(request, "admin/webhooks.html", {"endpoints": await queries.list_webhooks(session)})


def _new_form(
    request: Request, role: str, values: WebhookForm, errors: Mapping[str, str] | None = None, status: int = 200
) -> HTMLResponse:
    return render(request, "admin/webhook_new.html", _form_context(role, values, errors), status=status)


@router.get("/new", response_class=HTMLResponse)
async def new_webhook_page(request: Request, user: PageAdmin) -> HTMLResponse:
    return _new_form(request, user.role, WebhookForm())


@router.post("/new")
async def create_webhook(
    request: Request, session: SessionDep, settings: SettingsDep, user: PageAdmin, form: CsrfForm
) -> Response:
    """The signing secret is on this one answer only (never in the session or a later page)."""
    values, role = WebhookForm.read(form), user.role  # read before a refusal's rollback expires the row

    async def save(data: WebhookCreate) -> WebhookEndpoint:
        return await service.create_webhook(session, user, data, settings, request)

    outcome = await submit(session, WebhookCreate, values.payload(), LABELS, save, FIELD_FOR_CODE)
    if outcome.saved is None:
        return _new_form(request, role, values, outcome.errors, outcome.status)
    return render(request, "admin/webhook_created.html", {"endpoint": outcome.saved})


async def _endpoint(session: AsyncSession, endpoint_id: str) -> WebhookEndpoint:
    return await service.get_webhook(session, id_or_404(endpoint_id, "웹훅"))


def _delivery_row(job: Job) -> dict[str, object]:
    return {
        "job": job,
        "event": job.payload.get("event", ""),
        "status": status_names().get(job.status, job.status),
        "error": job.last_error or "",
    }


async def _detail(
    request: Request,
    session: AsyncSession,
    user: StaffUser,
    endpoint: WebhookEndpoint,
    values: WebhookForm | None = None,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    deliveries = await queries.recent_deliveries(session, endpoint.id)
    context = {
        **_form_context(user.role, values or WebhookForm.of(endpoint), errors),
        "endpoint": endpoint,
        "deliveries": [_delivery_row(job) for job in deliveries],
    }
    return render(request, "admin/webhook_detail.html", context, status=status)


@router.get("/{endpoint_id}", response_class=HTMLResponse)
async def webhook_page(endpoint_id: str, request: Request, session: SessionDep, user: PageAdmin) -> HTMLResponse:
    return await _detail(request, session, user, await _endpoint(session, endpoint_id))


@router.post("/{endpoint_id}/edit")
async def update_webhook(
    endpoint_id: str, request: Request, session: SessionDep, settings: SettingsDep, user: PageAdmin, form: CsrfForm
) -> Response:
    endpoint = await _endpoint(session, endpoint_id)
    values = WebhookForm.read(form)  # only what changed is sent on, as a PATCH would

    async def save(data: WebhookUpdate) -> WebhookEndpoint:
        return await service.update_webhook(session, user, endpoint.id, data, settings, request)

    current = WebhookForm.of(endpoint).payload()
    changed = {name: value for name, value in values.payload().items() if value != current[name]}
    outcome = await submit(session, WebhookUpdate, changed, LABELS, save, FIELD_FOR_CODE)
    if outcome.saved is None:
        for row in (user, endpoint):  # a refusal was rolled back: read both again for the page
            await session.refresh(row)
        return await _detail(request, session, user, endpoint, values, outcome.errors, outcome.status)
    flash(request, _("웹훅을 저장했습니다."))
    return redirect(f"{LIST_PATH}/{endpoint.id}")


@router.post("/{endpoint_id}/delete")
async def delete_webhook(
    endpoint_id: str, request: Request, session: SessionDep, user: PageAdmin, _csrf: CsrfForm
) -> RedirectResponse:
    """Deliveries still queued for the endpoint are skipped when their turn comes."""
    endpoint_key = id_or_404(endpoint_id, "웹훅")

    async def delete() -> None:
        await service.delete_webhook(session, user, endpoint_key, request)

    return await act(request, session, delete, _("웹훅을 삭제했습니다."), LIST_PATH)


@router.post("/{endpoint_id}/test")
async def test_webhook(
    endpoint_id: str, request: Request, session: SessionDep, user: PageAdmin, _csrf: CsrfForm
) -> RedirectResponse:
    """A signed ``ping``, tried once; its outcome shows up in the delivery log below."""
    endpoint_key = id_or_404(endpoint_id, "웹훅")

    async def ping() -> None:
        await service.queue_test_delivery(session, user, endpoint_key, request)

    done = _("테스트 전송을 보냈습니다. 결과는 아래 전송 기록에 곧 나타납니다 (한 번만 시도).")
    return await act(request, session, ping, done, f"{LIST_PATH}/{endpoint_key}")
