"""Admin HTML pages for macros (매크로 관리): list, create, edit, switch off, delete.

Admins and supervisors, as in the macro API; every change is one ``inquiries.macros`` verb with
its audit entry. Agents see a macro in the console's reply box as soon as it is saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.deps import SessionDep
from gogaek.helpcenter.queries import list_categories
from gogaek.identity.models import StaffUser
from gogaek.inquiries import macros
from gogaek.inquiries.agent_schemas import MacroCreate, MacroUpdate
from gogaek.inquiries.models import Macro
from gogaek.web.admin_forms import act, submit
from gogaek.web.auth import PageAdmin
from gogaek.web.csrf import CsrfForm
from gogaek.web.flash import flash
from gogaek.web.forms import FormValues, blank_to_none
from gogaek.web.i18n import N_
from gogaek.web.i18n import gettext as _
from gogaek.web.views import id_or_404, redirect, render

router = APIRouter(prefix="/admin/macros", include_in_schema=False)

LIST_PATH = "/admin/macros"
LABELS = {"title": N_("제목"), "body": N_("내용"), "category_id": N_("문의 유형"), "is_active": N_("사용")}
FIELD_FOR_CODE = {"macro_exists": "title", "unknown_category": "category_id"}


@dataclass(frozen=True, slots=True)
class MacroForm(FormValues):
    title: str = ""
    body: str = ""
    category_id: str = ""
    is_active: str = "on"

    @classmethod
    def of(cls, macro: Macro) -> MacroForm:
        category = "" if macro.category_id is None else str(macro.category_id)
        return cls(title=macro.title, body=macro.body, category_id=category, is_active="on" if macro.is_active else "")

    def payload(self) -> dict[str, object]:
        category = blank_to_none(self.category_id)
        return {
            "title": self.title,
            "body": self.body,
            "category_id": category,
            "clear_category": category is None,
            "is_active": bool(self.is_active),
        }


async def _form(
    request: Request,
    session: AsyncSession,
    values: MacroForm,
    *,
    macro: Macro | None = None,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    categories = [("", _("모든 유형 (공통)"))] + [(str(c.id), c.name) for c in await list_categories(session)]
    context = {"macro": macro, "values": values, "errors": dict(errors or {}), "category_options": categories}
    return render(request, "admin/macro_form.html", context, status=status)


@router.get("", response_class=HTMLResponse)
async def macros_page(request: Request, session: SessionDep, _: PageAdmin) -> HTMLResponse:
    names = {category.id: category.name for category in await list_categories(session)}
    rows = await macros.list_macros(session, include_inactive=True)
    return render(request, "admin/macros.html", {"macros": rows, "category_names": names})


@router.get("/new", response_class=HTMLResponse)
async def new_macro_page(request: Request, session: SessionDep, _: PageAdmin) -> HTMLResponse:
    return await _form(request, session, MacroForm())


@router.post("/new")
async def create_macro(request: Request, session: SessionDep, user: PageAdmin, form: CsrfForm) -> Response:
    values = MacroForm.read(form)

    async def save(data: MacroCreate) -> Macro:
        return await macros.create_macro(session, user, data, request)

    outcome = await submit(session, MacroCreate, values.payload(), LABELS, save, FIELD_FOR_CODE)
    if outcome.saved is None:
        return await _form(request, session, values, errors=outcome.errors, status=outcome.status)
    flash(request, _("매크로를 저장했습니다."))
    return redirect(LIST_PATH)


async def _macro(session: AsyncSession, macro_id: str) -> Macro:
    return await macros.get_macro(session, id_or_404(macro_id, "매크로"))


@router.get("/{macro_id}/edit", response_class=HTMLResponse)
async def edit_macro_page(macro_id: str, request: Request, session: SessionDep, _: PageAdmin) -> HTMLResponse:
    macro = await _macro(session, macro_id)
    return await _form(request, session, MacroForm.of(macro), macro=macro)


async def _update(
    request: Request, session: AsyncSession, user: StaffUser, macro: Macro, values: MacroForm
) -> Response:
    async def save(data: MacroUpdate) -> Macro:
        return await macros.update_macro(session, user, macro, data, request)

    outcome = await submit(session, MacroUpdate, values.payload(), LABELS, save, FIELD_FOR_CODE)
    if outcome.saved is None:
        await session.refresh(macro)
        return await _form(request, session, values, macro=macro, errors=outcome.errors, status=outcome.status)
    flash(request, _("매크로를 저장했습니다."))
    return redirect(LIST_PATH)


@router.post("/{macro_id}/edit")
async def update_macro(
    macro_id: str, request: Request, session: SessionDep, user: PageAdmin, form: CsrfForm
) -> Response:
    macro = await _macro(session, macro_id)
    values = MacroForm.read(form)
    return await _update(request, session, user, macro, values)


@router.post("/{macro_id}/delete")
async def delete_macro(
    macro_id: str, request: Request, session: SessionDep, user: PageAdmin, _csrf: CsrfForm
) -> RedirectResponse:
    macro = await _macro(session, macro_id)

    async def delete() -> None:
        await macros.delete_macro(session, user, macro, request)

    return await act(request, session, delete, _("매크로를 삭제했습니다."), LIST_PATH)
