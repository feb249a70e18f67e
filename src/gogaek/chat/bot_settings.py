"""The answer bot's run-time settings: greeting, confidence threshold and handoff rule.

The environment (``GOGAEK_CHAT_BOT_GREETING``, ``_CONFIDENCE``, ``_MISSES``) gives the defaults;
the admin page ``/admin/bot`` stores overrides in ``runtime_settings``, which the chat reads on
every new chat and every customer message (through the per-process copy, so no extra query).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Request
from pydantic import BaseModel, Field, StringConstraints, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.config import Settings
from gogaek.identity.models import StaffUser
from gogaek.runtime_settings.queries import stored_with_prefix
from gogaek.runtime_settings.service import save_settings

GROUP = "chat.bot"
GREETING_KEY = f"{GROUP}.greeting"
CONFIDENCE_KEY = f"{GROUP}.confidence"
MISSES_KEY = f"{GROUP}.misses"
MIN_CONFIDENCE, MAX_CONFIDENCE = 0.3, 1.0
MAX_MISSES = 10
GREETING_MAX_CHARS = 500


class BotSettingsUpdate(BaseModel):
    greeting: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=GREETING_MAX_CHARS)]
    confidence: float = Field(ge=MIN_CONFIDENCE, le=MAX_CONFIDENCE)
    misses: int = Field(ge=1, le=MAX_MISSES)


@dataclass(frozen=True, slots=True)
class BotSettings:
    greeting: str
    confidence: float
    misses: int
    overridden: frozenset[str] = frozenset()  # which of the three come from the page

    @classmethod
    def defaults(cls, settings: Settings) -> BotSettings:
        return cls(settings.chat_bot_greeting, settings.chat_bot_confidence, settings.chat_bot_misses)


def _merge(settings: Settings, stored: dict[str, Any]) -> BotSettings:
    """Stored values over the environment's; a stored value that no longer validates (written by
    hand, or under older limits) is ignored on its own and the environment's value used instead."""
    base = BotSettings.defaults(settings)
    defaults = {"greeting": base.greeting, "confidence": base.confidence, "misses": base.misses}
    candidate = {name: stored.get(key, defaults[name]) for name, key in _KEYS.items()}
    try:
        checked = BotSettingsUpdate.model_validate(candidate)
    except ValidationError as exc:
        rejected = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
        candidate.update({name: defaults[name] for name in rejected})
        try:
            checked = BotSettingsUpdate.model_validate(candidate)
        except ValidationError:  # the environment's own values are out of the page's range
            return base
    used = {name for name, key in _KEYS.items() if key in stored and candidate[name] == stored[key]}
    return BotSettings(checked.greeting, checked.confidence, checked.misses, frozenset(used))


_KEYS = {"greeting": GREETING_KEY, "confidence": CONFIDENCE_KEY, "misses": MISSES_KEY}


async def bot_settings(session: AsyncSession, settings: Settings) -> BotSettings:
    """What the bot uses now: the page's values, else the environment's."""
    return _merge(settings, await stored_with_prefix(session, f"{GROUP}."))


async def save_bot_settings(
    session: AsyncSession, actor: StaffUser, data: BotSettingsUpdate, request: Request | None = None
) -> list[str]:
    """Stores the three values (the audit entry keeps the old and new ones); returns what changed."""
    values = {GREETING_KEY: data.greeting, CONFIDENCE_KEY: data.confidence, MISSES_KEY: data.misses}
    return await save_settings(session, actor, GROUP, values, request=request)


async def reset_bot_settings(session: AsyncSession, actor: StaffUser, request: Request | None = None) -> list[str]:
    """Back to the environment's values: the overrides are removed."""
    return await save_settings(session, actor, GROUP, dict.fromkeys(_KEYS.values()), request=request)
