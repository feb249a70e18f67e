"""Shared browser-test plumbing: a real uvicorn server per module and Debian's chromium."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, expect, sync_playwright
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.config import Settings
from gogaek.db import create_engine, create_sessionmaker
from gogaek.demo import load_demo_content
from gogaek.identity.schemas import StaffCreate
from gogaek.identity.service import create_staff_user
from gogaek.inquiries.models import Macro
from gogaek.migrate import upgrade_database
from tests.conftest import settings_environment
from tests.servers import wait_until_ready, zygote

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass(frozen=True)
class Desk:
    """A served data dir with demo content, one agent (with TOTP) and one macro."""

    url: str
    settings: Settings
    agent_totp: str


@asynccontextmanager
async def demo_database(settings: Settings) -> AsyncIterator[AsyncSession]:
    """A migrated database of the served data dir with the demo content, for a test to add to."""
    engine = create_engine(settings)
    await upgrade_database(engine)
    try:
        async with create_sessionmaker(engine)() as session:
            await load_demo_content(session)
            yield session
    finally:
        await engine.dispose()


async def _prepare_desk(settings: Settings, agent: StaffCreate, macro: Macro) -> str:
    async with demo_database(settings) as session:
        staff = await create_staff_user(session, agent, with_totp=True)
        session.add(macro)
        await session.commit()
    assert staff.totp_secret is not None
    return staff.totp_secret


@contextmanager
def serve_desk(
    data_dir: Path, embedding_cache: Path, agent: StaffCreate, macro: Macro, extra_env: dict[str, str] | None = None
) -> Iterator[Desk]:
    """Lexical search only (no e5 at start-up), so a browser test's server is ready in seconds."""
    settings = Settings(
        env="test", data_dir=data_dir, search_refresh_seconds=0, embedding_cache=embedding_cache, search_semantic=False
    )
    secret = asyncio.run(_prepare_desk(settings, agent, macro))
    with running_server(settings, {"GOGAEK_SEARCH_SEMANTIC": "false", **(extra_env or {})}) as url:
        yield Desk(url, settings, secret)


@contextmanager
def running_server(settings: Settings, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """Serves a prepared data dir (forked by ``tests.zygote``) and yields its base URL."""
    env = {
        **settings_environment(settings),
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
        **(extra_env or {}),
    }
    log_path = settings.data_dir / "server.log"
    log_path.write_text("")
    process = zygote(env).fork(env, settings.data_dir, log_path)
    try:
        url = f"http://127.0.0.1:{process.port}"
        wait_until_ready(url, process, log_path)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        process.close()


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


def watch_console(page: Page) -> list[str]:
    """Collects script errors and CSP violations: the page must run clean under our CSP."""
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def staff_sign_in(page: Page, url: str, email: str, password: str, totp_secret: str | None = None) -> None:
    """Opens a staff page, lands on the shared sign-in form, signs in and is sent back to it."""
    page.goto(url)
    expect(page).to_have_url(re.compile(r"/login"))
    page.get_by_label("이메일").fill(email)
    page.get_by_label("비밀번호").fill(password)
    if totp_secret is not None:
        page.locator("input[name=totp]").fill(pyotp.TOTP(totp_secret).now())
    page.get_by_role("button", name="로그인").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
