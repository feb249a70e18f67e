"""Helpers for tests that start real server processes."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx

STARTUP_SECONDS = 180.0  # Kiwi and the e5 model load, and a cold vector cache is filled


def wait_until_ready(base_url: str, process: subprocess.Popen[bytes] | subprocess.Popen[str], log_path: Path) -> None:
    """Polls /readyz (bounded); a server that exits or never gets ready fails with its log."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(log_path.read_text(encoding="utf-8", errors="replace"))
        try:
            if httpx.get(f"{base_url}/readyz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"server did not become ready:\n{log_path.read_text(encoding='utf-8', errors='replace')}")
