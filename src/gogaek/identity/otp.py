"""One-time sign-in codes for web visitors who arrive without a host-app token.

Only an HMAC of each code is stored, keyed with the secret key and bound to the destination,
so a leaked table reveals nothing and a code sent to one address cannot open another. Every
guess is counted (and committed) before the code is compared, so concurrent guessing cannot
get past ``otp_max_attempts``; only the newest live code of a destination is accepted.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.errors import ProblemError
from gogaek.identity.models import Customer, CustomerSource, OneTimeCode
from gogaek.notify.providers import EmailMessage, NotificationError, NotificationProviders, SmsMessage
from gogaek.notify.texts import with_sender
from gogaek.web.i18n import N_, current_language
from gogaek.web.i18n import gettext as _

CODE_DIGITS = 6
RATE_WINDOW = timedelta(hours=1)
IP_SENDS_PER_HOUR = 20  # a whole office behind one address still fits; a script does not
MAX_IP_LENGTH = 64
MAX_EMAIL_LENGTH = 254

_PHONE_PUNCTUATION = re.compile(r"[\s\-.()]")
_MOBILE = re.compile(r"010[0-9]{8}|01[16789][0-9]{7,8}")  # 010 is always 11 digits; older 01x may be 10
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_CODE_SEPARATORS = re.compile(r"[\s-]")
_CODE = re.compile(rf"[0-9]{{{CODE_DIGITS}}}")


class Channel(StrEnum):
    EMAIL = "email"
    PHONE = "phone"


class CodePurpose(StrEnum):
    """What a code proves. Codes of one purpose never work for the other: a sign-in code cannot
    pass an identity check (본인 확인) and the reverse, even for the same number."""

    SIGN_IN = "sign_in"
    IDENTITY = "identity"


IDENTITY_CHANNEL = "identity"  # one_time_codes.channel of identity-check codes


@dataclass(frozen=True, slots=True)
class Destination:
    """A normalised address: the same person typed two ways is still one customer."""

    channel: Channel
    address: str

    @property
    def external_id(self) -> str:
        return f"{self.channel.value}:{self.address}"


def normalise_phone(raw: str) -> str | None:
    """Korean mobile numbers as bare digits: "010-1234-5678" and "+82 10 1234 5678" → "01012345678"."""
    digits = _PHONE_PUNCTUATION.sub("", unicodedata.normalize("NFKC", raw))
    for prefix in ("+82", "0082"):
        if digits.startswith(prefix):
            digits = "0" + digits.removeprefix(prefix).removeprefix("0")  # "+82 (0)10…" writes the 0 twice
            break
    return digits if _MOBILE.fullmatch(digits) else None


def normalise_email(raw: str) -> str | None:
    email = raw.strip().lower()
    if len(email) > MAX_EMAIL_LENGTH or not email.isprintable() or not _EMAIL.fullmatch(email):
        return None
    return email


def parse_destination(raw: str) -> Destination:
    """An e-mail address or a Korean mobile number; anything else is a 422 in plain words."""
    if "@" in raw:
        email = normalise_email(raw)
        if email is not None:
            return Destination(Channel.EMAIL, email)
    else:
        phone = normalise_phone(raw)
        if phone is not None:
            return Destination(Channel.PHONE, phone)
    raise ProblemError(
        422,
        "invalid_destination",
        N_("이메일 주소나 휴대폰 번호(010으로 시작)를 정확히 입력해 주세요."),
    )


def clean_code(raw: str) -> str:
    """What the visitor typed, minus the spaces and hyphens people add when copying from an SMS."""
    code = _CODE_SEPARATORS.sub("", unicodedata.normalize("NFKC", raw))
    if not _CODE.fullmatch(code):
        raise ProblemError(422, "invalid_code_format", N_("인증 코드 6자리 숫자를 입력해 주세요."))
    return code


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_hash(code: str, destination: Destination, secret_key: str, purpose: CodePurpose = CodePurpose.SIGN_IN) -> str:
    binding = (
        destination.external_id if purpose == CodePurpose.SIGN_IN else f"{purpose.value}:{destination.external_id}"
    )
    message = f"{binding}:{code}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def _row_channel(destination: Destination, purpose: CodePurpose) -> str:
    return destination.channel.value if purpose == CodePurpose.SIGN_IN else IDENTITY_CHANNEL


# --- sending --------------------------------------------------------------------------


def _rate_limited() -> ProblemError:
    return ProblemError(
        429,
        "otp_rate_limited",
        N_("인증 코드 요청이 너무 많습니다. 1시간 뒤에 다시 시도해 주세요."),
        headers={"Retry-After": "3600"},  # the limits count sends within the last hour
    )


async def _recent_sends(session: AsyncSession, condition: Any, since: datetime) -> int:
    count = await session.scalar(
        select(func.count()).select_from(OneTimeCode).where(condition, OneTimeCode.created_at > since)
    )
    return int(count or 0)


async def _check_rate(
    session: AsyncSession, destination: Destination, ip: str | None, now: datetime, settings: Settings
) -> None:
    """Counting rows is approximate under concurrency (a few extra sends), which is fine for a rate limit.

    Sign-in and identity codes to one address count together: two purposes are not twice the SMS."""
    since = now - RATE_WINDOW
    same_destination = and_(
        OneTimeCode.channel.in_((destination.channel.value, IDENTITY_CHANNEL)),
        OneTimeCode.destination == destination.address,
    )
    if await _recent_sends(session, same_destination, since) >= settings.otp_sends_per_hour:
        raise _rate_limited()
    if ip is not None and await _recent_sends(session, OneTimeCode.requested_ip == ip, since) >= IP_SENDS_PER_HOUR:
        raise _rate_limited()


async def _purge_old_codes(session: AsyncSession, now: datetime) -> None:
    """Rows outside the rate window that can no longer be used are only clutter."""
    await session.execute(
        delete(OneTimeCode).where(OneTimeCode.created_at < now - RATE_WINDOW, OneTimeCode.expires_at < now)
    )


_CODE_NAMES = {CodePurpose.SIGN_IN: N_("로그인 인증 코드"), CodePurpose.IDENTITY: N_("본인 확인 코드")}


def _text(code: str, settings: Settings, purpose: CodePurpose) -> str:
    """In the language of the page (or host token) that asked for the code: the customer asks for
    it themselves."""
    minutes = max(1, settings.otp_ttl_seconds // 60)
    words = _(
        "%(name)s는 %(code)s 입니다. %(minutes)s분 안에 입력해 주세요.\n"
        "요청하지 않으셨다면 무시하세요. 상담사는 인증 코드를 절대 묻지 않습니다."
    ) % {"name": _(_CODE_NAMES[purpose]), "code": code, "minutes": minutes}
    return with_sender(words, current_language())


async def _deliver(
    providers: NotificationProviders, destination: Destination, code: str, settings: Settings, purpose: CodePurpose
) -> None:
    text = _text(code, settings, purpose)
    try:
        if destination.channel == Channel.EMAIL:
            subject = with_sender(_(_CODE_NAMES[purpose]).capitalize(), current_language())
            await providers.email.send_email(EmailMessage(destination.address, subject, text))
        else:
            await providers.sms.send_sms(SmsMessage(destination.address, text))
    except NotificationError as exc:
        raise ProblemError(
            503,
            "otp_send_failed",
            N_("인증 코드를 보내지 못했습니다. 잠시 후 다시 시도해 주세요."),
        ) from exc


async def send_code(
    session: AsyncSession,
    destination: Destination,
    *,
    settings: Settings,
    providers: NotificationProviders,
    ip: str | None,
    purpose: CodePurpose = CodePurpose.SIGN_IN,
) -> None:
    """Stores the code's hash, then sends it; the row counts against the limits even if sending fails."""
    now = utcnow()
    ip = ip[:MAX_IP_LENGTH] if ip else None
    await _purge_old_codes(session, now)
    await _check_rate(session, destination, ip, now, settings)
    code = new_code()
    session.add(
        OneTimeCode(
            channel=_row_channel(destination, purpose),
            destination=destination.address,
            code_hash=code_hash(code, destination, settings.secret_key, purpose),
            attempts=0,
            expires_at=now + timedelta(seconds=settings.otp_ttl_seconds),
            created_at=now,
            requested_ip=ip,
        )
    )
    await session.commit()
    await _deliver(providers, destination, code, settings, purpose)


