"""The console's side of a chat socket (``/ws/agent``): take chats, answer, watch, transfer."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import replace
from typing import Any

from fastapi import WebSocket
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.chat import queries
from gogaek.chat.connection import CLOSE_UNAUTHORIZED, HEARTBEAT_SECONDS, Connection
from gogaek.chat.context import handover_context
from gogaek.chat.models import Conversation, Sender
from gogaek.chat.posting import Guard, post_if
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
    PingFrame,
    TransferFrame,
    WatchFrame,
    agent_frames,
    conversation_public,
    message_frame,
)
from gogaek.chat.service import (
    QUEUE_CHANNEL,
    agent_channel,
    check_agent_owns,
    check_text,
    conversation_channel,
    get_conversation,
    is_supervisor,
    mark_read,
    person_draft,
    post_message,
    staff_channel,
    touch_presence,
)
from gogaek.errors import ProblemError
from gogaek.identity.models import StaffUser
from gogaek.identity.security import StaffToken
from gogaek.identity.service import staff_signed_in
from gogaek.realtime.hub import Event
from gogaek.web.i18n import N_


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
        async with self.runtime.sessionmaker() as session:
            return await self._recheck_in(session)

    async def _recheck_in(self, session: AsyncSession) -> bool:
        """``recheck`` inside a transaction the caller goes on using: a message's re-check and its
        storing then share one connection checkout and one transaction."""
        if self.revoked:
            return False
        # One query; holding the account lets staff_signed_in find it in the session, no second.
        _account, team_ids = await queries.staff_with_team_ids(session, self.credential.staff_id)
        agent = await staff_signed_in(session, self.credential.staff_id, self.credential.issued_at)
        if agent is None:
            self.revoked = True
            self.error("signed_out", N_("계정이 비활성화되었거나 로그인이 만료되었습니다."))
            self.close(CLOSE_UNAUTHORIZED)
            return False
        demoted = is_supervisor(self.agent) and not is_supervisor(agent)
        self.agent, self.team_ids = agent, team_ids
        if demoted:  # the chats it merely watched as a supervisor are let go
            own = {c.id for c in await queries.agent_conversations(session, agent.id)}
            for conversation_id in [c for c in self.sent_seq if c not in own]:
                await self._unfollow(conversation_id)
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
        if isinstance(frame, AgentMessageFrame | AgentNoteFrame):
            await self._post(frame)  # re-checks in the transaction that stores the message
            return
        if not await self.recheck():
            return
        handlers: dict[type, Callable[[Any], Awaitable[None]]] = {
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

    async def _post(self, frame: AgentMessageFrame | AgentNoteFrame) -> None:
        internal = isinstance(frame, AgentNoteFrame)
        async with self.runtime.sessionmaker() as session:
            if not await self._recheck_in(session):
                return
            text = check_text(frame.text, self.runtime.settings)
            draft = replace(person_draft(Sender.AGENT, text, frame.client_msg_id, self.agent), internal=internal)
            anyone = internal and is_supervisor(self.agent)  # supervisors note into any chat
            guard = Guard.ANYONE if anyone else Guard.AGENT
            outcome = await post_if(session, frame.conversation, guard, self.agent.id, draft, self.agent.display_name)
            if outcome is None:  # not stored: say why
                conversation = await get_conversation(session, frame.conversation)
                check_agent_owns(conversation, self.agent)
                outcome = await post_message(
                    session,
                    conversation,
                    Sender.AGENT,
                    text,
                    client_msg_id=frame.client_msg_id,
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
            raise ProblemError(403, "forbidden", N_("담당 중인 상담이 아닙니다."))
        await self._follow(conversation.id, after_seq=frame.after_seq)

    async def _availability(self, frame: AvailabilityFrame) -> None:
        await self.runtime.set_availability(self.agent, frame.status)
        self.send({"type": "availability", "status": frame.status})
