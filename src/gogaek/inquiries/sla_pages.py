"""Admin HTML page for SLA policies (SLA 정책): list, add, change the hours, delete.

Admins and supervisors, as in the SLA API; every change is one ``inquiries.sla_policies`` verb
with its audit entry. A change applies to inquiries filed afterwards: at once in this process,
within ``REFERENCE_TTL_SECONDS`` in the others (each keeps a short-lived copy of the policies).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.calendar.service import load_business_hours
from gogaek.deps import SessionDep
from gogaek.helpcenter.queries import list_categories
from gogaek.inquiries import sla_policies
from gogaek.inquiries.agent_schemas import RESOLUTION_BEFORE_FIRST_RESPONSE, SlaPolicyCreate, SlaPolicyUpdate
from gogaek.inquiries.models import Priority, SlaPolicy
from gogaek.inquiries.sla import DEFAULT_TARGETS
from gogaek.reference_cache import REFERENCE_TTL_SECONDS
from gogaek.web.admin_forms import Outcome, act, submit, weekly_label
from gogaek.web.auth import PageAdmin
from gogaek.web.csrf import CsrfForm
from gogaek.web.flash import flash
from gogaek.web.forms import FORM_ERROR, FormValues, blank_to_none, english_message, josa
from gogaek.web.i18n import DEFAULT_LANGUAGE, N_, current_language
from gogaek.web.i18n import gettext as _
from gogaek.web.views import id_or_404, redirect, render

router = APIRouter(prefix="/admin/sla", include_in_schema=False)

LIST_PATH = "/admin/sla"
LABELS = {
    "category_id": N_("문의 유형"),
    "priority": N_("우선순위"),
    "first_response_hours": N_("첫 응답 목표 시간"),
    "resolution_hours": N_("해결 목표 시간"),
}
FIELD_FOR_CODE = {
    "sla_policy_exists": "category_id",
    "unknown_category": "category_id",
    "invalid_sla_hours": "resolution_hours",
}


@dataclass(frozen=True, slots=True)
class PolicyForm(FormValues):
    category_id: str = ""
    priority: str = ""
    first_response_hours: str = ""
    resolution_hours: str = ""

    @classmethod
    def of(cls, policy: SlaPolicy) -> PolicyForm:
        return cls(
            category_id="" if policy.category_id is None else str(policy.category_id),
            priority=policy.priority or "",
            first_response_hours=f"{policy.first_response_hours:g}",
            resolution_hours=f"{policy.resolution_hours:g}",
        )

    def payload(self) -> dict[str, object]:
        return {
            "category_id": blank_to_none(self.category_id),
            "priority": blank_to_none(self.priority),
            "first_response_hours": self.first_response_hours.strip(),
            "resolution_hours": self.resolution_hours.strip(),
        }


def _explained(outcome: Outcome[SlaPolicy]) -> Outcome[SlaPolicy]:
    """The schema's own cross-field check has no field: it is about the resolution hours."""
    if outcome.errors.get(FORM_ERROR) == _(RESOLUTION_BEFORE_FIRST_RESPONSE):
        errors = {k: v for k, v in outcome.errors.items() if k != FORM_ERROR}
        errors.setdefault("resolution_hours", _(RESOLUTION_BEFORE_FIRST_RESPONSE))
        return Outcome(errors=errors, status=outcome.status)
    return outcome


def _entered(label: str) -> str:
    """ "…을 입력해 주세요." for a blank field, in the page's language."""
    english = english_message("missing", {}, label, typed=False) if current_language() != DEFAULT_LANGUAGE else None
    return english or f"{josa(label, '을', '를')} 입력해 주세요."


def priority_names() -> dict[str, str]:
    """``PRIORITY_LABELS`` in the page's language."""
    return {
        Priority.URGENT: _("긴급"),
        Priority.HIGH: _("높음"),
        Priority.NORMAL: _("보통"),
        Priority.LOW: _("낮음"),
    }


