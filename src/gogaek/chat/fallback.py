"""When no person can chat: the alternatives offered instead, and the chat filed as an online
inquiry with its transcript. Kept out of the runtime, which moves chats between the bot and people:
this is the one place a chat files an inquiry."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.calendar.service import load_business_hours
from gogaek.chat import queries
from gogaek.chat.models import ChatStatus, Conversation
from gogaek.chat.service import Outcome, end_conversation, get_conversation, post_system
from gogaek.chat.transcript import transcript_lines, transcript_text
from gogaek.config import Settings
from gogaek.errors import ProblemError
from gogaek.helpcenter.contact import support_hours_text
from gogaek.helpcenter.models import Category
from gogaek.identity.models import Customer
from gogaek.inquiries.emergency import ACCIDENT_GUIDANCE
from gogaek.inquiries.schemas import InquiryCreate
from gogaek.inquiries.service import inquiry_number, submit_inquiry
from gogaek.web.i18n import N_, speaking, text_in

if TYPE_CHECKING:
    from gogaek.chat.runtime import ChatRuntime

INQUIRY_BODY_LIMIT = 5000


def fallback_options(settings: Settings, hours_text: str, language: str | None) -> list[dict[str, Any]]:
    """What a customer can do when no person can chat now. A list, so other channels (phone
    callback booking) can join it without a protocol change."""
    return [
        {
            "action": "leave_inquiry",
            "label": text_in(language, N_("온라인 문의 남기기")),
            "detail": text_in(language, N_("대화 내용과 함께 접수되어 영업일 기준 1~2일 안에 답변드립니다.")),
        },
        {
            "action": "book_callback",
            "label": text_in(language, N_("전화 상담 예약")),
            "detail": text_in(language, N_("원하시는 시간에 상담사가 먼저 전화드립니다.")),
            "url": "/callbacks/new",
        },
        {
            "action": "call",
            "label": text_in(language, N_("전화 상담")),
            "phone": settings.support_phone,
            "hours": hours_text,
        },
    ]


async def offer_alternatives(
    settings: Settings, session: AsyncSession, conversation: Conversation, open_now: bool
) -> Outcome:
    """Tells the customer why nobody can take the chat and what they can do instead."""
    hours = await load_business_hours(session)
    language = conversation.locale
    with speaking(language):
        hours_text = support_hours_text(settings, hours)
    reason = N_("지금은 상담 운영시간이 아닙니다.") if not open_now else N_("지금은 상담 가능한 상담사가 없습니다.")
    text = text_in(
        language,
        N_("%(reason)s 운영시간: %(hours)s. 아래 방법 중 하나를 선택해 주세요."),  # the hours may carry parentheses
        reason=text_in(language, reason),
        hours=hours_text,
    )
    if conversation.is_emergency:
        text = f"{text_in(language, ACCIDENT_GUIDANCE)}\n{text}"
    outcome = Outcome(conversation)
    options = fallback_options(settings, hours_text, language)
    outcome.add_message(await post_system(session, conversation, text, options=options))
    await session.commit()
    return outcome


async def leave_inquiry(
    runtime: ChatRuntime, customer: Customer, conversation_id: int, category: str | None
) -> Outcome:
    """The offline fallback: the chat becomes an online inquiry carrying its transcript."""
    async with runtime.sessionmaker() as session:
        conversation = await get_conversation(session, conversation_id)
        if conversation.status == ChatStatus.ENDED.value and conversation.inquiry_id is None:
            raise ProblemError(409, "chat_ended", N_("이미 종료된 상담입니다."))
        if conversation.status == ChatStatus.ACTIVE.value:
            raise ProblemError(409, "agent_connected", N_("상담사와 연결되어 있어 문의로 남길 수 없습니다."))
        category_ref = category or await _category_ref(session, conversation)
        messages = await queries.messages_after(session, conversation.id, 0, include_internal=False)
        lines = transcript_lines(messages, {})
        first = await queries.first_customer_text(session, conversation.id) or "채팅 상담 문의"
        body = transcript_text(conversation, lines)
        if len(body) > INQUIRY_BODY_LIMIT:
            body = "…" + body[-(INQUIRY_BODY_LIMIT - 1) :]  # the latest part matters most
        submission = await submit_inquiry(
            session,
            customer,
            InquiryCreate(category=category_ref, title=first[:60], body=body),
            settings=runtime.settings,
            storage=runtime.storage,
            idempotency_key=f"chat-{conversation.id}",
            channel="chat",
        )
        inquiry = submission.inquiry
        conversation = await get_conversation(session, conversation_id)
        if conversation.status == ChatStatus.ENDED.value:  # a repeated request: same inquiry, same chat
            return Outcome(conversation, created=False)
        conversation.inquiry_id = inquiry.id
        number = inquiry.number or inquiry_number(inquiry)
        outcome = Outcome(conversation)
        text = text_in(
            conversation.locale,
            N_(
                "온라인 문의로 접수되었습니다. 문의번호 %(number)s. 영업일 기준 1~2일 안에 답변드리며 "
                "'문의 내역'에서 확인하실 수 있습니다."
            ),
            number=number,
        )
        outcome.add_message(
            await post_system(session, conversation, text, inquiry={"id": inquiry.id, "number": number})
        )
        await session.commit()
        ended = await end_conversation(session, conversation, "customer")
    outcome.events.extend(ended.events)
    await runtime.publish(outcome)
    return outcome


async def _category_ref(session: AsyncSession, conversation: Conversation) -> str:
    query = select(Category.slug)
    if conversation.category_id is not None:
        query = query.where(Category.id == conversation.category_id)
    slug = await session.scalar(query.order_by(Category.position, Category.id).limit(1))
    if slug is None:
        raise ProblemError(409, "no_category", N_("문의 유형이 설정되지 않았습니다."))
    return slug
