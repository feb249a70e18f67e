"""FAQ import and export (JSONL or CSV): all rows are checked before anything is written."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.db import utcnow
from gogaek.helpcenter.models import Article, Category, PublishStatus
from gogaek.helpcenter.schemas import ArticleCreate
from gogaek.helpcenter.service import slug_for_name
from gogaek.web.i18n import gettext as _
from gogaek.web.validation import field_message

_ID_CHUNK = 500
EXPORT_FIELDS = ("id", "category", "question", "answer", "tags", "alternates", "status")


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return _("%(line)s행: %(message)s") % {"line": self.line, "message": self.message}


class ImportRejectedError(Exception):
    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__(f"{len(errors)} invalid rows")
        self.errors = list(errors)


@dataclass(slots=True)
class ImportReport:
    created: int = 0
    updated: int = 0
    categories_created: list[str] = field(default_factory=list)


def _split_list(value: Any, separator: str) -> list[str]:
    """Lists arrive as JSON arrays, or in CSV as one cell split by a separator."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    text = str(value).strip()
    if text.startswith("["):
        parsed = json.loads(text)
        if not isinstance(parsed, list):
            raise ValueError(_("목록 형식이 아닙니다."))
        return [str(v) for v in parsed]
    return [part.strip() for part in text.split(separator) if part.strip()]


def _read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """Yields (line number, row) or (line number, error message)."""
    content = path.read_bytes()
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        yield content[: exc.start].count(b"\n") + 1, _("UTF-8 인코딩이 아닙니다.")
        return
    if path.suffix.lower() == ".csv":
        yield from _read_csv(text)
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            yield number, _json_row(line)


def _read_csv(text: str) -> Iterator[tuple[int, dict[str, Any] | str]]:
    reader = csv.DictReader(io.StringIO(text))
    try:
        for row in reader:
            yield reader.line_num, dict(row)
    except csv.Error as exc:  # e.g. a cell over the csv module's field size limit: nothing after it is read
        yield reader.line_num + 1, _("CSV 형식 오류: %(reason)s") % {"reason": exc}  # the line being read


def _json_row(line: str) -> dict[str, Any] | str:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        return _("JSON 형식 오류: %(reason)s") % {"reason": exc.msg}
    except (ValueError, RecursionError):  # a number of thousands of digits, arrays nested thousands deep
        return _("JSON 형식 오류: 너무 크거나 깊습니다.")
    return row if isinstance(row, dict) else _("JSON 객체가 아닙니다.")


def _validate_row(row: dict[str, Any]) -> ArticleCreate:
    missing = [name for name in ("id", "category", "question", "answer") if not str(row.get(name) or "").strip()]
    if missing:
        raise ValueError(_("필수 항목 누락: %(fields)s") % {"fields": ", ".join(missing)})
    return ArticleCreate(
        external_id=str(row["id"]).strip(),
        category=str(row["category"]),
        question=str(row["question"]),
        answer=str(row["answer"]),
        tags=_split_list(row.get("tags"), ","),
        alternates=_split_list(row.get("alternates"), "|"),
        status=row.get("status") or PublishStatus.PUBLISHED.value,
    )


def _describe(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {field_message(e)}" for e in exc.errors())
    return str(exc)


def parse_import_file(path: Path) -> list[ArticleCreate]:
    """Reads and validates every row; raises ImportRejectedError listing each bad line."""
    if path.suffix.lower() not in (".jsonl", ".csv", ".json", ".ndjson"):
        raise ImportRejectedError([RowError(0, _("지원하지 않는 형식입니다: .jsonl 또는 .csv"))])
    articles: list[ArticleCreate] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for line, row in _read_rows(path):
        if isinstance(row, str):
            errors.append(RowError(line, row))
            continue
        try:
            article = _validate_row(row)
        except (ValueError, ValidationError, RecursionError) as exc:  # RecursionError: a list cell nested too deep
            errors.append(RowError(line, _describe(exc)))
            continue
        assert article.external_id is not None
        if article.external_id in seen:
            first = {"id": article.external_id, "first": seen[article.external_id]}
            errors.append(RowError(line, _("중복 id '%(id)s': %(first)s행과 같음") % first))
            continue
        seen[article.external_id] = line
        articles.append(article)
    if errors:
        raise ImportRejectedError(errors)
    if not articles:
        raise ImportRejectedError([RowError(0, _("가져올 행이 없습니다."))])
    return articles


class _Categories:
    """The categories, read once per import: a row names one by slug or by name, as
    ``find_category`` matches; unknown names become new categories at the end of the list."""

    def __init__(self, existing: Sequence[Category], report: ImportReport) -> None:
        self._by_slug = {c.slug: c for c in existing}
        self._by_name = {c.name: c for c in existing}
        self._count = len(existing)
        self._report = report

    def get(self, session: AsyncSession, name: str) -> Category:
        value = name.strip()
        category = self._by_slug.get(value) or self._by_name.get(value)
        if category is None:
            category = Category(slug=slug_for_name(name), name=value, position=self._count)
            session.add(category)
            self._count += 1
            self._by_slug[category.slug] = self._by_name[value] = category
            self._report.categories_created.append(category.name)
        return category


async def _existing_articles(session: AsyncSession, external_ids: Sequence[str]) -> dict[str, Article]:
    """The articles these ids already name, in chunks that stay under SQLite's bound-variable limit."""
    found: dict[str, Article] = {}
    for start in range(0, len(external_ids), _ID_CHUNK):
        chunk = external_ids[start : start + _ID_CHUNK]
        for article in await session.scalars(select(Article).where(Article.external_id.in_(chunk))):
            assert article.external_id is not None
            found[article.external_id] = article
    return found


async def import_articles(session: AsyncSession, articles: Sequence[ArticleCreate]) -> ImportReport:
    """Upserts by external id in one transaction; unknown categories are created.

    Two reads whatever the size (categories, and the articles the ids already name) instead of
    two per row: the demo content and a 1,000-row import load in one round of statements."""
    report = ImportReport()
    now = utcnow()
    categories = _Categories(list(await session.scalars(select(Category))), report)
    existing = await _existing_articles(session, [a.external_id for a in articles if a.external_id])
    for data in articles:
        category = categories.get(session, data.category)
        article = existing.get(data.external_id) if data.external_id else None
        if article is None:
            article = Article(external_id=data.external_id, view_count=0, helpful_yes=0, helpful_no=0)
            session.add(article)
            if data.external_id:
                existing[data.external_id] = article
            report.created += 1
        else:
            report.updated += 1
        article.category = category
        article.question = data.question
        article.answer_md = data.answer
        article.tags = list(data.tags)
        article.alternates = list(data.alternates)
        article.status = data.status
        article.updated_at = now
        if data.status == PublishStatus.PUBLISHED.value and article.published_at is None:
            article.published_at = now
    await session.commit()
    return report


def export_rows(articles: Sequence[Article]) -> list[dict[str, Any]]:
    return [
        {
            "id": a.external_id or f"article-{a.id}",
            "category": a.category.name,
            "question": a.question,
            "answer": a.answer_md,
            "tags": list(a.tags),
            "alternates": list(a.alternates),
            "status": a.status,
        }
        for a in articles
    ]


def write_export(rows: Sequence[dict[str, Any]], out: io.TextIOBase | Any, *, as_csv: bool) -> None:
    if not as_csv:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS)
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "tags": ",".join(row["tags"]), "alternates": "|".join(row["alternates"])})
