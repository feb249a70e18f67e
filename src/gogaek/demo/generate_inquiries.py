"""One generated inquiry's life, from filing to closing, replayed with the app's own rules.

Each inquiry is drafted in an ``InquiryDraft`` and moved through ``service.apply_status`` and
the SLA clock functions, so due times, the pause while waiting on the customer and the stored queue
order come out as the app would have left them. The steps of its life (assignment, replies, a
follow-up, resolution, the automatic close) are drawn first; the ones after ``now`` have not
happened yet, which is what leaves young inquiries open and old ones closed.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any, cast

from gogaek.calendar.business_time import add_business_time
from gogaek.calendar.hours import SEOUL, BusinessHours
from gogaek.config import Settings
from gogaek.demo.generate_people import Staff
from gogaek.demo.generate_texts import (
    COMMENTS,
    EMERGENCY,
    FOLLOW_UPS,
    NOTES,
    REPLIES,
    REQUESTS,
    SECOND_REPLIES,
)
from gogaek.demo.generate_write import Row
from gogaek.inquiries.models import Inquiry, Priority
from gogaek.inquiries.service import apply_status
from gogaek.inquiries.sla import SlaTargets, queue_position, start_clocks
from gogaek.inquiries.workflow import Actor, Status

CHANNELS = (("web", 0.55), ("chat", 0.15), ("email", 0.15), ("phone", 0.15))
PRIORITIES = ((Priority.NORMAL, 0.86), (Priority.HIGH, 0.08), (Priority.LOW, 0.06))
CATEGORY_WEIGHTS = {"payment": 5, "transfer": 4, "charge": 3, "account": 3, "points": 2, "linked-accounts": 2}
EMERGENCY_SHARE = 0.01
SPAM_SHARE = 0.02  # closed by an agent without a reply (spam, a duplicate)
AUTO_ASSIGNED = 0.85  # the rest is picked up by the agent who answers
FOLLOW_UP_SHARE = 0.3
RATED_SHARE = 0.3
# Seoul weekday (Mon=0) and hour weights: office hours busiest, lunch dip, quiet nights.
WEEKDAY_WEIGHT = (1.0, 0.95, 0.95, 0.9, 0.9, 0.45, 0.35)
HOUR_WEIGHT = (1, 1, 1, 1, 1, 1, 2, 4, 8, 14, 16, 15, 10, 13, 15, 14, 12, 10, 8, 7, 6, 5, 3, 2)
HOLIDAY_WEIGHT = 0.4


@dataclass(slots=True)
class InquiryDraft:
    """An inquiry's columns as plain attributes, for the app's clock and status functions.

    Those functions only read and set attributes; a mapped ``Inquiry`` would do the same through
    the ORM's instrumentation, which made drafting three times slower. The test of the
    generator checks that the fields are exactly the table's columns.
    """

    id: int
    customer_id: int
    category_id: int
    team_id: int | None
    channel: str
    priority: str
    is_emergency: bool
    title: str
    body: str
    transaction_ref: str | None
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    number: str | None = None  # the database fills 문의번호 on INSERT (migration 0011)
    locale: str = "ko"  # generated customers file in Korean
    status: str = Status.RECEIVED.value
    assignee_id: int | None = None
    merged_into_id: int | None = None
    first_responded_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    first_response_due_at: datetime | None = None
    resolution_due_at: datetime | None = None
    resolution_remaining_seconds: float | None = None
    first_response_warned_at: datetime | None = None
    first_response_breached_at: datetime | None = None
    resolution_warned_at: datetime | None = None
    resolution_breached_at: datetime | None = None
    queue_rank: int = 0
    queue_due_at: datetime | None = None

    def as_inquiry(self) -> Inquiry:
        """What the app's functions are typed for; they see the same attributes."""
        return cast(Inquiry, self)


DRAFT_COLUMNS = tuple(item.name for item in fields(InquiryDraft))


@dataclass(frozen=True, slots=True)
class Setting:
    """Everything drawing an inquiry needs, read from the database once."""

    now: datetime
    days: int
    categories: tuple[tuple[int, str], ...]  # (id, slug)
    staff: Staff
    targets: dict[tuple[int, str], SlaTargets]  # (category id, priority) → the policy's hours
    hours: BusinessHours
    settings: Settings


@dataclass(slots=True)
class Generated:
    """One inquiry's rows; messages and events get their ids when the chunk is written."""

    inquiry: Row
    messages: list[Row]
    events: list[Row]
    feedback: Row | None


def created_times(rng: random.Random, setting: Setting, count: int) -> list[datetime]:
    """Filing times over the last ``days`` days, shaped by Seoul weekday, hour and holidays; oldest first."""
    earliest = setting.now - timedelta(days=setting.days)
    first_hour = earliest.replace(minute=0, second=0, microsecond=0)
    # Hour-long slots cut to the window at both ends, weighted by how much of the hour is inside it.
    slots = []
    for hour in range(setting.days * 24 + 2):
        begin = max(first_hour + timedelta(hours=hour), earliest)
        end = min(first_hour + timedelta(hours=hour + 1), setting.now)
        if end > begin:
            slots.append((begin, (end - begin).total_seconds()))
    weights = []
    for begin, seconds in slots:
        local = begin.astimezone(SEOUL)
        day_weight = WEEKDAY_WEIGHT[local.weekday()]
        if setting.hours.holiday_name(local.date()) is not None:
            day_weight = min(day_weight, HOLIDAY_WEIGHT)
        weights.append(day_weight * HOUR_WEIGHT[local.hour] * seconds)
    return sorted(
        begin + timedelta(seconds=rng.uniform(0, seconds)) for begin, seconds in rng.choices(slots, weights, k=count)
    )


