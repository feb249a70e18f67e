"""Checks the demo help-center content and the paycenter query set against each other.

Run from anywhere: ``python3 benchmarks/data/check_queries.py``. Uses the standard library only;
prints counts and exits non-zero with one line per problem when something is wrong.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "src" / "gogaek" / "demo"
QUERIES = Path(__file__).resolve().parent / "paycenter_queries.jsonl"

MIN_FAQ = 90
MIN_QUERIES = 240
MIN_PER_STYLE = {"plain": 20, "colloquial": 40, "synonym": 40, "typo": 40, "spacing": 40, "chosung": 10}
MAX_QUERIES_PER_ENTRY = 6
REFERENCE_DATE = datetime.fromisoformat("2026-11-26T12:00:00+09:00")
LONG_AFTER = datetime.fromisoformat("2027-01-01T00:00:00+09:00")
CHOSUNG = re.compile(r"^[ㄱ-ㅎ ]+$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")

Row = dict[str, Any]


def read_jsonl(path: Path, required: set[str], problems: list[str]) -> list[Row]:
    rows: list[Row] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{path.name}:{number}: invalid JSON ({exc.msg})")
            continue
        if not isinstance(row, dict):
            problems.append(f"{path.name}:{number}: not an object")
            continue
        missing = required - row.keys()
        if missing:
            problems.append(f"{path.name}:{number}: missing {sorted(missing)}")
            continue
        rows.append(row)
    return rows


def squash(text: str) -> str:
    """Compares texts without spaces or punctuation, so a re-spaced copy still counts as a copy."""
    return re.sub(r"[\s?!.,~]", "", text).lower()


def check_categories(categories: list[Row], problems: list[str]) -> set[str]:
    names = {str(c["name"]) for c in categories}
    slugs = [str(c["slug"]) for c in categories]
    if len(names) != len(categories) or len(set(slugs)) != len(slugs):
        problems.append("categories: duplicate name or slug")
    problems.extend(f"categories: bad slug {s!r}" for s in slugs if not SLUG.match(s))
    return names


def check_faq(faq: list[Row], category_names: set[str], problems: list[str]) -> None:
    ids = [str(f["id"]) for f in faq]
    if len(set(ids)) != len(ids):
        problems.append("faq: duplicate ids")
    if len(faq) < MIN_FAQ:
        problems.append(f"faq: {len(faq)} entries, need at least {MIN_FAQ}")
    questions = Counter(squash(str(f["question"])) for f in faq)
    problems.extend(f"faq: question repeated: {q}" for q, n in questions.items() if n > 1)
    for entry in faq:
        fid = entry["id"]
        if entry["category"] not in category_names:
            problems.append(f"{fid}: unknown category {entry['category']!r}")
        if not 2 <= len(entry["tags"]) <= 5:
            problems.append(f"{fid}: {len(entry['tags'])} tags, want 2-5")
        if not 3 <= len(entry["alternates"]) <= 6:
            problems.append(f"{fid}: {len(entry['alternates'])} alternates, want 3-6")


def check_notices(notices: list[Row], problems: list[str]) -> int:
    current = 0
    for notice in notices:
        start = notice["publish_from"]
        end = notice["publish_until"]
        started = start is None or datetime.fromisoformat(start) <= REFERENCE_DATE
        open_ended = end is None or datetime.fromisoformat(end) > LONG_AFTER
        current += started and open_ended
    if current < 3:
        problems.append(f"notices: {current} published through 2027-01-01 as of 2026-11-26, need 3")
    return current


def check_queries(queries: list[Row], faq: list[Row], problems: list[str]) -> Counter[str]:
    ids = {str(f["id"]) for f in faq}
    known_texts = {squash(str(f["question"])) for f in faq}
    known_texts |= {squash(str(a)) for f in faq for a in f["alternates"]}
    styles: Counter[str] = Counter()
    per_entry: Counter[str] = Counter()
    seen: set[str] = set()
    for query in queries:
        text, expected, style = str(query["query"]), str(query["expected"]), str(query["style"])
        styles[style] += 1
        per_entry[expected] += 1
        if expected not in ids:
            problems.append(f"query {text!r}: unknown expected id {expected}")
        if style not in MIN_PER_STYLE:
            problems.append(f"query {text!r}: unknown style {style!r}")
        if squash(text) in known_texts:
            problems.append(f"query {text!r}: copies a FAQ question or alternate")
        if text in seen:
            problems.append(f"query {text!r}: duplicated")
        seen.add(text)
        if style == "chosung" and not CHOSUNG.match(text):
            problems.append(f"query {text!r}: chosung query has other characters")
    if len(queries) < MIN_QUERIES:
        problems.append(f"queries: {len(queries)}, need at least {MIN_QUERIES}")
    for style, minimum in MIN_PER_STYLE.items():
        if styles[style] < minimum:
            problems.append(f"queries: {styles[style]} {style}, need at least {minimum}")
    problems.extend(f"{fid}: no query expects it" for fid in sorted(ids - per_entry.keys()))
    problems.extend(
        f"{fid}: {n} queries, at most {MAX_QUERIES_PER_ENTRY}"
        for fid, n in per_entry.items()
        if n > MAX_QUERIES_PER_ENTRY
    )
    return styles


def main() -> int:
    problems: list[str] = []
    categories = read_jsonl(DEMO / "categories.jsonl", {"slug", "name", "description", "position"}, problems)
    faq = read_jsonl(DEMO / "faq.jsonl", {"id", "category", "question", "answer", "tags", "alternates"}, problems)
    notices = read_jsonl(
        DEMO / "notices.jsonl",
        {"title", "body", "pinned", "publish_from", "publish_until"},
        problems,
    )
    queries = read_jsonl(QUERIES, {"query", "expected", "style"}, problems)

    category_names = check_categories(categories, problems)
    check_faq(faq, category_names, problems)
    current = check_notices(notices, problems)
    styles = check_queries(queries, faq, problems)

    per_category = Counter(str(f["category"]) for f in faq)
    print(f"categories: {len(categories)}")
    print(f"faq entries: {len(faq)}")
    for category in categories:
        print(f"  {category['name']}: {per_category[str(category['name'])]}")
    print(f"notices: {len(notices)} ({current} published through 2027 as of 2026-11-26)")
    print(f"queries: {len(queries)}")
    for style in MIN_PER_STYLE:
        print(f"  {style}: {styles[style]}")
    for problem in problems:
        print(f"PROBLEM {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
