"""Customer API for phone callbacks (상담 예약) and the identity check before sensitive ones.

Slots are public; everything else is scoped to the signed-in customer (host bearer token, or
the page session with its CSRF token), and someone else's booking answers 404.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from gogaek.calendar.service import load_business_hours
from gogaek.db import utcnow
from gogaek.deps import CurrentCustomer, SessionDep, SettingsDep
from gogaek.identity.customer_pages import ProvidersDep
from gogaek.inquiries.service import find_category
from gogaek.phone import booking
from gogaek.phone.numbers import mask_phone
from gogaek.phone.queries import customer_callback, customer_callbacks
from gogaek.phone.schemas import (
    CallbackCreate,
    CallbackList,
    CallbackPublic,
    CallbackReschedule,
    CodeSent,
    PhoneCodeConfirm,
    PhoneCodeRequest,
    SlotList,
    SlotPublic,
    VerificationStatus,
)
from gogaek.phone.slots import MAX_DAYS, booked_counts, load_roster, offered_slots
from gogaek.phone.verification import (
    Verification,
    confirm_phone_code,
    parse_phone,
    recent_verification,
    send_phone_code,
)
from gogaek.web.idempotency import IdempotencyKeyHeader
from gogaek.web.ids import Id
from gogaek.web.ratelimit import RateLimited

router = APIRouter(prefix="/api/v1", tags=["callbacks"])


@router.get("/callbacks/slots", response_model=SlotList, summary="Bookable callback slots (상담 예약 가능 시간)")
async def list_slots(
    session: SessionDep,
    settings: SettingsDep,
    category: Annotated[str | None, Query(max_length=80)] = None,
    days: Annotated[int, Query(ge=1, le=MAX_DAYS)] = 7,
) -> SlotList:
    if category:
        await find_category(session, category)
    slots = offered_slots(
        await load_business_hours(session), await load_roster(session, settings), utcnow(), days, settings
    )
    booked = await booked_counts(session, [slot.start for slot in slots])
    return SlotList(
        slots=[
            SlotPublic(
                start=slot.start,
                end=slot.end,
                capacity=slot.capacity,
                remaining=max(0, slot.capacity - booked.get(slot.start, 0)),
            )
            for slot in slots
        ]
    )


@router.post(
    "/callbacks",
    status_code=201,
    response_model=CallbackPublic,
    summary="Book a callback (상담 예약)",
    dependencies=[RateLimited],
)
async def book(
    data: CallbackCreate,
    response: Response,
    customer: CurrentCustomer,
    session: SessionDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKeyHeader,
) -> CallbackPublic:
    customer_id = customer.id
    made = await booking.book_callback(session, customer, data, settings=settings, idempotency_key=idempotency_key)
    response.headers["Location"] = f"/api/v1/callbacks/{made.callback.id}"
    if not made.created:
        response.headers["Idempotent-Replayed"] = "true"
    return await customer_callback(session, customer_id, made.callback.id)


@router.get("/callbacks", response_model=CallbackList, summary="My callbacks, newest first")
async def list_mine(customer: CurrentCustomer, session: SessionDep) -> CallbackList:
    return CallbackList(callbacks=await customer_callbacks(session, customer.id))


@router.get("/callbacks/{callback_id}", response_model=CallbackPublic)
async def get_one(callback_id: Id, customer: CurrentCustomer, session: SessionDep) -> CallbackPublic:
    return await customer_callback(session, customer.id, callback_id)


@router.post("/callbacks/{callback_id}/cancel", response_model=CallbackPublic, dependencies=[RateLimited])
async def cancel(
    callback_id: Id, customer: CurrentCustomer, session: SessionDep, settings: SettingsDep
) -> CallbackPublic:
    customer_id = customer.id
    await booking.cancel_callback(session, customer, callback_id, settings)
    return await customer_callback(session, customer_id, callback_id)


@router.post("/callbacks/{callback_id}/reschedule", response_model=CallbackPublic, dependencies=[RateLimited])
async def reschedule(
    callback_id: Id,
    data: CallbackReschedule,
    customer: CurrentCustomer,
    session: SessionDep,
    settings: SettingsDep,
) -> CallbackPublic:
    customer_id = customer.id
    callback = await booking.own_callback(session, customer_id, callback_id)
    await booking.reschedule_callback(session, callback, data.slot_start, settings)
    return await customer_callback(session, customer_id, callback_id)


# --- identity check (본인 확인) ------------------------------------------------------------------


def _status(verification: Verification | None, settings: SettingsDep) -> VerificationStatus:
    if verification is None:
        return VerificationStatus(verified=False)
    return VerificationStatus(
        verified=True,
        method=verification.method,
        verified_at=verification.at,
        valid_until=verification.valid_until(settings),
    )


@router.get("/verification", response_model=VerificationStatus, summary="Is my identity check recent enough?")
async def verification_status(
    customer: CurrentCustomer,
    session: SessionDep,
    settings: SettingsDep,
    phone: Annotated[str | None, Query(max_length=40)] = None,
) -> VerificationStatus:
    number = parse_phone(phone) if phone else None
    return _status(await recent_verification(session, customer, settings, phone=number), settings)


@router.post(
    "/verification/phone",
    status_code=202,
    response_model=CodeSent,
    summary="Text an identity-check code to the phone to be called",
    dependencies=[RateLimited],
)
async def send_code(
    data: PhoneCodeRequest,
    request: Request,
    customer: CurrentCustomer,
    session: SessionDep,
    settings: SettingsDep,
    providers: ProvidersDep,
) -> CodeSent:
    ip = request.client.host if request.client else None
    phone = await send_phone_code(session, customer, data.phone, settings=settings, providers=providers, ip=ip)
    return CodeSent(phone=mask_phone(phone), expires_in_seconds=settings.otp_ttl_seconds)


@router.post(
    "/verification/phone/confirm",
    response_model=VerificationStatus,
    summary="Confirm the identity-check code",
    dependencies=[RateLimited],
)
async def confirm_code(
    data: PhoneCodeConfirm, customer: CurrentCustomer, session: SessionDep, settings: SettingsDep
) -> VerificationStatus:
    verification = await confirm_phone_code(session, customer, data.phone, data.code, settings=settings)
    return _status(verification, settings)
