"""Identity checks (본인인증) before a sensitive callback or an appeal.

A host-app customer is verified by the ``verified_at`` the host put in its token (kept on the
customer row). A web visitor proves, with a one-time code, the phone number they will be
called on. Either way the check must be recent: ``verification_max_age_seconds``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.errors import ProblemError
from gogaek.identity import otp
from gogaek.identity.models import Customer, CustomerSource
from gogaek.notify.providers import NotificationProviders
from gogaek.phone.models import PhoneVerification
from gogaek.web.i18n import N_

HOST_TOKEN = "host_token"  # noqa: S105 - a method name, not a secret
SMS_CODE = "sms_code"


@dataclass(frozen=True, slots=True)
class Verification:
    at: datetime
    method: str  # host_token | sms_code

    def valid_until(self, settings: Settings) -> datetime:
        return self.at + timedelta(seconds=settings.verification_max_age_seconds)


def verification_required() -> ProblemError:
    return ProblemError(
        403,
        "verification_required",
        N_("본인 확인이 필요합니다. 휴대폰으로 받은 인증 코드로 본인 확인을 먼저 해 주세요."),
    )


def parse_phone(raw: str) -> str:
    phone = otp.normalise_phone(raw)
    if phone is None:
        raise ProblemError(
            422,
            "invalid_phone",
            N_("휴대폰 번호(010으로 시작)를 정확히 입력해 주세요."),
            errors=[{"loc": ["body", "phone"], "message": "invalid phone"}],
        )
    return phone


async def recent_verification(
    session: AsyncSession,
    customer: Customer,
    settings: Settings,
    *,
    phone: str | None = None,
    now: datetime | None = None,
) -> Verification | None:
    """The newest identity check young enough to count; for ``phone``, one that proved that number
    (a host token vouches for the customer, whatever number they give)."""
    cutoff = (now or utcnow()) - timedelta(seconds=settings.verification_max_age_seconds)
    found: list[Verification] = []
    if customer.source == CustomerSource.HOST.value and customer.verified_at is not None:
        found.append(Verification(customer.verified_at, HOST_TOKEN))
    by_phone = customer.source == CustomerSource.PHONE.value
    if by_phone and customer.verified_at is not None and phone in (None, customer.phone):
        found.append(Verification(customer.verified_at, SMS_CODE))  # the sign-in code went to this very phone
    query = select(PhoneVerification.verified_at).where(
        PhoneVerification.customer_id == customer.id, PhoneVerification.verified_at >= cutoff
    )
    if phone is not None:
        query = query.where(PhoneVerification.phone == phone)
    proved = await session.scalar(query.order_by(PhoneVerification.verified_at.desc()).limit(1))
    if proved is not None:
        found.append(Verification(proved, SMS_CODE))
    fresh = [v for v in found if v.at >= cutoff]
    return max(fresh, key=lambda v: v.at) if fresh else None


async def require_recent_verification(
    session: AsyncSession, customer: Customer, settings: Settings, *, phone: str | None = None
) -> Verification:
    verification = await recent_verification(session, customer, settings, phone=phone)
    if verification is None:
        raise verification_required()
    return verification


async def send_phone_code(
    session: AsyncSession,
    customer: Customer,
    raw_phone: str,
    *,
    settings: Settings,
    providers: NotificationProviders,
    ip: str | None,
) -> str:
    """Texts an identity-check code to the phone; returns the normalised number."""
    phone = parse_phone(raw_phone)
    destination = otp.Destination(otp.Channel.PHONE, phone)
    await otp.send_code(
        session, destination, settings=settings, providers=providers, ip=ip, purpose=otp.CodePurpose.IDENTITY
    )
    return phone


async def confirm_phone_code(
    session: AsyncSession, customer: Customer, raw_phone: str, raw_code: str, *, settings: Settings
) -> Verification:
    phone = parse_phone(raw_phone)
    code = otp.clean_code(raw_code)
    destination = otp.Destination(otp.Channel.PHONE, phone)
    await otp.consume_code(session, destination, code, settings=settings, purpose=otp.CodePurpose.IDENTITY)
    row = PhoneVerification(customer_id=customer.id, phone=phone, verified_at=utcnow())
    session.add(row)
    await session.commit()
    return Verification(row.verified_at, SMS_CODE)
