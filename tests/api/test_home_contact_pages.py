"""The home page and the footer as a newcomer meets them (issue 15, rough edges): a way into the
chat, an honest open/closed line while chat runs around the clock, and 자주 묻는 질문 that are not
all from the first category."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.config import Settings
from gogaek.helpcenter import contact as contact_module
from gogaek.helpcenter.contact import contact_info
from gogaek.helpcenter.models import Article, Category

SUNDAY_NIGHT = datetime(2026, 12, 6, 18, 10, tzinfo=UTC)  # 03:10 on Monday in Seoul: closed
WEEKDAY_NOON = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)  # 12:00 on Monday in Seoul: open
CHAT_CHANNEL = re.compile(r'<li class="channel channel-chat">(.*?)</li>', re.S)
FOOTER = re.compile(r'<footer class="site-footer">(.*?)</footer>', re.S)
POPULAR = re.compile(r'id="popular-title".*?</section>', re.S)


@pytest.mark.usefixtures("demo_content")
async def test_home_page_chat_channel_is_a_link_into_the_chat(client: httpx.AsyncClient) -> None:
    home = (await client.get("/")).text
    chat = CHAT_CHANNEL.search(home)
    assert chat is not None
    assert '<a class="channel-value" href="/chat">채팅 시작</a>' in chat.group(1)
    footer = FOOTER.search(home)
    assert footer is not None and '<a href="/chat">채팅 시작</a>' in footer.group(1)


async def test_footer_does_not_say_closed_while_chat_is_open_around_the_clock(
    settings: Settings, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(contact_module, "utcnow", lambda: SUNDAY_NIGHT)
    settings.chat_hours = "always"  # the app renders with this very object, as scripts/demo.sh sets it
    footer = FOOTER.search((await client.get("/")).text)
    assert footer is not None
    assert "Closed now" not in footer.group(1)
    assert "지금은 전화 상담 시간이 아니에요 · 채팅 상담은 지금도 가능합니다" in footer.group(1)
    assert 'class="open-status is-open"' in footer.group(1)


def test_contact_status_follows_the_chat_hours(settings: Settings) -> None:
    business = settings.model_copy(update={"chat_hours": "business"})
    always = settings.model_copy(update={"chat_hours": "always"})
    closed = contact_info(business, SUNDAY_NIGHT)
    assert (closed.open_now, closed.chat_open) == (False, False)
    assert closed.status_text == "지금은 상담 시간이 아닙니다"
    chat_only = contact_info(always, SUNDAY_NIGHT)
    assert (chat_only.open_now, chat_only.chat_open) == (False, True)
    assert "Closed now" not in chat_only.status_text
    chat = next(channel for channel in chat_only.channels if channel.kind == "chat")
    assert chat.href == "/chat" and chat.note is not None and chat.note.startswith("24시간")
    open_ = contact_info(business, WEEKDAY_NOON)
    assert (open_.open_now, open_.chat_open, open_.status_text) == (True, True, "지금 상담 가능합니다")


@pytest.mark.usefixtures("demo_content")
async def test_popular_questions_take_turns_across_categories(client: httpx.AsyncClient, session: AsyncSession) -> None:
    section = POPULAR.search((await client.get("/")).text)
    assert section is not None
    ids = [int(found) for found in re.findall(r'href="/articles/(\d+)"', section.group(0))]
    assert len(ids) == 8
    categories = (await session.execute(select(Article.id, Article.category_id).where(Article.id.in_(ids)))).all()
    assert len({category for _, category in categories}) == 8  # nothing read yet: one per category
    # Once people read a category's questions, its most-read one leads and the others still follow.
    transfer = await session.scalar(select(Category.id).where(Category.slug == "transfer"))
    read = (await session.scalars(select(Article).where(Article.category_id == transfer).order_by(Article.id))).all()
    read[2].view_count, read[1].view_count = 50, 40
    await session.commit()
    section = POPULAR.search((await client.get("/")).text)
    assert section is not None
    ids = [int(found) for found in re.findall(r'href="/articles/(\d+)"', section.group(0))]
    assert ids[0] == read[2].id and read[1].id not in ids
