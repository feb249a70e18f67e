"""Admin HTML pages for staff accounts (직원 관리): list, create, role and name, deactivate and
reactivate, TOTP reset, skills.

The rules are the staff API's: admins and supervisors may use the pages, but a supervisor
manages agent accounts only (``service.check_may_manage``); a TOTP reset is for admins only,
because it decides who can sign in as someone else's account next. Every change is one service
call with its audit entry, and the signed-in account is re-read on every request.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.deps import SessionDep, SettingsDep
from gogaek.errors import ProblemError
from gogaek.helpcenter.queries import list_categories
from gogaek.identity import service, teams
from gogaek.identity.models import StaffRole, StaffUser
from gogaek.identity.schemas import StaffCreate, StaffUpdate
from gogaek.identity.security import pending_totp_secret, totp_active
from gogaek.inquiries.assignment import release_assignments
from gogaek.web.admin_forms import act, checked_ids, submit
from gogaek.web.auth import PageAdmin
from gogaek.web.csrf import CsrfForm
from gogaek.web.flash import flash
from gogaek.web.forms import FormValues
from gogaek.web.i18n import N_
from gogaek.web.i18n import gettext as _
from gogaek.web.views import id_or_404, redirect, render

router = APIRouter(prefix="/admin/staff", include_in_schema=False)

LIST_PATH = "/admin/staff"


def role_names() -> dict[str, str]:
    """The roles' names in the page's language."""
    return {
        StaffRole.AGENT.value: _("상담사"),
        StaffRole.SUPERVISOR.value: _("슈퍼바이저"),
        StaffRole.ADMIN.value: _("관리자"),
    }


LABELS = {
    "email": N_("이메일"),
    "display_name": N_("이름"),
    "role": N_("역할"),
    "max_open_inquiries": N_("최대 담당 문의 수"),
}
FIELD_FOR_CODE = {"email_taken": "email", "forbidden": "role", "last_admin": "role"}
ADMIN_ONLY = N_("관리자만 할 수 있습니다.")


def _admin_only(user: StaffUser) -> None:
    if user.role != StaffRole.ADMIN:
        raise ProblemError(403, "forbidden", ADMIN_ONLY)


def totp_state(user: StaffUser) -> str:
    if pending_totp_secret(user.totp_secret) is not None:
        return _("다음 로그인 때 등록")
    return _("사용") if totp_active(user.totp_secret) else _("없음")


@dataclass(frozen=True, slots=True)
class NewStaffForm(FormValues):
    email: str = ""
    display_name: str = ""
    role: str = StaffRole.AGENT.value
    enrol_totp: str = "on"

    def payload(self, password: str) -> dict[str, object]:
        return {
            "email": self.email.strip(),
            "display_name": self.display_name.strip(),
            "role": self.role,
            "password": password,
        }


@dataclass(frozen=True, slots=True)
class StaffForm(FormValues):
    display_name: str = ""
    role: str = ""
    max_open_inquiries: str = ""

    @classmethod
    def of(cls, user: StaffUser) -> StaffForm:
        capacity = "" if user.max_open_inquiries is None else str(user.max_open_inquiries)
        return cls(display_name=user.display_name, role=user.role, max_open_inquiries=capacity)

    def payload(self) -> dict[str, object]:
        capacity = self.max_open_inquiries.strip()
        values: dict[str, object] = {**asdict(self), "max_open_inquiries": capacity or None}
        values["clear_max_open_inquiries"] = not capacity
        return values


async def _account_changed(request: Request, staff_id: int) -> None:
    """Open chat consoles of the account re-check their rights now, on every process."""
    await request.app.state.chat.staff_changed(staff_id)


@router.get("", response_class=HTMLResponse)
async def staff_list(request: Request, session: SessionDep, user: PageAdmin) -> HTMLResponse:
    people = await service.list_staff(session)
    rows = [(person, role_names().get(person.role, person.role), totp_state(person)) for person in people]
    return render(request, "admin/staff_list.html", {"rows": rows, "user": user})


def _new_form(
    request: Request, values: NewStaffForm, errors: Mapping[str, str] | None = None, status: int = 200
) -> HTMLResponse:
    context = {"values": values, "errors": dict(errors or {}), "role_options": list(role_names().items())}
    return render(request, "admin/staff_new.html", context, status=status)


@router.get("/new", response_class=HTMLResponse)
async def new_staff_page(request: Request, _: PageAdmin) -> HTMLResponse:
    return _new_form(request, NewStaffForm())


@router.post("/new")
async def create_staff(
    request: Request, session: SessionDep, settings: SettingsDep, user: PageAdmin, form: CsrfForm
) -> Response:
    """The first password is made here and shown on this one answer only (never in the session)."""
    values = NewStaffForm.read(form)
    password = secrets.token_urlsafe(12)

    async def save(data: StaffCreate) -> StaffUser:
        service.check_may_manage(user, data.role)
        # An admin without TOTP could not sign in at all where it is required: enrol them regardless.
        enrol = bool(values.enrol_totp) or (data.role == StaffRole.ADMIN and settings.admin_totp_required)
        return await service.create_staff_user(session, data, actor=user, request=request, enrol_totp=enrol)

    outcome = await submit(session, StaffCreate, values.payload(password), LABELS, save, FIELD_FOR_CODE)
    if outcome.saved is None:
        return _new_form(request, values, outcome.errors, outcome.status)
    created = outcome.saved
    context = {"person": created, "password": password, "role_name": role_names()[created.role]}
    return render(request, "admin/staff_created.html", context)


async def _detail(
    request: Request,
    session: AsyncSession,
    person: StaffUser,
    user: StaffUser,
    values: StaffForm | None = None,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    context = {
        "person": person,
        "user": user,
        "values": values or StaffForm.of(person),
        "errors": dict(errors or {}),
        "role_options": list(role_names().items()),
        "role_name": role_names().get(person.role, person.role),
        "totp": totp_state(person),
        "categories": await list_categories(session),
        "skills": set(await teams.agent_skills(session, person.id)),
        "default_capacity": request.app.state.settings.agent_max_open_inquiries,
    }
    return render(request, "admin/staff_detail.html", context, status=status)


async def _person(session: AsyncSession, staff_id: str) -> StaffUser:
    return await teams.get_staff(session, id_or_404(staff_id, "직원 계정"))


@router.get("/{staff_id}", response_class=HTMLResponse)
async def staff_page(staff_id: str, request: Request, session: SessionDep, user: PageAdmin) -> HTMLResponse:
    return await _detail(request, session, await _person(session, staff_id), user)


@router.post("/{staff_id}/edit")
async def update_staff(
    staff_id: str, request: Request, session: SessionDep, user: PageAdmin, form: CsrfForm
) -> Response:
    person = await _person(session, staff_id)
    values = StaffForm.read(form)

    async def save(data: StaffUpdate) -> StaffUser:
        service.check_may_manage(user, person.role, data.role)
        return await service.update_staff(session, user, person, data, request)

    outcome = await submit(session, StaffUpdate, values.payload(), LABELS, save, FIELD_FOR_CODE)
    if outcome.saved is None:
        for row in (user, person):  # a refusal was rolled back: read both again for the page
            await session.refresh(row)
        return await _detail(request, session, person, user, values, outcome.errors, outcome.status)
    await _account_changed(request, person.id)
    flash(request, _("직원 정보를 저장했습니다."))
    return redirect(f"{LIST_PATH}/{person.id}")


@router.post("/{staff_id}/deactivate")
async def deactivate_staff(
    staff_id: str, request: Request, session: SessionDep, user: PageAdmin, _csrf: CsrfForm
) -> RedirectResponse:
    """Signs the person out everywhere and hands their open inquiries back to round-robin."""
    person = await _person(session, staff_id)

    async def deactivate() -> None:
        service.check_may_manage(user, person.role)
        if person.id != user.id and person.is_active:
            await release_assignments(session, user, person)
        await service.deactivate_staff(session, user, person, request)
        await _account_changed(request, person.id)

    done = _("계정을 비활성화했습니다. 모든 기기에서 로그아웃되고 담당 문의는 다시 배정됩니다.")
    return await act(request, session, deactivate, done, f"{LIST_PATH}/{person.id}")


@router.post("/{staff_id}/reactivate")
async def reactivate_staff(
    staff_id: str, request: Request, session: SessionDep, user: PageAdmin, _csrf: CsrfForm
) -> RedirectResponse:
    person = await _person(session, staff_id)

    async def reactivate() -> None:
        service.check_may_manage(user, person.role)
        await service.reactivate_staff(session, user, person, request)

    return await act(request, session, reactivate, _("계정을 다시 활성화했습니다."), f"{LIST_PATH}/{person.id}")


@router.post("/{staff_id}/totp-reset")
async def reset_totp(
    staff_id: str, request: Request, session: SessionDep, user: PageAdmin, _csrf: CsrfForm
) -> RedirectResponse:
    """Admins only. The person is signed out and registers a new secret at the next sign-in."""
    _admin_only(user)
    person = await _person(session, staff_id)

    async def reset() -> None:
        await service.reset_totp(session, user, person, request)
        await _account_changed(request, person.id)

    done = _("OTP를 초기화했습니다. 다음 로그인 때 새 OTP를 등록해야 합니다.")
    return await act(request, session, reset, done, f"{LIST_PATH}/{person.id}")


@router.post("/{staff_id}/skills")
async def set_skills(
    staff_id: str, request: Request, session: SessionDep, user: PageAdmin, form: CsrfForm
) -> RedirectResponse:
    """The categories round-robin may give this agent; unticked ones are removed."""
    person = await _person(session, staff_id)
    ids = checked_ids(form.getlist("category_ids"))

    async def save() -> None:
        await teams.set_agent_skills(session, user, person, ids, request)

    return await act(request, session, save, _("담당 유형을 저장했습니다."), f"{LIST_PATH}/{person.id}")
