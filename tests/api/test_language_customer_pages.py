"""The customer's own pages in English: inquiries, callbacks, the identity check, the appeal form,
sign-in, chat, errors. Every page is fetched with ``Accept-Language: en`` and must hold no Hangul
at all, so the test data is written in English; the same page without the header stays Korean."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.chat.models import ChatMessage, Conversation
from gogaek.config import Settings
from gogaek.helpcenter.models import Category
from gogaek.identity.customer_tokens import issue_customer_token
from gogaek.identity.models import StaffRole
from gogaek.identity.schemas import StaffCreate
from gogaek.identity.service import create_staff_user
from gogaek.inquiries.agent_verbs import reply_as_agent
from gogaek.inquiries.models import Inquiry
from gogaek.notify.models import Notification
from tests.api.test_customer_auth import last_code
from tests.hangul import HANGUL, without_switch_back

ENGLISH = {"Accept": "text/html,application/xhtml+xml", "Accept-Language": "en-US,en;q=0.9"}
KOREAN = {"Accept-Language": "ko-KR"}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
OPEN_SLOT = re.compile(r'name="slot_start" value="([^"]+)"(?![^>]*disabled)')


def assert_english(html: str, *phrases: str) -> None:
    """No Hangul anywhere in the page (text, attributes, titles) and the phrases present.

    The one Korean word on an English page is the switch back to 한국어, written in its own language.
    """
    page = without_switch_back(html)
    found = sorted({match.group(0) for match in HANGUL.finditer(page)})
    lines = [line.strip() for line in page.splitlines() if HANGUL.search(line)]
    assert not found, f"Hangul on an English page: {lines[:8]}"
    assert '<html lang="en">' in html
    readable = html.replace("&#39;", "'")  # escaped where it came through a variable, not where marked up
    for phrase in phrases:
        assert phrase in readable, phrase


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


@pytest.fixture
async def categories(session: AsyncSession) -> None:
    session.add_all(
        [
            Category(slug="payment", name="Payments", position=1),
            Category(slug="restrictions", name="Restrictions", position=2),
        ]
    )
    await session.commit()


@pytest.fixture
async def customer(app: FastAPI, settings: Settings, categories: None) -> AsyncIterator[httpx.AsyncClient]:
    """A host-app customer in English; ``verified_at`` says the app checked who they are."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=ENGLISH) as client:
        token = issue_customer_token(settings, sub="host-en-1", name="Alex Kim")
        assert (await client.get("/auth/customer", params={"token": token})).status_code == 303
        yield client


async def korean(client: httpx.AsyncClient, path: str) -> str:
    response = await client.get(path, headers=KOREAN)
    assert response.status_code == 200, response.text
    assert '<html lang="ko">' in response.text
    return response.text


