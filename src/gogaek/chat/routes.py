"""HTTP companions of the chat sockets: history, images, transcripts, rating, agent tools."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import PlainTextResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.chat import queries
from gogaek.chat.context import handover_context
from gogaek.chat.models import ChatMessage, ChatStatus, Conversation, Sender
from gogaek.chat.runtime import ChatRuntime
from gogaek.chat.schemas import (
    ClientMsgId,
    ConversationList,
    ConversationPublic,
    RatingCreate,
    conversation_public,
    message_frame,
)
from gogaek.chat.service import (
    agent_names,
    check_agent_owns,
    get_conversation,
    is_supervisor,
    own_conversation,
    post_message,
    rate_conversation,
)
from gogaek.chat.transcript import transcript_lines, transcript_text, transcript_title
from gogaek.deps import (
    SessionDep,
    SettingsDep,
    current_customer,
)
from gogaek.errors import ProblemError, not_found
from gogaek.identity.models import Customer, StaffUser
from gogaek.identity.service import staff_for_token
from gogaek.inquiries.agent_schemas import MacroPublic
from gogaek.inquiries.attachments import read_upload
from gogaek.inquiries.macros import list_macros
from gogaek.inquiries.serving import preview_response
from gogaek.jobs.handlers import NOTIFY_EMAIL
from gogaek.jobs.queue import enqueue
from gogaek.notify.texts import with_sender
from gogaek.web.auth import session_staff
from gogaek.web.csrf import check_csrf_header
from gogaek.web.i18n import N_, current_language
from gogaek.web.ids import Id
from gogaek.web.ratelimit import RateLimited

router = APIRouter(prefix="/api/v1/chat", tags=["chat"])
agent_router = APIRouter(prefix="/api/v1/agent/chats", tags=["agent chat"])


async def get_chat_runtime(request: Request) -> ChatRuntime:
    runtime: ChatRuntime = request.app.state.chat
    return runtime


RuntimeDep = Annotated[ChatRuntime, Depends(get_chat_runtime)]
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(HTTPBearer(auto_error=False))]


async def chat_staff(request: Request, session: SessionDep, credentials: BearerDep) -> StaffUser:
    """A staff bearer token, or the console's session (with the CSRF header on changes)."""
    if credentials is not None:
        staff = await staff_for_token(session, request.app.state.token_signer, credentials.credentials)
    else:
        staff = await session_staff(request, session)
        if staff is not None:
            check_csrf_header(request)
    if staff is None:
        raise ProblemError(401, "unauthorized", N_("로그인이 필요합니다."), headers={"WWW-Authenticate": "Bearer"})
    return staff


ChatCustomer = Annotated[Customer, Depends(current_customer)]  # cookie writes need the CSRF header
ChatStaff = Annotated[StaffUser, Depends(chat_staff)]


async def chat_supervisor(staff: ChatStaff) -> StaffUser:
    if not is_supervisor(staff):
        raise ProblemError(403, "forbidden", N_("관리자 권한이 필요합니다."))
    return staff


async def _messages(session: AsyncSession, conversation: Conversation, *, internal: bool) -> list[dict[str, Any]]:
    messages = await queries.messages_after(session, conversation.id, 0, include_internal=internal)
    names = await agent_names(session, sorted({m.staff_id for m in messages if m.staff_id is not None}))
    return [message_frame(m, names.get(m.staff_id) if m.staff_id else None) for m in messages]


async def transcript_for(session: AsyncSession, conversation: Conversation) -> str:
    messages = await queries.messages_after(session, conversation.id, 0, include_internal=False)
    names = await agent_names(session, sorted({m.staff_id for m in messages if m.staff_id is not None}))
    return transcript_text(conversation, transcript_lines(messages, names))


def _text_download(conversation: Conversation, text: str) -> PlainTextResponse:
    name = f"chat-{conversation.id}.txt"
    return PlainTextResponse(
        text,
        headers={
            "Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}",
            "Cache-Control": "private, no-store",
        },
    )


# Customers


