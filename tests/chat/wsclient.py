"""A small test client for the chat protocol over a real websocket (the ``websockets`` package)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

Frame = dict[str, Any]
WAIT_SECONDS = 15.0


class ChatClient:
    """Keeps every frame it received, so tests can look back as well as wait."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.frames: list[Frame] = []
        self._cursor = 0

    @classmethod
    async def open(cls, url: str) -> ChatClient:
        return cls(await connect(url, max_size=2**20))

    async def send(self, frame: Frame | str) -> None:
        await self.socket.send(frame if isinstance(frame, str) else json.dumps(frame, ensure_ascii=False))

    async def expect(self, predicate: Callable[[Frame], bool], wait: float = WAIT_SECONDS) -> Frame:
        """The next frame (after the last one expected) that matches; earlier ones stay in ``frames``."""
        while True:
            for index in range(self._cursor, len(self.frames)):
                if predicate(self.frames[index]):
                    self._cursor = index + 1
                    return self.frames[index]
            self._cursor = len(self.frames)
            raw = await asyncio.wait_for(self.socket.recv(), wait)
            self.frames.append(json.loads(raw))

    async def received(self, predicate: Callable[[Frame], bool], wait: float = WAIT_SECONDS) -> Frame:
        """A matching frame whenever it came, for frames whose order against others is not promised
        (receipts are published by the other side's process as it delivers)."""
        for frame in self.frames:
            if predicate(frame):
                return frame
        return await self.expect(predicate, wait)

    async def expect_type(self, kind: str, **fields: Any) -> Frame:
        return await self.expect(lambda f: f.get("type") == kind and all(f.get(k) == v for k, v in fields.items()))

    async def drain(self, seconds: float = 0.5) -> list[Frame]:
        """Whatever arrives within ``seconds``: for checking that nothing (more) came."""
        start = len(self.frames)
        try:
            while True:
                raw = await asyncio.wait_for(self.socket.recv(), seconds)
                self.frames.append(json.loads(raw))
        except TimeoutError:
            pass
        self._cursor = len(self.frames)
        return self.frames[start:]

    def messages(self) -> list[Frame]:
        return [f for f in self.frames if f.get("type") == "message" and not f.get("duplicate")]

    async def close(self) -> None:
        """Reads what is still queued first: a client that stopped reading leaves the server's
        writer blocked, and the closing handshake would then wait out websockets' 10 s timeout."""
        with contextlib.suppress(ConnectionClosed):
            await self.drain(0.05)
        await self.socket.close()


def ws_url(base_url: str, path: str, **params: Any) -> str:
    from urllib.parse import urlencode

    query = urlencode({k: v for k, v in params.items() if v is not None})
    return base_url.replace("http://", "ws://") + path + (f"?{query}" if query else "")