# --- verifying ------------------------------------------------------------------------


def _expired() -> ProblemError:
    return ProblemError(
        401,
        "otp_expired",
        N_("인증 코드가 만료되었거나 이미 사용되었습니다. 새 코드를 받아 주세요."),
    )


def _locked() -> ProblemError:
    return ProblemError(
        429,
        "otp_locked",
        N_("인증 코드를 여러 번 잘못 입력했습니다. 새 코드를 받아 주세요."),
    )


def _wrong(remaining: int) -> ProblemError:
    return ProblemError(
        401,
        "otp_invalid",
        _("인증 코드가 맞지 않습니다. 가장 최근에 받은 코드를 입력해 주세요. (남은 시도 %(remaining)s회)")
        % {"remaining": remaining},
    )


def _rowcount(result: object) -> int:
    return cast(CursorResult[Any], result).rowcount


async def _count_attempt(session: AsyncSession, code_id: int, settings: Settings) -> bool:
    """Committed before the comparison, so parallel guesses each use up a try."""
    result = await session.execute(
        update(OneTimeCode)
        .where(
            OneTimeCode.id == code_id,
            OneTimeCode.attempts < settings.otp_max_attempts,
            OneTimeCode.consumed_at.is_(None),
        )
        .values(attempts=OneTimeCode.attempts + 1)
    )
    await session.commit()
    return _rowcount(result) == 1