async def _page(
    request: Request,
    session: AsyncSession,
    values: PolicyForm | None = None,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    categories = await list_categories(session)
    context = {
        "policies": await sla_policies.list_policies(session),
        "category_names": {category.id: category.name for category in categories},
        "category_options": [("", _("모든 유형"))] + [(str(c.id), c.name) for c in categories],
        "priority_options": [("", _("모든 우선순위")), *priority_names().items()],
        "priority_names": priority_names(),
        "values": values or PolicyForm(),
        "errors": dict(errors or {}),
        "default_first": DEFAULT_TARGETS.first_response.total_seconds() / 3600,
        "default_resolution": DEFAULT_TARGETS.resolution.total_seconds() / 3600,
        "ttl": int(REFERENCE_TTL_SECONDS),
        "weekly": weekly_label(await load_business_hours(session)),
    }
    return render(request, "admin/sla.html", context, status=status)


@router.get("", response_class=HTMLResponse)
async def sla_page(request: Request, session: SessionDep, _: PageAdmin) -> HTMLResponse:
    return await _page(request, session)


@router.post("/new")
async def create_policy(request: Request, session: SessionDep, user: PageAdmin, form: CsrfForm) -> Response:
    values = PolicyForm.read(form)

    async def save(data: SlaPolicyCreate) -> SlaPolicy:
        return await sla_policies.create_policy(session, user, data, request)

    outcome = _explained(await submit(session, SlaPolicyCreate, values.payload(), LABELS, save, FIELD_FOR_CODE))
    if outcome.saved is None:
        return await _page(request, session, values, outcome.errors, outcome.status)
    flash(request, _("SLA 정책을 저장했습니다. 지금부터 접수되는 문의에 적용됩니다."))
    return redirect(LIST_PATH)


async def _policy(session: AsyncSession, policy_id: str) -> SlaPolicy:
    return await sla_policies.get_policy(session, id_or_404(policy_id, "SLA 정책"))


async def _edit_form(
    request: Request,
    session: AsyncSession,
    policy: SlaPolicy,
    values: PolicyForm,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    categories = {category.id: category.name for category in await list_categories(session)}
    context = {
        "policy": policy,
        "scope_category": categories.get(policy.category_id, _("모든 유형")) if policy.category_id else _("모든 유형"),
        "scope_priority": priority_names().get(policy.priority or "", _("모든 우선순위")),
        "values": values,
        "errors": dict(errors or {}),
    }
    return render(request, "admin/sla_form.html", context, status=status)


@router.get("/{policy_id}/edit", response_class=HTMLResponse)
async def edit_policy_page(policy_id: str, request: Request, session: SessionDep, _: PageAdmin) -> HTMLResponse:
    policy = await _policy(session, policy_id)
    return await _edit_form(request, session, policy, PolicyForm.of(policy))


@router.post("/{policy_id}/edit")
async def update_policy(
    policy_id: str, request: Request, session: SessionDep, user: PageAdmin, form: CsrfForm
) -> Response:
    policy = await _policy(session, policy_id)
    values = PolicyForm.read(form)
    payload = {name: values.payload()[name] for name in ("first_response_hours", "resolution_hours")}
    # The API leaves out what is not sent; on this page a blank field is a missing one.
    missing = {name: _entered(LABELS[name]) for name, value in payload.items() if not value}
    if missing:
        return await _edit_form(request, session, policy, values, missing, 422)

    async def save(data: SlaPolicyUpdate) -> SlaPolicy:
        return await sla_policies.update_policy(session, user, policy, data, request)

    outcome = await submit(session, SlaPolicyUpdate, payload, LABELS, save, FIELD_FOR_CODE)
    if outcome.saved is None:
        await session.refresh(policy)
        return await _edit_form(request, session, policy, values, outcome.errors, outcome.status)
    flash(request, _("SLA 정책을 저장했습니다. 지금부터 접수되는 문의에 적용됩니다."))
    return redirect(LIST_PATH)


@router.post("/{policy_id}/delete")
async def delete_policy(
    policy_id: str, request: Request, session: SessionDep, user: PageAdmin, _csrf: CsrfForm
) -> RedirectResponse:
    policy = await _policy(session, policy_id)

    async def delete() -> None:
        await sla_policies.delete_policy(session, user, policy, request)

    return await act(request, session, delete, _("SLA 정책을 삭제했습니다."), LIST_PATH)