async def test_inquiry_pages_from_filing_to_rating_are_english(
    customer: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    empty = await customer.get("/inquiries")
    assert_english(empty.text, "My inquiries", "You haven't sent us any inquiries yet.", "Sign out")
    assert "아직 남기신 문의가 없어요." in await korean(customer, "/inquiries")

    form = await customer.get("/inquiries/new")
    assert_english(form.text, "Send us an inquiry", "Inquiry type", "Choose an inquiry type", ">Send inquiry</button>")
    assert "within 1–2 business days</strong>" in form.text and "Payments" in form.text
    assert 'data-msg-size="{name}: the file is too large. Files can be up to ' in form.text  # for inquiry-form.js
    assert "문의 접수하기" in await korean(customer, "/inquiries/new")

    missing = await customer.post("/inquiries", data={"csrf_token": csrf_of(form.text), "category": "payment"})
    assert missing.status_code == 422
    assert_english(missing.text, "Please enter title.", "Please enter details.")

    posted = await customer.post(
        "/inquiries",
        data={
            "csrf_token": csrf_of(form.text),
            "category": "payment",
            "title": "Charged twice for one order",
            "body": "My card was charged twice for order 1234 yesterday.",
        },
    )
    assert posted.status_code == 303, posted.text
    detail_url = posted.headers["location"]
    detail = await customer.get(detail_url)
    assert_english(detail.text, "We've received your inquiry.", "We'll answer by ", ">Received<")
    assert "First answer expected: by " in detail.text and "(Korea time)" in detail.text
    assert "No replies yet." in detail.text and "Is your problem solved?" in detail.text
    korean_detail = await korean(customer, detail_url)
    assert "문제가 해결되었나요?" in korean_detail and "내용 추가하기" in korean_detail

    inquiry_id = int(detail_url.rsplit("/", 1)[1])
    agent = await create_staff_user(
        session,
        StaffCreate(email="sam@example.com", password="agent-password-123", display_name="Sam", role=StaffRole.AGENT),
    )
    inquiry = await session.get(Inquiry, inquiry_id)
    assert inquiry is not None
    await reply_as_agent(
        session, agent, inquiry, "We have refunded the second charge.", internal=False, settings=settings
    )
    # In-app titles are stored in Korean when they are sent; this one is written in English.
    session.add(
        Notification(
            recipient_kind="customer",
            recipient_id=inquiry.customer_id,
            kind="inquiry_answered",
            title="Your inquiry has been answered",
            link=detail_url,
        )
    )
    await session.commit()
    listing = await customer.get("/inquiries")
    assert_english(listing.text, "New notifications", ">Answered<", "1 inquiry in total", "Charged twice")

    answered = await customer.get(detail_url)
    assert_english(answered.text, "Answers and updates", "We have refunded", ">Answered<")
    resolved = await customer.post(f"{detail_url}/resolve", data={"csrf_token": csrf_of(answered.text)})
    assert resolved.status_code == 303
    rating = await customer.get(detail_url)
    assert_english(
        rating.text,
        "Marked as resolved.",
        "Were you happy with our answer?",
        "5 stars · Very satisfied",
        "3 stars · Neutral",
    )
    assert "Still not solved?" in rating.text and "You can reopen this inquiry by " in rating.text
    rated = await customer.post(
        f"{detail_url}/feedback", data={"csrf_token": csrf_of(rating.text), "score": "5", "comment": "Quick, thanks"}
    )
    assert rated.status_code == 303
    thanked = await customer.get(detail_url)
    assert_english(thanked.text, "Thank you for your rating.", "Your rating", ">5 stars</strong>", "5 out of 5")
    korean_thanks = await korean(customer, detail_url)
    assert ">5점</strong>" in korean_thanks and "5점 만점에 5점" in korean_thanks


async def test_callback_booking_pages_are_english(customer: httpx.AsyncClient) -> None:
    form = await customer.get("/callbacks/new", params={"category": "payment", "phone": "010-1234-5678"})
    assert_english(form.text, "Book a callback", "Time of the call", "Choose a topic", ">Book</button>")
    assert re.search(r">(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} [A-Z][a-z]{2} <", form.text), "day labels in English"
    assert re.search(r"places? left<", form.text)
    assert "상담 받을 시간" in await korean(customer, "/callbacks/new")

    slot = OPEN_SLOT.search(form.text)
    assert slot
    booked = await customer.post(
        "/callbacks",
        data={
            "csrf_token": csrf_of(form.text),
            "category": "payment",
            "slot_start": slot.group(1),
            "phone": "010-1234-5678",
            "note": "About a refund",
        },
    )
    assert booked.status_code == 303, booked.text
    detail = await customer.get(booked.headers["location"])
    assert_english(detail.text, "Your callback is booked.", "Callback number", ">Booked<", "Cancel booking")
    assert re.search(
        r'id="callback-slot">(Mon|Tue|Wed|Thu|Fri) \d{1,2} [A-Z][a-z]{2}, \d\d:\d\d–\d\d:\d\d<', detail.text
    )
    assert "예약 취소하기" in await korean(customer, booked.headers["location"])

    listing = await customer.get("/callbacks")
    assert_english(listing.text, "My callbacks", "Book a new callback", "Payments")
    assert "내 상담 예약" in await korean(customer, "/callbacks")


async def test_the_phone_check_and_the_appeal_form_are_english(customer: httpx.AsyncClient, app: FastAPI) -> None:
    appeal = await customer.get("/appeal")
    assert_english(appeal.text, "Appeal a restriction", "First, verify your identity", "Verify with my mobile phone")
    assert "먼저 본인 확인이 필요해요" in await korean(customer, "/appeal")

    check = await customer.get("/verify/phone", params={"next": "/appeal"})
    assert_english(check.text, "Identity check", "Mobile number", "Send me a code")
    assert "휴대폰 번호" in await korean(customer, "/verify/phone")
    sent = await customer.post(
        "/verify/phone", data={"csrf_token": csrf_of(check.text), "phone": "010-2222-3333", "next": "/appeal"}
    )
    assert sent.status_code == 303
    pending = await customer.get(sent.headers["location"])
    assert_english(pending.text, "We've sent a verification code to 010-****-3333.", "Code sent to 010-****-3333")
    wrong = await customer.post(
        "/verify/phone/confirm", data={"csrf_token": csrf_of(pending.text), "code": "000000", "next": "/appeal"}
    )
    assert_english(wrong.text)  # the refusal in English too (the service's English words)
    confirmed = await customer.post(
        "/verify/phone/confirm",
        data={"csrf_token": csrf_of(pending.text), "code": last_code(app, "01022223333"), "next": "/appeal"},
    )
    assert confirmed.status_code == 303 and confirmed.headers["location"] == "/appeal"
    form = await customer.get("/appeal")
    assert_english(form.text, "Your identity has been verified.", "What happened?", "Evidence (required", "Send appeal")
    assert "해명 보내기" in await korean(customer, "/appeal")


async def test_sign_in_pages_and_errors_are_english(app: FastAPI, categories: None) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=ENGLISH) as visitor:
        login = await visitor.get("/auth/login")
        assert_english(login.text, "Sign in to the Help Center", "Email or mobile number", "Send me a code")
        assert "고객센터 로그인" in await korean(visitor, "/auth/login")
        sent = await visitor.post(
            "/auth/login", data={"csrf_token": csrf_of(login.text), "destination": "alex@example.com"}
        )
        assert sent.status_code == 303
        code = await visitor.get(sent.headers["location"])
        assert_english(code.text, "Code sent.", "Enter the 6-digit code we sent to", "Verification code")
        assert "인증 코드 입력" in await korean(visitor, "/auth/verify")

        failed = await visitor.get("/auth/customer", params={"token": "not-a-token"})
        assert failed.status_code == 401
        assert_english(failed.text, "We couldn't sign you in", "Sign in with a code", "Error code:")

        missing = await visitor.get("/no-such-page")
        assert missing.status_code == 404
        assert_english(missing.text, "Page not found", "Help Center home")
        korean_missing = await visitor.get("/no-such-page", headers={"Accept-Language": "ko"})
        assert "페이지를 찾을 수 없어요" in korean_missing.text and "(Not found)" not in korean_missing.text


