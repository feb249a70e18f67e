"""Event fan-out to webhooks and notifications, the delivery jobs, and the webhook/notification verbs.

The ``event`` job written by :func:`gogaek.events.emit` is fanned out in ONE transaction:
a delivery job per subscribed webhook, in-app ``Notification`` rows, and e-mail/SMS jobs.
The worker marks the event job done in that same transaction (an ``InTransaction`` handler),
so a re-run after a crash, or by a second worker after a lease expired, cannot add them twice.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import httpx
from fastapi import Request
from sqlalchemy import select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek import events
from gogaek.audit.service import record_audit
from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.errors import ProblemError, not_found
from gogaek.identity.models import Customer, StaffRole, StaffUser
from gogaek.inquiries.models import Inquiry
from gogaek.jobs.handlers import NOTIFY_EMAIL, NOTIFY_SMS, WEBHOOK_DELIVER, JobContext, PermanentJobError
from gogaek.jobs.models import Job
from gogaek.jobs.queue import enqueue
from gogaek.notify import queries, texts
from gogaek.notify.models import Notification, WebhookEndpoint
from gogaek.notify.providers import EmailMessage, NotificationError, SmsMessage
from gogaek.notify.schemas import WebhookCreate, WebhookUpdate
from gogaek.notify.texts import DEFAULT_LANGUAGE, rendered_notice, with_sender
from gogaek.notify.webhooks import check_target, deliver_webhook, new_webhook_secret
from gogaek.web.i18n import N_, text_in

log = logging.getLogger("gogaek.notify")

_ACTIVE_WEBHOOKS = "gogaek.active_webhooks"
PING_EVENT = "ping"
CUSTOMER = "customer"
STAFF = "staff"
_T = TypeVar("_T")


class TransientDeliveryError(Exception):
    """The receiver may accept later (timeout, 5xx, 429): the worker retries with backoff."""


# --- payload fields -------------------------------------------------------------------------


def _field(payload: dict[str, Any], key: str, kind: type[_T]) -> _T:
    """A malformed payload will not get better on retry, so it parks the job."""
    value = payload.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise PermanentJobError(f"payload field {key!r} must be {kind.__name__}, got {value!r}")
    return value


def _optional_int(payload: dict[str, Any], key: str) -> int | None:
    return None if payload.get(key) is None else _field(payload, key, int)


# --- fan-out --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Notice:
    """One recipient's in-app notification, plus the e-mail and SMS that go with it (if any)."""

    recipient_kind: str
    recipient_id: int
    kind: str
    title: str
    link: str
    subject: str
    text: str
    email_to: str | None = None
    sms_to: str | None = None
    sms_text: str = ""


async def fan_out_event(ctx: JobContext, session: AsyncSession, payload: dict[str, Any]) -> None:
    """In-transaction handler of ``event`` jobs; payload ``{"event": name, "data": {...}}``."""
    event = _field(payload, "event", str)
    data = _field(payload, "data", dict)
    occurred_at = ctx.created_at or await _enqueued_at(session, ctx.job_id)
    await _enqueue_deliveries(session, ctx, event, data, occurred_at)
    for notice in await notices_for(session, ctx.settings, event, data):
        await _add_notice(session, ctx, notice)


async def _enqueued_at(session: AsyncSession, job_id: int) -> datetime:
    """For a context that did not come from a claim (a handler called directly)."""
    source = await session.get(Job, job_id)
    return source.created_at if source is not None else utcnow()


async def _enqueue_deliveries(
    session: AsyncSession, ctx: JobContext, event: str, data: dict[str, Any], occurred_at: datetime
) -> None:
    for endpoint in await _subscribed_webhooks(session, event):
        await enqueue(
            session,
            WEBHOOK_DELIVER,
            _delivery_payload(endpoint.id, event, data, occurred_at),
            dedupe_key=f"webhook:{ctx.job_id}:{endpoint.id}",
            max_attempts=ctx.settings.jobs_max_attempts,
        )


async def _subscribed_webhooks(session: AsyncSession, event: str) -> list[WebhookEndpoint]:
    """Read once per session: the worker fans out a batch of events in one transaction."""
    active: list[WebhookEndpoint] | None = session.info.get(_ACTIVE_WEBHOOKS)
    if active is None:
        active = session.info[_ACTIVE_WEBHOOKS] = list(await queries.active_webhooks(session))
    return [endpoint for endpoint in active if not endpoint.events or event in endpoint.events]


