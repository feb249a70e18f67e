"""Two real server processes on one database: an edit made through one is found by the other."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from gogaek.config import Settings
from tests.cli import run_cli
from tests.conftest import settings_environment
from tests.servers import local_http, wait_until_ready

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(settings: Settings, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    port = free_port()
    env = {
        **settings_environment(settings),
        "GOGAEK_PORT": str(port),
        "GOGAEK_SEARCH_REFRESH_SECONDS": "0.5",
        **(extra_env or {}),
    }
    log_path = settings.data_dir / f"server-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "gogaek", "serve"], env=env, stdout=log, stderr=log)
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_until_ready(base_url, process, log_path)
            yield base_url
        finally:
            process.terminate()
            process.wait(timeout=30)


def eventually_found(base_url: str, query: str, article_id: int) -> bool:
    """Polls briefly: the other process checks for edits every half second."""
    for _ in range(100):
        results = local_http().get(f"{base_url}/api/v1/faq/search", params={"q": query}, timeout=5).json()["results"]
        if any(r["id"] == article_id for r in results):
            return True
        time.sleep(0.1)
    return False


def test_edit_in_one_process_is_searchable_in_another(settings: Settings) -> None:
    created = run_cli(settings, "user", "create-admin", "--email", "ops@example.com", "--password", "a-long-password")
    assert created.returncode == 0, created.stderr
    with running_server(settings) as first, running_server(settings) as second:
        token = (
            local_http()
            .post(f"{first}/api/v1/admin/login", json={"email": "ops@example.com", "password": "a-long-password"})
            .json()["access_token"]
        )
        headers = {"Authorization": f"Bearer {token}"}
        assert (
            local_http()
            .post(f"{first}/api/v1/admin/categories", json={"slug": "points", "name": "포인트"}, headers=headers)
            .is_success
        )
        article = (
            local_http()
            .post(
                f"{first}/api/v1/admin/articles",
                json={
                    "category": "points",
                    "question": "은하수포인트 적립 방법",
                    "answer": "결제하면 적립돼요.",
                    "status": "published",
                },
                headers=headers,
            )
            .json()
        )
        assert eventually_found(second, "은하수포인트", article["id"])
