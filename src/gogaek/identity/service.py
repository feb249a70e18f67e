"""Staff account verbs: create, authenticate (with throttling and TOTP), availability, roles."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache

from fastapi import Request
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.audit.service import record_audit
from gogaek.db import commit_unique, utcnow
from gogaek.errors import ProblemError
from gogaek.identity.models import Availability, StaffRole, StaffUser
from gogaek.identity.schemas import StaffCreate, StaffLogin, StaffUpdate
from gogaek.identity.security import (
    StaffTokenSigner,
    hash_password,
    new_totp_secret,
    password_needs_rehash,
    pending_totp,
    pending_totp_secret,
    verify_password,
    verify_totp,
)
from gogaek.identity.throttle import check_not_locked, clear_account, record_failure, throttle_keys
from gogaek.web.i18n import N_

TOTP_SETUP_COMMAND = "gogaek user enable-totp --email <이메일>"
TOTP_ENROLMENT_CODE = "totp_enrolment_required"


def email_taken() -> ProblemError:
    return ProblemError(409, "email_taken", N_("이미 등록된 이메일입니다."))


def _bad_credentials() -> ProblemError:
    return ProblemError(
        401,
        "invalid_credentials",
        N_("이메일 또는 비밀번호가 올바르지 않습니다."),
    )


def totp_setup_required() -> ProblemError:
    return ProblemError(
        403,
        "totp_setup_required",
        "관리자 계정은 OTP(2단계 인증)를 설정해야 로그인할 수 있습니다. 서버에서 "
        f"`{TOTP_SETUP_COMMAND}`를 실행하거나 `gogaek user create --role admin … --totp`로 계정을 만든 뒤 "
        "OTP 앱에 등록해 주세요. (Admins must set up TOTP before signing in: run "
        f"`{TOTP_SETUP_COMMAND}` on the server)",
    )


async def flush_unique(session: AsyncSession, conflict: Callable[[], ProblemError]) -> None:
    """Flushes to learn a new row's id; a concurrent insert of the same key becomes the usual 409."""
    try:
        await session.flush()
    except IntegrityError as exc:
        await session.rollback()
        raise conflict() from exc


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def create_staff_user(
    session: AsyncSession,
    data: StaffCreate,
    *,
    with_totp: bool = False,
    max_open_inquiries: int | None = None,
    actor: StaffUser | None = None,
    request: Request | None = None,
    enrol_totp: bool = False,
) -> StaffUser:
    """One transaction with its audit entry; ``actor`` is None for the CLI and the demo loader.

    ``enrol_totp`` (the admin pages) makes the person register a TOTP secret at the first
    sign-in instead of handing one over.
    """
    email = normalise_email(data.email)
    existing = await session.scalar(select(StaffUser).where(StaffUser.email == email))
    if existing is not None:
        raise email_taken()
    user = StaffUser(
        email=email,
        display_name=data.display_name,
        password_hash=hash_password(data.password),
        role=data.role.value,
        totp_secret=pending_totp(new_totp_secret()) if enrol_totp else new_totp_secret() if with_totp else None,
        max_open_inquiries=max_open_inquiries,
    )
    session.add(user)
    await flush_unique(session, email_taken)
    record_audit(
        session,
        actor,
        "staff.create",
        target_type="staff",
        target_id=user.id,
        detail={"email": email, "role": user.role, "totp": with_totp or enrol_totp},
        request=request,
    )
    await commit_unique(session, email_taken)
    return user


async def authenticate_staff(
    session: AsyncSession,
    login: StaffLogin,
    *,
    require_admin_totp: bool = False,
    request: Request | None = None,
) -> StaffUser:
    """Checks password and TOTP, throttled per account and client address (gogaek.identity.throttle).

    With ``require_admin_totp`` an admin without a TOTP secret is refused even with the right
    password: an admin account is the one worth phishing, so a password alone is not enough.
    """
    email = normalise_email(login.email)
    user = await session.scalar(select(StaffUser).where(StaffUser.email == email))
    client = request.client.host if request is not None and request.client else "local"
    keys = throttle_keys(user.id if user is not None else None, client)
    await check_not_locked(session, keys)
    if user is None or not user.is_active:
        verify_password(_dummy_hash(), login.password)  # same cost whether or not the user exists
        await record_failure(session, keys)
        raise _bad_credentials()
    if not verify_password(user.password_hash, login.password):
        await _record_failure(session, user, keys, request)
        raise _bad_credentials()
    if pending_totp_secret(user.totp_secret) is not None:
        raise totp_enrolment_required()
    if user.totp_secret is None and require_admin_totp and user.role == StaffRole.ADMIN:
        raise totp_setup_required()
    if user.totp_secret is not None:
        if not login.totp:
            raise ProblemError(401, "totp_required", N_("OTP 인증 코드를 입력해 주세요."))
        if not verify_totp(user.totp_secret, login.totp):
            await _record_failure(session, user, keys, request)
            raise ProblemError(401, "totp_invalid", N_("OTP 인증 코드가 올바르지 않습니다."))
    if password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(login.password)
    await clear_account(session, user.id, client)
    user.last_login_at = utcnow()
    record_audit(session, user, "staff.login", target_type="staff", target_id=user.id, request=request)
    await session.commit()
    return user