def _delivery_payload(endpoint_id: int, event: str, data: dict[str, Any], occurred_at: datetime) -> dict[str, Any]:
    """The delivery id is fixed here, so every retry carries the same ``X-Gogaek-Delivery``."""
    return {
        "endpoint_id": endpoint_id,
        "delivery_id": str(uuid.uuid4()),
        "event": event,
        "data": data,
        "created_at": occurred_at.isoformat(),
    }


async def _add_notice(session: AsyncSession, ctx: JobContext, notice: Notice) -> None:
    session.add(
        Notification(
            recipient_kind=notice.recipient_kind,
            recipient_id=notice.recipient_id,
            kind=notice.kind,
            title=notice.title[:200],
            link=notice.link,
        )
    )
    recipient = f"{ctx.job_id}:{notice.recipient_kind}:{notice.recipient_id}"
    attempts = ctx.settings.jobs_max_attempts
    if notice.email_to:
        email = {"to": notice.email_to, "subject": notice.subject, "text": notice.text}
        await enqueue(session, NOTIFY_EMAIL, email, dedupe_key=f"email:{recipient}", max_attempts=attempts)
    if notice.sms_to:
        sms = {"to": notice.sms_to, "text": notice.sms_text}
        await enqueue(session, NOTIFY_SMS, sms, dedupe_key=f"sms:{recipient}", max_attempts=attempts)


# --- who hears about what -------------------------------------------------------------------

NoticeBuilder = Callable[[AsyncSession, Settings, str, dict[str, Any]], Awaitable[list[Notice]]]


async def notices_for(session: AsyncSession, settings: Settings, event: str, data: dict[str, Any]) -> list[Notice]:
    """The people an event concerns; events nobody is notified about return an empty list."""
    from gogaek.phone import notices as phone_notices  # imported late: phone builds on Notice from here

    builder = _NOTICE_BUILDERS.get(event) or phone_notices.NOTICE_BUILDERS.get(event)
    return await builder(session, settings, event, data) if builder is not None else []


def _reference(data: dict[str, Any]) -> tuple[int, str]:
    inquiry_id = _field(data, "inquiry_id", int)
    number = data.get("number")
    return inquiry_id, number if isinstance(number, str) and number else f"#{inquiry_id}"


async def _answered(session: AsyncSession, settings: Settings, event: str, data: dict[str, Any]) -> list[Notice]:
    from gogaek.mail.outbound import queue_reply_for_event  # imported late: mail builds on notify's providers

    inquiry_id, number = _reference(data)
    customer = await session.get(Customer, _field(data, "customer_id", int))
    if customer is None:
        return []
    # On an email inquiry the answer itself is mailed, threaded; no separate "answered" mail.
    mailed = await queue_reply_for_event(session, settings, data)
    link = f"/inquiries/{inquiry_id}"
    url = settings.base_url.rstrip("/") + link
    # The words admins set on /admin/notification-templates, or the built-in ones.
    filed = await session.get(Inquiry, inquiry_id)
    lang = (filed.locale if filed is not None else None) or DEFAULT_LANGUAGE  # the language it was filed in
    words = await rendered_notice(session, texts.INQUIRY_ANSWERED, {"number": number, "link": url}, lang)
    return [
        Notice(
            CUSTOMER,
            customer.id,
            event,
            title=words.title,
            link=link,
            subject=words.email_subject,
            text=words.email_body,
            email_to=None if mailed else customer.email,
            sms_to=customer.phone,
            sms_text=words.sms,
        )
    ]


async def _assigned(session: AsyncSession, settings: Settings, event: str, data: dict[str, Any]) -> list[Notice]:
    inquiry_id, number = _reference(data)
    assignee_id = _optional_int(data, "assignee_id")
    staff = await _active_staff(session, assignee_id) if assignee_id is not None else None
    if staff is None:
        return []
    title = text_in(staff.locale, N_("새 문의가 배정되었습니다 (문의번호 %(number)s)"), number=number)
    return [Notice(STAFF, staff.id, event, title=title, link=f"/console/inquiries/{inquiry_id}", subject="", text="")]


STAFF_MAIL_BODY = N_("%(title)s.\n아래 주소에서 확인해 주세요.\n%(url)s")
_SLA_TITLES = {
    events.INQUIRY_SLA_WARNING: N_("처리 기한이 다가오는 문의가 있습니다 (문의번호 %(number)s)"),
    events.INQUIRY_SLA_BREACHED: N_("처리 기한을 넘긴 문의가 있습니다 (문의번호 %(number)s)"),
}


