"""Helpers for tests that start real server processes."""

from __future__ import annotations

import atexit
import functools
import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import redis

REDIS_URL = os.environ.get("GOGAEK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
STARTUP_SECONDS = 180.0  # Kiwi and the e5 model load, and a cold vector cache is filled


@functools.cache
def local_http() -> httpx.Client:
    """One client for plain-HTTP calls to the servers the tests start. ``httpx.get`` makes a
    client, and so reads the CA bundle into an SSL context, on every call (about 40 ms of CPU):
    polling a starting server that way took CPU from the server it waited for. No keep-alive,
    so a connection never outlives a server that is killed and started again on its port."""
    return httpx.Client(limits=httpx.Limits(max_keepalive_connections=0))


def wait_until_ready(
    base_url: str, process: subprocess.Popen[bytes] | subprocess.Popen[str] | ForkedServer, log_path: Path
) -> None:
    """Polls /readyz (bounded); a server that exits or never gets ready fails with its log."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(log_path.read_text(encoding="utf-8", errors="replace"))
        try:
            if local_http().get(f"{base_url}/readyz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"server did not become ready:\n{log_path.read_text(encoding='utf-8', errors='replace')}")


def require_redis() -> None:
    """Skips without a reachable Redis; under CI that is a failure, never a silent skip."""
    try:
        if redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping():
            return
    except redis.RedisError:
        pass
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"Redis is required under CI but {REDIS_URL} is unreachable")
    pytest.skip("Redis not reachable (set CI=true to make this an error)")


class ForkedServer:
    """A server forked by ``tests.zygote``: not our child, so it is watched through a pidfd
    (readable once the process has ended) instead of ``waitpid``."""

    def __init__(self, pid: int, port: int) -> None:
        self.pid = pid
        self.port = port
        try:
            self._pidfd: int | None = os.pidfd_open(pid)
        except ProcessLookupError:  # already gone and reaped
            self._pidfd = None

    def poll(self) -> int | None:
        """None while running; the exit code is the zygote's to collect, so an ended one is -1."""
        if self._pidfd is None:
            return -1
        return -1 if select.select([self._pidfd], [], [], 0)[0] else None

    def wait(self, timeout: float) -> int:
        if self._pidfd is not None and not select.select([self._pidfd], [], [], timeout)[0]:
            raise subprocess.TimeoutExpired(f"server {self.pid}", timeout)
        return -1

    def send_signal(self, number: int) -> None:
        if self._pidfd is not None and self.poll() is None:
            signal.pidfd_send_signal(self._pidfd, number)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def close(self) -> None:
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None


class Zygote:
    """``tests.zygote`` for this pytest process, started on first use (see that module)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.zygote"],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self._requests = self.process.stdin
        self._replies = self.process.stdout
        ready = self._replies.readline()
        assert json.loads(ready or "{}").get("ready"), "tests.zygote did not start"
        atexit.register(self.close)

    def fork(self, env: dict[str, str], cwd: Path, log_path: Path) -> ForkedServer:
        self._requests.write(json.dumps({"env": env, "cwd": str(cwd), "log": str(log_path)}) + "\n")
        self._requests.flush()
        reply = json.loads(self._replies.readline())
        return ForkedServer(reply["pid"], reply["port"])

    def close(self) -> None:
        self._requests.close()
        self.process.wait(timeout=30)
        self._replies.close()


_zygotes: dict[str, Zygote] = {}


def zygote(env: dict[str, str]) -> Zygote:
    """One per pytest process; ``env`` (what the first server gets) only sets up its imports."""
    if "zygote" not in _zygotes:
        _zygotes["zygote"] = Zygote(env)
    return _zygotes["zygote"]
