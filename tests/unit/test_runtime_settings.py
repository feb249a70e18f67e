"""Run-time settings (``runtime_settings``): the per-process copy and its invalidation.

Two engines on one database stand for this process and another one: a save here is read at
once by the next request; a change made elsewhere is read after the copy's time-to-live.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from types import SimpleNamespace

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gogaek import reference_cache
from gogaek.chat.bot_settings import BotSettingsUpdate, bot_settings, save_bot_settings
from gogaek.config import Settings
from gogaek.db import create_engine, create_sessionmaker
from gogaek.errors import ProblemError
from gogaek.identity.models import StaffRole, StaffUser
from gogaek.identity.schemas import StaffCreate
from gogaek.identity.service import create_staff_user
from gogaek.runtime_settings.models import RuntimeSetting
from gogaek.runtime_settings.queries import stored_settings
from gogaek.runtime_settings.service import save_settings

Makers = tuple[async_sessionmaker[AsyncSession], async_sessionmaker[AsyncSession]]


@pytest.fixture
async def makers(settings: Settings) -> AsyncIterator[Makers]:
    reference_cache.clear_reference_copies()
    here, elsewhere = create_engine(settings), create_engine(settings)
    yield create_sessionmaker(here), create_sessionmaker(elsewhere)
    await here.dispose()
    await elsewhere.dispose()
    reference_cache.clear_reference_copies()


async def _admin(session: AsyncSession) -> StaffUser:
    data = StaffCreate(email="rt@example.com", password="a-long-password-1", display_name="관리", role=StaffRole.ADMIN)
    return await create_staff_user(session, data)


async def test_a_save_in_this_process_is_read_at_once(makers: Makers, settings: Settings) -> None:
    maker, _ = makers
    async with maker() as session:
        assert (await bot_settings(session, settings)).misses == settings.chat_bot_misses  # now in the copy
        admin = await _admin(session)
        data = BotSettingsUpdate(greeting="안녕하세요!", confidence=0.75, misses=4)
        assert await save_bot_settings(session, admin, data) == [
            "chat.bot.confidence",
            "chat.bot.greeting",
            "chat.bot.misses",
        ]
    async with maker() as session:
        current = await bot_settings(session, settings)
    assert (current.greeting, current.confidence, current.misses) == ("안녕하세요!", 0.75, 4)
    assert current.overridden == {"greeting", "confidence", "misses"}


async def test_another_process_is_seen_after_the_time_to_live(
    makers: Makers, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    maker, other = makers
    async with maker() as session:
        admin = await _admin(session)
        await save_settings(session, admin, "chat.bot", {"chat.bot.misses": 3})
        assert (await bot_settings(session, settings)).misses == 3
    async with other() as session:  # another process: a plain UPDATE this process never hears of
        await session.execute(text("UPDATE runtime_settings SET value = '5' WHERE key = 'chat.bot.misses'"))
        await session.commit()
    async with maker() as session:
        assert (await bot_settings(session, settings)).misses == 3  # the copy, for a few seconds
    clock = time.monotonic() + reference_cache.REFERENCE_TTL_SECONDS + 1
    monkeypatch.setattr("gogaek.reference_cache.time", SimpleNamespace(monotonic=lambda: clock))
    async with maker() as session:
        assert (await bot_settings(session, settings)).misses == 5


async def test_removing_an_override_falls_back_to_the_environment(makers: Makers, settings: Settings) -> None:
    maker, _ = makers
    async with maker() as session:
        admin = await _admin(session)
        await save_settings(session, admin, "chat.bot", {"chat.bot.greeting": "바뀐 인사"})
        assert (await bot_settings(session, settings)).greeting == "바뀐 인사"
        assert await save_settings(session, admin, "chat.bot", {"chat.bot.greeting": None}) == ["chat.bot.greeting"]
        assert await save_settings(session, admin, "chat.bot", {"chat.bot.greeting": None}) == []  # nothing to do
    async with maker() as session:
        assert await stored_settings(session) == {}
        assert (await bot_settings(session, settings)).greeting == settings.chat_bot_greeting


async def test_a_stored_value_that_no_longer_validates_is_ignored(makers: Makers, settings: Settings) -> None:
    maker, _ = makers
    async with maker() as session:
        admin = await _admin(session)
        bad = {"chat.bot.confidence": "very", "chat.bot.misses": 0, "chat.bot.greeting": "좋은 인사"}
        await save_settings(session, admin, "chat.bot", bad)
    async with maker() as session:
        current = await bot_settings(session, settings)
    assert (current.confidence, current.misses) == (settings.chat_bot_confidence, settings.chat_bot_misses)
    assert (current.greeting, current.overridden) == ("좋은 인사", frozenset({"greeting"}))  # the good one still counts


async def test_an_unsaved_change_is_read_by_its_own_session_only(makers: Makers) -> None:
    maker, _ = makers
    async with maker() as reader:
        assert await stored_settings(reader) == {}
    async with maker() as session:
        admin = await _admin(session)
        session.add(RuntimeSetting(key="x.y", value=[1, 2], updated_by=admin.email))
        await session.flush()
        assert await stored_settings(session) == {"x.y": [1, 2]}
        async with maker() as reader:
            assert await stored_settings(reader) == {}
        await session.rollback()


async def test_two_first_saves_of_one_key_at_once_refuse_the_later_one(
    makers: Makers, monkeypatch: pytest.MonkeyPatch
) -> None:
    maker, other = makers
    async with other() as session:
        admin = await _admin(session)
        await save_settings(session, admin, "chat.bot", {"chat.bot.misses": 3})
    async with maker() as session:
        late = await session.get(StaffUser, admin.id)
        assert late is not None

        async def nothing_yet(*_: object, **__: object) -> list[RuntimeSetting]:
            return []  # read before the other save committed

        monkeypatch.setattr(session, "scalars", nothing_yet)
        with pytest.raises(ProblemError) as refused:
            await save_settings(session, late, "chat.bot", {"chat.bot.misses": 4})
    assert (refused.value.status, refused.value.code) == (409, "settings_changed")
    assert "다른 관리자가 방금 같은 설정을 저장했습니다" in refused.value.message
    async with maker() as session:
        assert (await stored_settings(session))["chat.bot.misses"] == 3
