"""Shapes of the agent console API: queue rows, the full inquiry, triage and admin configuration."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from gogaek.identity.schemas import StaffRef
from gogaek.inquiries.models import Priority
from gogaek.inquiries.schemas import AttachmentPublic, CategoryRef, FeedbackPublic
from gogaek.inquiries.sla import SlaState
from gogaek.inquiries.workflow import Status
from gogaek.web.i18n import N_
from gogaek.web.ids import Id

Author = Literal["customer", "agent", "system"]


class QueueRow(BaseModel):
    """One line of the agent queue; names are joined in, never fetched per row."""

    id: int
    number: str
    title: str
    status: Status
    status_label: str
    priority: Priority
    category_id: int
    category_name: str
    customer_name: str | None
    assignee_id: int | None
    assignee_name: str | None
    team_id: int | None
    team_name: str | None
    created_at: datetime
    updated_at: datetime
    due_at: datetime | None
    # due_at is the first answer's deadline until one was given, then the resolution's.
    first_responded_at: datetime | None = None
    sla_state: SlaState
    tags: list[str]
    is_emergency: bool


class QueuePage(BaseModel):
    items: list[QueueRow]
    next_before_id: int | None = Field(description="Pass as before_id for the next page; null on the last page")


class StatusOption(BaseModel):
    status: Status
    label: str


class TeamRef(BaseModel):
    id: int
    name: str


class InquiryRef(BaseModel):
    id: int
    number: str
    title: str
    status: Status
    status_label: str
    created_at: datetime


class CustomerProfile(BaseModel):
    """What an agent needs to recognise the person; the phone number is partly hidden."""

    id: int
    name: str | None
    email: str | None
    phone: str | None
    source: str
    verified: bool
    created_at: datetime


class AgentMessage(BaseModel):
    id: int
    author: Author
    author_name: str | None
    author_staff_id: int | None
    internal: bool
    body: str
    created_at: datetime
    attachments: list[AttachmentPublic]


class TimelineEvent(BaseModel):
    id: int
    kind: str
    actor: Author
    actor_name: str | None
    data: dict[str, Any]
    created_at: datetime


class TimelineItem(BaseModel):
    type: Literal["message", "event"]
    created_at: datetime
    message: AgentMessage | None = None
    event: TimelineEvent | None = None


class AgentInquiryState(BaseModel):
    """The inquiry after a change: enough to redraw its header without reloading the thread."""

    id: int
    number: str
    status: Status
    status_label: str
    priority: Priority
    tags: list[str]
    assignee: StaffRef | None
    team: TeamRef | None
    merged_into_id: int | None
    first_responded_at: datetime | None
    due_at: datetime | None
    sla_state: SlaState
    updated_at: datetime
    allowed_statuses: list[StatusOption]


class AgentInquiryDetail(AgentInquiryState):
    title: str
    body: str
    channel: str
    is_emergency: bool
    emergency_guidance: str | None
    transaction_ref: str | None
    category: CategoryRef
    merged_into: InquiryRef | None
    created_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    attachments: list[AttachmentPublic] = Field(description="Files sent with the inquiry itself")
    messages: list[AgentMessage] = Field(description="The whole thread, internal notes included (internal=true)")
    timeline: list[TimelineItem] = Field(description="Messages and events in time order")
    customer: CustomerProfile
    other_inquiries: list[InquiryRef] = Field(description="The customer's other inquiries, newest first (10 at most)")
    feedback: FeedbackPublic | None
    other_viewers: list[StaffRef] = Field(description="Other staff who had this inquiry open in the last 2 minutes")


class AssignRequest(BaseModel):
    assignee_id: Id | None = Field(description="null hands the inquiry back to the unassigned queue")


class PriorityUpdate(BaseModel):
    priority: Priority


class TagsUpdate(BaseModel):
    tags: list[str] = Field(max_length=100)


class MergeRequest(BaseModel):
    into: Id = Field(description="The inquiry that is kept; this one is closed as its duplicate")


class MergeResult(BaseModel):
    duplicate: AgentInquiryState
    target: AgentInquiryState


class ViewersPublic(BaseModel):
    other_viewers: list[StaffRef]


class MacroPreview(BaseModel):
    macro_id: int
    text: str


MacroTitle = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
MacroBody = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]


class MacroCreate(BaseModel):
    title: MacroTitle
    body: MacroBody
    category_id: Id | None = None
    is_active: bool = True


class MacroUpdate(BaseModel):
    title: MacroTitle | None = None
    body: MacroBody | None = None
    category_id: Id | None = None
    clear_category: bool = False
    is_active: bool | None = None


class MacroPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    body: str
    category_id: int | None
    is_active: bool
    created_at: datetime


Hours = Annotated[float, Field(gt=0, le=24 * 365)]


RESOLUTION_BEFORE_FIRST_RESPONSE = N_("해결 목표 시간은 첫 응답 목표 시간보다 짧을 수 없습니다.")


class SlaPolicyCreate(BaseModel):
    category_id: Id | None = Field(default=None, description="null: every category")
    priority: Priority | None = Field(default=None, description="null: every priority")
    first_response_hours: Hours
    resolution_hours: Hours

    @model_validator(mode="after")
    def _resolution_after_first_response(self) -> SlaPolicyCreate:
        if self.resolution_hours < self.first_response_hours:
            raise ValueError(RESOLUTION_BEFORE_FIRST_RESPONSE)
        return self


class SlaPolicyUpdate(BaseModel):
    first_response_hours: Hours | None = None
    resolution_hours: Hours | None = None


class SlaPolicyPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    category_id: int | None
    priority: Priority | None
    first_response_hours: float
    resolution_hours: float
