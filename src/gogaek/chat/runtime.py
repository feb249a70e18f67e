"""The chat's moving parts in one process: runs the verbs, then broadcasts what they committed.

Verbs (service.py) commit first and return events; this object publishes them through the hub
and adds what needs more than one transaction: the bot's turn, handoff, automatic assignment
and the idle sweep. Every step re-reads the conversation, so two processes racing on the same
chat settle in the database, not in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gogaek.calendar.service import load_business_hours
from gogaek.chat import queries
from gogaek.chat.answering import bot_turn
from gogaek.chat.fallback import offer_alternatives
from gogaek.chat.models import AgentPresence, ChatStatus, Conversation
from gogaek.chat.schemas import conversation_public
from gogaek.chat.service import (
    QUEUE_CHANNEL,
    Outcome,
    agent_channel,
    agent_names,
    assign,
    check_agent_owns,
    claim,
    end_conversation,
    get_conversation,
    is_supervisor,
    post_system,
    queue_to_team,
    team_key,
    touch_presence,
)
from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.errors import ProblemError
from gogaek.identity.models import Availability, StaffUser, Team, TeamCategory
from gogaek.identity.naming import bare_agent_name
from gogaek.identity.service import set_availability as set_staff_availability
from gogaek.inquiries.storage import AttachmentStorage
from gogaek.realtime.hub import Event, Hub
from gogaek.search.service import SearchIndex
from gogaek.web.i18n import N_, gettext, text_in

log = logging.getLogger(__name__)

IDLE_SWEEP_SECONDS = 15.0  # also how often waiting chats get another assignment try
ASSIGN_BATCH = 50

REQUEUED_TEXT = N_("상담사 연결이 끊겨 다른 상담사에게 다시 연결합니다. 잠시만 기다려 주세요.")


class ChatRuntime:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        hub: Hub,
        search_index: SearchIndex,
        storage: AttachmentStorage,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.hub = hub
        self.search_index = search_index
        self.storage = storage
        self._idle_task: asyncio.Task[None] | None = None
        self._consoles: dict[int, int] = {}  # staff id → open console sockets on this process
        # Counting a console and writing the presence row happen together: a reload's new socket
        # must not touch the row before the old socket's "last one closed" DELETE lands.
        self._presence_lock = asyncio.Lock()
        self._running: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        await self.hub.start()
        self._idle_task = asyncio.create_task(self._idle_loop(), name="chat-idle-sweep")

    def spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Runs work that must finish even if the socket that asked for it goes away (a stored
        message still gets published and answered by the bot)."""
        task = asyncio.create_task(work)
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return task

    async def stop(self) -> None:
        if self._running:
            await asyncio.wait(self._running, timeout=10)
        if self._idle_task is not None:
            self._idle_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._idle_task
        await self.hub.stop()

    # Broadcasting

    async def publish(self, outcome: Outcome | None) -> None:
        if outcome is None:
            return
        for channel, event in outcome.events:
            if event["type"] == "queue_changed":
                event = await self.queue_snapshot()
            await self.hub.publish(channel, event)

    async def publish_queue(self) -> None:
        await self.hub.publish(QUEUE_CHANNEL, await self.queue_snapshot())

    async def queue_snapshot(self) -> Event:
        """Every waiting chat in order, with who could take it: one query set per change, so each
        connection works out its own position without touching the database."""
        async with self.sessionmaker() as session:
            waiting = await queries.waiting_chats(session)
            teams = {row.conversation.team_id for row in waiting}
            online = {team: len(await queries.online_agent_ids(session, team)) for team in teams}
        return {
            "type": "queue_changed",
            "waiting": [
                {
                    "conversation": row.conversation.id,
                    "team_id": row.conversation.team_id,
                    "is_emergency": row.conversation.is_emergency,
                    "queued_at": row.conversation.queued_at.isoformat() if row.conversation.queued_at else None,
                    "preview": row.preview[:80],
                }
                for row in waiting
            ],
            "online": {team_key(team): count for team, count in online.items()},
        }

    async def live_overview(self, session: AsyncSession) -> dict[str, Any]:
        """The supervisors' picture: every chat not yet ended, queue lengths per team, agents online."""
        conversations = await queries.live_conversations(session)
        names = await agent_names(session, sorted({c.agent_id for c in conversations if c.agent_id is not None}))
        snapshot = await self.queue_snapshot()
        lengths: dict[str, int] = {}
        for waiting in snapshot["waiting"]:
            key = team_key(waiting["team_id"])
            lengths[key] = lengths.get(key, 0) + 1
        return {
            "chats": [
                {**conversation_public(c), "agent_id": c.agent_id, "agent_name": names.get(c.agent_id or 0)}
                for c in conversations
            ],
            "queue_lengths": lengths,
            "online_agents": len(await queries.online_agent_ids(session, None)),
        }

    # The customer's side

    async def customer_message(self, conversation_id: int, outcome: Outcome) -> None:
        """After a stored customer message: the bot answers while the chat is still the bot's."""
        await self.publish(outcome)
        conversation = outcome.conversation
        if not outcome.created or conversation.status != ChatStatus.BOT.value:
            return
        message = outcome.messages[0]
        await bot_turn(self, conversation, message.text, message.seq)

    async def answer_pending(self, conversation_id: int) -> None:
        """Customer messages the bot never answered (the process died between storing one and
        answering it) are answered when the customer comes back or resends."""
        async with self.sessionmaker() as session:
            conversation = await get_conversation(session, conversation_id)
            if conversation.status != ChatStatus.BOT.value:
                return
            pending = await queries.unanswered_customer_messages(session, conversation)
        for message in pending:
            await bot_turn(self, conversation, message.text, message.seq)

    async def open_now(self, session: AsyncSession, now: datetime | None = None) -> bool:
        """Whether people chat now: business hours with Korean holidays, or always (GOGAEK_CHAT_HOURS)."""
        if self.settings.chat_hours == "always":
            return True
        return (await load_business_hours(session)).is_open(now or utcnow())

    async def request_person(self, conversation_id: int) -> None:
        """Handoff: queue for the category's team, or offer the alternatives when nobody can take it."""
        now = utcnow()
        async with self.sessionmaker() as session:
            conversation = await get_conversation(session, conversation_id)
            if conversation.status == ChatStatus.ENDED.value:
                raise ProblemError(409, "chat_ended", N_("이미 종료된 상담입니다."))
            if conversation.status != ChatStatus.BOT.value:
                return  # already waiting for or talking with a person
            team_id = await self._team_for(session, conversation)
            open_now = await self.open_now(session, now)
            if team_id is not None and not await queries.online_agent_ids(session, team_id, now):
                team_id = None  # the team is away: anyone online may take it
            nobody = not await queries.online_agent_ids(session, team_id, now)
            outcome: Outcome | None
            if not open_now or nobody:
                outcome = await offer_alternatives(self.settings, session, conversation, open_now)
            else:
                text = text_in(conversation.locale, N_("상담사를 연결하고 있습니다. 잠시만 기다려 주세요."))
                outcome = await queue_to_team(session, conversation, team_id, text, now)
        if outcome is None:
            return
        await self.publish(outcome)
        if outcome.conversation.status == ChatStatus.QUEUED.value and self.settings.chat_auto_assign:
            await self.assign_waiting()

    async def _team_for(self, session: AsyncSession, conversation: Conversation) -> int | None:
        if conversation.is_emergency:
            security = await session.scalar(select(Team.id).where(Team.handles_emergencies.is_(True)).order_by(Team.id))
            if security is not None:
                return security
        if conversation.category_id is None:
            return None
        return await session.scalar(
            select(TeamCategory.team_id)
            .where(TeamCategory.category_id == conversation.category_id)
            .order_by(TeamCategory.team_id)
        )

    async def end(self, conversation_id: int, ended_by: str, staff: StaffUser | None = None) -> None:
        async with self.sessionmaker() as session:
            conversation = await get_conversation(session, conversation_id)
            if staff is not None and not is_supervisor(staff):
                check_agent_owns(conversation, staff)
            had_agent = conversation.agent_id is not None
            outcome = await end_conversation(session, conversation, ended_by)
        await self.publish(outcome)
        if had_agent and self.settings.chat_auto_assign:
            await self.assign_waiting()  # a seat has freed up

    # The agent's side

    async def accept(self, agent: StaffUser, conversation_id: int) -> Outcome:
        async with self.sessionmaker() as session:
            conversation = await get_conversation(session, conversation_id)
            if conversation.status != ChatStatus.QUEUED.value:
                raise ProblemError(409, "not_queued", N_("이미 다른 상담사가 연결했거나 대기 중이 아닙니다."))
            if (
                not is_supervisor(agent)
                and conversation.team_id is not None
                and conversation.team_id not in await queries.team_ids_of(session, agent.id)
            ):
                raise ProblemError(403, "forbidden", N_("다른 팀의 상담입니다."))
            outcome = await assign(session, conversation_id, agent, self.settings)
        if outcome is None:
            raise ProblemError(
                409,
                "no_free_seat",
                gettext("동시 상담은 %(max)s건까지입니다, 또는 이미 연결되었습니다.")
                % {"max": self.settings.chat_max_concurrent},
            )
        await self.publish(outcome)
        return outcome

    async def assign_waiting(self) -> int:
        """Automatic assignment: each waiting chat, in queue order, to the least busy online agent
        of its team who has a free seat."""
        assigned = 0
        async with self.sessionmaker() as session:
            # Plain ids: a lost race rolls the session back, which expires every loaded row.
            waiting = [(c.id, c.team_id) for c in await queries.queued_conversations(session, None, ASSIGN_BATCH)]
            for conversation_id, team_id in waiting:
                agent = await self._free_agent(session, team_id)
                if agent is None:
                    continue
                outcome = await assign(session, conversation_id, agent, self.settings)
                if outcome is not None:
                    assigned += 1
                    await self.publish(outcome)
        return assigned

    async def _free_agent(self, session: AsyncSession, team_id: int | None) -> StaffUser | None:
        online = await queries.online_agent_ids(session, team_id)
        counts = await queries.active_chat_counts(session, online)
        free = sorted(
            (count, staff_id) for staff_id, count in counts.items() if count < self.settings.chat_max_concurrent
        )
        return await session.get(StaffUser, free[0][1]) if free else None

    async def transfer(self, agent: StaffUser, conversation_id: int, to_agent: int | None, to_team: int | None) -> None:
        if (to_agent is None) == (to_team is None):
            raise ProblemError(422, "invalid_transfer", N_("상담사 또는 팀 중 하나를 지정해 주세요."))
        async with self.sessionmaker() as session:
            conversation = await get_conversation(session, conversation_id)
            if not is_supervisor(agent):
                check_agent_owns(conversation, agent)
            if to_team is not None:
                team = await session.get(Team, to_team)
                if team is None:
                    raise ProblemError(404, "not_found", N_("팀을 찾을 수 없습니다."))
                text = text_in(
                    conversation.locale, N_("%(team)s 팀으로 상담을 옮깁니다. 잠시만 기다려 주세요."), team=team.name
                )
                outcome = await queue_to_team(session, conversation, team.id, text, utcnow())
                if outcome is None:
                    raise ProblemError(409, "chat_changed", N_("상담 상태가 바뀌었습니다. 다시 확인해 주세요."))
                await self.publish(outcome)
                if self.settings.chat_auto_assign:
                    await self.assign_waiting()
                return
            await self._transfer_to_agent(session, agent, conversation, to_agent)

    async def _transfer_to_agent(
        self, session: AsyncSession, agent: StaffUser, conversation: Conversation, to_agent: int | None
    ) -> None:
        target = await session.get(StaffUser, to_agent) if to_agent is not None else None
        online = await queries.online_agent_ids(session, None)
        if target is None or target.id not in online or target.id == conversation.agent_id:
            raise ProblemError(409, "agent_unavailable", N_("상담 가능한 상담사가 아닙니다."))
        counts = await queries.active_chat_counts(session, [target.id])
        if counts[target.id] >= self.settings.chat_max_concurrent:
            raise ProblemError(409, "no_free_seat", N_("상대 상담사의 동시 상담 한도가 찼습니다."))
        previous = conversation.agent_id
        moved = await claim(
            session,
            conversation,
            Conversation.status == ChatStatus.ACTIVE.value,
            Conversation.agent_id == previous,
            agent_id=target.id,
        )
        if not moved:
            raise ProblemError(409, "chat_changed", N_("상담 상태가 바뀌었습니다. 다시 확인해 주세요."))
        outcome = Outcome(conversation)
        text = text_in(
            conversation.locale, N_("%(name)s 상담사가 이어서 상담합니다."), name=bare_agent_name(target.display_name)
        )
        outcome.add_message(await post_system(session, conversation, text))
        await session.commit()
        outcome.add_status(conversation, agent_name=target.display_name, transferred_from=previous)
        outcome.events.append((agent_channel(target.id), {"type": "handover", "conversation": conversation.id}))
        if previous is not None:
            outcome.events.append((agent_channel(previous), {"type": "released", "conversation": conversation.id}))
        await self.publish(outcome)

    async def agent_connected(self, staff_id: int) -> None:
        async with self._presence_lock:
            self._consoles[staff_id] = self._consoles.get(staff_id, 0) + 1
            async with self.sessionmaker() as session:
                await touch_presence(session, staff_id)
        await self.publish_queue()

    async def agent_disconnected(self, staff_id: int) -> None:
        """The last console of an agent on this process closed: offline at once, not after 90 s.
        A console on another process restores the row with its next heartbeat."""
        async with self._presence_lock:
            remaining = self._consoles.get(staff_id, 1) - 1
            if remaining > 0:
                self._consoles[staff_id] = remaining
                return
            self._consoles.pop(staff_id, None)
            async with self.sessionmaker() as session:
                await session.execute(delete(AgentPresence).where(AgentPresence.staff_id == staff_id))
                await session.commit()
        await self.publish_queue()

    async def staff_changed(self, staff_id: int) -> None:
        """After an admin changed an account (role, teams, deactivation): its open consoles on
        every process re-check their rights at once, and a deactivated agent's chats go back to
        their team queues instead of waiting on someone who can no longer answer."""
        async with self.sessionmaker() as session:
            staff = await session.get(StaffUser, staff_id)
            released: list[Outcome] = []
            if staff is not None and not staff.is_active:
                await session.execute(delete(AgentPresence).where(AgentPresence.staff_id == staff_id))
                await session.commit()
                # Plain ids: a lost race rolls the session back, which expires every loaded row.
                for conversation_id in [c.id for c in await queries.agent_conversations(session, staff_id)]:
                    conversation = await get_conversation(session, conversation_id)
                    outcome = await queue_to_team(
                        session,
                        conversation,
                        conversation.team_id,
                        text_in(conversation.locale, REQUEUED_TEXT),
                        utcnow(),
                    )
                    if outcome is not None:
                        released.append(outcome)
        await self.hub.publish(agent_channel(staff_id), {"type": "account_changed"})
        for outcome in released:
            await self.publish(outcome)
        if released and self.settings.chat_auto_assign:
            await self.assign_waiting()

    async def set_availability(self, agent: StaffUser, status: str) -> None:
        async with self.sessionmaker() as session:
            staff = await session.get(StaffUser, agent.id)
            if staff is None or not staff.is_active:
                return
            await set_staff_availability(session, staff, Availability(status))
        agent.availability = status
        await self.publish_queue()  # the online count behind every waiting customer's estimate changed
        if status == "available" and self.settings.chat_auto_assign:
            await self.assign_waiting()

    # Idle chats

    async def _idle_loop(self) -> None:
        while True:
            await asyncio.sleep(IDLE_SWEEP_SECONDS)
            try:
                await self.sweep_idle()
                if self.settings.chat_auto_assign:
                    await self.assign_waiting()  # a safety net: assignment otherwise runs on events
            except Exception:
                log.exception("chat idle sweep failed")

    async def sweep_idle(self) -> int:
        """Warn after ``chat_idle_warn_seconds`` of silence, end after ``chat_idle_close_seconds``."""
        now = utcnow()
        warn_before = now - timedelta(seconds=self.settings.chat_idle_warn_seconds)
        close_before = now - timedelta(seconds=self.settings.chat_idle_close_seconds)
        async with self.sessionmaker() as session:
            idle = await queries.idle_conversations(session, warn_before, close_before)
        for conversation_id in idle.to_warn:
            await self._warn_idle(conversation_id, warn_before)
        for conversation_id in idle.to_close:
            with contextlib.suppress(ProblemError):  # ended meanwhile by someone else
                await self.end(conversation_id, "idle")
        return len(idle.to_warn) + len(idle.to_close)

    async def _warn_idle(self, conversation_id: int, warn_before: datetime) -> None:
        minutes = max(1, (self.settings.chat_idle_close_seconds - self.settings.chat_idle_warn_seconds) // 60)
        async with self.sessionmaker() as session:
            conversation = await get_conversation(session, conversation_id)
            warned = await claim(
                session,
                conversation,
                Conversation.idle_warned_at.is_(None),
                Conversation.last_activity_at < warn_before,
                Conversation.status != ChatStatus.ENDED.value,
                idle_warned_at=utcnow(),
            )
            if not warned:
                return  # someone spoke, or another process warned first
            outcome = Outcome(conversation)
            text = text_in(
                conversation.locale, N_("%(minutes)s분 동안 입력이 없으면 상담이 자동으로 종료됩니다."), minutes=minutes
            )
            outcome.add_message(await post_system(session, conversation, text, idle_warning=True))
            await session.commit()
        await self.publish(outcome)