def _pick(rng: random.Random, shares: tuple[tuple[Any, float], ...]) -> Any:
    return rng.choices([value for value, _ in shares], [share for _, share in shares])[0]


def _business_hours_later(rng: random.Random, setting: Setting, start: datetime, median_hours: float) -> datetime:
    """When staff act on something: a lognormal number of business hours after ``start``."""
    return add_business_time(start, timedelta(hours=rng.lognormvariate(0, 0.9) * median_hours), setting.hours)


class InquiryBuilder:
    """Draws inquiries one after another with one random stream, so a seed repeats the data."""

    def __init__(self, rng: random.Random, setting: Setting) -> None:
        self.rng, self.setting = rng, setting
        self.by_slug = {slug: category_id for category_id, slug in setting.categories}
        self.slug_of = dict(setting.categories)
        self.category_ids = [category_id for category_id, _ in setting.categories]
        self.category_weights = [CATEGORY_WEIGHTS.get(slug, 1) for _, slug in setting.categories]

    def build(self, inquiry_id: int, customer_id: int, created: datetime) -> Generated:
        rng, setting = self.rng, self.setting
        emergency = rng.random() < EMERGENCY_SHARE and "security" in self.by_slug
        if emergency:
            category_id, priority, (title, body) = self.by_slug["security"], Priority.URGENT, EMERGENCY
        else:
            category_id = rng.choices(self.category_ids, self.category_weights)[0]
            priority = _pick(rng, PRIORITIES)
            title, body = rng.choice(REQUESTS.get(self.slug_of[category_id], REQUESTS["help"]))
        channel = _pick(rng, CHANNELS)
        inquiry = InquiryDraft(
            id=inquiry_id,
            customer_id=customer_id,
            category_id=category_id,
            team_id=setting.staff.emergency_team if emergency else setting.staff.team_of_category.get(category_id),
            channel=channel,
            priority=priority.value,
            is_emergency=emergency,
            title=title,
            body=body,
            transaction_ref=f"DEMO-{rng.randrange(16**10):010X}" if rng.random() < 0.3 else None,
            tags=["긴급"] if emergency else [],
            created_at=created,
            updated_at=created,
        )
        targets = setting.targets[(category_id, priority.value)]
        start_clocks(inquiry.as_inquiry(), targets, created, setting.hours)
        life = _Life(self, inquiry)
        life.event(created, "created", Actor.CUSTOMER, None, {"channel": channel, "emergency": emergency})
        life.live()
        self._flags(inquiry, targets)
        inquiry.queue_rank, inquiry.queue_due_at = queue_position(inquiry.as_inquiry())
        row = {name: getattr(inquiry, name) for name in DRAFT_COLUMNS}
        return Generated(row, life.messages, life.events, life.feedback)

    def _flags(self, inquiry: InquiryDraft, targets: SlaTargets) -> None:
        """The SLA sweep's warned/breached marks for the time each clock ran."""
        setting, ratio = self.setting, self.setting.settings.sla_near_breach_ratio
        created = inquiry.created_at
        stopped = inquiry.resolved_at or inquiry.closed_at or setting.now
        first_end = min(inquiry.first_responded_at or stopped, stopped)
        first_due = inquiry.first_response_due_at
        if first_due is not None and first_end >= first_due:
            inquiry.first_response_breached_at = first_due
        # Business time never runs faster than the wall clock: a short wait cannot have warned.
        if first_due is not None and first_end - created >= targets.first_response * ratio:
            warned = add_business_time(created, targets.first_response * ratio, setting.hours)
            inquiry.first_response_warned_at = warned if first_end >= warned else None
        due = inquiry.resolution_due_at
        if due is not None and stopped >= due:
            inquiry.resolution_breached_at = due
            inquiry.resolution_warned_at = due - (due - created) * (1 - ratio)


