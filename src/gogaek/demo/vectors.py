"""The demo FAQ's sentence vectors, shipped in the package so a fresh demo is searchable at once.

Embedding the 101 demo articles with e5 takes about 40 s on one core, which every new demo data
dir, and every test process, paid before its search was ready. The file holds the vectors under
the vector store's own keys (a hash of model and text), so it only ever answers for a text
exactly as it was embedded: an edited article is embedded as usual.

After editing ``demo/faq.jsonl`` run ``python -m gogaek.demo.vectors``; until then
tests/unit/test_demo_vectors.py fails and the demo embeds the changed texts at start-up.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np

from gogaek.config import Settings
from gogaek.db import create_engine, create_sessionmaker
from gogaek.demo import load_demo_content
from gogaek.demo.shipped_vectors import VECTORS_PATH
from gogaek.helpcenter import queries as helpcenter_queries
from gogaek.migrate import upgrade_database
from gogaek.search.documents import SearchDocument
from gogaek.search.engine import SearchEngine
from gogaek.search.service import document_for


async def demo_documents() -> list[SearchDocument]:
    """The demo FAQ as the search index sees it, from a throwaway database."""
    with tempfile.TemporaryDirectory() as data_dir:
        engine = create_engine(Settings(data_dir=Path(data_dir), search_semantic=False))
        try:
            await upgrade_database(engine)
            async with create_sessionmaker(engine)() as session:
                await load_demo_content(session)
                articles = await helpcenter_queries.published_articles_for_index(session)
                return [document_for(article) for article in articles]
        finally:
            await engine.dispose()


def write_shipped_vectors() -> int:
    """Embeds the demo FAQ with every installed model and writes the file; returns the vector count."""
    computed: dict[str, bytes] = {}
    engine = SearchEngine(semantic=True, embedding_cache=computed)
    engine.rebuild(asyncio.run(demo_documents()))
    engine.close()
    by_width: defaultdict[int, list[tuple[str, bytes]]] = defaultdict(list)
    for key, vector in sorted(computed.items()):
        by_width[len(vector) // 4].append((key, vector))
    arrays: dict[str, np.ndarray] = {}
    for width, items in by_width.items():
        arrays[f"keys_{width}"] = np.array([key for key, _ in items])
        arrays[f"vectors_{width}"] = np.stack([np.frombuffer(vector, dtype=np.float32) for _, vector in items])
    np.savez_compressed(VECTORS_PATH, **arrays)  # type: ignore[arg-type]
    return len(computed)


if __name__ == "__main__":
    print(f"{write_shipped_vectors()} vectors written to {VECTORS_PATH}")
