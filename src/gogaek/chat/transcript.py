"""The chat as a customer may keep it ("이력 기록 저장"): plain text, and rows for a printable page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gogaek.calendar.hours import SEOUL
from gogaek.chat.models import ChatMessage, Conversation
from gogaek.identity.naming import bare_agent_name
from gogaek.web.i18n import N_, gettext

SENDER_LABELS = {"customer": N_("고객"), "bot": N_("챗봇"), "agent": N_("상담사"), "system": N_("안내")}


@dataclass(frozen=True, slots=True)
class TranscriptLine:
    time: str
    who: str
    text: str
    image_name: str | None


def transcript_lines(messages: Sequence[ChatMessage], agent_names: dict[int, str]) -> list[TranscriptLine]:
    """Customer-visible lines only: internal notes never leave the console."""
    lines = []
    for message in messages:
        if message.internal:
            continue
        who = gettext(SENDER_LABELS.get(message.sender, message.sender))
        if message.sender == "agent" and message.staff_id in agent_names:
            who = f"{who} {bare_agent_name(agent_names[message.staff_id])}"
        image = (message.payload or {}).get("image")
        lines.append(
            TranscriptLine(
                time=f"{message.created_at.astimezone(SEOUL):%Y-%m-%d %H:%M:%S}",
                who=who,
                text=message.text,
                image_name=image["name"] if image else None,
            )
        )
    return lines


def transcript_title(conversation: Conversation) -> str:
    return gettext(N_("채팅 상담 기록 #%(id)s")) % {"id": conversation.id}


def transcript_text(conversation: Conversation, lines: Sequence[TranscriptLine]) -> str:
    """In the reader's language (the messages themselves stay as they were written)."""
    started = conversation.created_at.astimezone(SEOUL)
    header = [
        transcript_title(conversation),
        gettext(N_("시작 %(time)s (KST)")) % {"time": f"{started:%Y-%m-%d %H:%M}"},
        "",
    ]
    body = []
    for line in lines:
        image = " " + gettext(N_("[이미지: %(name)s]")) % {"name": line.image_name} if line.image_name else ""
        body.append(f"[{line.time}] {line.who}: {line.text}{image}")
    return "\n".join(header + body) + "\n"
