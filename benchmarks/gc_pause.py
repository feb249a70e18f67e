"""How long a full garbage collection stops a served process, with and without start-up frozen.

A full collection walks every object the collector tracks and holds the GIL while it does: every
request and socket of the process waits (the chat benchmark saw such pauses of 0.5 s). A served
app freezes what start-up built once its search index is loaded (``gogaek.app.create_served_app``).
This script starts the demo app in this process (demo content on SQLite, lexical and hybrid
search), waits for the index, and times full collections before and after the same freeze, in
one run. Medians of several collections.

    .venv/bin/python benchmarks/gc_pause.py [--write-docs]
"""

import argparse
import asyncio
import gc
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from fastapi import FastAPI

from common import table, write_section
from gogaek.app import create_app, freeze_startup_objects
from gogaek.config import Settings
from gogaek.db import create_engine, create_sessionmaker
from gogaek.demo import load_demo_content
from gogaek.migrate import upgrade_database

COLLECTIONS = 5
QUERIES = ["비밀번호 변경", "송금 취소", "결제가 두 번 됐어요", "카드 등록", "환불 기간", "qlalfqjsgh", "ㅅㄱㅊㅅ"] * 10


def full_collection_ms() -> float:
    samples = []
    for _ in range(COLLECTIONS):
        started = time.perf_counter()
        gc.collect()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


async def measure(semantic: bool) -> list[str]:
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(data_dir=Path(data_dir), search_semantic=semantic)
        engine = create_engine(settings)
        await upgrade_database(engine)
        async with create_sessionmaker(engine)() as session:
            await load_demo_content(session)
        await engine.dispose()
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            await app.state.search_index.wait_until_loaded()
            await use(app)
            tracked = len(gc.get_objects())
            before = full_collection_ms()
            freeze_startup_objects()  # what a served app does once its index is loaded
            frozen = gc.get_freeze_count()
            await use(app)
            after = full_collection_ms()
            gc.unfreeze()
    search = "hybrid (e5 + USE)" if semantic else "lexical"
    return [f"demo app, {search} search", f"{tracked:,}", f"{before:.1f} ms", f"{frozen:,}", f"{after:.2f} ms"]


async def use(app: FastAPI) -> None:
    """Searches and pages, so that the collections also meet what requests leave behind."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for query in QUERIES:
            assert (await client.get("/api/v1/faq/search", params={"q": query})).status_code == 200
        for path in ("/", "/search?q=환불", "/notices", "/contact"):
            assert (await client.get(path)).status_code == 200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    rows = [asyncio.run(measure(semantic)) for semantic in (False, True)]
    header = ["process", "tracked objects", "full collection", "frozen objects", "full collection, frozen"]
    markdown = "\n\n".join(
        [
            "## Garbage collection pauses",
            "Command: `.venv/bin/python benchmarks/gc_pause.py --write-docs`; one process, medians of "
            f"{COLLECTIONS} full collections (`gc.collect()`) after the demo app has started and loaded its "
            "search index and answered 70 searches and 4 pages; the baseline is the same process before "
            "`gogaek.app.freeze_startup_objects`, which a served app (`gogaek serve`) runs once its index is "
            "loaded, and the same requests again after it (what they leave is still collected).",
            table(header, rows),
        ]
    )
    print(markdown)
    if args.write_docs:
        write_section("gc_pause", markdown)


if __name__ == "__main__":
    main()
