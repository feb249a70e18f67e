"""The synonym dictionary as admins edit it: read, check, save, or go back to the file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.audit.service import record_audit
from gogaek.db import utcnow
from gogaek.errors import ProblemError
from gogaek.identity.models import StaffUser
from gogaek.search.engine import SearchEngine
from gogaek.search.models import DICTIONARY_ROW, SynonymDictionary
from gogaek.search.synonyms import lines_without_a_group, parse_groups
from gogaek.web.i18n import gettext

MAX_CHARACTERS = 200_000
SHOWN_BAD_LINES = 10


@dataclass(frozen=True, slots=True)
class DictionaryView:
    text: str
    edited: bool  # False: the shipped (or configured) file is in use
    groups: int
    updated_at: datetime | None


async def current_dictionary(session: AsyncSession, engine: SearchEngine) -> DictionaryView:
    edited = await session.get(SynonymDictionary, DICTIONARY_ROW)
    if edited is not None:
        text, updated_at = edited.text, edited.updated_at
    else:
        text, updated_at = engine.synonyms_file.read_text(encoding="utf-8"), None
    return DictionaryView(text, edited is not None, len(parse_groups(text.splitlines())), updated_at)


def check_dictionary(text: str) -> str:
    """The text to keep (line ends normalised), or a 422 naming the lines that are not groups."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if len(text) > MAX_CHARACTERS:
        raise ProblemError(
            422,
            "dictionary_too_large",
            gettext("사전은 %(max)s자까지 저장할 수 있습니다.") % {"max": f"{MAX_CHARACTERS:,}"},
        )
    bad = lines_without_a_group(text)
    if bad:
        shown = ", ".join(str(number) for number in bad[:SHOWN_BAD_LINES]) + (
            " …" if len(bad) > SHOWN_BAD_LINES else ""
        )
        raise ProblemError(
            422,
            "invalid_synonym_lines",
            gettext("%(lines)s번째 줄에 쉼표로 나눈 단어가 둘 이상 있어야 합니다. 설명은 # 뒤에 적어 주세요.")
            % {"lines": shown},
        )
    return text


async def save_dictionary(session: AsyncSession, actor: StaffUser, text: str) -> int:
    """Stores the edited dictionary (one commit, audited); returns its number of groups."""
    text = check_dictionary(text)
    edited = await session.get(SynonymDictionary, DICTIONARY_ROW)
    if edited is None:
        edited = SynonymDictionary(id=DICTIONARY_ROW, text=text)
        session.add(edited)
    edited.text, edited.updated_at, edited.updated_by = text, utcnow(), actor.id
    groups = len(parse_groups(text.splitlines()))
    record_audit(session, actor, "search.synonyms_saved", target_type="synonyms", detail={"groups": groups})
    await session.commit()
    return groups


async def reset_dictionary(session: AsyncSession, actor: StaffUser) -> None:
    """Back to the file: the edited dictionary is deleted (one commit, audited)."""
    await session.execute(delete(SynonymDictionary))
    record_audit(session, actor, "search.synonyms_reset", target_type="synonyms")
    await session.commit()
