"""Who is on the line and whose phone rings: the caller matched to customers, the PBX's agent
names matched to staff accounts, and the screen-pop frame that puts both on the agent's console."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.chat.context import inquiry_summary
from gogaek.chat.queries import recent_inquiries
from gogaek.chat.schemas import CallCustomer, CallFrame, CallSummary
from gogaek.identity.models import Customer, StaffUser
from gogaek.phone.cti import CtiEventKind, CtiPush, caller_phone
from gogaek.phone.models import CallLog, PhoneVerification
from gogaek.phone.numbers import format_phone, mask_phone
from gogaek.web.ids import MAX_ID

PopKind = Literal["call_ringing", "call_answered"]


def caller_number(call: CallLog) -> str:
    """The other party: who called us (in), or whom the agent called (out)."""
    return call.from_number if call.direction == "in" else call.to_number


async def match_customers(session: AsyncSession, raw: str) -> list[int]:
    """Customers who proved this number: a verified account with it, or a one-time code sent to it.

    Two customers can hold one number (a shared family phone, a number given up and reissued);
    then nobody is picked and the call says how many matched.
    """
    phone = caller_phone(raw)
    if phone is None:
        return []
    on_account = select(Customer.id).where(
        Customer.phone.in_([phone, format_phone(phone)]), Customer.verified_at.is_not(None)
    )
    by_code = select(PhoneVerification.customer_id).where(PhoneVerification.phone == phone)
    rows = await session.scalars(on_account.union(by_code).limit(3))
    return sorted(set(rows.all()))


async def staff_for_push(session: AsyncSession, push: CtiPush) -> list[StaffUser]:
    """The agents the PBX names: ``answeringNumber`` as an extension, e-mail or id (Zammad's order),
    else ``user[]`` as display names. A newCall only rings; its ``user[]`` are the phones ringing."""
    active = StaffUser.is_active.is_(True)
    if push.event is CtiEventKind.ANSWER and push.answering_number:
        value = push.answering_number
        for condition in (
            StaffUser.phone_extension == value,
            func.lower(StaffUser.email) == value.lower(),
            StaffUser.id == (int(value) if value.isdecimal() and int(value) <= MAX_ID else 0),
        ):
            found = await session.scalar(select(StaffUser).where(active, condition))
            if found is not None:
                return [found]
    if not push.users:
        return []
    names = or_(*(StaffUser.display_name == name for name in push.users))
    return list((await session.scalars(select(StaffUser).where(active, names).order_by(StaffUser.id))).all())


async def call_frame(session: AsyncSession, call: CallLog, kind: PopKind) -> dict[str, Any]:
    """``call_ringing`` or ``call_answered`` with the caller's profile and recent inquiries."""
    customer = await session.get(Customer, call.customer_id) if call.customer_id is not None else None
    history: Sequence[Any] = await recent_inquiries(session, customer.id) if customer is not None else ()
    frame = CallFrame(
        type=kind,
        call=CallSummary(
            id=call.id,
            call_id=call.call_id,
            from_number=call.from_number,
            to=call.to_number,
            direction=call.direction,
            queue=call.queue,
            state=call.state,
            customer=customer_card(customer),
            matches=call.customer_matches,
            recent_inquiries=[inquiry_summary(inquiry) for inquiry in history],
        ),
    )
    return frame.model_dump(mode="json", by_alias=True)


def customer_card(customer: Customer | None) -> CallCustomer | None:
    if customer is None:
        return None
    phone = caller_phone(customer.phone) if customer.phone else None
    return CallCustomer(
        id=customer.id,
        name=customer.name,
        phone=mask_phone(phone) if phone else None,
        verified_at=customer.verified_at,
    )
