"""Chat pages: the customer's 채팅 상담, a printable transcript, and the agent's chat console.

The pages are shells: ``chat.js`` and ``console-chat.js`` speak the socket protocol
(docs/chat-protocol.md). What the console would otherwise fetch from the bearer-token agent
API (canned replies, the supervisor's live view) is rendered here behind the staff session.

Stable hooks for browser tests:
  /chat                      section#chat-app[data-gogaek-chat] (built by chat.js): #chat-status[data-status],
                             #chat-connection (shown while reconnecting), #chat-queue,
                             ol#chat-log > li.chat-msg[data-seq][data-sender] (li.chat-msg-pending while unsent,
                             .chat-receipt on the customer's own), .chat-feedback button[data-helpful],
                             .chat-suggestion, .chat-options button[data-action] / a.chat-option-call,
                             #chat-typing, textarea#chat-input, #chat-send, #chat-handoff, #chat-image, #chat-end,
                             #chat-rating (.chat-star[data-score], #chat-rating-comment, #chat-rating-submit),
                             #chat-rated, #chat-transcript-link, #chat-download-link, #chat-email, #chat-new
  /chat/{id}/transcript      #transcript-title, ol#transcript > li.transcript-line, #print-button, #download-link
  /console/chats             select#chat-availability, ul#chat-queue-list > li[data-conversation] > button.chat-accept,
                             nav#chat-tabs > button.chat-tab[data-conversation], section.chat-pane[data-conversation]
                             (ol.chat-log, .chat-context, textarea.chat-reply, input.chat-note-toggle,
                             select.chat-canned, button.chat-send, button.chat-end, select.chat-transfer-*),
                             section#chat-live (supervisors: table#chat-live-table > tr[data-conversation])
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.chat import queries
from gogaek.chat.routes import get_chat_runtime
from gogaek.chat.schemas import CHAT_STATUS_LABELS
from gogaek.chat.service import agent_names, is_supervisor, own_conversation
from gogaek.chat.transcript import transcript_lines
from gogaek.deps import SessionDep, SettingsDep
from gogaek.errors import ProblemError
from gogaek.identity.customer_pages import PageCustomer
from gogaek.identity.models import Team
from gogaek.identity.service import list_staff
from gogaek.inquiries.console_forms import AVAILABILITY_LABELS
from gogaek.inquiries.macros import list_macros
from gogaek.web.auth import PageStaff
from gogaek.web.csrf import csrf_token
from gogaek.web.i18n import DEFAULT_LANGUAGE, N_, current_language, pgettext, supported, use_language
from gogaek.web.i18n import gettext as _
from gogaek.web.views import id_or_404, render

router = APIRouter(include_in_schema=False)

UNROUTED = N_("공통 대기열")


# --- customers ------------------------------------------------------------------------


def chat_texts() -> dict[str, str] | None:
    """The words chat.js shows, for a page that is not in Korean (Korean ones are built into the
    script); ``{name}`` marks what the script puts in."""
    if current_language() == DEFAULT_LANGUAGE:
        return None
    return {
        "status_bot": _("챗봇이 답변하고 있어요"),
        "status_queued": _("상담사 연결을 기다리고 있어요"),
        "status_active": _("상담사와 연결되었습니다"),
        "status_ended": _("상담이 종료되었습니다"),
        "receipt_pending": _("보내는 중"),
        "receipt_sent": _("전송됨"),
        "receipt_delivered": _("전달됨"),
        "receipt_read": _("읽음"),
        "request_failed": _("요청을 처리하지 못했습니다."),
        "connecting": _("연결 중…"),
        "end": pgettext("chat", "상담 종료"),
        "typing": _("상담사가 입력 중… (typing)"),
        "send_image": _("이미지 보내기"),
        "placeholder": _("메시지를 입력하세요"),
        "message": _("메시지"),
        "send": _("보내기"),
        "handoff": _("상담원 연결"),
        "new_chat": _("새 상담 시작"),
        "transcript": _("대화 내용 보기·인쇄"),
        "download": _("텍스트로 저장"),
        "email": _("이메일로 받기"),
        "confirm_end": _("상담을 종료할까요?"),
        "star": _("{n}점"),
        "rating_title": _("상담은 어떠셨나요?"),
        "stars": _("별점 (1–5)"),
        "comment_placeholder": _("남기고 싶은 말씀 (선택)"),
        "comment": _("의견"),
        "rating_submit": _("평가 보내기"),
        "reconnecting": _("연결이 끊겼습니다. 다시 연결하는 중…"),
        "sign_in_again": _("로그인이 필요합니다. 다시 로그인해 주세요."),
        "sign_in": _("로그인"),
        "queue": _("대기 순서 {n}번째"),
        "queue_soon": _("곧 상담사가 연결됩니다"),
        "queue_eta": _("약 {m}분"),
        "feedback_thanks": _("의견 감사합니다."),
        "not_sent": pgettext("chat", "보내지 못함"),
        "agent": _("상담사 {name}"),
        "bot": _("챗봇"),
        "image": _("[이미지] {name}"),
        "inquiry_number": _("문의번호"),
        "view_inquiry": _("문의 내역에서 보기"),
        "suggestions": _("이런 질문을 찾으셨나요?"),
        "open_article": _("{title} 도움말 열기"),
        "article": _("도움말 ↗"),
        "hours": _("운영시간 {hours}"),
        "chatting_with": _("{name} 상담사와 상담 중입니다"),
        "too_large": _("파일이 너무 큽니다. {mb}MB까지 보낼 수 있어요."),
        "sending_image": _("이미지 보내는 중… ({name})"),
        "emailed": _("{to} 주소로 보냈습니다"),
        "email_failed": _("보내지 못했습니다. 잠시 후 다시 시도해 주세요."),
        "not_connected": _("연결이 끊겼습니다. 잠시 후 다시 눌러 주세요."),
        "rated": _("평가해 주셔서 감사합니다."),
    }


@router.get("/chat/widget-texts.js")
async def widget_texts(lang: str = "") -> Response:
    """The embeddable widget's words in ``lang`` (a script: a host site loads it like the widget
    itself, with no CORS). Korean, the default, is built into the scripts: an empty table."""
    use_language(supported(lang) or DEFAULT_LANGUAGE)
    texts = chat_texts() or {}
    if texts:
        texts |= {
            "widget_launcher": _("채팅 상담"),
            "widget_title": _("고객센터 채팅 상담"),
            "widget_close": _("닫기"),
            "widget_failed": _("채팅을 불러오지 못했습니다. 잠시 후 다시 시도해 주세요."),
        }
    body = f"window.GogaekChatTexts = {json.dumps(texts, ensure_ascii=False)};\n"
    return Response(
        body, media_type="text/javascript; charset=utf-8", headers={"Cache-Control": "public, max-age=3600"}
    )


@router.get("/chat", response_class=HTMLResponse)
async def chat_page(request: Request, settings: SettingsDep, _: PageCustomer, embed: str = "") -> HTMLResponse:
    """``?embed=1`` drops the site header and footer, for the host app's webview."""
    context = {
        "embed": embed == "1",
        "max_image_bytes": settings.attachment_max_bytes,
        "max_text_chars": settings.chat_max_text_chars,
        "csrf_token": csrf_token(request),  # the page's fetch calls send it as X-CSRF-Token
        "chat_texts": chat_texts(),
    }
    return render(request, "chat/chat.html", context)