async def _sla(session: AsyncSession, settings: Settings, event: str, data: dict[str, Any]) -> list[Notice]:
    """To the assignee; an unassigned inquiry goes to every active supervisor and admin."""
    inquiry_id, number = _reference(data)
    assignee_id = _optional_int(data, "assignee_id")
    assignee = await _active_staff(session, assignee_id) if assignee_id is not None else None
    recipients = [assignee] if assignee is not None else await _supervisors(session)
    link = f"/console/inquiries/{inquiry_id}"
    url = f"{settings.base_url.rstrip('/')}{link}"
    notices = []
    for staff in recipients:
        title = text_in(staff.locale, _SLA_TITLES[event], number=number)
        notices.append(
            Notice(
                STAFF,
                staff.id,
                event,
                title=title,
                link=link,
                subject=with_sender(title, staff.locale),
                text=text_in(staff.locale, STAFF_MAIL_BODY, title=title, url=url),
                email_to=staff.email,
            )
        )
    return notices


_NOTICE_BUILDERS: dict[str, NoticeBuilder] = {
    events.INQUIRY_ANSWERED: _answered,
    events.INQUIRY_ASSIGNED: _assigned,
    events.INQUIRY_SLA_WARNING: _sla,
    events.INQUIRY_SLA_BREACHED: _sla,
}


async def _active_staff(session: AsyncSession, staff_id: int) -> StaffUser | None:
    staff = await session.get(StaffUser, staff_id)
    return staff if staff is not None and staff.is_active else None


async def _supervisors(session: AsyncSession) -> list[StaffUser]:
    roles = (StaffRole.SUPERVISOR.value, StaffRole.ADMIN.value)
    query = select(StaffUser).where(StaffUser.is_active.is_(True), StaffUser.role.in_(roles)).order_by(StaffUser.id)
    return list((await session.scalars(query)).all())


# --- delivery jobs --------------------------------------------------------------------------


async def deliver_webhook_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Handler of ``webhook.deliver``; an endpoint deleted or switched off meanwhile is skipped."""
    endpoint_id = _field(payload, "endpoint_id", int)
    try:
        created_at = datetime.fromisoformat(_field(payload, "created_at", str))
    except ValueError as exc:
        raise PermanentJobError(f"payload field 'created_at' is not an ISO time: {exc}") from exc
    async with ctx.sessionmaker() as session:
        endpoint = await session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or not endpoint.is_active:
        log.info("webhook %s is gone or inactive; delivery job %s skipped", endpoint_id, ctx.job_id)
        return
    result = await deliver_webhook(
        endpoint.url,
        endpoint.secret,
        _field(payload, "event", str),
        _field(payload, "data", dict),
        delivery_id=_field(payload, "delivery_id", str),
        allow_private=endpoint.allow_private or ctx.settings.webhook_allow_private_targets,
        timeout=ctx.settings.webhook_timeout_seconds,
        created_at=created_at,
    )
    if result.ok:
        return
    if result.transient:
        raise TransientDeliveryError(result.error)
    raise PermanentJobError(result.error)


async def send_email_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Handler of ``notify.email``; payload ``{"to", "subject", "text"}`` (optional ``html``)."""
    html = payload.get("html")
    message = EmailMessage(
        to=_field(payload, "to", str),
        subject=_field(payload, "subject", str),
        text=_field(payload, "text", str),
        html=html if isinstance(html, str) else None,
    )
    await _provider_call(ctx.providers.email.send_email(message))


