"""Webhook administration, and the notification inboxes of customers and staff."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.deps import CurrentAdmin, CurrentCustomer, CurrentStaff, SessionDep, SettingsDep
from gogaek.notify import queries, service
from gogaek.notify.schemas import (
    NotificationList,
    NotificationPublic,
    WebhookCreate,
    WebhookCreated,
    WebhookPublic,
    WebhookTestQueued,
    WebhookUpdate,
)
from gogaek.web.ids import Id
from gogaek.web.ratelimit import RateLimited

admin = APIRouter(prefix="/api/v1/admin/webhooks", tags=["webhooks admin"])
customer = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])
agent = APIRouter(prefix="/api/v1/agent/notifications", tags=["agent notifications"])
routers = (admin, customer, agent)

Limit = Annotated[int, Query(ge=1, le=200)]


# --- webhooks -------------------------------------------------------------------------------


@admin.post("", response_model=WebhookCreated, status_code=201)
async def create_webhook(
    data: WebhookCreate, user: CurrentAdmin, session: SessionDep, settings: SettingsDep, request: Request
) -> WebhookCreated:
    endpoint = await service.create_webhook(session, user, data, settings, request)
    return WebhookCreated.model_validate(endpoint)


@admin.get("", response_model=list[WebhookPublic])
async def list_webhooks(user: CurrentAdmin, session: SessionDep) -> list[WebhookPublic]:
    return [WebhookPublic.model_validate(endpoint) for endpoint in await queries.list_webhooks(session)]


@admin.get("/{endpoint_id}", response_model=WebhookPublic)
async def get_webhook(endpoint_id: Id, user: CurrentAdmin, session: SessionDep) -> WebhookPublic:
    return WebhookPublic.model_validate(await service.get_webhook(session, endpoint_id))


@admin.patch("/{endpoint_id}", response_model=WebhookPublic)
async def update_webhook(
    endpoint_id: Id,
    data: WebhookUpdate,
    user: CurrentAdmin,
    session: SessionDep,
    settings: SettingsDep,
    request: Request,
) -> WebhookPublic:
    endpoint = await service.update_webhook(session, user, endpoint_id, data, settings, request)
    return WebhookPublic.model_validate(endpoint)


@admin.delete("/{endpoint_id}", status_code=204)
async def delete_webhook(endpoint_id: Id, user: CurrentAdmin, session: SessionDep, request: Request) -> Response:
    await service.delete_webhook(session, user, endpoint_id, request)
    return Response(status_code=204)


@admin.post("/{endpoint_id}/test", response_model=WebhookTestQueued, status_code=202)
async def test_webhook(endpoint_id: Id, user: CurrentAdmin, session: SessionDep, request: Request) -> WebhookTestQueued:
    job, delivery_id = await service.queue_test_delivery(session, user, endpoint_id, request)
    return WebhookTestQueued(job_id=job.id, delivery_id=delivery_id)


# --- notifications --------------------------------------------------------------------------


async def _inbox(session: AsyncSession, recipient_kind: str, recipient_id: int, limit: int) -> NotificationList:
    items = await queries.list_notifications(session, recipient_kind, recipient_id, limit=limit)
    return NotificationList(
        items=[NotificationPublic.model_validate(item) for item in items],
        unread=await queries.unread_count(session, recipient_kind, recipient_id),
    )


@customer.get("", response_model=NotificationList)
async def customer_notifications(me: CurrentCustomer, session: SessionDep, limit: Limit = 50) -> NotificationList:
    return await _inbox(session, service.CUSTOMER, me.id, limit)


@customer.post("/read-all", status_code=204, dependencies=[RateLimited])
async def customer_read_all(me: CurrentCustomer, session: SessionDep) -> Response:
    await service.mark_all_read(session, service.CUSTOMER, me.id)
    return Response(status_code=204)


@customer.post("/{notification_id}/read", response_model=NotificationPublic, dependencies=[RateLimited])
async def customer_read(notification_id: Id, me: CurrentCustomer, session: SessionDep) -> NotificationPublic:
    notification = await service.mark_read(session, service.CUSTOMER, me.id, notification_id)
    return NotificationPublic.model_validate(notification)


@agent.get("", response_model=NotificationList)
async def staff_notifications(me: CurrentStaff, session: SessionDep, limit: Limit = 50) -> NotificationList:
    return await _inbox(session, service.STAFF, me.id, limit)


@agent.post("/read-all", status_code=204)
async def staff_read_all(me: CurrentStaff, session: SessionDep) -> Response:
    await service.mark_all_read(session, service.STAFF, me.id)
    return Response(status_code=204)


@agent.post("/{notification_id}/read", response_model=NotificationPublic)
async def staff_read(notification_id: Id, me: CurrentStaff, session: SessionDep) -> NotificationPublic:
    notification = await service.mark_read(session, service.STAFF, me.id, notification_id)
    return NotificationPublic.model_validate(notification)
