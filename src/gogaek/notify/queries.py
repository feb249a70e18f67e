"""Reads for webhooks and notifications; notifications are always scoped to one recipient."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.jobs.handlers import WEBHOOK_DELIVER
from gogaek.jobs.models import Job
from gogaek.notify.models import Notification, WebhookEndpoint

DELIVERY_SCAN = 500


async def list_webhooks(session: AsyncSession) -> Sequence[WebhookEndpoint]:
    return (await session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id))).all()


async def recent_deliveries(session: AsyncSession, endpoint_id: int, *, limit: int = 30) -> list[Job]:
    """The endpoint's deliveries (queued, done, parked) among the newest ``DELIVERY_SCAN`` of all.

    A delivery is a ``webhook.deliver`` job; its endpoint is in the JSON payload, which SQLite and
    PostgreSQL query differently, so the newest jobs of that kind are read and picked here.
    """
    query = select(Job).where(Job.kind == WEBHOOK_DELIVER).order_by(Job.id.desc()).limit(DELIVERY_SCAN)
    jobs = (await session.scalars(query)).all()
    return [job for job in jobs if job.payload.get("endpoint_id") == endpoint_id][:limit]


async def active_webhooks(session: AsyncSession) -> Sequence[WebhookEndpoint]:
    """Every switched-on endpoint; callers filter by event because JSON list tests differ per database."""
    active = await session.scalars(
        select(WebhookEndpoint).where(WebhookEndpoint.is_active.is_(True)).order_by(WebhookEndpoint.id)
    )
    return active.all()


async def list_notifications(
    session: AsyncSession, recipient_kind: str, recipient_id: int, *, limit: int
) -> Sequence[Notification]:
    """Newest first."""
    query = (
        select(Notification)
        .where(Notification.recipient_kind == recipient_kind, Notification.recipient_id == recipient_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def unread_count(session: AsyncSession, recipient_kind: str, recipient_id: int) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(
            Notification.recipient_kind == recipient_kind,
            Notification.recipient_id == recipient_id,
            Notification.read_at.is_(None),
        )
    )
    return int(count or 0)


async def get_own_notification(
    session: AsyncSession, recipient_kind: str, recipient_id: int, notification_id: int
) -> Notification | None:
    """Someone else's notification is simply not found."""
    return await session.scalar(
        select(Notification).where(
            Notification.id == notification_id,
            Notification.recipient_kind == recipient_kind,
            Notification.recipient_id == recipient_id,
        )
    )


async def unread_notifications(
    session: AsyncSession, recipient_kind: str, recipient_id: int, *, limit: int = 10
) -> Sequence[Notification]:
    """Newest first: what the pages show above someone's list until they open the linked page."""
    query = (
        select(Notification)
        .where(
            Notification.recipient_kind == recipient_kind,
            Notification.recipient_id == recipient_id,
            Notification.read_at.is_(None),
        )
        .order_by(Notification.id.desc())
        .limit(limit)
    )
    return (await session.scalars(query)).all()
