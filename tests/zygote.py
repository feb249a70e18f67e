"""Forks the servers of the browser and chat tests from one process that has already loaded the app.

A server started as a fresh interpreter spends about four seconds of CPU before it serves:
importing the app (FastAPI routes, pydantic schemas, SQLAlchemy models) and loading Kiwi. The
suite starts a few dozen of them, two at a time on a two-core machine, so that start-up was a
large share of the run. This process pays it once per pytest worker, then forks a child per
server; each child builds its app from its own ``GOGAEK_*`` environment with ``create_app``, as
``gogaek serve``'s uvicorn factory does, so what is served and tested is the same app. The commands users run
(``gogaek serve``, ``gogaek worker``) are still started as real processes by the tests of
those commands.

Protocol, one JSON line each way: ``{"env": {...}, "cwd": "...", "log": "..."}`` →
``{"pid": ..., "port": ...}``. End of input stops the children and then this process.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import signal
import socket
import sys

import uvicorn

from gogaek.app import create_app
from gogaek.chat.connection import WS_MAX_BYTES
from gogaek.config import Settings
from gogaek.korean.analyzer import get_kiwi
from gogaek.web.templating import create_templates


def _serve(request: dict[str, str | dict[str, str]], listener: socket.socket) -> None:
    """Runs in the child: the request's environment, working directory and log, then uvicorn."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    env = request["env"]
    assert isinstance(env, dict)
    os.environ.clear()
    os.environ.update(env)
    os.chdir(str(request["cwd"]))
    log = os.open(str(request["log"]), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    config = uvicorn.Config(create_app(Settings()), log_level="warning", access_log=False, ws_max_size=WS_MAX_BYTES)
    uvicorn.Server(config).run(sockets=[listener])


def _fork_server(request: dict[str, str | dict[str, str]]) -> dict[str, int]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)  # connections wait in the backlog while the child's app starts up
    port = listener.getsockname()[1]
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            _serve(request, listener)
        except BaseException as error:  # the test reads the log when the child is gone
            print(f"forked server failed: {error!r}", file=sys.stderr, flush=True)
            code = 1
        finally:
            os._exit(code)
    listener.close()
    return {"pid": pid, "port": port}


def main() -> None:
    get_kiwi()  # loaded, not yet used: Kiwi starts its threads on the first analysis, in each child
    templates = create_templates(Settings(env="test")).env
    for name in templates.list_templates(extensions=["html"]):
        templates.get_template(name)  # compiled once here, for every child's environments
    gc.collect()
    gc.freeze()  # the children share these pages instead of copying them on the first collection
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    children: list[int] = []
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        reply = _fork_server(json.loads(line))
        children.append(reply["pid"])
        print(json.dumps(reply), flush=True)
    for pid in children:
        with contextlib.suppress(ProcessLookupError):  # stopped by its test, as it should be
            os.kill(pid, signal.SIGKILL)


if __name__ == "__main__":
    main()