@router.get("/conversations", response_model=ConversationList)
async def list_conversations(customer: ChatCustomer, session: SessionDep) -> ConversationList:
    """The customer's chats, newest first: 문의 내역 shows them next to inquiries."""
    conversations = await queries.customer_conversations(session, customer.id)
    return ConversationList(items=[ConversationPublic.model_validate(c) for c in conversations])


@router.get("/conversations/{conversation_id}")
async def get_own_conversation(conversation_id: Id, customer: ChatCustomer, session: SessionDep) -> dict[str, Any]:
    """The chat and every message the customer may see (internal notes never)."""
    conversation = await own_conversation(session, customer, conversation_id)
    return {
        "conversation": conversation_public(conversation),
        "messages": await _messages(session, conversation, internal=False),
    }


@router.get("/conversations/{conversation_id}/transcript.txt", response_class=PlainTextResponse)
async def download_transcript(conversation_id: Id, customer: ChatCustomer, session: SessionDep) -> PlainTextResponse:
    """이력 기록 저장: the transcript as a text file."""
    conversation = await own_conversation(session, customer, conversation_id)
    return _text_download(conversation, await transcript_for(session, conversation))


@router.post("/conversations/{conversation_id}/transcript/email", status_code=202, dependencies=[RateLimited])
async def email_transcript(
    conversation_id: Id, customer: ChatCustomer, session: SessionDep, settings: SettingsDep
) -> dict[str, str]:
    """Sends the transcript to the customer's own address only (never one typed in: no spam relay)."""
    conversation = await own_conversation(session, customer, conversation_id)
    if not customer.email:
        raise ProblemError(
            409,
            "no_email",
            N_("등록된 이메일 주소가 없어 보낼 수 없습니다. 파일로 저장해 주세요."),
        )
    text = await transcript_for(session, conversation)
    subject = with_sender(transcript_title(conversation), current_language())
    await enqueue(session, NOTIFY_EMAIL, {"to": customer.email, "subject": subject, "text": text})
    await session.commit()
    return {"status": "queued", "to": _masked_email(customer.email)}


def _masked_email(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:2]}{'*' * max(1, len(local) - 2)}@{domain}"


@router.post("/conversations/{conversation_id}/rating", response_model=ConversationPublic, dependencies=[RateLimited])
async def rate(
    conversation_id: Id, data: RatingCreate, customer: ChatCustomer, session: SessionDep
) -> ConversationPublic:
    conversation = await own_conversation(session, customer, conversation_id)
    rated = await rate_conversation(session, conversation, data.score, data.comment)
    return ConversationPublic.model_validate(rated)


async def _post_image(
    runtime: ChatRuntime,
    session: AsyncSession,
    conversation: Conversation,
    upload: UploadFile,
    client_msg_id: str | None,
    staff: StaffUser | None,
) -> dict[str, Any]:
    """An image message: checked like inquiry evidence (content, not name), images only."""
    if conversation.status == ChatStatus.ENDED.value:
        raise ProblemError(409, "chat_ended", N_("이미 종료된 상담입니다."))
    checked = await read_upload(upload, runtime.settings)
    if not checked.content_type.startswith("image/"):
        raise ProblemError(415, "unsupported_type", N_("채팅에는 이미지(JPEG, PNG, GIF, WebP)만 보낼 수 있습니다."))
    key = await runtime.storage.save(checked.data, checked.extension)
    image = {"key": key, "name": checked.display_name, "content_type": checked.content_type, "size": checked.size}
    sender = Sender.AGENT if staff is not None else Sender.CUSTOMER
    try:
        outcome = await post_message(
            session, conversation, sender, "", client_msg_id=client_msg_id, staff=staff, payload={"image": image}
        )
    except BaseException:
        await runtime.storage.delete(key)
        raise
    if not outcome.created:
        await runtime.storage.delete(key)
        return {**message_frame(outcome.messages[0]), "duplicate": True}
    await runtime.publish(outcome)
    return message_frame(outcome.messages[0], staff.display_name if staff else None)


