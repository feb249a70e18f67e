"""One chat websocket: a single writer per connection, frames in seq order, rights and limits.

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
from collections.abc import Coroutine, Sequence
from typing import Any
from urllib.parse import urlsplit

from fastapi import WebSocket
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.websockets import WebSocketDisconnect, WebSocketState

from gogaek.chat import queries
from gogaek.chat.models import ChatMessage, Conversation, Sender
from gogaek.chat.runtime import ChatRuntime
from gogaek.chat.schemas import PingFrame, error_frame, message_frame
from gogaek.chat.service import agent_names, conversation_channel
from gogaek.errors import ProblemError
from gogaek.realtime.hub import Event
from gogaek.realtime.ratelimit import TokenBucket
from gogaek.web.i18n import N_, gettext
from gogaek.web.validation import field_message

log = logging.getLogger(__name__)

CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_BAD_REQUEST = 4400
CLOSE_TRY_AGAIN = 1013  # the client fell too far behind; it resumes with after_seq
OUTBOX_LIMIT = 2000
# The server's hard limit per websocket frame (close 1009 above it); frames between
# GOGAEK_CHAT_MAX_FRAME_BYTES and this get an error frame and the socket stays open.
WS_MAX_BYTES = 64 * 1024
HEARTBEAT_SECONDS = 30.0


def same_origin(websocket: WebSocket) -> bool:
    """A cookie-authenticated socket must come from our own pages (no cross-site hijacking)."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True  # not a browser
    return urlsplit(origin).netloc == websocket.headers.get("host")


def decode_json(raw: str) -> Any:
    """A frame's JSON, or ValueError: nesting deep enough to fit in 16 KiB makes json raise RecursionError."""
    try:
        return json.loads(raw)
    except RecursionError as exc:
        raise ValueError("JSON nested too deeply") from exc


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
                names = await sender_names(session, missing)
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
            names = await sender_names(session, messages)
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
                self.error("unsupported_frame", N_("텍스트(JSON) 프레임만 받습니다."))
                continue
            if len(raw.encode()) > settings.chat_max_frame_bytes:
                self.error(
                    "frame_too_large",
                    gettext("프레임은 %(max)s바이트까지입니다.") % {"max": settings.chat_max_frame_bytes},
                )
                continue
            wait = self.bucket.take()
            if wait:
                self.error(
                    "rate_limited",
                    N_("너무 빠르게 보내고 있습니다. 잠시 후 다시 보내 주세요."),
                    retry_after=round(wait, 2),
                )
                continue
            await self._handle_raw(raw)

    async def _handle_raw(self, raw: str) -> None:
        try:
            data = decode_json(raw)
        except ValueError:
            self.error("malformed_frame", N_("JSON 형식이 아닙니다."))
            return
        try:
            frame = self.adapter.validate_python(data)
        except ValidationError as exc:
            details = [{"loc": list(e["loc"]), "message": field_message(e)} for e in exc.errors()[:5]]
            self.error("invalid_frame", N_("알 수 없거나 잘못된 프레임입니다."), errors=details)
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
            self.error("internal_error", N_("일시적인 오류가 발생했습니다. 다시 시도해 주세요."))

    async def handle(self, frame: Any) -> None:
        raise NotImplementedError

    async def _ping(self, _: PingFrame) -> None:
        self.send({"type": "pong"})


async def sender_names(session: AsyncSession, messages: Sequence[ChatMessage]) -> dict[int, str]:
    return await agent_names(session, sorted({m.staff_id for m in messages if m.staff_id is not None}))
