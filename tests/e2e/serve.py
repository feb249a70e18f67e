"""Runs the real app under uvicorn for the browser tests.

Binds a free loopback port itself and prints it before serving, so the test never races
another process for a port. Settings come from ``GOGAEK_*`` variables set by the test.
"""

from __future__ import annotations

import socket

import uvicorn

from gogaek.app import create_app
from gogaek.chat.connection import WS_MAX_BYTES
from gogaek.config import Settings


def main() -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)  # connections wait in the backlog while the app starts up
    print(listener.getsockname()[1], flush=True)
    config = uvicorn.Config(create_app(Settings()), log_level="warning", access_log=False, ws_max_size=WS_MAX_BYTES)
    uvicorn.Server(config).run(sockets=[listener])


if __name__ == "__main__":
    main()
