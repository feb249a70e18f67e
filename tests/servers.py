"""Helpers for tests that start real server processes."""

from __future__ import annotations

import functools
import os
import subprocess
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


def wait_until_ready(base_url: str, process: subprocess.Popen[bytes] | subprocess.Popen[str], log_path: Path) -> None:
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
