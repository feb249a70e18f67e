"""What an agent gets with a chat, so nobody asks the customer again: the whole transcript (bot
part included), the customer's profile and their recent inquiries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.chat import queries
from gogaek.chat.models import Conversation
from gogaek.chat.schemas import conversation_public, message_frame
from gogaek.chat.service import agent_names
from gogaek.identity.models import Customer
from gogaek.inquiries.models import Inquiry
from gogaek.inquiries.service import inquiry_number
from gogaek.inquiries.workflow import STATUS_LABELS, Status
from gogaek.korean.pii import mask_pii


async def handover_context(session: AsyncSession, conversation: Conversation) -> dict[str, Any]:
    messages = await queries.messages_after(session, conversation.id, 0, include_internal=True)
    names = await agent_names(session, sorted({m.staff_id for m in messages if m.staff_id is not None}))
    customer = await session.get(Customer, conversation.customer_id)
    assert customer is not None
    inquiries = await queries.recent_inquiries(session, customer.id)
    chats = await session.scalar(
        select(func.count()).select_from(Conversation).where(Conversation.customer_id == customer.id)
    )
    return {
        "conversation": conversation_public(conversation),
        "transcript": [message_frame(m, names.get(m.staff_id) if m.staff_id else None) for m in messages],
        "customer": {
            "id": customer.id,
            "name": customer.name,
            "email": customer.email,
            "phone": mask_pii(customer.phone).text if customer.phone else None,
            "verified": customer.verified_at is not None,
            "since": customer.created_at.isoformat(),
            "chats": chats or 0,
        },
        "inquiries": [inquiry_summary(inquiry) for inquiry in inquiries],
    }


def inquiry_summary(inquiry: Inquiry) -> dict[str, Any]:
    """One line of the customer's history, as the console shows it next to a chat or a call."""
    return {
        "id": inquiry.id,
        "number": inquiry.number or inquiry_number(inquiry),
        "title": inquiry.title,
        "status": inquiry.status,
        "status_label": STATUS_LABELS[Status(inquiry.status)],
        "created_at": inquiry.created_at.isoformat(),
    }