def totp_enrolment_required() -> ProblemError:
    """Raised after the password was checked: the page then shows the new secret to register."""
    return ProblemError(
        403,
        TOTP_ENROLMENT_CODE,
        N_("관리자가 OTP를 초기화했습니다. 로그인 페이지에서 새 OTP를 등록해 주세요."),
    )


async def reset_totp(
    session: AsyncSession, actor: StaffUser, user: StaffUser, request: Request | None = None
) -> StaffUser:
    """A lost or exposed authenticator: a new unconfirmed secret, and every session signed out.

    The old codes stop working at once; the person registers the new secret at the next sign-in
    (after their password) and only then gets in.
    """
    if user.id == actor.id:
        raise ProblemError(409, "cannot_reset_own_totp", N_("자기 계정의 OTP는 초기화할 수 없습니다."))
    user.totp_secret = pending_totp(new_totp_secret())
    user.tokens_valid_after = utcnow()
    record_audit(session, actor, "staff.totp_reset", target_type="staff", target_id=user.id, request=request)
    await session.commit()
    return user


async def confirm_totp_enrolment(
    session: AsyncSession, user: StaffUser, code: str, request: Request | None = None
) -> StaffUser:
    """The first code from the newly registered secret makes it the account's TOTP."""
    secret = pending_totp_secret(user.totp_secret)
    if secret is None:
        raise ProblemError(409, "totp_not_pending", N_("등록할 OTP가 없습니다. 다시 로그인해 주세요."))
    if not verify_totp(secret, code):
        raise ProblemError(
            422,
            "totp_invalid",
            N_("OTP 인증 코드가 올바르지 않습니다. 앱에 새로 등록한 코드를 입력해 주세요."),
        )
    user.totp_secret = secret
    user.last_login_at = utcnow()
    record_audit(session, user, "staff.totp_enrolled", target_type="staff", target_id=user.id, request=request)
    await session.commit()
    return user


async def _record_failure(
    session: AsyncSession, user: StaffUser, keys: list[tuple[str, int]], request: Request | None
) -> None:
    if await record_failure(session, keys):
        record_audit(session, None, "staff.locked", target_type="staff", target_id=user.id, request=request)
        await session.commit()


def check_may_manage(actor: StaffUser, *roles: StaffRole | str | None) -> None:
    """A supervisor manages agent accounts only: creating, changing or deactivating a supervisor or
    admin (or promoting someone to one) needs an admin, so nobody can hand themselves more rights."""
    if actor.role == StaffRole.ADMIN:
        return
    if any(role is not None and role != StaffRole.AGENT for role in roles):
        raise ProblemError(
            403,
            "forbidden",
            N_("슈퍼바이저는 상담사 계정만 관리할 수 있습니다."),
        )


async def get_active_staff(session: AsyncSession, staff_id: int) -> StaffUser | None:
    user = await session.get(StaffUser, staff_id)
    return user if user is not None and user.is_active else None


async def staff_signed_in(session: AsyncSession, staff_id: int, signed_in_at: datetime) -> StaffUser | None:
    """The account behind a token or session, if still active and signed in after its cut-off."""
    user = await get_active_staff(session, staff_id)
    if user is None or (user.tokens_valid_after is not None and signed_in_at <= user.tokens_valid_after):
        return None
    return user


async def staff_for_token(session: AsyncSession, signer: StaffTokenSigner, token: str) -> StaffUser | None:
    """The account a staff bearer token stands for, or None (bad, expired or cut off)."""
    signed = signer.read(token)
    return await staff_signed_in(session, signed.staff_id, signed.issued_at) if signed is not None else None


async def get_staff_by_email(session: AsyncSession, email: str) -> StaffUser | None:
    return await session.scalar(select(StaffUser).where(StaffUser.email == normalise_email(email)))


async def count_admins(session: AsyncSession) -> int:
    query = select(func.count()).select_from(StaffUser).where(StaffUser.role == StaffRole.ADMIN.value)
    return int(await session.scalar(query) or 0)


