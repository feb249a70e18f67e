"""Webhook endpoint and notification request/response shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from gogaek.events import ALL_EVENTS
from gogaek.web.i18n import gettext

WebhookUrl = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


def _known_events(events: list[str]) -> list[str]:
    """Unknown names are refused rather than silently never matching; duplicates are dropped."""
    unknown = sorted(set(events) - set(ALL_EVENTS))
    if unknown:
        raise ValueError(gettext("알 수 없는 이벤트입니다: %(events)s") % {"events": ", ".join(unknown)})
    return list(dict.fromkeys(events))


EventList = Annotated[list[str], Field(max_length=len(ALL_EVENTS) * 2), AfterValidator(_known_events)]


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: WebhookUrl
    events: EventList = Field(default_factory=list, description="empty: every event")
    description: Description = ""
    is_active: bool = True
    allow_private: bool = Field(False, description="deliver to private/loopback addresses (role admin only)")


class WebhookUpdate(BaseModel):
    """Only the fields sent are changed."""

    model_config = ConfigDict(extra="forbid")

    url: WebhookUrl | None = None
    events: EventList | None = None
    description: Description | None = None
    is_active: bool | None = None
    allow_private: bool | None = None


class WebhookPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    url: str
    events: list[str]
    description: str
    is_active: bool
    allow_private: bool
    created_at: datetime


class WebhookCreated(WebhookPublic):
    """The only response that carries the signing secret; it cannot be read again later."""

    secret: str


class WebhookTestQueued(BaseModel):
    job_id: int
    delivery_id: str


class NotificationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    title: str
    link: str
    read_at: datetime | None
    created_at: datetime


class NotificationList(BaseModel):
    items: list[NotificationPublic]
    unread: int
