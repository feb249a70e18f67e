"""Fit the no-match rule (``NoMatchRule``) on the tuning data only, and report it per FAQ.

A query gets "no good answer" when ``e5 similarity of the top hit + w × share of the query's
nouns the FAQ knows < threshold``. The boundary is a logistic regression (numpy, Newton's
method) on two classes from both tuning FAQs, the 한결카드 set and the demo FAQ: their queries
that rank the right article first (answer) and the off-topic ``dev`` queries searched against
each (abstain). The threshold is where 90 % of those off-topic queries abstain. Reported per
FAQ: the share of right-first queries still answered and of off-topic queries that abstain,
next to the rule in the code and the two-band step it replaced. ``--held-out`` adds 푸른은행,
든든보험 and 모아페이 with the off-topic ``test`` queries; without it the held-out data is not read.

Chosen on 2026-12-07 over richer features (USE similarity, raw BM25, the fused score and its
margin to the runner-up, the best similarity anywhere) because it carried best from one tuning
FAQ to the other (fitted on the card set alone, the demo FAQ's off-topic queries abstained
0.820 against 0.700–0.813 for the richer ones; measured with a throwaway script that fitted each
feature set in turn, not with this one).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/learn_no_match.py [--embedding-cache F.npz] [--held-out]
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

import embedding_cache
from common import HELD_OUT_SETS, TUNING_SETS, Query, load_faq_set, load_offtopic, load_paycenter
from gogaek.search.documents import SearchDocument
from gogaek.search.engine import SearchEngine
from gogaek.search.fusion import NoMatchRule, fuse, top_similarity

Array = npt.NDArray[np.float64]
OFF_TOPIC_ABSTAIN = 0.9
L2 = 1.0


@dataclass(frozen=True, slots=True)
class Cases:
    """(similarity, familiar share) of right-first queries and of off-topic queries on one FAQ."""

    answer: Array
    abstain: Array


def measure(engine: SearchEngine, text: str) -> tuple[int, float, float]:
    """The top hit as the app ranks it, its best e5 similarity and the query's familiar share."""
    components = engine.score_components(text)
    slot = int(np.argmax(fuse(components.channels, engine.fusion_weights())))
    similarity = top_similarity(components.channels, slot)
    assert similarity is not None, "the no-match rule needs e5"
    return components.ids[slot], similarity, engine.familiar_share(text)


def cases(engine: SearchEngine, documents: list[SearchDocument], queries: list[Query], off: list[str]) -> Cases:
    engine.rebuild(documents)
    answer = []
    for query in queries:
        top, similarity, familiar = measure(engine, query.text)
        if top == query.expected:
            answer.append((similarity, familiar))
    abstain = [measure(engine, text)[1:] for text in off]
    return Cases(np.array(answer, dtype=float), np.array(abstain, dtype=float))


def logistic(features: Array, labels: Array) -> Array:
    """Weights (per feature, then the bias) of an L2-regularised logistic regression."""
    mean, scale = features.mean(0), features.std(0) + 1e-9
    design = np.c_[(features - mean) / scale, np.ones(len(features))]
    weights = np.zeros(design.shape[1])
    penalty = L2 * np.diag(np.r_[np.ones(len(weights) - 1), 0.0])
    for _ in range(50):
        p = 1 / (1 + np.exp(-design @ weights))
        gradient = design.T @ (p - labels) + penalty @ weights
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + penalty
        weights -= np.linalg.solve(hessian, gradient)
    raw = weights[:-1] / scale
    combined: Array = np.r_[raw, weights[-1] - raw @ mean]
    return combined


def fit(tuning: list[Cases]) -> NoMatchRule:
    features = np.vstack([np.vstack([c.answer, c.abstain]) for c in tuning])
    labels = np.concatenate([np.r_[np.ones(len(c.answer)), np.zeros(len(c.abstain))] for c in tuning])
    w_similarity, w_familiar, bias = logistic(features, labels)
    off = np.vstack([c.abstain for c in tuning])
    scores = off @ np.array([w_similarity, w_familiar]) + bias
    cut = float(np.quantile(scores, OFF_TOPIC_ABSTAIN))  # 90 % of the off-topic queries score below
    return NoMatchRule(
        threshold=round(float((cut - bias) / w_similarity), 4),
        familiar_weight=round(float(w_familiar / w_similarity), 4),
    )


class StepRule:
    """The rule before this one, for comparison: below 0.8625 always, below 0.8775 when fewer
    than half of the query's nouns are the FAQ's (fitted on the card set alone)."""

    def abstains(self, similarity: float, familiar_share: float) -> bool:
        return similarity < 0.8625 or (similarity < 0.8775 and familiar_share < 0.5)


def shares(rule: NoMatchRule | StepRule, found: Cases) -> str:
    answered = np.mean([not rule.abstains(*case) for case in found.answer])
    abstained = np.mean([rule.abstains(*case) for case in found.abstain])
    return f"right-first still answered {answered:.3f}, off-topic abstained {abstained:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--embedding-cache", type=Path, default=None)
    parser.add_argument("--held-out", action="store_true", help="also report the held-out FAQs (once)")
    args = parser.parse_args()
    cache = embedding_cache.load(args.embedding_cache)
    engine = SearchEngine(semantic=True, embedding_cache=cache)
    dev = load_offtopic("dev")
    demo_documents, demo_queries = load_paycenter()
    found = {name: cases(engine, *load_faq_set(name), dev) for name in TUNING_SETS}
    found["demo FAQ"] = cases(engine, demo_documents, [q for q in demo_queries if q.style != "chosung"], dev)
    rule = fit(list(found.values()))
    if args.held_out:
        test = load_offtopic("test")
        found |= {name: cases(engine, *load_faq_set(name), test) for name in HELD_OUT_SETS}
    embedding_cache.save(args.embedding_cache, cache)
    print(f"fitted: {rule}\nin the code: {NoMatchRule()}")
    for name, measured in found.items():
        print(
            f"{name}: fitted: {shares(rule, measured)}; in the code: {shares(NoMatchRule(), measured)}; "
            f"the step before: {shares(StepRule(), measured)}"
        )


if __name__ == "__main__":
    main()
