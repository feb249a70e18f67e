"""The demo as a newcomer runs it (issue 15, rough edges): notifications sent through the console
provider appear in the demo's own output, so the web sign-in code can be read there and used, and
`gogaek token customer --link` prints a fresh sign-in link once the printed one is spent."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from gogaek.config import Settings
from gogaek.demo.cli import DEMO_CUSTOMER_NAME, DEMO_CUSTOMER_SUB
from gogaek.demo.people import DEMO_CUSTOMERS
from tests.cli import run_cli
from tests.conftest import settings_environment
from tests.integration.test_multi_process import free_port
from tests.servers import wait_until_ready

pytestmark = pytest.mark.integration
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CODE = re.compile(r"\[고객센터\] [^\n]*?(\d{6}) 입니다")


@dataclass(frozen=True)
class Demo:
    url: str
    settings: Settings
    log: Path


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """``gogaek serve --demo`` on a free port, its stdout and stderr in one file as in a terminal."""
    data_dir = tmp_path_factory.mktemp("demo-notifications")
    port = free_port()
    settings = Settings(env="test", data_dir=data_dir, port=port)
    env = {**settings_environment(settings), "GOGAEK_PORT": str(port), "GOGAEK_SEARCH_SEMANTIC": "false"}
    log = data_dir / "demo.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "gogaek", "serve", "--demo"], env=env, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(url, process, log)
        yield Demo(url, settings, log)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _csrf(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, page.text
    return found.group(1)


def test_demo_prints_the_web_sign_in_code_and_it_signs_in(demo: Demo) -> None:
    email = next(row[3] for row in DEMO_CUSTOMERS if row[0] == DEMO_CUSTOMER_SUB)
    with httpx.Client(base_url=demo.url, follow_redirects=False, timeout=20) as browser:
        form = browser.get("/auth/login")
        sent = browser.post("/auth/login", data={"csrf_token": _csrf(form), "destination": email, "next": "/inquiries"})
        assert sent.status_code == 303, sent.text
        printed = demo.log.read_text(encoding="utf-8")
        assert "알림(메일·문자, 웹 로그인 코드)은 이 창에 출력됩니다" in printed
        assert f"email to {email}" in printed
        code = CODE.findall(printed)
        assert code, printed[-2000:]
        page = browser.get(sent.headers["location"])
        verified = browser.post(
            "/auth/verify", data={"csrf_token": _csrf(page), "code": code[-1], "next": "/inquiries"}
        )
        assert verified.status_code == 303 and verified.headers["location"] == "/inquiries", verified.text
        listing = browser.get("/inquiries").text
        # Signed in as the visitor who proved the address: 문의 내역 with a sign-out button (an
        # e-mail visitor is a customer of its own, apart from the host app's 김민지; docs/privacy.md).
        assert 'id="logout-form"' in listing
        assert 'id="inquiry-list"' in listing or 'id="inquiry-list-empty"' in listing


def test_token_customer_link_signs_in_as_the_demo_customer_each_time(demo: Demo) -> None:
    printed = demo.log.read_text(encoding="utf-8")
    assert f"새 고객 로그인 링크: .venv/bin/gogaek token customer --link --base-url {demo.url}" in printed
    for _ in range(2):  # each call mints a new one-time link
        made = run_cli(demo.settings, "token", "customer", "--link", "--base-url", demo.url)
        assert made.returncode == 0, made.stderr
        link = made.stdout.strip()
        assert link.startswith(f"{demo.url}/auth/customer?token=") and link.endswith("&next=/inquiries")
        with httpx.Client(follow_redirects=False, timeout=20) as browser:
            signed_in = browser.get(link)
            assert (signed_in.status_code, signed_in.headers["location"]) == (303, "/inquiries")
            mine = browser.get(f"{demo.url}/inquiries")
            assert mine.status_code == 200 and 'id="inquiry-list"' in mine.text  # 김민지 has inquiries
            assert browser.get(link).status_code != 303  # spent: the link works once


def test_demo_customer_constants_match_the_demo_data() -> None:
    assert DEMO_CUSTOMERS[0][:2] == (DEMO_CUSTOMER_SUB, DEMO_CUSTOMER_NAME)
