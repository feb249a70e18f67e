"""The chat protocol's frames (docs/chat-protocol.md) and the HTTP views of a chat."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

from gogaek.chat.models import ChatMessage, Conversation
from gogaek.web.i18n import N_, in_language
from gogaek.web.ids import MAX_ID, Id

PROTOCOL_VERSION = 1
CHAT_STATUS_LABELS = {
    "bot": N_("챗봇 상담 중"),
    "queued": N_("상담사 연결 대기"),
    "active": N_("상담 중"),
    "ended": N_("상담 종료"),
}
ClientMsgId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


class _Frame(BaseModel):
    model_config = ConfigDict(extra="ignore")


def _stripped(value: str) -> str:
    return value.strip()


# Customer → server


class _TextFields(_Frame):
    """A message or note: text, and the client's id that makes a resend safe."""

    text: str = Field(min_length=1)
    client_msg_id: ClientMsgId | None = None

    _strip = field_validator("text")(_stripped)


class MessageFrame(_TextFields):
    type: Literal["message"]


class TypingFrame(_Frame):
    type: Literal["typing"]


class ReadFrame(_Frame):
    type: Literal["read"]
    seq: int = Field(ge=0, le=MAX_ID)


class HandoffFrame(_Frame):
    type: Literal["handoff"]


class EndFrame(_Frame):
    type: Literal["end"]


class RateFrame(_Frame):
    type: Literal["rate"]
    score: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=1000)


class LeaveInquiryFrame(_Frame):
    """The offline fallback: turn the chat into an online inquiry."""

    type: Literal["leave_inquiry"]
    category: str | None = Field(default=None, max_length=80)


class FeedbackFrame(_Frame):
    """ "도움이 되었나요?" on a bot answer."""

    type: Literal["feedback"]
    article_id: Id
    helpful: bool


class PingFrame(_Frame):
    type: Literal["ping"]


CustomerFrame = Annotated[
    MessageFrame
    | TypingFrame
    | ReadFrame
    | HandoffFrame
    | EndFrame
    | RateFrame
    | LeaveInquiryFrame
    | FeedbackFrame
    | PingFrame,
    Field(discriminator="type"),
]
customer_frames: TypeAdapter[CustomerFrame] = TypeAdapter(CustomerFrame)


# Agent → server: the same verbs, each naming its conversation, plus the console's own.


class _AgentFrame(_Frame):
    conversation: Id


class AgentMessageFrame(_AgentFrame, _TextFields):
    type: Literal["message"]


class AgentNoteFrame(_AgentFrame, _TextFields):
    type: Literal["note"]


class AgentTypingFrame(_AgentFrame):
    type: Literal["typing"]


class AgentReadFrame(_AgentFrame):
    type: Literal["read"]
    seq: int = Field(ge=0, le=MAX_ID)


class AcceptFrame(_AgentFrame):
    type: Literal["accept"]


class TransferFrame(_AgentFrame):
    type: Literal["transfer"]
    to_agent: Id | None = None
    to_team: Id | None = None


class AgentEndFrame(_AgentFrame):
    type: Literal["end"]


class WatchFrame(_AgentFrame):
    """Follow a chat (own, or any for supervisors) and replay it after ``after_seq``."""

    type: Literal["watch"]
    after_seq: int = Field(default=0, ge=0, le=MAX_ID)


class AvailabilityFrame(_Frame):
    type: Literal["availability"]
    status: Literal["available", "away", "offline"]


AgentFrame = Annotated[
    AgentMessageFrame
    | AgentNoteFrame
    | AgentTypingFrame
    | AgentReadFrame
    | AcceptFrame
    | TransferFrame
    | AgentEndFrame
    | WatchFrame
    | AvailabilityFrame
    | PingFrame,
    Field(discriminator="type"),
]
agent_frames: TypeAdapter[AgentFrame] = TypeAdapter(AgentFrame)


# Server → client


def image_path(conversation_id: int, seq: int) -> str:
    return f"/api/v1/chat/conversations/{conversation_id}/messages/{seq}/image"


def message_frame(message: ChatMessage, agent_name: str | None = None) -> dict[str, Any]:
    """A stored message as every client sees it; ``payload`` keys ride along at the top level."""
    frame: dict[str, Any] = {
        "type": "message",
        "conversation": message.conversation_id,
        "seq": message.seq,
        "sender": message.sender,
        "text": message.text,
        "created_at": message.created_at.isoformat(),
    }
    if message.client_msg_id is not None:
        frame["client_msg_id"] = message.client_msg_id
    if message.internal:
        frame["internal"] = True
    if agent_name is not None:
        frame["agent_name"] = agent_name
    payload = dict(message.payload or {})
    image = payload.pop("image", None)
    if image is not None:
        frame["image"] = {
            "url": image_path(message.conversation_id, message.seq),
            "name": image["name"],
            "content_type": image["content_type"],
            "size": image["size"],
        }
    frame.update(payload)
    return frame


class CallCustomer(BaseModel):
    """The caller as matched by a verified phone number; the number itself stays masked."""

    id: int
    name: str | None
    phone: str | None
    verified_at: datetime | None


class CallSummary(BaseModel):
    id: int
    call_id: str
    from_number: str = Field(serialization_alias="from")
    to: str
    direction: str
    queue: str | None
    state: str
    customer: CallCustomer | None
    matches: int  # customers with this verified number: 0 unknown, 1 the customer above, 2+ ambiguous
    recent_inquiries: list[dict[str, Any]]


class CallFrame(BaseModel):
    """Screen-pop (docs/phone-cti.md): a call rings at, or was answered by, this agent's phone."""

    type: Literal["call_ringing", "call_answered"]
    call: CallSummary


def error_frame(code: str, message: str, **extra: Any) -> dict[str, Any]:
    """The message in the socket's language, chosen when it connected (the host token's
    ``locale``, ``?lang=``, the language cookie, then ``Accept-Language``): Korean without its
    English gloss, or English."""
    return {"type": "error", "code": code, "message": in_language(message), **extra}


class ConversationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    status: str
    created_at: datetime
    queued_at: datetime | None
    accepted_at: datetime | None
    ended_at: datetime | None
    ended_by: str | None
    last_seq: int
    is_emergency: bool
    inquiry_id: int | None
    rating: int | None


def conversation_public(conversation: Conversation) -> dict[str, Any]:
    return ConversationPublic.model_validate(conversation).model_dump(mode="json")


class RatingCreate(BaseModel):
    score: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=1000)


class ConversationList(BaseModel):
    items: list[ConversationPublic]
