"""What every ``gogaek`` command shares: its language, a database session, the migrations."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.config import Settings
from gogaek.db import create_engine, create_sessionmaker
from gogaek.migrate import upgrade_database
from gogaek.web.i18n import DEFAULT_LANGUAGE, supported

T = TypeVar("T")

# POSIX order: the first of these that is set is the locale; "C" or "POSIX" names no language.
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


def command_language(environ: Mapping[str, str]) -> str:
    """``GOGAEK_LANGUAGE`` (ko or en), else the terminal's locale when it is English or Korean,
    else Korean: an operator on an English-locale server who wants Korean sets ko."""
    chosen = supported(environ.get("GOGAEK_LANGUAGE"))
    if chosen is not None:
        return chosen
    for name in LOCALE_VARIABLES:
        value = environ.get(name, "")
        if value:
            return supported(value.split(".", 1)[0]) or DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def with_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def run() -> T:
        engine = create_engine(settings)
        try:
            async with create_sessionmaker(engine)() as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def migrate(settings: Settings) -> None:
    async def run() -> None:
        engine = create_engine(settings)
        try:
            await upgrade_database(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())
