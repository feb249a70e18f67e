"""Article vectors survive a restart, so only new or edited phrasings are embedded again."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gogaek.search.documents import SearchDocument
from gogaek.search.embedding_store import EmbeddingStore
from gogaek.search.engine import SearchEngine
from gogaek.search.semantic import MODELS


def test_vectors_are_kept_across_reopening(tmp_path: Path) -> None:
    path = tmp_path / "vectors.sqlite3"
    store = EmbeddingStore(path)
    store["a"] = b"\x01\x02"
    store["b"] = b"\x03"
    del store["b"]
    store.close()
    reopened = EmbeddingStore(path)
    try:
        assert dict(reopened) == {"a": b"\x01\x02"}
    finally:
        reopened.close()


def test_a_restarted_engine_reuses_the_stored_vectors(tmp_path: Path) -> None:
    path = tmp_path / "vectors.sqlite3"
    document = SearchDocument(1, "x-1", "송금을 취소하고 싶어요", ("이체 취소",), ("송금",), "받기 전이면 돼요", "송금")
    first_store = EmbeddingStore(path)
    SearchEngine(semantic=True, embedding_cache=first_store).rebuild([document])
    embedded = dict(first_store)
    first_store.close()
    assert len(embedded) == 2 * len(MODELS) + len(MODELS)  # question, alternate and whole article, per model

    second_store = EmbeddingStore(path)
    try:
        engine = SearchEngine(semantic=True, embedding_cache=second_store)
        engine.rebuild([document])
        assert dict(second_store) == embedded  # nothing new had to be embedded
        assert engine.search("송금 취소", 1)[0].document.id == 1
        vectors = [np.frombuffer(v, dtype=np.float32) for v in embedded.values()]
        assert {v.shape for v in vectors} == {(spec.dim,) for spec in MODELS}
        assert all(np.isfinite(v).all() for v in vectors)
    finally:
        second_store.close()
