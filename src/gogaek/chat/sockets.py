"""The two chat websockets: ``/ws/chat`` for customers and ``/ws/agent`` for the console.

Each connection has one writer: hub events, replays and replies all go through its outbox, so
frames never interleave. Messages carry the conversation's ``seq``; the writer drops what it
already sent and fills any gap from the database, which is what makes a resume (or events from
two processes arriving out of order) lossless and duplicate-free.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.websockets import WebSocketDisconnect, WebSocketState

from gogaek.chat import queries
from gogaek.chat.context import handover_context
from gogaek.chat.models import ChatMessage, ChatStatus, Conversation, Sender
from gogaek.chat.runtime import ChatRuntime
from gogaek.chat.schemas import (
    PROTOCOL_VERSION,
    AcceptFrame,
    AgentEndFrame,
    AgentMessageFrame,
    AgentNoteFrame,
    AgentReadFrame,
    AgentTypingFrame,
    AvailabilityFrame,
    EndFrame,
    FeedbackFrame,
    HandoffFrame,
    LeaveInquiryFrame,
    MessageFrame,
    PingFrame,
    RateFrame,
    ReadFrame,
    TransferFrame,
    TypingFrame,
    WatchFrame,
    agent_frames,
    conversation_public,
    customer_frames,
    error_frame,
    message_frame,
)
from gogaek.chat.service import (
    QUEUE_CHANNEL,
    agent_channel,
    agent_names,
    check_agent_owns,
    check_text,
    conversation_channel,
    get_conversation,
    is_supervisor,
    mark_read,
    own_conversation,
    post_message,
    queue_place,
    rate_conversation,
    staff_channel,
    start_conversation,
    team_key,
    touch_presence,
)
from gogaek.deps import session_customer
from gogaek.errors import ProblemError
from gogaek.helpcenter.service import record_vote
from gogaek.identity.customers import customer_from_token
from gogaek.identity.models import Customer, StaffUser
from gogaek.identity.security import StaffToken
from gogaek.identity.service import staff_signed_in
from gogaek.realtime.hub import Event
from gogaek.realtime.ratelimit import TokenBucket
from gogaek.web.auth import session_credential

log = logging.getLogger(__name__)
router = APIRouter()

CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_BAD_REQUEST = 4400
CLOSE_TRY_AGAIN = 1013  # the client fell too far behind; it resumes with after_seq
OUTBOX_LIMIT = 2000
# The server's hard limit per websocket frame (close 1009 above it); frames between
# GOGAEK_CHAT_MAX_FRAME_BYTES and this get an error frame and the socket stays open.
WS_MAX_BYTES = 64 * 1024
HEARTBEAT_SECONDS = 30.0


def _runtime(websocket: WebSocket) -> ChatRuntime:
    runtime: ChatRuntime = websocket.app.state.chat
    return runtime


def _same_origin(websocket: WebSocket) -> bool:
    """A cookie-authenticated socket must come from our own pages (no cross-site hijacking)."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True  # not a browser
    return urlsplit(origin).netloc == websocket.headers.get("host")


