"""The chat fan-out baseline: a bare websocket relay on the app's own server stack.

Starlette websockets under the same uvicorn configuration as the app, and the app's shape of one
writer task per socket fed by an in-memory outbox, but no database, no sign-in, no hub and no
frame validation. Customer ``cid`` talks to agent ``cid % agents``: a message is echoed to its
sender (the acknowledgement) and relayed to the peer, in the frames the chat protocol uses, so
the benchmark's clients cannot tell the two servers apart. Ratios against it are what storing,
checking and fanning out a chat message cost on top of moving a websocket frame.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

Frame = dict[str, Any]


class _Socket:
    """One accepted websocket with a single writer, as in the app."""

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self.outbox: asyncio.Queue[Frame] = asyncio.Queue()

    def send(self, frame: Frame) -> None:
        self.outbox.put_nowait(frame)

    async def run(self, on_frame: Callable[[Frame], None]) -> None:
        writer = asyncio.create_task(self._write())
        try:
            while True:
                message = await self.websocket.receive()
                if message["type"] == "websocket.disconnect" or message.get("text") is None:
                    return
                on_frame(json.loads(message["text"]))
        finally:
            writer.cancel()

    async def _write(self) -> None:
        while True:
            frame = await self.outbox.get()
            await self.websocket.send_text(json.dumps(frame, ensure_ascii=False))


def _relayed(frame: Frame, conversation: int, sender: str) -> Frame:
    return {
        "type": "message",
        "conversation": conversation,
        "sender": sender,
        "text": frame.get("text", ""),
        "client_msg_id": frame.get("client_msg_id"),
    }


def bare_app(agents: int) -> Starlette:
    customers: dict[int, _Socket] = {}
    consoles: dict[int, _Socket] = {}

    def to(sockets: dict[int, _Socket], key: int, frame: Frame) -> None:
        target = sockets.get(key)
        if target is not None:
            target.send(frame)

    async def customer(websocket: WebSocket) -> None:
        cid = int(websocket.query_params["cid"])
        await websocket.accept()
        me = customers[cid] = _Socket(websocket)
        me.send({"type": "hello", "v": 1, "role": "customer", "conversation": {"id": cid, "status": "bot"}})

        def on_frame(frame: Frame) -> None:
            if frame.get("type") == "handoff":
                me.send({"type": "status", "conversation": cid, "status": "active"})
                to(consoles, cid % agents, {"type": "assigned", "conversation": {"id": cid, "status": "active"}})
            elif frame.get("type") == "message":
                relayed = _relayed(frame, cid, "customer")
                me.send(relayed)
                to(consoles, cid % agents, relayed)

        try:
            await me.run(on_frame)
        finally:
            customers.pop(cid, None)

    async def agent(websocket: WebSocket) -> None:
        number = int(websocket.query_params["agent"])
        await websocket.accept()
        me = consoles[number] = _Socket(websocket)
        me.send({"type": "hello", "v": 1, "role": "agent", "agent": {"id": number}, "chats": []})

        def on_frame(frame: Frame) -> None:
            if frame.get("type") == "message":
                relayed = _relayed(frame, int(frame["conversation"]), "agent")
                me.send(relayed)
                to(customers, relayed["conversation"], relayed)

        try:
            await me.run(on_frame)
        finally:
            consoles.pop(number, None)

    async def readyz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ready"})

    return Starlette(
        routes=[Route("/readyz", readyz), WebSocketRoute("/ws/chat", customer), WebSocketRoute("/ws/agent", agent)]
    )
