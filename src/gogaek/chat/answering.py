"""The bot's turn in a chat: read the customer's message, answer once, hand over when asked.

Each answer claims the customer message it answers (``bot_answered_seq``) in the answer's own
transaction, so a message is answered exactly once: a crash before the commit leaves it
unanswered for ``ChatRuntime.answer_pending``, and two processes answering the same message
(a resume racing the original turn) store one answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from gogaek.calendar.service import load_business_hours
from gogaek.chat import queries
from gogaek.chat.bot import BotContext, BotReply, InquirySummary, bot_reply
from gogaek.chat.bot_settings import bot_settings
from gogaek.chat.models import ChatStatus, Conversation, Sender
from gogaek.chat.service import Outcome, append_message, get_conversation
from gogaek.helpcenter.contact import support_hours_text
from gogaek.helpcenter.models import Article
from gogaek.inquiries.service import inquiry_number
from gogaek.inquiries.workflow import STATUS_LABELS, Status
from gogaek.web.i18n import speaking

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from gogaek.chat.runtime import ChatRuntime


async def bot_turn(runtime: ChatRuntime, chat: Conversation, text: str, seq: int) -> None:
    """Answers the customer message ``seq`` of ``chat`` (as the caller read it); nothing when a
    person took over or it was answered."""
    conversation_id, customer_id = chat.id, chat.customer_id
    async with runtime.sessionmaker() as session:
        tuning = await bot_settings(session, runtime.settings)  # /admin/bot, else the environment
        hours = await load_business_hours(session)
        open_now = await runtime.open_now(session)
    with speaking(chat.locale):  # the chat's language, whichever socket the message came by
        context = BotContext(
            support_phone=runtime.settings.support_phone,
            support_hours=support_hours_text(runtime.settings, hours),
            open_now=open_now,
            confidence_threshold=tuning.confidence,
            own_inquiries=lambda: _inquiry_summaries(runtime, customer_id),
        )
        reply = await bot_reply(text, runtime.search_index, context)
    async with runtime.sessionmaker() as session:
        conversation = await get_conversation(session, conversation_id)
        if conversation.status != ChatStatus.BOT.value:
            return  # a person took over while the bot was thinking
        if not await _claim(session, conversation_id, seq):
            await session.rollback()
            return  # answered already (by another process, or before a crash-resume)
        payload = await _apply_reply(session, conversation, reply)
        outcome = Outcome(conversation)
        outcome.add_message(await append_message(session, conversation, Sender.BOT, reply.text, payload=payload))
        await session.commit()
        wants_person = reply.wants_person or conversation.bot_misses >= tuning.misses
    await runtime.publish(outcome)
    if wants_person:
        await runtime.request_person(conversation_id)


async def _claim(session: AsyncSession, conversation_id: int, seq: int) -> bool:
    """A conditional UPDATE: on PostgreSQL a second claimant waits for the first to commit, then finds nothing."""
    result = await session.execute(
        update(Conversation)
        .where(Conversation.id == conversation_id, Conversation.bot_answered_seq < seq)
        .values(bot_answered_seq=seq)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def _apply_reply(session: AsyncSession, conversation: Conversation, reply: BotReply) -> dict[str, Any]:
    """What the answer changes on the chat (category, misses, emergency) and the message payload."""
    payload: dict[str, Any] = {"bot_kind": reply.kind.value}
    if reply.article_id is not None:
        payload["article_id"] = reply.article_id
        conversation.category_id = await session.scalar(
            select(Article.category_id).where(Article.id == reply.article_id)
        )
    if reply.suggestions:
        payload["suggestions"] = [{"article_id": s.article_id, "title": s.title} for s in reply.suggestions]
        conversation.category_id = conversation.category_id or await session.scalar(
            select(Article.category_id).where(Article.id == reply.suggestions[0].article_id)
        )
    if reply.buttons:
        payload["buttons"] = [
            {"action": b.action, "label": b.label, **({"article_id": b.article_id} if b.article_id else {})}
            for b in reply.buttons
        ]
    conversation.bot_misses = conversation.bot_misses + 1 if reply.is_miss else 0
    if reply.kind.value == "emergency":
        conversation.is_emergency = True
        conversation.queue_rank = 0
    return payload


async def _inquiry_summaries(runtime: ChatRuntime, customer_id: int) -> list[InquirySummary]:
    async with runtime.sessionmaker() as session:
        inquiries = await queries.recent_inquiries(session, customer_id, limit=3)
    return [
        InquirySummary(
            number=inquiry.number or inquiry_number(inquiry),
            title=inquiry.title,
            status_label=STATUS_LABELS[Status(inquiry.status)],
            updated_at=inquiry.updated_at,
        )
        for inquiry in inquiries
    ]