async def send_sms_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Handler of ``notify.sms``; payload ``{"to", "text"}`` (optional 알림톡 ``template``)."""
    template = payload.get("template")
    message = SmsMessage(
        to=_field(payload, "to", str),
        text=_field(payload, "text", str),
        template=template if isinstance(template, str) else None,
    )
    await _provider_call(ctx.providers.sms.send_sms(message))


async def _provider_call(sending: Awaitable[str]) -> None:
    """A transient provider error is re-raised for a retry; a permanent one parks the job."""
    try:
        await sending
    except NotificationError as exc:
        if exc.transient:
            raise
        raise PermanentJobError(exc.message) from exc


# --- webhook endpoints (admin) --------------------------------------------------------------


def _admin_only_private() -> ProblemError:
    return ProblemError(
        403,
        "allow_private_admin_only",
        N_("내부망 주소 허용은 관리자만 설정할 수 있습니다."),
    )


def _host(url: str) -> str:
    """Audit entries keep the host only: webhook URLs often carry a token in their path."""
    return httpx.URL(url).host


def _audit(
    session: AsyncSession,
    actor: StaffUser,
    action: str,
    endpoint_id: int,
    detail: dict[str, Any],
    request: Request | None,
) -> None:
    record_audit(session, actor, action, target_type="webhook", target_id=endpoint_id, detail=detail, request=request)


async def get_webhook(session: AsyncSession, endpoint_id: int) -> WebhookEndpoint:
    endpoint = await session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise not_found("웹훅")
    return endpoint


async def create_webhook(
    session: AsyncSession, actor: StaffUser, data: WebhookCreate, settings: Settings, request: Request | None
) -> WebhookEndpoint:
    """The URL is checked against private targets before anything is stored."""
    if data.allow_private and actor.role != StaffRole.ADMIN.value:
        raise _admin_only_private()
    await check_target(data.url, allow_private=data.allow_private or settings.webhook_allow_private_targets)
    endpoint = WebhookEndpoint(
        url=data.url,
        secret=new_webhook_secret(),
        events=data.events,
        description=data.description,
        is_active=data.is_active,
        allow_private=data.allow_private,
    )
    session.add(endpoint)
    await session.flush()
    detail = {"host": _host(data.url), "events": data.events, "allow_private": data.allow_private}
    _audit(session, actor, "webhook.create", endpoint.id, detail, request)
    await session.commit()
    return endpoint


async def update_webhook(
    session: AsyncSession,
    actor: StaffUser,
    endpoint_id: int,
    data: WebhookUpdate,
    settings: Settings,
    request: Request | None,
) -> WebhookEndpoint:
    """A supervisor may not allow private targets, nor move an endpoint that has them allowed."""
    endpoint = await get_webhook(session, endpoint_id)
    changes = data.model_dump(exclude_none=True)
    allow_private = bool(changes.get("allow_private", endpoint.allow_private))
    if actor.role != StaffRole.ADMIN.value and allow_private and (not endpoint.allow_private or "url" in changes):
        raise _admin_only_private()
    url = str(changes.get("url", endpoint.url))
    if "url" in changes or endpoint.allow_private != allow_private:
        await check_target(url, allow_private=allow_private or settings.webhook_allow_private_targets)
    for name, value in changes.items():
        setattr(endpoint, name, value)
    detail: dict[str, Any] = {"fields": sorted(changes)}
    if "url" in changes:
        detail["host"] = _host(url)
    _audit(session, actor, "webhook.update", endpoint.id, detail, request)
    await session.commit()
    return endpoint


async def delete_webhook(session: AsyncSession, actor: StaffUser, endpoint_id: int, request: Request | None) -> None:
    """Deliveries still queued for the endpoint are skipped when their turn comes."""
    endpoint = await get_webhook(session, endpoint_id)
    await session.delete(endpoint)
    detail = {"host": _host(endpoint.url)}
    _audit(session, actor, "webhook.delete", endpoint_id, detail, request)
    await session.commit()


async def queue_test_delivery(
    session: AsyncSession, actor: StaffUser, endpoint_id: int, request: Request | None
) -> tuple[Job, str]:
    """A signed ``ping``, tried once: the admin reads the outcome from the job, not from a retry an hour later."""
    endpoint = await get_webhook(session, endpoint_id)
    if not endpoint.is_active:
        raise ProblemError(409, "webhook_inactive", N_("비활성화된 웹훅입니다."))
    data = {"webhook_id": endpoint.id, "message": "Gogaek 웹훅 연결 테스트입니다. (Test delivery)"}
    payload = _delivery_payload(endpoint.id, PING_EVENT, data, utcnow())
    job = await enqueue(session, WEBHOOK_DELIVER, payload, max_attempts=1)
    assert job is not None  # no dedupe key, so never deduplicated
    await session.flush()
    _audit(
        session, actor, "webhook.test", endpoint.id, {"job_id": job.id, "delivery_id": payload["delivery_id"]}, request
    )
    await session.commit()
    return job, str(payload["delivery_id"])


# --- notifications --------------------------------------------------------------------------


async def mark_read(
    session: AsyncSession, recipient_kind: str, recipient_id: int, notification_id: int
) -> Notification:
    """Idempotent: reading twice keeps the first time."""
    notification = await queries.get_own_notification(session, recipient_kind, recipient_id, notification_id)
    if notification is None:
        raise not_found("알림")
    if notification.read_at is None:
        notification.read_at = utcnow()
        await session.commit()
    return notification


async def mark_all_read(
    session: AsyncSession, recipient_kind: str, recipient_id: int, *, link: str | None = None
) -> None:
    """All of someone's notifications, or only those pointing at ``link`` (the page just opened)."""
    await session.execute(
        update(Notification)
        .where(
            Notification.recipient_kind == recipient_kind,
            Notification.recipient_id == recipient_id,
            Notification.read_at.is_(None),
            Notification.link == link if link is not None else true(),
        )
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    await session.commit()