class Connection:
    """One websocket: reads frames, writes events, never lets an exception end the socket."""

    adapter: TypeAdapter[Any]
    role: Sender
    counterpart: Sender

    def __init__(self, websocket: WebSocket, runtime: ChatRuntime) -> None:
        self.websocket = websocket
        self.runtime = runtime
        self.outbox: asyncio.Queue[Event | None] = asyncio.Queue()
        self.sent_seq: dict[int, int] = {}
        self.channels: set[str] = set()
        self.bucket = TokenBucket(runtime.settings.chat_rate_per_second, runtime.settings.chat_rate_burst)
        self._overflowed = False
        self._close_code = 1000

    # Inbox for the hub
    def deliver(self, channel: str, event: Event) -> None:
        if self._overflowed:
            return
        if self.outbox.qsize() >= OUTBOX_LIMIT:
            self._overflowed = True
            self.close(CLOSE_TRY_AGAIN)
            return
        self.outbox.put_nowait(event)

    def close(self, code: int) -> None:
        """Ends the socket after what is already in the outbox has been sent."""
        self._close_code = code
        self.outbox.put_nowait(None)

    def send(self, event: Event) -> None:
        self.outbox.put_nowait(event)

    def error(self, code: str, message: str, **extra: Any) -> None:
        self.send(error_frame(code, message, **extra))

    async def listen(self, channel: str) -> None:
        if channel not in self.channels:
            self.channels.add(channel)
            await self.runtime.hub.subscribe(channel, self)

    async def unlisten(self, channel: str) -> None:
        if channel in self.channels:
            self.channels.discard(channel)
            await self.runtime.hub.unsubscribe(channel, self)

    async def run(self) -> None:
        writer = asyncio.create_task(self._write_loop())
        reader = asyncio.create_task(self._read_loop())
        extra = [asyncio.create_task(task) for task in self.background()]
        try:
            done, _ = await asyncio.wait([writer, reader, *extra], return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                error = task.exception()
                if error is not None and not isinstance(error, WebSocketDisconnect):
                    log.error("chat connection failed", exc_info=error)
        finally:
            for task in (writer, reader, *extra):
                task.cancel()
            for task in (writer, reader, *extra):
                with contextlib.suppress(BaseException):
                    await task
            for channel in self.channels:
                await self.runtime.hub.unsubscribe(channel, self)
            await self.closed()
            if self.websocket.application_state == WebSocketState.CONNECTED:
                with contextlib.suppress(Exception):
                    await self.websocket.close(self._close_code)

    def background(self) -> list[Coroutine[Any, Any, None]]:
        return []

    async def closed(self) -> None:
        return None

    async def _write_loop(self) -> None:
        while True:
            event = await self.outbox.get()
            if event is None:
                return  # closing: overflowed (the client resumes from its last seq) or signed out
            for frame in await self.frames_for(event):
                await self.websocket.send_text(json.dumps(frame, ensure_ascii=False))

    async def frames_for(self, event: Event) -> list[Event]:
        if event.get("type") != "message" or "seq" not in event or event.get("duplicate"):
            return await self.translate(event)  # a duplicate's answer repeats an old seq on purpose
        return await self.in_order(event)

    async def in_order(self, event: Event) -> list[Event]:
        """Each seq once and in order: older ones are dropped, a gap is fetched from the database."""
        conversation_id, seq = event["conversation"], event["seq"]
        last = self.sent_seq.get(conversation_id)
        if last is None or seq <= last:
            return []  # not following this chat yet (its replay covers it), or already sent
        frames: list[Event] = []
        if seq > last + 1:
            async with self.runtime.sessionmaker() as session:
                missing = await queries.messages_after(
                    session, conversation_id, last, include_internal=self.sees_internal, until_seq=seq
                )
                names = await _names(session, missing)
            frames = [message_frame(m, names.get(m.staff_id or 0)) for m in missing]
        if self.sees_internal or not event.get("internal"):
            frames.append(event)
        self.sent_seq[conversation_id] = seq
        for frame in frames:
            self.on_message_sent(frame)
        return frames

    def on_message_sent(self, frame: Event) -> None:
        """A delivered receipt for the other side's message, now that it is on its way to us."""
        if frame.get("sender") == self.counterpart.value:
            receipt = {
                "type": "delivered",
                "conversation": frame["conversation"],
                "by": self.role.value,
                "seq": frame["seq"],
            }
            self.runtime.spawn(self.runtime.hub.publish(conversation_channel(frame["conversation"]), receipt))

    def is_own_signal(self, event: Event) -> bool:
        """Our own typing and receipts are for the other side, not echoed back to us."""
        return event.get("type") in ("typing", "read", "delivered") and event.get("by") == self.role.value

    @property
    def sees_internal(self) -> bool:
        return False

    async def translate(self, event: Event) -> list[Event]:
        return [event]

    async def replay(self, conversation: Conversation, after_seq: int) -> None:
        """Sends everything after ``after_seq`` once, then live messages continue from there."""
        async with self.runtime.sessionmaker() as session:
            messages = await queries.messages_after(
                session, conversation.id, after_seq, include_internal=self.sees_internal
            )
            names = await _names(session, messages)
        # Through the outbox like live events, so the writer's seq check orders replay and live alike.
        self.sent_seq[conversation.id] = after_seq
        for message in messages:
            self.send(message_frame(message, names.get(message.staff_id or 0)))

    async def _read_loop(self) -> None:
        settings = self.runtime.settings
        while True:
            message = await self.websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            raw = message.get("text")
            if raw is None:
                self.error("unsupported_frame", "텍스트(JSON) 프레임만 받습니다. (Text JSON frames only)")
                continue
            if len(raw.encode()) > settings.chat_max_frame_bytes:
                self.error(
                    "frame_too_large",
                    f"프레임은 {settings.chat_max_frame_bytes}바이트까지입니다. (Frame too large)",
                )
                continue
            wait = self.bucket.take()
            if wait:
                self.error(
                    "rate_limited",
                    "너무 빠르게 보내고 있습니다. 잠시 후 다시 보내 주세요. (Too many frames)",
                    retry_after=round(wait, 2),
                )
                continue
            await self._handle_raw(raw)

    async def _handle_raw(self, raw: str) -> None:
        try:
            data = json.loads(raw)
        except ValueError:
            self.error("malformed_frame", "JSON 형식이 아닙니다. (Not JSON)")
            return
        try:
            frame = self.adapter.validate_python(data)
        except ValidationError as exc:
            details = [{"loc": list(e["loc"]), "message": e["msg"]} for e in exc.errors()[:5]]
            self.error("invalid_frame", "알 수 없거나 잘못된 프레임입니다. (Invalid frame)", errors=details)
            return
        # Shielded: if the socket drops mid-way, a committed message is still published and the
        # bot still answers it; the customer sees both when they resume.
        await asyncio.shield(self.runtime.spawn(self._dispatch(frame, data)))

    async def _dispatch(self, frame: Any, data: Any) -> None:
        try:
            await self.handle(frame)
        except ProblemError as exc:
            self.error(exc.code, exc.message, **({"frame": data.get("type")} if isinstance(data, dict) else {}))
        except Exception:
            log.exception("chat frame failed")
            self.error("internal_error", "일시적인 오류가 발생했습니다. 다시 시도해 주세요. (Internal error)")

    async def handle(self, frame: Any) -> None:
        raise NotImplementedError

    async def _ping(self, _: PingFrame) -> None:
        self.send({"type": "pong"})


async def _names(session: AsyncSession, messages: Sequence[ChatMessage]) -> dict[int, str]:
    return await agent_names(session, sorted({m.staff_id for m in messages if m.staff_id is not None}))


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
        async with self.runtime.sessionmaker() as session:
            conversation = await own_conversation(session, self.customer, self.conversation_id)
            if conversation.status == ChatStatus.ENDED.value:
                raise ProblemError(409, "chat_ended", "이미 종료된 상담입니다. 새 상담을 시작해 주세요. (Chat ended)")
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
        await self.runtime.leave_inquiry(self.customer, self.conversation_id, frame.category)

    async def _feedback(self, frame: FeedbackFrame) -> None:
        async with self.runtime.sessionmaker() as session:
            await record_vote(session, frame.article_id, f"customer:{self.customer.id}", frame.helpful)
        self.send({"type": "feedback_recorded", "article_id": frame.article_id})


async def _authenticate_customer(websocket: WebSocket, runtime: ChatRuntime) -> Customer | None:
    token = websocket.query_params.get("token")
    async with runtime.sessionmaker() as session:
        if token:
            try:
                return await customer_from_token(session, token, runtime.settings)
            except ProblemError:
                return None
        if not _same_origin(websocket):
            return None
        return await session_customer(websocket, session, runtime.settings)


def _int_param(websocket: WebSocket, name: str) -> int | None:
    value = websocket.query_params.get(name)
    if value is None or value == "":
        return None
    if not value.isdigit() or len(value) > 12:
        raise ValueError(name)
    return int(value)


async def _refuse(websocket: WebSocket, code: int, error: str, message: str) -> None:
    await websocket.send_text(json.dumps(error_frame(error, message), ensure_ascii=False))
    await websocket.close(code)


@router.websocket("/ws/chat")
async def customer_socket(websocket: WebSocket) -> None:
    await websocket.accept()
    runtime = _runtime(websocket)
    customer = await _authenticate_customer(websocket, runtime)
    if customer is None:
        await _refuse(websocket, CLOSE_UNAUTHORIZED, "unauthorized", "로그인이 필요합니다. (Sign-in required)")
        return
    try:
        conversation_id, after_seq = _int_param(websocket, "conversation"), _int_param(websocket, "after_seq") or 0
    except ValueError as exc:
        await _refuse(websocket, CLOSE_BAD_REQUEST, "bad_request", f"잘못된 값입니다: {exc} (Bad query parameter)")
        return
    async with runtime.sessionmaker() as session:
        if conversation_id is not None:
            try:
                conversation = await own_conversation(session, customer, conversation_id)
            except ProblemError:
                await _refuse(websocket, CLOSE_FORBIDDEN, "forbidden", "볼 수 없는 상담입니다. (Not your chat)")
                return
        else:
            existing = await queries.open_conversation_of(session, customer.id)
            if existing is None:
                outcome = await start_conversation(session, customer, runtime.settings.chat_bot_greeting)
                await runtime.publish(outcome)
                existing = outcome.conversation
            conversation = existing
    connection = CustomerConnection(websocket, runtime, customer, conversation)
    await connection.start(conversation, after_seq)
    with contextlib.suppress(WebSocketDisconnect):
        await connection.run()


class AgentConnection(Connection):
    """A console socket. The account is re-read before every frame and on every heartbeat, and
    at once when an admin changes it (``account_changed`` on the agent's channel, through the hub
    so every process hears it): a demoted or deactivated agent keeps no rights it had at connect."""

    adapter = agent_frames
    role = Sender.AGENT
    counterpart = Sender.CUSTOMER

    def __init__(self, websocket: WebSocket, runtime: ChatRuntime, agent: StaffUser, credential: StaffToken):
        super().__init__(websocket, runtime)
        self.agent = agent
        self.credential = credential
        self.team_ids: list[int] = []
        self.revoked = False

    @property
    def sees_internal(self) -> bool:
        return True

    async def start(self) -> None:
        async with self.runtime.sessionmaker() as session:
            self.team_ids = await queries.team_ids_of(session, self.agent.id)
            chats = await queries.agent_conversations(session, self.agent.id)
        # hello first: the channels below start delivering as soon as they are followed.
        self.send(
            {
                "type": "hello",
                "v": PROTOCOL_VERSION,
                "role": "agent",
                "agent": {
                    "id": self.agent.id,
                    "name": self.agent.display_name,
                    "availability": self.agent.availability,
                    "supervisor": is_supervisor(self.agent),
                },
                "max_concurrent": self.runtime.settings.chat_max_concurrent,
                "chats": [conversation_public(c) for c in chats],
            }
        )
        await self.listen(agent_channel(self.agent.id))
        await self.listen(QUEUE_CHANNEL)
        await self.runtime.agent_connected(self.agent.id)
        for chat in chats:
            await self._follow(chat.id, after_seq=None)
        self.send(self._queue_frame(await self.runtime.queue_snapshot()))
        if self.runtime.settings.chat_auto_assign:
            await self.runtime.assign_waiting()

    def background(self) -> list[Coroutine[Any, Any, None]]:
        return [self._heartbeat()]

    async def closed(self) -> None:
        await self.runtime.agent_disconnected(self.agent.id)

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            if not await self.recheck():
                return
            async with self.runtime.sessionmaker() as session:
                await touch_presence(session, self.agent.id)

    async def recheck(self) -> bool:
        """Reloads the account and its teams; a signed-out account closes the socket (4401)."""
        if self.revoked:
            return False
        async with self.runtime.sessionmaker() as session:
            agent = await staff_signed_in(session, self.credential.staff_id, self.credential.issued_at)
            team_ids = await queries.team_ids_of(session, agent.id) if agent is not None else []
            own = {c.id for c in await queries.agent_conversations(session, agent.id)} if agent is not None else set()
        if agent is None:
            self.revoked = True
            self.error("signed_out", "계정이 비활성화되었거나 로그인이 만료되었습니다. (Signed out)")
            self.close(CLOSE_UNAUTHORIZED)
            return False
        was_supervisor = is_supervisor(self.agent)
        self.agent, self.team_ids = agent, team_ids
        if was_supervisor and not is_supervisor(agent):
            for conversation_id in [c for c in self.sent_seq if c not in own]:
                await self._unfollow(conversation_id)  # chats it only watched as a supervisor
        return True

    async def _follow(self, conversation_id: int, after_seq: int | None) -> None:
        """Subscribes, then sends the handover context (after_seq None) or the replay."""
        await self.listen(conversation_channel(conversation_id))
        await self.listen(staff_channel(conversation_id))
        async with self.runtime.sessionmaker() as session:
            conversation = await get_conversation(session, conversation_id)
            if after_seq is None:
                context = await handover_context(session, conversation)
        if after_seq is not None:
            await self.replay(conversation, after_seq)
            return
        self.sent_seq[conversation_id] = max([0, *(m["seq"] for m in context["transcript"])])
        self.send({"type": "assigned", **context})

    def _queue_frame(self, snapshot: Event) -> Event:
        supervisor = is_supervisor(self.agent)
        waiting = [
            w for w in snapshot["waiting"] if supervisor or w["team_id"] is None or w["team_id"] in self.team_ids
        ]
        return {"type": "queue", "waiting": waiting, "length": len(waiting), "online": snapshot["online"]}

    async def translate(self, event: Event) -> list[Event]:
        kind = event.get("type")
        if kind == "queue_changed":
            return [self._queue_frame(event)] if "waiting" in event else []
        if kind == "handover":  # the hub says the chat is ours; the agent gets an "assigned" frame
            await self._follow(event["conversation"], after_seq=None)
            return []
        if kind == "released":
            await self._unfollow(event["conversation"])
            return [event]
        if kind == "account_changed":
            if await self.recheck():
                self.send(self._queue_frame(await self.runtime.queue_snapshot()))
            return []
        return [] if self.is_own_signal(event) else [event]

    async def _unfollow(self, conversation_id: int) -> None:
        if is_supervisor(self.agent):
            return
        for channel in (conversation_channel(conversation_id), staff_channel(conversation_id)):
            await self.unlisten(channel)
        self.sent_seq.pop(conversation_id, None)

    async def handle(self, frame: Any) -> None:
        if not await self.recheck():
            return
        handlers: dict[type, Callable[[Any], Awaitable[None]]] = {
            AgentMessageFrame: self._message,
            AgentNoteFrame: self._note,
            AgentTypingFrame: self._typing,
            AgentReadFrame: self._read,
            AcceptFrame: self._accept,
            TransferFrame: self._transfer,
            AgentEndFrame: self._end,
            WatchFrame: self._watch,
            AvailabilityFrame: self._availability,
            PingFrame: self._ping,
        }
        await handlers[type(frame)](frame)

    async def _owned(self, conversation_id: int) -> Conversation:
        async with self.runtime.sessionmaker() as session:
            conversation = await get_conversation(session, conversation_id)
        check_agent_owns(conversation, self.agent)
        return conversation

    async def _message(self, frame: AgentMessageFrame) -> None:
        await self._post(frame.conversation, frame.text, frame.client_msg_id, internal=False)

    async def _note(self, frame: AgentNoteFrame) -> None:
        await self._post(frame.conversation, frame.text, frame.client_msg_id, internal=True)

    async def _post(self, conversation_id: int, text: str, client_msg_id: str | None, *, internal: bool) -> None:
        text = check_text(text, self.runtime.settings)
        async with self.runtime.sessionmaker() as session:
            conversation = await get_conversation(session, conversation_id)
            if not (internal and is_supervisor(self.agent)):
                check_agent_owns(conversation, self.agent)
            outcome = await post_message(
                session,
                conversation,
                Sender.AGENT,
                text,
                client_msg_id=client_msg_id,
                staff=self.agent,
                internal=internal,
            )
        if not outcome.created:
            self.send({**message_frame(outcome.messages[0], self.agent.display_name), "duplicate": True})
            return
        await self.runtime.publish(outcome)

    async def _typing(self, frame: AgentTypingFrame) -> None:
        await self._owned(frame.conversation)
        event = {"type": "typing", "conversation": frame.conversation, "by": "agent"}
        await self.runtime.hub.publish(conversation_channel(frame.conversation), event)

    async def _read(self, frame: AgentReadFrame) -> None:
        conversation = await self._owned(frame.conversation)
        async with self.runtime.sessionmaker() as session:
            outcome = await mark_read(session, conversation, Sender.AGENT, frame.seq)
        await self.runtime.publish(outcome)

    async def _accept(self, frame: AcceptFrame) -> None:
        await self.runtime.accept(self.agent, frame.conversation)

    async def _transfer(self, frame: TransferFrame) -> None:
        await self.runtime.transfer(self.agent, frame.conversation, frame.to_agent, frame.to_team)

    async def _end(self, frame: AgentEndFrame) -> None:
        await self.runtime.end(frame.conversation, "agent", staff=self.agent)

    async def _watch(self, frame: WatchFrame) -> None:
        async with self.runtime.sessionmaker() as session:
            conversation = await get_conversation(session, frame.conversation)
        if not is_supervisor(self.agent) and conversation.agent_id != self.agent.id:
            raise ProblemError(403, "forbidden", "담당 중인 상담이 아닙니다. (Not your chat)")
        await self._follow(conversation.id, after_seq=frame.after_seq)

    async def _availability(self, frame: AvailabilityFrame) -> None:
        await self.runtime.set_availability(self.agent, frame.status)
        self.send({"type": "availability", "status": frame.status})


def _staff_credential(websocket: WebSocket) -> StaffToken | None:
    token = websocket.query_params.get("token")
    if token:
        return websocket.app.state.token_signer.read(token)  # type: ignore[no-any-return]
    return session_credential(websocket) if _same_origin(websocket) else None


@router.websocket("/ws/agent")
async def agent_socket(websocket: WebSocket) -> None:
    await websocket.accept()
    runtime = _runtime(websocket)
    credential = _staff_credential(websocket)
    agent = None
    if credential is not None:
        async with runtime.sessionmaker() as session:
            agent = await staff_signed_in(session, credential.staff_id, credential.issued_at)
    if agent is None or credential is None:
        await _refuse(websocket, CLOSE_UNAUTHORIZED, "unauthorized", "로그인이 필요합니다. (Sign-in required)")
        return
    connection = AgentConnection(websocket, runtime, agent, credential)
    await connection.start()
    with contextlib.suppress(WebSocketDisconnect):
        await connection.run()
