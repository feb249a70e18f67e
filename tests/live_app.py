"""The test's own app behind a real uvicorn, in the test's event loop.

For what the ASGI transport cannot show: real HTTP parsing, chunked bodies, lying
``Content-Length`` headers, proxy headers, and clients that block (run them in a thread).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send


@dataclass
class LiveServer:
    url: str
    port: int
    received: list[int] = field(default_factory=list)  # body bytes the app was handed, per request


@asynccontextmanager
async def serve_live(app: ASGIApp) -> AsyncIterator[LiveServer]:
    """Serves on a free port; a thin wrapper counts the body bytes uvicorn hands the app."""
    live = LiveServer("", 0)

    async def counting(scope: Scope, receive: Receive, send: Send) -> None:
        index = len(live.received)
        live.received.append(0)

        async def counted() -> Message:
            message = await receive()
            live.received[index] += len(message.get("body", b""))
            return message

        await app(scope, counted, send)

    config = uvicorn.Config(
        counting,
        host="127.0.0.1",
        port=0,
        lifespan="off",
        ws="none",
        log_level="warning",
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    for _ in range(500):  # bounded: a server that never starts fails below
        if server.started:
            break
        await asyncio.sleep(0.02)
    live.port = server.servers[0].sockets[0].getsockname()[1]
    live.url = f"http://127.0.0.1:{live.port}"
    try:
        yield live
    finally:
        server.should_exit = True
        await serving
