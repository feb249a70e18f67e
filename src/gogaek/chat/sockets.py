"""The two chat websockets: ``/ws/chat`` for customers and ``/ws/agent`` for the console.

Here: who may connect and to which chat. What a connection does is in ``connection.py`` (the
shared writer and reader), ``customer_socket.py`` and ``agent_socket.py``.
"""

from __future__ import annotations

import contextlib
import json

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from gogaek.chat import queries
from gogaek.chat.agent_socket import AgentConnection
from gogaek.chat.bot_settings import bot_settings
from gogaek.chat.connection import CLOSE_BAD_REQUEST, CLOSE_FORBIDDEN, CLOSE_UNAUTHORIZED, same_origin
from gogaek.chat.customer_socket import CustomerConnection
from gogaek.chat.runtime import ChatRuntime
from gogaek.chat.schemas import error_frame
from gogaek.chat.service import own_conversation, start_conversation
from gogaek.deps import session_customer
from gogaek.errors import ProblemError
from gogaek.identity.customer_tokens import verify_request_token
from gogaek.identity.customers import customer_from_token
from gogaek.identity.models import Customer
from gogaek.identity.security import StaffToken
from gogaek.identity.service import staff_signed_in
from gogaek.web.auth import session_credential
from gogaek.web.i18n import N_, gettext
from gogaek.web.ids import MAX_ID

router = APIRouter()


def _runtime(websocket: WebSocket) -> ChatRuntime:
    runtime: ChatRuntime = websocket.app.state.chat
    return runtime


async def _authenticate_customer(websocket: WebSocket, runtime: ChatRuntime) -> Customer | None:
    token = websocket.query_params.get("token")
    async with runtime.sessionmaker() as session:
        if token:
            try:
                # Verified as on the API, so the token's ``locale`` is the socket's language.
                claims = verify_request_token(websocket, token, runtime.settings)
                return await customer_from_token(session, token, runtime.settings, claims)
            except ProblemError:
                return None
        if not same_origin(websocket):
            return None
        return await session_customer(websocket, session, runtime.settings)


def _int_param(websocket: WebSocket, name: str) -> int | None:
    value = websocket.query_params.get(name)
    if value is None or value == "":
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > len(str(MAX_ID)) or int(value) > MAX_ID:
        raise ValueError(name)  # a number no id or seq column can hold would overflow the query
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
        await _refuse(websocket, CLOSE_UNAUTHORIZED, "unauthorized", N_("로그인이 필요합니다."))
        return
    try:
        conversation_id, after_seq = _int_param(websocket, "conversation"), _int_param(websocket, "after_seq") or 0
    except ValueError as exc:
        await _refuse(
            websocket, CLOSE_BAD_REQUEST, "bad_request", gettext("잘못된 값입니다: %(error)s") % {"error": exc}
        )
        return
    async with runtime.sessionmaker() as session:
        if conversation_id is not None:
            try:
                conversation = await own_conversation(session, customer, conversation_id)
            except ProblemError:
                await _refuse(websocket, CLOSE_FORBIDDEN, "forbidden", N_("볼 수 없는 상담입니다."))
                return
        else:
            existing = await queries.open_conversation_of(session, customer.id)
            if existing is None:
                greeting = (await bot_settings(session, runtime.settings)).greeting
                outcome = await start_conversation(session, customer, greeting)
                await runtime.publish(outcome)
                existing = outcome.conversation
            conversation = existing
    connection = CustomerConnection(websocket, runtime, customer, conversation)
    await connection.start(conversation, after_seq)
    with contextlib.suppress(WebSocketDisconnect):
        await connection.run()


def _staff_credential(websocket: WebSocket) -> StaffToken | None:
    token = websocket.query_params.get("token")
    if token:
        return websocket.app.state.token_signer.read(token)  # type: ignore[no-any-return]
    return session_credential(websocket) if same_origin(websocket) else None


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
        await _refuse(websocket, CLOSE_UNAUTHORIZED, "unauthorized", N_("로그인이 필요합니다."))
        return
    connection = AgentConnection(websocket, runtime, agent, credential)
    await connection.start()
    with contextlib.suppress(WebSocketDisconnect):
        await connection.run()
