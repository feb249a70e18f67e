"""Customer pages of phone consultation: book a callback (상담 예약), see, move and cancel it.

Plain forms that work without JavaScript on a phone screen: the slot picker is a list of radio
buttons grouped by day. The identity check has its own pages (``verify_pages``).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.config import Settings
from gogaek.deps import SessionDep, SettingsDep
from gogaek.errors import ProblemError
from gogaek.helpcenter.queries import list_categories
from gogaek.identity.customer_pages import PageCustomer
from gogaek.identity.models import Customer
from gogaek.inquiries.pages import form_idempotency_key
from gogaek.phone import booking, verify_pages
from gogaek.phone.queries import customer_callback, customer_callbacks
from gogaek.phone.schemas import CallbackCreate
from gogaek.phone.slot_views import slot_days
from gogaek.phone.verification import recent_verification
from gogaek.web.csrf import CsrfForm
from gogaek.web.flash import flash
from gogaek.web.i18n import gettext as _
from gogaek.web.i18n import in_language
from gogaek.web.ratelimit import RateLimited
from gogaek.web.views import id_or_404, redirect, render

router = APIRouter(include_in_schema=False)
router.include_router(verify_pages.router)

FIELD_OF_CODE = {
    "slot_full": "slot_start",
    "slot_unavailable": "slot_start",
    "invalid_phone": "phone",
    "unknown_category": "category",
    "too_many_bookings": "slot_start",
}


def _text(form: Any, name: str, limit: int) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


async def _booking_form(
    request: Request,
    session: AsyncSession,
    settings: Settings,
    customer: Customer,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    categories = await list_categories(session)
    chosen = next((c for c in categories if c.slug == values.get("category")), None)
    verified = await recent_verification(session, customer, settings)
    context = {
        "values": values,
        "errors": errors or {},
        "categories": categories,
        "chosen": chosen,
        "needs_check": chosen is not None and chosen.requires_verification and verified is None,
        "days": await slot_days(session, settings),
        "idempotency_key": secrets.token_urlsafe(24),
        "verify_url": verify_pages.verify_url(_booking_url(values)),
    }
    return render(request, "phone/book.html", context, status=status)


def _booking_url(values: dict[str, str]) -> str:
    kept = {key: values[key] for key in ("category", "slot", "phone") if values.get(key)}
    return "/callbacks/new" + (f"?{urlencode(kept)}" if kept else "")


@router.get("/callbacks/new", response_class=HTMLResponse)
async def new_booking_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    customer: PageCustomer,
    category: str = "",
    slot: str = "",
    phone: str = "",
) -> HTMLResponse:
    values = {"category": category[:80], "slot": slot[:40], "phone": (phone or customer.phone or "")[:40], "note": ""}
    return await _booking_form(request, session, settings, customer, values)


@router.post("/callbacks", dependencies=[RateLimited])
async def book_page(
    request: Request, session: SessionDep, settings: SettingsDep, customer: PageCustomer, form: CsrfForm
) -> Response:
    """Typed values survive every refusal; a missing identity check leads to the check and back."""
    values = {
        "category": _text(form, "category", 80),
        "slot": _text(form, "slot_start", 40),
        "phone": _text(form, "phone", 40),
        "note": _text(form, "note", 1000),
    }
    errors = {name: _("골라 주세요.") for name in ("category", "slot") if not values[name]}
    if not values["phone"]:
        errors["phone"] = _("전화받을 휴대폰 번호를 입력해 주세요.")
    if errors:
        return await _booking_form(request, session, settings, customer, values, errors, status=422)
    try:
        data = CallbackCreate.model_validate(
            {
                "category": values["category"],
                "slot_start": values["slot"],
                "phone": values["phone"],
                "note": values["note"],
            }
        )
        made = await booking.book_callback(
            session, customer, data, settings=settings, idempotency_key=form_idempotency_key(form)
        )
    except ProblemError as problem:
        if problem.code == "verification_required":
            flash(request, in_language(problem.message), "error")
            return redirect(verify_pages.verify_url(_booking_url(values)))
        field = FIELD_OF_CODE.get(problem.code, "slot")
        field = "slot" if field == "slot_start" else field
        return await _booking_form(
            request, session, settings, customer, values, {field: in_language(problem.message)}, problem.status
        )
    except ValueError:  # the slot was not a time (a forged form)
        return await _booking_form(
            request, session, settings, customer, values, {"slot": _("예약 시간을 다시 골라 주세요.")}, status=422
        )
    flash(request, _("상담 예약이 완료되었습니다. 예약하신 시간에 전화드릴게요."))
    return redirect(f"/callbacks/{made.callback.id}")


@router.get("/callbacks", response_class=HTMLResponse)
async def my_callbacks_page(request: Request, session: SessionDep, customer: PageCustomer) -> HTMLResponse:
    return render(request, "phone/list.html", {"callbacks": await customer_callbacks(session, customer.id)})


async def _detail(
    request: Request,
    session: AsyncSession,
    settings: Settings,
    customer: Customer,
    callback_id: int,
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    callback = await customer_callback(session, customer.id, callback_id)
    days = await slot_days(session, settings) if callback.can_reschedule else []
    return render(request, "phone/detail.html", {"callback": callback, "days": days, "error": error}, status=status)


@router.get("/callbacks/{callback_id}", response_class=HTMLResponse)
async def callback_page(
    callback_id: str, request: Request, session: SessionDep, settings: SettingsDep, customer: PageCustomer
) -> HTMLResponse:
    return await _detail(request, session, settings, customer, id_or_404(callback_id, "예약"))


@router.post("/callbacks/{callback_id}/cancel", dependencies=[RateLimited])
async def cancel_page(
    callback_id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    customer: PageCustomer,
    _form: CsrfForm,
) -> Response:
    number = id_or_404(callback_id, "예약")
    customer_id = customer.id
    try:
        await booking.cancel_callback(session, customer, number, settings)
    except ProblemError as problem:
        if problem.status == 404:
            raise
        customer = await _reloaded(session, customer_id)
        return await _detail(request, session, settings, customer, number, in_language(problem.message), problem.status)
    flash(request, _("상담 예약을 취소했습니다."))
    return redirect(f"/callbacks/{number}")


@router.post("/callbacks/{callback_id}/reschedule", dependencies=[RateLimited])
async def reschedule_page(
    callback_id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    customer: PageCustomer,
    form: CsrfForm,
) -> Response:
    number = id_or_404(callback_id, "예약")
    customer_id = customer.id
    try:
        callback = await booking.own_callback(session, customer_id, number)
        start = datetime.fromisoformat(_text(form, "slot_start", 40))
        await booking.reschedule_callback(session, callback, start, settings)
    except ProblemError as problem:
        if problem.status == 404:
            raise
        customer = await _reloaded(session, customer_id)
        return await _detail(request, session, settings, customer, number, in_language(problem.message), problem.status)
    except ValueError:
        return await _detail(request, session, settings, customer, number, _("바꿀 시간을 골라 주세요."), 422)
    flash(request, _("예약 시간을 바꿨습니다."))
    return redirect(f"/callbacks/{number}")


async def _reloaded(session: AsyncSession, customer_id: int) -> Customer:
    """The customer row again after a rolled-back write expired it."""
    customer = await session.get(Customer, customer_id)
    assert customer is not None  # the session that signed them in still names them
    return customer
