"""One-time sign-in codes: normalising addresses, hashing, expiry, attempts and send limits."""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.config import Settings
from gogaek.db import create_engine, create_sessionmaker, utcnow
from gogaek.errors import ProblemError
from gogaek.identity import otp
from gogaek.identity.models import Customer, OneTimeCode
from gogaek.notify.providers import (
    ConsoleProvider,
    EmailMessage,
    NotificationProviders,
    SmsMessage,
    SmtpEmailProvider,
)

PHONE = otp.Destination(otp.Channel.PHONE, "01012345678")
EMAIL = otp.Destination(otp.Channel.EMAIL, "hong@example.com")
CODE = re.compile(r"\b([0-9]{6})\b")


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[AsyncSession]:
    """A session on the migrated test database, without starting the whole app."""
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            yield session
    finally:
        await engine.dispose()


@pytest.fixture
def console() -> ConsoleProvider:
    return ConsoleProvider()


@pytest.fixture
def providers(console: ConsoleProvider) -> NotificationProviders:
    return NotificationProviders(email=console, sms=console)


def last_code(console: ConsoleProvider, to: str) -> str:
    message = [m for m in console.sent if m.to == to][-1]
    match = CODE.search(message.text)
    assert match, message.text
    return match.group(1)


async def send(
    db: AsyncSession,
    settings: Settings,
    providers: NotificationProviders,
    destination: otp.Destination = PHONE,
    ip: str | None = "198.51.100.7",
) -> None:
    await otp.send_code(db, destination, settings=settings, providers=providers, ip=ip)


async def refused(coro: object) -> ProblemError:
    with pytest.raises(ProblemError) as caught:
        await coro  # type: ignore[misc]
    return caught.value


# --- addresses and codes (no database) ------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "010-1234-5678",
        "01012345678",
        "010 1234 5678",
        "010.1234.5678",
        "+82 10 1234 5678",
        "+82-10-1234-5678",
        "+821012345678",
        "+82 (0)10 1234 5678",
        "0082 10 1234 5678",
        "(010) 1234-5678",
        "０１０－１２３４－５６７８",  # full-width, as some Korean keyboards type it
        " 010-1234-5678 ",
    ],
)
def test_korean_mobile_numbers_normalise_to_digits(typed: str) -> None:
    assert otp.normalise_phone(typed) == "01012345678"


def test_older_ten_digit_mobile_numbers_are_kept() -> None:
    assert otp.normalise_phone("011-123-4567") == "0111234567"


@pytest.mark.parametrize(
    "typed", ["", "02-123-4567", "010-1234-567", "010-1234-56789", "+1 415 555 0100", "공일공", "010-12a4-5678"]
)
def test_non_mobile_numbers_are_refused(typed: str) -> None:
    assert otp.normalise_phone(typed) is None


def test_emails_are_trimmed_and_lowercased() -> None:
    assert otp.parse_destination("  Hong@Example.COM ") == EMAIL
    assert otp.parse_destination("010-1234-5678") == PHONE
    assert EMAIL.external_id == "email:hong@example.com"
    assert PHONE.external_id == "phone:01012345678"


@pytest.mark.parametrize(
    "typed", ["", "hong", "hong@", "@example.com", "hong@example", "a@b@c.com", "hong @example.com", "x\u0000@y.kr"]
)
def test_unusable_destinations_are_a_422(typed: str) -> None:
    with pytest.raises(ProblemError) as caught:
        otp.parse_destination(typed)
    assert (caught.value.status, caught.value.code) == (422, "invalid_destination")


def test_typed_codes_tolerate_spaces_and_hyphens_only() -> None:
    assert otp.clean_code(" 123 456 ") == "123456"
    assert otp.clean_code("123-456") == "123456"
    for bad in ("12345", "1234567", "12345a", ""):
        with pytest.raises(ProblemError):
            otp.clean_code(bad)


def test_codes_are_six_digits() -> None:
    codes = {otp.new_code() for _ in range(200)}
    assert all(re.fullmatch(r"[0-9]{6}", code) for code in codes)
    assert len(codes) > 150  # random, not a counter