async def test_chat_page_and_transcript_are_english(customer: httpx.AsyncClient, session: AsyncSession) -> None:
    chat = await customer.get("/chat")
    assert_english(chat.text, "Chat with us", "Chat needs JavaScript.", '"end": "End chat"')
    assert "data-texts" not in await korean(customer, "/chat")  # Korean is built into chat.js
    assert "채팅 상담" in await korean(customer, "/chat")

    listing = await customer.get("/inquiries")  # the customer row exists once signed in
    assert listing.status_code == 200
    conversation = Conversation(
        customer_id=await _customer_id(session), status="ended", ended_at=datetime.now(UTC) - timedelta(minutes=1)
    )
    session.add(conversation)
    await session.flush()
    session.add_all(
        [
            ChatMessage(conversation_id=conversation.id, seq=1, sender="customer", text="Is my refund done?"),
            ChatMessage(conversation_id=conversation.id, seq=2, sender="system", text="An agent joined."),
        ]
    )
    await session.commit()
    transcript = await customer.get(f"/chat/{conversation.id}/transcript")
    assert_english(transcript.text, "Chat transcript", "Ended", ">Customer<", ">Notice<", "Back to chat")
    assert "채팅 상담 기록" in await korean(customer, f"/chat/{conversation.id}/transcript")
    history = await customer.get("/inquiries")
    assert_english(history.text, "My chats", "Is my refund done?")


async def _customer_id(session: AsyncSession) -> int:
    from sqlalchemy import select

    from gogaek.identity.models import Customer

    found = (await session.execute(select(Customer.id).where(Customer.external_id == "host-en-1"))).scalar_one()
    return int(found)