async def _consume(session: AsyncSession, code_id: int, now: datetime) -> bool:
    result = await session.execute(
        update(OneTimeCode).where(OneTimeCode.id == code_id, OneTimeCode.consumed_at.is_(None)).values(consumed_at=now)
    )
    await session.commit()
    return _rowcount(result) == 1


async def verify_code(session: AsyncSession, destination: Destination, code: str, *, settings: Settings) -> Customer:
    """The customer behind the destination once the newest live sign-in code matches."""
    await consume_code(session, destination, code, settings=settings, purpose=CodePurpose.SIGN_IN)
    return await customer_for_destination(session, destination)


async def consume_code(
    session: AsyncSession, destination: Destination, code: str, *, settings: Settings, purpose: CodePurpose
) -> None:
    """Passes when the newest live code of this purpose matches; each code works once."""
    now = utcnow()
    row = await session.scalar(
        select(OneTimeCode)
        .where(
            OneTimeCode.channel == _row_channel(destination, purpose),
            OneTimeCode.destination == destination.address,
            OneTimeCode.consumed_at.is_(None),
        )
        .order_by(OneTimeCode.id.desc())
        .limit(1)
    )
    if row is None or row.expires_at <= now:
        raise _expired()
    code_id, stored_hash, attempts_before = row.id, row.code_hash, row.attempts
    if not await _count_attempt(session, code_id, settings):
        raise _locked()
    if not hmac.compare_digest(stored_hash, code_hash(code, destination, settings.secret_key, purpose)):
        remaining = max(0, settings.otp_max_attempts - attempts_before - 1)
        raise _wrong(remaining) if remaining else _locked()
    if not await _consume(session, code_id, now):
        raise _expired()


async def customer_for_destination(session: AsyncSession, destination: Destination) -> Customer:
    """Finds or creates the visitor's customer row, marked verified as of now."""
    try:
        return await _upsert_customer(session, destination)
    except IntegrityError:  # the visitor's first two sign-ins raced and the other one created the row
        await session.rollback()
        return await _upsert_customer(session, destination)


async def _upsert_customer(session: AsyncSession, destination: Destination) -> Customer:
    source = CustomerSource(destination.channel).value  # visitors' own namespace, apart from host ids
    customer = await session.scalar(
        select(Customer).where(Customer.source == source, Customer.external_id == destination.external_id)
    )
    if customer is None:
        customer = Customer(external_id=destination.external_id, source=source)
        session.add(customer)
    if destination.channel == Channel.EMAIL:
        customer.email = destination.address
    else:
        customer.phone = destination.address
    customer.verified_at = customer.last_seen_at = utcnow()
    await session.commit()
    return customer