def test_hash_is_bound_to_destination_and_secret() -> None:
    digest = otp.code_hash("123456", PHONE, "secret-a")
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert "123456" not in digest
    assert otp.code_hash("123456", PHONE, "secret-a") == digest
    assert otp.code_hash("123456", EMAIL, "secret-a") != digest
    assert otp.code_hash("123456", PHONE, "secret-b") != digest
    assert otp.code_hash("123457", PHONE, "secret-a") != digest


# --- sending and verifying (both databases) -------------------------------------------


async def test_only_a_keyed_hash_of_the_code_is_stored(
    db: AsyncSession, settings: Settings, providers: NotificationProviders, console: ConsoleProvider
) -> None:
    await send(db, settings, providers, EMAIL)
    code = last_code(console, EMAIL.address)
    message = console.sent[-1]
    assert isinstance(message, EmailMessage) and "인증 코드" in message.subject
    row = await db.scalar(select(OneTimeCode))
    assert row is not None
    assert row.code_hash == otp.code_hash(code, EMAIL, settings.secret_key)
    assert code not in (row.code_hash, row.destination)
    assert (row.channel, row.destination, row.attempts, row.consumed_at) == ("email", EMAIL.address, 0, None)
    assert row.expires_at - row.created_at == timedelta(seconds=settings.otp_ttl_seconds)


async def test_a_code_signs_in_once_and_creates_the_customer(
    db: AsyncSession, settings: Settings, providers: NotificationProviders, console: ConsoleProvider
) -> None:
    await send(db, settings, providers, PHONE)
    assert isinstance(console.sent[-1], SmsMessage)
    code = last_code(console, PHONE.address)
    customer = await otp.verify_code(db, PHONE, code, settings=settings)
    assert (customer.external_id, customer.source, customer.phone) == ("phone:01012345678", "phone", "01012345678")
    assert customer.verified_at is not None
    problem = await refused(otp.verify_code(db, PHONE, code, settings=settings))
    assert (problem.status, problem.code) == (401, "otp_expired")


async def test_the_same_number_typed_two_ways_is_one_customer(
    db: AsyncSession, settings: Settings, providers: NotificationProviders, console: ConsoleProvider
) -> None:
    first_typing = otp.parse_destination("010-1234-5678")
    await send(db, settings, providers, first_typing)
    first = await otp.verify_code(db, first_typing, last_code(console, PHONE.address), settings=settings)
    second_typing = otp.parse_destination("+82 10 1234 5678")
    await send(db, settings, providers, second_typing)
    second = await otp.verify_code(db, second_typing, last_code(console, PHONE.address), settings=settings)
    assert first.id == second.id
    assert await db.scalar(select(func.count()).select_from(Customer)) == 1


async def test_an_expired_code_is_refused(
    db: AsyncSession, settings: Settings, providers: NotificationProviders, console: ConsoleProvider
) -> None:
    await send(db, settings, providers)
    code = last_code(console, PHONE.address)
    await db.execute(update(OneTimeCode).values(expires_at=utcnow() - timedelta(seconds=1)))
    await db.commit()
    problem = await refused(otp.verify_code(db, PHONE, code, settings=settings))
    assert (problem.status, problem.code) == (401, "otp_expired")
    assert await db.scalar(select(func.count()).select_from(Customer)) == 0


async def test_a_destination_without_a_code_is_refused(db: AsyncSession, settings: Settings) -> None:
    problem = await refused(otp.verify_code(db, EMAIL, "123456", settings=settings))
    assert problem.code == "otp_expired"


async def test_wrong_guesses_use_up_the_code(
    db: AsyncSession, settings: Settings, providers: NotificationProviders, console: ConsoleProvider
) -> None:
    await send(db, settings, providers)
    code = last_code(console, PHONE.address)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for left in range(settings.otp_max_attempts - 1, 0, -1):
        problem = await refused(otp.verify_code(db, PHONE, wrong, settings=settings))
        assert (problem.status, problem.code) == (401, "otp_invalid")
        assert f"남은 시도 {left}회" in problem.message
    last_try = await refused(otp.verify_code(db, PHONE, wrong, settings=settings))
    assert (last_try.status, last_try.code) == (429, "otp_locked")
    # Dead for good: even the right code no longer works, and no attempt is counted past the limit.
    problem = await refused(otp.verify_code(db, PHONE, code, settings=settings))
    assert problem.code == "otp_locked"
    assert await db.scalar(select(OneTimeCode.attempts)) == settings.otp_max_attempts
    assert await db.scalar(select(func.count()).select_from(Customer)) == 0