ImageFile = Annotated[UploadFile, File(description="JPEG, PNG, GIF or WebP")]
OptionalMsgId = Annotated[ClientMsgId | None, Form()]


@router.post("/conversations/{conversation_id}/images", status_code=201, dependencies=[RateLimited])
async def send_image(
    conversation_id: Id,
    file: ImageFile,
    customer: ChatCustomer,
    session: SessionDep,
    runtime: RuntimeDep,
    client_msg_id: OptionalMsgId = None,
) -> dict[str, Any]:
    conversation = await own_conversation(session, customer, conversation_id)
    return await _post_image(runtime, session, conversation, file, client_msg_id, None)


async def _image_viewer(
    request: Request, session: SessionDep, settings: SettingsDep, credentials: BearerDep
) -> Customer | StaffUser:
    """Images are seen by the chat's customer and by staff, each signed in their own way."""
    try:
        return await chat_staff(request, session, credentials)
    except ProblemError:
        return await current_customer(request, session, settings, credentials)


@router.get("/conversations/{conversation_id}/messages/{seq}/image")
async def chat_image(
    conversation_id: Id,
    seq: Id,
    viewer: Annotated[Customer | StaffUser, Depends(_image_viewer)],
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    if isinstance(viewer, Customer):
        await own_conversation(session, viewer, conversation_id)
    message = await session.scalar(
        select(ChatMessage).where(ChatMessage.conversation_id == conversation_id, ChatMessage.seq == seq)
    )
    image = (message.payload or {}).get("image") if message is not None else None
    if message is None or image is None or (message.internal and isinstance(viewer, Customer)):
        raise not_found("이미지")
    data = await runtime.storage.load(image["key"])
    # Shown inline in the chat, so a bounded re-encoding, never the customer's bytes (inquiries/serving.py).
    return await preview_response(image["name"], image["key"], data, runtime.settings)


# Agents and supervisors


@agent_router.get("/live")
async def live_chats(
    _: Annotated[StaffUser, Depends(chat_supervisor)], session: SessionDep, runtime: RuntimeDep
) -> dict[str, Any]:
    """Supervisors: every chat not yet ended, queue lengths per team and who is online."""
    return await runtime.live_overview(session)


@agent_router.get("/canned", response_model=list[MacroPublic])
async def canned_replies(_: ChatStaff, session: SessionDep) -> list[MacroPublic]:
    """Canned replies are the console's macros, shared with inquiries."""
    return [MacroPublic.model_validate(m) for m in await list_macros(session)]


async def _visible_to(session: AsyncSession, staff: StaffUser, conversation_id: int) -> Conversation:
    conversation = await get_conversation(session, conversation_id)
    if not is_supervisor(staff) and conversation.agent_id != staff.id:
        raise ProblemError(403, "forbidden", N_("담당 중인 상담이 아닙니다."))
    return conversation


@agent_router.get("/{conversation_id}")
async def chat_context(conversation_id: Id, staff: ChatStaff, session: SessionDep) -> dict[str, Any]:
    """Everything the agent needs so nobody asks again: transcript, profile, recent inquiries."""
    return await handover_context(session, await _visible_to(session, staff, conversation_id))


@agent_router.get("/{conversation_id}/transcript.txt", response_class=PlainTextResponse)
async def agent_transcript(conversation_id: Id, staff: ChatStaff, session: SessionDep) -> PlainTextResponse:
    conversation = await _visible_to(session, staff, conversation_id)
    return _text_download(conversation, await transcript_for(session, conversation))


@agent_router.post("/{conversation_id}/images", status_code=201)
async def agent_image(
    conversation_id: Id,
    file: ImageFile,
    staff: ChatStaff,
    session: SessionDep,
    runtime: RuntimeDep,
    client_msg_id: OptionalMsgId = None,
) -> dict[str, Any]:
    conversation = await get_conversation(session, conversation_id)
    check_agent_owns(conversation, staff)
    return await _post_image(runtime, session, conversation, file, client_msg_id, staff)
