"""The console's mail page as an agent's browser meets it: real SMTP in, the console session out.

A mail with quoted history, a signature and a refused file arrives through the listener; the
agent signs in through the real form, follows the link from the inquiry page and sees the whole
mail, the refused file with its reason and the acknowledgement we sent, and downloads the .eml.
"""

from __future__ import annotations

import html
from email.message import EmailMessage

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.config import Settings
from gogaek.inquiries.models import Inquiry
from gogaek.mail.models import InboundMail
from tests.api.test_agent_auth import file_inquiry, make_customer, make_staff
from tests.api.test_console_pages import console_sign_in
from tests.api.test_pages import browser
from tests.mail.test_smtp_intake import EXE, PNG_2PX, _inquiries, _mail, _send, settings
from tests.phone.conftest import demo_categories  # noqa: F401 - a fixture used by name

__all__ = ["browser", "settings"]  # fixtures shared with the modules they come from
pytestmark = pytest.mark.usefixtures("demo_categories")

AGENT = "mail-agent@example.com"
WHOLE = (
    "새 카드로 결제가 안 됩니다.\n\n"
    "--\n김민지 드림\n\n"
    "2026년 12월 5일 (토) 오후 3:04, 고객센터 <help@gogaek.example>님이 작성:\n> 이전 답변입니다"
)


def _with_files(message: EmailMessage) -> EmailMessage:
    message.add_attachment(PNG_2PX, maintype="image", subtype="png", filename="영수증.png")
    message.add_attachment(EXE, maintype="application", subtype="octet-stream", filename="a.exe")
    return message


async def _drain(app: FastAPI) -> None:
    while await app.state.jobs.worker.run_once():
        pass


async def _mail_inquiry(app: FastAPI, settings: Settings) -> tuple[Inquiry, EmailMessage]:
    message = _with_files(_mail("카드 결제 오류", WHOLE))
    await _send(settings, message)
    await _drain(app)
    [inquiry] = await _inquiries(app)
    return inquiry, message


async def test_agent_follows_the_inquiry_page_to_the_whole_mail_and_downloads_the_eml(
    app: FastAPI, settings: Settings, session: AsyncSession, browser: httpx.AsyncClient
) -> None:
    inquiry, message = await _mail_inquiry(app, settings)
    await make_staff(session, AGENT, name="메일상담")
    assert (await console_sign_in(browser, AGENT)).status_code == 303

    page = (await browser.get(f"/console/inquiries/{inquiry.id}")).text
    mails_url = f"/console/inquiries/{inquiry.id}/emails"
    assert f'id="mail-link" href="{mails_url}"' in page
    assert f'class="mail-source" href="{mails_url}#mail-' in page  # the inquiry's text links to the mail it came from
    assert "이전 답변입니다" not in page  # the inquiry page shows only what is new

    shown = await browser.get(mails_url)
    assert shown.status_code == 200
    text = html.unescape(shown.text)
    assert "이전 답변입니다" in text and "김민지 드림" in text  # quoted history and signature kept here
    assert "minji@example.com" in text and "카드 결제 오류" in text
    refused = text.split('class="refused-files')[1].split("</ul>")[0]
    assert "a.exe" in refused and "영수증.png" not in refused
    assert 'data-reason="attachment_type_not_allowed"' in refused  # the upload check's code …
    assert "이미지와 PDF 파일만 첨부할 수 있습니다" in refused  # … and its Korean reason
    assert "영수증.png" in text.split('class="mail-attachments')[1]
    assert 'data-kind="acknowledgement"' in shown.text  # the automatic acknowledgement we sent

    await _send(settings, _mail(f"Re: [#{inquiry.number}] 카드 결제 오류", "카드사에 물어보니 정상이라고 합니다."))
    await _drain(app)
    answered = (await browser.get(f"/console/inquiries/{inquiry.id}")).text
    assert answered.count('class="mail-source small"') == 1  # the customer's answer links to its own mail
    assert (await browser.get(mails_url)).text.count('class="panel received-mail"') == 2

    mail_id = shown.text.split('class="panel received-mail"')[0].rsplit('id="mail-', 1)[1].split('"')[0]
    raw = await browser.get(f"{mails_url}/{mail_id}/raw")
    assert raw.status_code == 200 and raw.headers["content-type"].startswith("message/rfc822")
    assert raw.headers["content-disposition"] == f'attachment; filename="mail-{mail_id}.eml"'
    assert str(message["Message-ID"]).encode() in raw.content


async def test_mail_of_one_inquiry_is_not_served_under_another_and_needs_the_console_session(
    app: FastAPI, settings: Settings, session: AsyncSession, browser: httpx.AsyncClient
) -> None:
    inquiry, _ = await _mail_inquiry(app, settings)
    web = await file_inquiry(session, settings, await make_customer(session))
    await make_staff(session, AGENT)
    mail_id = await _first_mail_id(app, inquiry.id)

    anonymous = await browser.get(f"/console/inquiries/{inquiry.id}/emails/{mail_id}/raw", follow_redirects=False)
    assert anonymous.status_code == 303 and "/login" in anonymous.headers["location"]
    assert (await console_sign_in(browser, AGENT)).status_code == 303
    assert (await browser.get(f"/console/inquiries/{web.id}/emails/{mail_id}/raw")).status_code == 404
    assert (await browser.get(f"/console/inquiries/{inquiry.id}/emails/{mail_id + 1000}/raw")).status_code == 404
    assert (await browser.get(f"/console/inquiries/{inquiry.id}/emails/x/raw")).status_code == 404
    assert (await browser.get("/console/inquiries/999999/emails")).status_code == 404

    web_page = (await browser.get(f"/console/inquiries/{web.id}")).text
    assert 'id="mail-link"' not in web_page  # a web inquiry without mail offers no mail page
    empty = (await browser.get(f"/console/inquiries/{web.id}/emails")).text
    assert 'id="no-mail"' in empty


async def _first_mail_id(app: FastAPI, inquiry_id: int) -> int:
    async with app.state.sessionmaker() as session:
        mail_id: int | None = await session.scalar(select(InboundMail.id).where(InboundMail.inquiry_id == inquiry_id))
    assert mail_id is not None
    return mail_id
