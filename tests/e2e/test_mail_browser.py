"""An agent reads a customer's whole mail and downloads the original, in Debian's chromium.

The server runs with its SMTP listener; the customer's mail (quoted history, a signature, an
image and an executable) goes in over real SMTP and the server's own worker files it. The agent
signs in, opens the inquiry from the queue, sees only the new text there, follows 메일 원문 to
the whole mail with the refused file and its reason, and downloads the .eml.
"""

from __future__ import annotations

import asyncio
import re
import smtplib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from gogaek.config import Settings
from gogaek.identity.models import StaffRole
from gogaek.identity.schemas import StaffCreate
from gogaek.identity.service import create_staff_user
from tests.e2e.conftest import demo_database, running_server, screenshot, staff_sign_in, watch_console
from tests.mail.test_smtp_intake import EXE, PNG_2PX, _free_port

pytestmark = pytest.mark.e2e

SUPPORT = "help@gogaek.example"
AGENT_EMAIL = "mail-agent@example.com"
AGENT_PASSWORD = "agent-password-123"
NEW_TEXT = "새로 발급받은 카드로 결제가 안 됩니다. 확인 부탁드립니다."
QUOTED = "> 지난번 답변: 카드 등록은 앱에서 하실 수 있습니다."


@dataclass(frozen=True)
class MailDesk:
    url: str
    settings: Settings
    smtp_port: int


async def _prepare(settings: Settings) -> None:
    async with demo_database(settings) as session:
        await create_staff_user(
            session,
            StaffCreate(email=AGENT_EMAIL, password=AGENT_PASSWORD, display_name="상담사 메일", role=StaffRole.AGENT),
        )


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> Iterator[MailDesk]:
    data_dir = tmp_path_factory.mktemp("e2e-mail")
    settings = Settings(
        env="test", data_dir=data_dir, search_refresh_seconds=0, embedding_cache=embedding_cache, search_semantic=False
    )
    asyncio.run(_prepare(settings))
    port = _free_port()
    env = {"GOGAEK_SEARCH_SEMANTIC": "false", "GOGAEK_INBOUND_SMTP_PORT": str(port), "GOGAEK_SUPPORT_EMAIL": SUPPORT}
    with running_server(settings, env) as url:
        yield MailDesk(url, settings, port)


def _customer_mail() -> EmailMessage:
    message = EmailMessage()
    message["From"] = "김민지 <minji@example.com>"
    message["To"] = SUPPORT
    message["Subject"] = "새 카드 결제 오류"
    message["Message-ID"] = make_msgid(domain="example.com")
    message.set_content(f"{NEW_TEXT}\n\n--\n김민지 드림\n\n2026년 12월 5일, 고객센터님이 작성:\n{QUOTED}\n")
    message.add_attachment(PNG_2PX, maintype="image", subtype="png", filename="결제화면.png")
    message.add_attachment(EXE, maintype="application", subtype="octet-stream", filename="툴.exe")
    return message


def _open_from_queue(agent: Page, desk: MailDesk, title: str) -> None:
    """The server's own worker files the mail; the agent reloads the queue until it shows up."""
    row = agent.locator("tr[data-inquiry-id]", has_text=title)
    deadline = time.monotonic() + 60
    while row.count() == 0:
        assert time.monotonic() < deadline, "the mail never became an inquiry"
        time.sleep(0.5)
        agent.goto(f"{desk.url}/console")
    row.locator("a.queue-link").click()


def test_agent_reads_the_whole_mail_and_downloads_the_original(desk: MailDesk, chromium: Browser) -> None:
    message = _customer_mail()
    with smtplib.SMTP("127.0.0.1", desk.smtp_port, timeout=30) as smtp:
        smtp.send_message(message, from_addr="minji@example.com", to_addrs=[SUPPORT])

    office = chromium.new_context(locale="ko-KR", viewport={"width": 1280, "height": 900}, accept_downloads=True)
    agent = office.new_page()
    problems = watch_console(agent)
    staff_sign_in(agent, f"{desk.url}/console", AGENT_EMAIL, AGENT_PASSWORD)
    _open_from_queue(agent, desk, "새 카드 결제 오류")
    inquiry_id = agent.url.rsplit("/", 1)[1]

    expect(agent.locator("#inquiry-body")).to_contain_text(NEW_TEXT)
    expect(agent.locator("#inquiry-body")).not_to_contain_text("지난번 답변")
    agent.locator("#mail-link").click()
    expect(agent).to_have_url(re.compile(rf"/console/inquiries/{inquiry_id}/emails$"))
    mail = agent.locator("article.received-mail")
    expect(mail.locator("pre.mail-text")).to_contain_text("지난번 답변")
    expect(mail.locator("pre.mail-text")).to_contain_text("김민지 드림")
    expect(mail.locator("ul.refused-files")).to_contain_text("툴.exe")
    expect(mail.locator("ul.refused-files")).to_contain_text("이미지와 PDF 파일만")
    expect(mail.locator("ul.mail-attachments")).to_contain_text("결제화면.png")
    expect(agent.locator("tr.sent-mail[data-kind='acknowledgement']")).to_have_count(1)
    screenshot(agent, "mail-original.png")

    with agent.expect_download() as download_info:
        mail.locator("a.mail-raw").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".eml")
    original = Path(download.path()).read_bytes()
    assert str(message["Message-ID"]).encode() in original and b"filename" in original
    assert problems == []
    office.close()