async def list_staff(session: AsyncSession, *, include_inactive: bool = True) -> list[StaffUser]:
    query = select(StaffUser).order_by(StaffUser.id)
    if not include_inactive:
        query = query.where(StaffUser.is_active.is_(True))
    return list((await session.scalars(query)).all())


async def set_availability(
    session: AsyncSession, staff: StaffUser, availability: Availability, request: Request | None = None
) -> StaffUser:
    """Only "available" agents receive new inquiries from round-robin."""
    previous = staff.availability
    staff.availability = availability.value
    record_audit(
        session,
        staff,
        "staff.availability",
        target_type="staff",
        target_id=staff.id,
        detail={"from": previous, "to": availability.value},
        request=request,
    )
    await session.commit()
    return staff


async def enable_totp(session: AsyncSession, user: StaffUser) -> str:
    """A fresh secret (replacing any old one) for the CLI; the caller shows it once."""
    user.totp_secret = new_totp_secret()
    record_audit(session, None, "staff.totp_enabled", target_type="staff", target_id=user.id)
    await session.commit()
    return user.totp_secret


async def _active_admins_other_than(session: AsyncSession, user: StaffUser) -> int:
    query = (
        select(func.count())
        .select_from(StaffUser)
        .where(StaffUser.role == StaffRole.ADMIN.value, StaffUser.is_active.is_(True), StaffUser.id != user.id)
    )
    return int(await session.scalar(query) or 0)


async def _keep_an_admin(session: AsyncSession, user: StaffUser) -> None:
    """Nobody could manage accounts any more if the last active admin went away."""
    if user.role == StaffRole.ADMIN and user.is_active and not await _active_admins_other_than(session, user):
        raise ProblemError(409, "last_admin", N_("마지막 관리자 계정은 바꾸거나 비활성화할 수 없습니다."))


async def update_staff(
    session: AsyncSession, actor: StaffUser, user: StaffUser, data: StaffUpdate, request: Request | None = None
) -> StaffUser:
    changes = data.model_dump(exclude_unset=True, exclude={"clear_max_open_inquiries"}, mode="json")
    if data.role is not None and data.role != user.role:
        await _keep_an_admin(session, user)
    if data.display_name is not None:
        user.display_name = data.display_name
    if data.role is not None:
        user.role = data.role.value
    if data.max_open_inquiries is not None:
        user.max_open_inquiries = data.max_open_inquiries
    elif data.clear_max_open_inquiries:
        user.max_open_inquiries = None
        changes["max_open_inquiries"] = None
    if "phone_extension" in data.model_fields_set:
        user.phone_extension = data.phone_extension
    record_audit(
        session, actor, "staff.update", target_type="staff", target_id=user.id, detail=changes, request=request
    )
    await commit_unique(session, _extension_taken)
    return user


def _extension_taken() -> ProblemError:
    return ProblemError(409, "phone_extension_taken", N_("다른 직원이 이미 쓰는 내선번호입니다."))


async def deactivate_staff(
    session: AsyncSession, actor: StaffUser, user: StaffUser, request: Request | None = None
) -> StaffUser:
    """Signs the account out everywhere (tokens are re-checked on use); rows stay for history.

    Commits whatever the caller staged first, such as handing the person's open inquiries back.
    """
    if user.id == actor.id:
        raise ProblemError(409, "cannot_deactivate_self", N_("자기 계정은 비활성화할 수 없습니다."))
    await _keep_an_admin(session, user)
    user.is_active = False
    user.availability = Availability.OFFLINE.value
    user.tokens_valid_after = utcnow()
    record_audit(session, actor, "staff.deactivate", target_type="staff", target_id=user.id, request=request)
    await session.commit()
    return user


async def reactivate_staff(
    session: AsyncSession, actor: StaffUser, user: StaffUser, request: Request | None = None
) -> StaffUser:
    user.is_active = True
    record_audit(session, actor, "staff.reactivate", target_type="staff", target_id=user.id, request=request)
    await session.commit()
    return user


@cache
def _dummy_hash() -> str:
    return hash_password("gogaek-timing-equaliser")


async def remember_language(session: AsyncSession, staff_id: int, language: str) -> None:
    """The language a staff member reads the console in, kept for what is written to them later
    (notifications made by the job worker, outside any request of theirs)."""
    changed = await session.execute(
        update(StaffUser)
        .where(StaffUser.id == staff_id, or_(StaffUser.locale.is_(None), StaffUser.locale != language))
        .values(locale=language)
    )
    if changed.rowcount:  # type: ignore[attr-defined]  # an UPDATE's result has a row count
        await session.commit()
