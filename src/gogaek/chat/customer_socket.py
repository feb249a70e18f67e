"""The customer's side of a chat socket (``/ws/chat``): talk to the bot, wait in line, talk to a person."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import WebSocket

from gogaek.chat.connection import Connection
from gogaek.chat.fallback import leave_inquiry
from gogaek.chat.models import ChatStatus, Conversation, Sender
from gogaek.chat.posting import Guard, post_if
from gogaek.chat.runtime import ChatRuntime
from gogaek.chat.schemas import (
    PROTOCOL_VERSION,
    EndFrame,
    FeedbackFrame,
    HandoffFrame,
    LeaveInquiryFrame,
    MessageFrame,
    PingFrame,
    RateFrame,
    ReadFrame,
    TypingFrame,
    conversation_public,
    customer_frames,
    message_frame,
)
from gogaek.chat.service import (
    QUEUE_CHANNEL,
    check_text,
    conversation_channel,
    mark_read,
    own_conversation,
    person_draft,
    post_message,
    rate_conversation,
    team_key,
)
from gogaek.chat.waiting import queue_place
from gogaek.errors import ProblemError
from gogaek.helpcenter.service import record_vote
from gogaek.identity.models import Customer
from gogaek.realtime.hub import Event
from gogaek.web.i18n import N_


class CustomerConnection(Connection):
    adapter = customer_frames
    role = Sender.CUSTOMER
    counterpart = Sender.AGENT

    def __init__(self, websocket: WebSocket, runtime: ChatRuntime, customer: Customer, conversation: Conversation):
        super().__init__(websocket, runtime)
        self.customer = customer
        self.conversation_id = conversation.id
        self.status = conversation.status
        self.last_place: tuple[int, int | None] | None = None  # a queue frame only when it changes

    async def start(self, conversation: Conversation, after_seq: int) -> None:
        await self.listen(conversation_channel(conversation.id))
        self.send(
            {
                "type": "hello",
                "v": PROTOCOL_VERSION,
                "role": "customer",
                "conversation": conversation_public(conversation),
            }
        )
        await self.replay(conversation, after_seq)
        if conversation.status == ChatStatus.QUEUED.value:
            await self._wait_in_line()
        elif conversation.status == ChatStatus.BOT.value:
            self.runtime.spawn(self.runtime.answer_pending(conversation.id))

    async def _wait_in_line(self) -> None:
        """Only waiting customers follow the queue: with thousands chatting, a queue change
        then reaches the few it concerns. The first place is read directly, in case the
        subscription came after the change that put us in line."""
        await self.listen(QUEUE_CHANNEL)
        self.send_queue(await self.runtime.queue_snapshot())

    async def _status_changed(self, status: str) -> None:
        was_waiting = self.status == ChatStatus.QUEUED.value
        self.status = status
        if status == ChatStatus.QUEUED.value and not was_waiting:
            await self._wait_in_line()
        elif was_waiting and status != ChatStatus.QUEUED.value:
            self.last_place = None
            await self.unlisten(QUEUE_CHANNEL)

    def send_queue(self, snapshot: Event) -> None:
        if self.status != ChatStatus.QUEUED.value:
            return
        entry = next((w for w in snapshot["waiting"] if w["conversation"] == self.conversation_id), None)
        if entry is None:
            return
        team = entry["team_id"]  # from the snapshot: a transfer may have moved the chat to another team
        order = [w["conversation"] for w in snapshot["waiting"] if w["team_id"] == team]
        online = int(snapshot["online"].get(team_key(team), 0))
        place = queue_place(order, self.conversation_id, online, self.runtime.settings)
        if place is not None and (place.position, place.eta_seconds) != self.last_place:
            self.last_place = (place.position, place.eta_seconds)
            self.send(
                {
                    "type": "queue",
                    "conversation": self.conversation_id,
                    "position": place.position,
                    "eta_seconds": place.eta_seconds,
                }
            )

    async def translate(self, event: Event) -> list[Event]:
        kind = event.get("type")
        if kind == "queue_changed":
            if "waiting" in event:
                self.send_queue(event)
            return []
        if kind == "status":
            await self._status_changed(event["status"])
        return [] if self.is_own_signal(event) else [event]

    async def handle(self, frame: Any) -> None:
        handlers: dict[type, Callable[[Any], Awaitable[None]]] = {
            MessageFrame: self._message,
            TypingFrame: self._typing,
            ReadFrame: self._read,
            HandoffFrame: self._handoff,
            EndFrame: self._end,
            RateFrame: self._rate,
            LeaveInquiryFrame: self._leave_inquiry,
            FeedbackFrame: self._feedback,
            PingFrame: self._ping,
        }
        await handlers[type(frame)](frame)

    async def _conversation(self) -> Conversation:
        async with self.runtime.sessionmaker() as session:
            return await own_conversation(session, self.customer, self.conversation_id)

    async def _message(self, frame: MessageFrame) -> None:
        text = check_text(frame.text, self.runtime.settings)
        draft = person_draft(Sender.CUSTOMER, text, frame.client_msg_id)
        async with self.runtime.sessionmaker() as session:
            outcome = await post_if(session, self.conversation_id, Guard.CUSTOMER, self.customer.id, draft)
            if outcome is None:  # not stored: say why
                conversation = await own_conversation(session, self.customer, self.conversation_id)
                if conversation.status == ChatStatus.ENDED.value:
                    raise ProblemError(409, "chat_ended", N_("이미 종료된 상담입니다. 새 상담을 시작해 주세요."))
                outcome = await post_message(
                    session, conversation, Sender.CUSTOMER, text, client_msg_id=frame.client_msg_id
                )
        if not outcome.created:
            # A resend: answer with the stored copy so the client can mark it sent, store nothing;
            # if the first try died before the bot answered, the bot answers now.
            self.send({**message_frame(outcome.messages[0]), "duplicate": True})
            await self.runtime.answer_pending(self.conversation_id)
            return
        await self.runtime.customer_message(self.conversation_id, outcome)

    async def _typing(self, _: TypingFrame) -> None:
        event = {"type": "typing", "conversation": self.conversation_id, "by": "customer"}
        await self.runtime.hub.publish(conversation_channel(self.conversation_id), event)

    async def _read(self, frame: ReadFrame) -> None:
        async with self.runtime.sessionmaker() as session:
            conversation = await own_conversation(session, self.customer, self.conversation_id)
            outcome = await mark_read(session, conversation, Sender.CUSTOMER, frame.seq)
        await self.runtime.publish(outcome)

    async def _handoff(self, _: HandoffFrame) -> None:
        await self.runtime.request_person(self.conversation_id)

    async def _end(self, _: EndFrame) -> None:
        await self._conversation()
        await self.runtime.end(self.conversation_id, "customer")

    async def _rate(self, frame: RateFrame) -> None:
        async with self.runtime.sessionmaker() as session:
            conversation = await own_conversation(session, self.customer, self.conversation_id)
            rated = await rate_conversation(session, conversation, frame.score, frame.comment)
        self.send({"type": "rated", "conversation": rated.id, "score": rated.rating})

    async def _leave_inquiry(self, frame: LeaveInquiryFrame) -> None:
        await self._conversation()
        await leave_inquiry(self.runtime, self.customer, self.conversation_id, frame.category)

    async def _feedback(self, frame: FeedbackFrame) -> None:
        async with self.runtime.sessionmaker() as session:
            await record_vote(session, frame.article_id, f"customer:{self.customer.id}", frame.helpful)
        self.send({"type": "feedback_recorded", "article_id": frame.article_id})