async def test_the_right_code_on_the_last_allowed_try_still_works(
    db: AsyncSession, settings: Settings, providers: NotificationProviders, console: ConsoleProvider
) -> None:
    await send(db, settings, providers)
    code = last_code(console, PHONE.address)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(settings.otp_max_attempts - 1):
        await refused(otp.verify_code(db, PHONE, wrong, settings=settings))
    customer = await otp.verify_code(db, PHONE, code, settings=settings)
    assert customer.phone == PHONE.address


async def test_only_the_newest_code_counts(
    db: AsyncSession, settings: Settings, providers: NotificationProviders, console: ConsoleProvider
) -> None:
    await send(db, settings, providers)
    older = last_code(console, PHONE.address)
    await send(db, settings, providers)
    newer = last_code(console, PHONE.address)
    if older != newer:  # one chance in a million that both are the same number
        problem = await refused(otp.verify_code(db, PHONE, older, settings=settings))
        assert problem.code == "otp_invalid"
    assert (await otp.verify_code(db, PHONE, newer, settings=settings)).phone == PHONE.address


async def test_a_code_for_one_address_does_not_open_another(
    db: AsyncSession, settings: Settings, providers: NotificationProviders, console: ConsoleProvider
) -> None:
    other = otp.Destination(otp.Channel.PHONE, "01098765432")
    await send(db, settings, providers, PHONE)
    await send(db, settings, providers, other)
    mine = last_code(console, PHONE.address)
    if mine != last_code(console, other.address):
        problem = await refused(otp.verify_code(db, other, mine, settings=settings))
        assert problem.code == "otp_invalid"


async def test_sends_per_destination_are_limited_per_hour(
    db: AsyncSession, settings: Settings, providers: NotificationProviders, console: ConsoleProvider
) -> None:
    for number in range(settings.otp_sends_per_hour):
        await send(db, settings, providers, ip=f"198.51.100.{number}")
    problem = await refused(send(db, settings, providers, ip="203.0.113.1"))
    assert (problem.status, problem.code) == (429, "otp_rate_limited")
    assert len(console.sent) == settings.otp_sends_per_hour
    await send(db, settings, providers, EMAIL)  # another destination is unaffected
    # An hour later the old sends no longer count, and expired old rows are purged on the next send.
    await db.execute(
        update(OneTimeCode).values(created_at=utcnow() - timedelta(hours=2), expires_at=utcnow() - timedelta(hours=1))
    )
    await db.commit()
    await send(db, settings, providers)
    assert await db.scalar(select(func.count()).select_from(OneTimeCode)) == 1


async def test_sends_per_address_of_the_requester_are_limited(
    db: AsyncSession, settings: Settings, providers: NotificationProviders
) -> None:
    for number in range(otp.IP_SENDS_PER_HOUR):
        await send(db, settings, providers, otp.Destination(otp.Channel.PHONE, f"010{number:08d}"), ip="192.0.2.9")
    problem = await refused(send(db, settings, providers, EMAIL, ip="192.0.2.9"))
    assert (problem.status, problem.code) == (429, "otp_rate_limited")
    await send(db, settings, providers, EMAIL, ip="192.0.2.10")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_delivery_failure_is_a_503(db: AsyncSession, settings: Settings, console: ConsoleProvider) -> None:
    smtp = SmtpEmailProvider("127.0.0.1", _closed_port(), None, None, False, "고객센터 <help@example.com>", timeout=5)
    providers = NotificationProviders(email=smtp, sms=console)
    problem = await refused(send(db, settings, providers, EMAIL))
    assert (problem.status, problem.code) == (503, "otp_send_failed")
    # The stored code still counts against the limit, so a failing relay cannot be used to spin.
    assert await db.scalar(select(func.count()).select_from(OneTimeCode)) == 1
