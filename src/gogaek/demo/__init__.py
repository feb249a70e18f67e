"""Demo content shipped with the package: categories, FAQ articles and notices of a pay app."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.helpcenter.importer import import_articles, parse_import_file
from gogaek.helpcenter.models import Article, Category, Notice
from gogaek.helpcenter.schemas import NoticeCreate
from gogaek.helpcenter.service import create_notice

DEMO_DIR = Path(__file__).parent
FAQ_PATH = DEMO_DIR / "faq.jsonl"


@dataclass(frozen=True, slots=True)
class DemoReport:
    categories: int
    articles: int
    notices: int


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


async def has_content(session: AsyncSession) -> bool:
    return bool(await session.scalar(select(func.count()).select_from(Article)))


async def load_demo_categories(session: AsyncSession) -> int:
    """The pay app's categories (three of them sensitive), by slug, without the FAQ."""
    categories = _read_jsonl(DEMO_DIR / "categories.jsonl")
    for row in categories:
        existing = await session.scalar(select(Category).where(Category.slug == row["slug"]))
        if existing is None:
            session.add(Category(**row))
    await session.commit()
    return len(categories)


async def load_demo_content(session: AsyncSession) -> DemoReport:
    """Idempotent: categories by slug, articles by id, notices only into an empty table."""
    categories = await load_demo_categories(session)
    report = await import_articles(session, parse_import_file(FAQ_PATH))
    notices = 0
    if not await session.scalar(select(func.count()).select_from(Notice)):
        for row in _read_jsonl(DEMO_DIR / "notices.jsonl"):
            await create_notice(session, NoticeCreate(status="published", **row))
            notices += 1
    return DemoReport(categories=categories, articles=report.created + report.updated, notices=notices)