class _Life:
    """The steps of one inquiry up to ``now``: each moves the status and leaves rows behind."""

    def __init__(self, builder: InquiryBuilder, inquiry: InquiryDraft) -> None:
        self.builder, self.inquiry = builder, inquiry
        self.rng, self.setting = builder.rng, builder.setting
        self.messages: list[Row] = []
        self.events: list[Row] = []
        self.feedback: Row | None = None
        self.agent = self.rng.choice(self.setting.staff.agents)

    def happened(self, moment: datetime) -> bool:
        return moment <= self.setting.now

    def event(self, moment: datetime, kind: str, actor: Actor, staff: int | None, data: dict[str, Any]) -> None:
        self.events.append(
            {
                "inquiry_id": self.inquiry.id,
                "kind": kind,
                "actor_kind": actor.value,
                "actor_staff_id": staff,
                "data": data,
                "created_at": moment,
            }
        )

    def message(self, moment: datetime, author: Actor, body: str, *, internal: bool = False) -> None:
        self.messages.append(
            {
                "inquiry_id": self.inquiry.id,
                "author_kind": author.value,
                "author_staff_id": self.agent if author == Actor.AGENT else None,
                "internal": internal,
                "body": body,
                "created_at": moment,
            }
        )

    def move(self, moment: datetime, target: Status, actor: Actor) -> None:
        previous = self.inquiry.status
        apply_status(self.inquiry.as_inquiry(), target, moment, self.setting.hours, self.setting.settings)
        staff = self.agent if actor == Actor.AGENT else None
        self.event(moment, "status_changed", actor, staff, {"from": previous, "to": target.value})

    def assign(self, moment: datetime, auto: bool) -> None:
        self.inquiry.assignee_id, self.inquiry.updated_at = self.agent, moment
        actor, staff = (Actor.SYSTEM, None) if auto else (Actor.AGENT, self.agent)
        data: dict[str, Any] = {"from": None, "to": self.agent} | ({"auto": True} if auto else {})
        self.event(moment, "assigned", actor, staff, data)

    def live(self) -> None:
        """Filing → assignment → reply (→ follow-up → reply) → resolution → automatic close."""
        rng, created = self.rng, self.inquiry.created_at
        auto = rng.random() < AUTO_ASSIGNED
        assigned = created + timedelta(minutes=rng.uniform(0.2, 5))
        if auto and not self.step(assigned, lambda: self.assign(assigned, auto=True)):
            return
        if rng.random() < SPAM_SHARE:
            closed = _business_hours_later(rng, self.setting, created, 0.5)
            self.step(closed, lambda: self.move(closed, Status.CLOSED, Actor.AGENT))
            return
        replied = _business_hours_later(rng, self.setting, created, 3)
        if not auto and not self.step(replied, lambda: self.assign(replied, auto=False)):
            return
        last = self.reply(replied, REPLIES)
        if last is None:
            return
        if rng.random() < FOLLOW_UP_SHARE:
            asked = last + timedelta(hours=rng.uniform(0.2, 30))
            if not self.step(asked, lambda: self.follow_up(asked)):
                return
            last = self.reply(_business_hours_later(rng, self.setting, asked, 2), SECOND_REPLIES)
            if last is None:
                return
        self.resolve(_business_hours_later(rng, self.setting, last, 4))

    def step(self, moment: datetime, action: Callable[[], None]) -> bool:
        """Runs ``action`` when its moment has passed; False means the life stops here (it is ``now``)."""
        if not self.happened(moment):
            return False
        action()
        return True

    def reply(self, moment: datetime, texts: tuple[str, ...]) -> datetime | None:
        """A public answer, sometimes after an internal note; the inquiry then waits on the customer."""
        if not self.happened(moment):
            if self.rng.random() < 0.5 and self.inquiry.status == Status.RECEIVED and self.inquiry.assignee_id:
                started = max(moment - timedelta(minutes=self.rng.uniform(5, 60)), self.inquiry.updated_at)
                self.step(started, lambda: self.move(started, Status.IN_PROGRESS, Actor.AGENT))
            return None
        if self.rng.random() < 0.1:
            noted = max(moment - timedelta(minutes=3), self.inquiry.updated_at)
            self.message(noted, Actor.AGENT, self.rng.choice(NOTES), internal=True)
        self.message(moment, Actor.AGENT, self.rng.choice(texts))
        if self.inquiry.first_responded_at is None:
            self.inquiry.first_responded_at = moment
        self.move(moment, Status.ANSWERED, Actor.AGENT)
        return moment

    def follow_up(self, moment: datetime) -> None:
        self.message(moment, Actor.CUSTOMER, self.rng.choice(FOLLOW_UPS))
        self.move(moment, Status.IN_PROGRESS, Actor.CUSTOMER)

    def resolve(self, moment: datetime) -> None:
        actor = Actor.CUSTOMER if self.rng.random() < 0.4 else Actor.AGENT
        if not self.step(moment, lambda: self.move(moment, Status.RESOLVED, actor)):
            return
        if self.rng.random() < RATED_SHARE:
            self.rate(moment + timedelta(minutes=self.rng.uniform(1, 2 * 24 * 60)))
        closed = moment + timedelta(days=self.setting.settings.inquiry_close_after_days)
        self.step(closed, lambda: self.move(closed, Status.CLOSED, Actor.SYSTEM))

    def rate(self, moment: datetime) -> None:
        if not self.happened(moment):
            return
        score = self.rng.choices((1, 2, 3, 4, 5), (4, 3, 8, 25, 60))[0]
        comment = self.rng.choice(COMMENTS[score]) if self.rng.random() < 0.6 else ""
        self.feedback = {"inquiry_id": self.inquiry.id, "score": score, "comment": comment, "created_at": moment}
        self.event(moment, "feedback", Actor.CUSTOMER, None, {"score": score})