@router.get("/chat/{conversation_id}/transcript", response_class=HTMLResponse)
async def transcript_page(
    conversation_id: str, request: Request, session: SessionDep, customer: PageCustomer
) -> HTMLResponse:
    """이력 기록 저장 as a page to print; someone else's chat is a 404 like a missing one."""
    conversation = await own_conversation(session, customer, id_or_404(conversation_id, "상담"))
    messages = await queries.messages_after(session, conversation.id, 0, include_internal=False)
    names = await agent_names(session, sorted({m.staff_id for m in messages if m.staff_id is not None}))
    context = {
        "conversation": conversation,
        "status_label": _(CHAT_STATUS_LABELS.get(conversation.status, conversation.status)),
        "lines": transcript_lines(messages, names),
    }
    return render(request, "chat/transcript.html", context)


# --- agents and supervisors -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LiveView:
    """The supervisor's picture: every chat not yet ended, waiting chats per team, agents online."""

    chats: list[dict[str, Any]]
    queue_lengths: list[tuple[str, int]]
    online_agents: int


def _team_label(key: str, teams: dict[int, str]) -> str:
    """Queue lengths are keyed by team id as text; "any" (NO_TEAM_KEY) is the queue no team owns."""
    return teams.get(int(key), UNROUTED) if key.isdigit() else UNROUTED


async def _live_view(request: Request, session: AsyncSession, teams: dict[int, str]) -> LiveView:
    live = await (await get_chat_runtime(request)).live_overview(session)
    lengths = [(_team_label(key, teams), count) for key, count in live["queue_lengths"].items()]
    chats = [
        {
            **chat,
            "status_label": CHAT_STATUS_LABELS.get(chat["status"], chat["status"]),
            "started": datetime.fromisoformat(chat["created_at"]),
        }
        for chat in live["chats"]
    ]
    return LiveView(chats, sorted(lengths), live["online_agents"])


async def _team_names(session: AsyncSession) -> dict[int, str]:
    rows = await session.execute(select(Team.id, Team.name).order_by(Team.name))
    return {team_id: name for team_id, name in rows}


@router.get("/console/chats", response_class=HTMLResponse)
async def console_chats(request: Request, session: SessionDep, agent: PageStaff) -> HTMLResponse:
    teams = await _team_names(session)
    supervisor = is_supervisor(agent)
    context = {
        "agent": agent,
        "supervisor": supervisor,
        "availability_labels": AVAILABILITY_LABELS,
        "canned": await list_macros(session),
        "teams": teams,
        "colleagues": [s for s in await list_staff(session, include_inactive=False) if s.id != agent.id],
        "live": await _live_view(request, session, teams) if supervisor else None,
    }
    return render(request, "console/chats.html", context)


@router.get("/console/chats/live", response_class=HTMLResponse)
async def console_live(request: Request, session: SessionDep, agent: PageStaff) -> HTMLResponse:
    """The live view on its own (a wallboard); the chat console refreshes its copy from here."""
    if not is_supervisor(agent):
        raise ProblemError(403, "forbidden", N_("슈퍼바이저 권한이 필요합니다."))
    live = await _live_view(request, session, await _team_names(session))
    return render(request, "chat/live.html", {"agent": agent, "live": live})
