"""A learned linear ranker over per-(query, article) features, against the hand-searched fusion.

Issue 13 asks for ranking that holds on FAQs it was never tuned on. Today six global channel
weights are hand-searched (``benchmarks/tune_fusion.py``). Here a linear scorer is fitted with a
listwise softmax loss (Newton's method, plain numpy; L2 on every weight except the current fused
score's, so strong regularisation falls back to today's ranking) over these features:

- every channel of ``SearchEngine.score_components`` and, optionally, e5 and USE similarity to
  the answer alone, each as its fusion-normalised value and optionally its raw value, min-max
  within the query, reciprocal rank within the query and gap to the query's best;
- optionally, the normalised values times cheap query features (log of the number of Kiwi
  morphemes, share of the query's nouns the FAQ does not know, more than one sentence);
- the current fused score.

Two kinds of model are compared. *Global* models are trained on the card set and the demo FAQ
together (optionally shrunk towards today's ranking until the demo FAQ keeps R@1 ≥ 0.909).
*Bare-FAQ* models are trained on the card set alone (question + answer, no alternates) and
applied with weight 1 − (share of the FAQ's articles that have alternate phrasings): the demo
FAQ, whose articles all have alternates, keeps today's ranking, and a bare FAQ gets the learned
one. The model reported is the simplest bare-FAQ model whose card CV R@1 is within one standard
error of the best.

Everything is chosen on tuning data only: the 한결카드 set, reported by 5-fold cross-validation
over articles (fold = expected id % 5, as in tune_fusion.py, whose per-fold coordinate search is
run here too for the current fusion's CV number), and the demo FAQ with the pay-app queries
(without 초성 queries). ``--held-out`` then scores the chosen model on 푸른은행 and 든든보험 per
style, beside the current fusion. Without that flag the held-out sets are not read.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/learn_fusion.py [--embedding-cache F.npz] [--held-out]

It takes about a minute with a warm embedding cache, and a few more to embed a cold one.
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

import embedding_cache
from common import HELD_OUT_SETS, TUNING_SETS, Query, Scores, evaluate, load_faq_set, load_paycenter
from gogaek.korean import analyze, normalize_query
from gogaek.search.documents import SearchDocument
from gogaek.search.engine import MAX_QUERY_CHARS, ScoreComponents, SearchEngine
from gogaek.search.fusion import FusionWeights, fuse
from gogaek.search.index import WHOLE_TEXT_CHARS
from gogaek.search.semantic import Embedder, load_embedders
from tune_fusion import Scored, cross_validated

Array = npt.NDArray[np.float64]

FOLDS = 5
DEMO_FLOOR = 0.909
CHANNELS = ("lexical", "lexical_answer", "e5_phrasing", "e5_document", "use_phrasing", "use_document")
ANSWER_CHANNELS = ("e5_answer", "use_answer")
FLOORS = {"e5": 0.75, "use": 0.2}
FAMILIES = ("value", "raw", "minmax", "recip", "gap")
QUERY_FEATURES = ("log_tokens", "unfamiliar", "sentences")
NEWTON_STEPS = 30
SHRINK = tuple(float(t) for t in np.linspace(0.0, 1.0, 21))


@dataclass(frozen=True, slots=True)
class QuerySet:
    """One FAQ with its queries: every channel of every (query, article), computed once."""

    name: str
    queries: list[Query]
    ids: list[tuple[int, ...]]
    channels: dict[str, Array]  # channel -> (queries, articles) raw scores
    fused: Array  # the current fusion's scores, (queries, articles)
    query_features: Array  # (queries, len(QUERY_FEATURES))
    positives: npt.NDArray[np.int64]  # column of the expected article per query
    components: list[ScoreComponents]
    phrased_share: float  # share of the FAQ's articles with alternate phrasings

    def subset(self, keep: npt.NDArray[np.bool_]) -> "QuerySet":
        rows = np.flatnonzero(keep)
        return QuerySet(
            self.name,
            [self.queries[r] for r in rows],
            [self.ids[r] for r in rows],
            {k: v[rows] for k, v in self.channels.items()},
            self.fused[rows],
            self.query_features[rows],
            self.positives[rows],
            [self.components[r] for r in rows],
            self.phrased_share,
        )

    def folds(self) -> npt.NDArray[np.int64]:
        return np.array([q.expected % FOLDS for q in self.queries])


@dataclass(frozen=True, slots=True)
class Config:
    """Which features take part, how strongly the weights are pulled to zero, and the training data.

    ``demo_weight`` 0 trains on the card set alone: a *bare-FAQ* model, applied in proportion to
    the share of an FAQ's articles without alternate phrasings (FAQs whose articles all have
    alternates, such as the demo FAQ, keep today's fusion). With demo queries in training the
    model is *global*; ``shrink`` then scales its learned part down until the demo FAQ keeps
    R@1 ≥ DEMO_FLOOR.
    """

    answer_channels: bool
    families: tuple[str, ...]
    interactions: bool
    l2: float
    demo_weight: float = 0.0
    shrink: bool = False

    @property
    def gated(self) -> bool:
        return self.demo_weight == 0.0

    @property
    def size(self) -> int:
        channels = len(CHANNELS) + (len(ANSWER_CHANNELS) if self.answer_channels else 0)
        return channels * (len(self.families) + (len(QUERY_FEATURES) if self.interactions else 0))

    def label(self) -> str:
        parts = ["8 channels" if self.answer_channels else "6 channels", "/".join(self.families)]
        parts += ["x query" if self.interactions else "", f"l2={self.l2:g}"]
        parts += [f"demo×{self.demo_weight:g}" if self.demo_weight else "card only", "shrunk" if self.shrink else ""]
        return " ".join(p for p in parts if p)


def clean(text: str) -> str:
    return normalize_query(text)[:MAX_QUERY_CHARS].strip()


def answer_text(document: SearchDocument) -> str:
    return (document.answer.strip() or document.question)[:WHOLE_TEXT_CHARS]


def sentences(text: str) -> int:
    return max(1, len([s for s in re.split(r"[.!?\n]+", text) if s.strip()]))


def compute_set(
    name: str,
    engine: SearchEngine,
    embedders: Sequence[Embedder],
    documents: list[SearchDocument],
    queries: list[Query],
) -> QuerySet:
    """Channels of every query against every article, plus the answer-only similarities."""
    engine.rebuild(documents)
    by_id = {d.id: d for d in documents}
    answers = {e.spec.name: np.stack(e.texts([answer_text(d) for d in documents])) for e in embedders}
    order = {d.id: i for i, d in enumerate(documents)}
    rows: dict[str, list[Array]] = {c: [] for c in (*CHANNELS, *ANSWER_CHANNELS)}
    ids, fused, features, positives, components = [], [], [], [], []
    for query in queries:
        text = clean(query.text)
        # Stored in the shared cache first, so the engine reuses these vectors for the query.
        vectors = {e.spec.name: e.texts([text])[0] for e in embedders}
        c = engine.score_components(query.text)
        columns = [order[i] for i in c.ids]
        assert set(c.ids) == set(by_id)
        for channel in CHANNELS:
            rows[channel].append(c.channels[channel].astype(np.float64))
        for model, matrix in answers.items():
            rows[f"{model}_answer"].append((matrix[columns] @ vectors[model]).astype(np.float64))
        ids.append(c.ids)
        fused.append(fuse(c.channels, FusionWeights()))
        tokens = len(analyze(text))
        features.append([np.log1p(tokens), 1.0 - engine.familiar_share(query.text), float(sentences(text) > 1)])
        positives.append(c.ids.index(query.expected))
        components.append(c)
    return QuerySet(
        name,
        queries,
        ids,
        {k: np.array(v) for k, v in rows.items()},
        np.array(fused),
        np.array(features),
        np.array(positives),
        components,
        float(np.mean([bool(d.alternates) for d in documents])),
    )


def normalised(channel: str, raw: Array) -> Array:
    """The fusion's scale: lexical ÷ the query's best, similarities from the model's floor."""
    model = channel.split("_")[0]
    if model in FLOORS:
        floor = FLOORS[model]
        return np.asarray(np.clip((raw - floor) / (1.0 - floor), 0.0, None), dtype=np.float64)
    top = raw.max(axis=1, keepdims=True)
    return np.asarray(np.divide(raw, top, out=np.zeros_like(raw), where=top > 0), dtype=np.float64)


def family(name: str, channel: str, raw: Array) -> Array:
    """One feature family of one channel, (queries, articles)."""
    value = normalised(channel, raw)
    if name == "value":
        return value
    if name == "raw":
        return np.asarray(np.log1p(raw), dtype=np.float64) if channel.startswith("lexical") else raw
    if name == "minmax":
        low, high = value.min(axis=1, keepdims=True), value.max(axis=1, keepdims=True)
        return np.asarray(
            np.divide(value - low, high - low, out=np.zeros_like(value), where=high > low), dtype=np.float64
        )
    if name == "recip":
        ranks = np.argsort(np.argsort(-value, axis=1, kind="stable"), axis=1)
        return np.asarray(1.0 / (1.0 + ranks), dtype=np.float64)
    if name == "gap":
        return np.asarray(value - value.max(axis=1, keepdims=True), dtype=np.float64)
    raise ValueError(name)


def features(data: QuerySet, config: Config) -> tuple[Array, list[str]]:
    """(queries, articles, features) and the feature names; column 0 is the current fused score."""
    channels = CHANNELS + (ANSWER_CHANNELS if config.answer_channels else ())
    columns, names = [data.fused], ["fused"]
    for channel in channels:
        for name in config.families:
            columns.append(family(name, channel, data.channels[channel]))
            names.append(f"{channel}.{name}")
        if config.interactions:
            value = normalised(channel, data.channels[channel])
            for q, query_feature in enumerate(QUERY_FEATURES):
                columns.append(value * data.query_features[:, q : q + 1])
                names.append(f"{channel}.value*{query_feature}")
    return np.stack(columns, axis=2), names


@dataclass(frozen=True, slots=True)
class Model:
    """score = w₀ × fused + g × (other features · other weights), features in original units.

    g = 1 for a global model; for a bare-FAQ model g = 1 − the share of the FAQ's articles with
    alternate phrasings, so an FAQ whose articles all have them keeps today's ranking.
    """

    config: Config
    names: list[str]
    weights: Array

    def scores(self, data: QuerySet) -> Array:
        x = features(data, self.config)[0]
        gate = 1.0 - data.phrased_share if self.config.gated else 1.0
        return np.asarray(x[:, :, 0] * self.weights[0] + gate * (x[:, :, 1:] @ self.weights[1:]))

    def rankings(self, data: QuerySet) -> list[list[int]]:
        return rank(data.ids, self.scores(data))


def fit(blocks: Sequence[tuple[Array, npt.NDArray[np.int64], float]], l2: float) -> Array:
    """Listwise softmax loss, minimised by Newton's method with a backtracking line search.

    ``blocks``: (features (queries, articles, F), expected column per query, weight per query).
    Features are scaled to unit deviation for the penalty; column 0 (the fused score) is not
    penalised. Returns weights in original units.
    """
    width = blocks[0][0].shape[2]
    scale = np.sqrt(np.mean(np.concatenate([x.reshape(-1, width) ** 2 for x, _, _ in blocks]), axis=0)) + 1e-12
    total = sum(len(p) * w for _, p, w in blocks)
    penalty = np.full(width, l2)
    penalty[0] = 1e-6

    def loss_grad_hess(w: Array, hessian: bool) -> tuple[float, Array, Array | None]:
        loss = 0.5 * float(penalty @ w**2)
        grad = penalty * w
        hess = np.diag(penalty) if hessian else None
        for x, positive, weight in blocks:
            xs = x / scale
            s = xs @ w
            s -= s.max(axis=1, keepdims=True)
            p = np.exp(s)
            z = p.sum(axis=1, keepdims=True)
            p /= z
            rows = np.arange(len(positive))
            loss += weight / total * float(np.sum(np.log(z[:, 0]) - s[rows, positive]))
            mean = np.einsum("qn,qnf->qf", p, xs)
            grad += weight / total * (mean - xs[rows, positive]).sum(axis=0)
            if hess is not None:
                flat = (xs * np.sqrt(p)[:, :, None]).reshape(-1, width)
                hess += weight / total * (flat.T @ flat - mean.T @ mean)
        return loss, grad, hess

    w = np.zeros(width)
    w[0] = 1.0
    for _ in range(NEWTON_STEPS):
        loss, grad, hess = loss_grad_hess(w, True)
        assert hess is not None
        step = np.linalg.solve(hess + 1e-9 * np.eye(width), grad)
        t = 1.0
        while t > 1e-4 and loss_grad_hess(w - t * step, False)[0] > loss - 1e-4 * t * float(grad @ step):
            t /= 2
        w = w - t * step
        if float(grad @ step) < 1e-10:
            break
    weights: Array = w / scale
    return weights


def rank(ids: Sequence[tuple[int, ...]], scores: Array) -> list[list[int]]:
    order = np.argsort(-scores, axis=1, kind="stable")[:, :10]
    return [[row_ids[i] for i in row] for row_ids, row in zip(ids, order, strict=True)]


def train(config: Config, card: QuerySet, demo: QuerySet) -> Model:
    x_card, names = features(card, config)
    blocks = [(x_card, card.positives, 1.0)]
    if not config.gated:
        blocks.append((features(demo, config)[0], demo.positives, config.demo_weight))
    weights = fit(blocks, config.l2)
    if config.shrink:
        weights = shrunk(weights, (card, x_card), (demo, features(demo, config)[0]))
    return Model(config, names, weights)


def shrunk(weights: Array, card: tuple[QuerySet, Array], demo: tuple[QuerySet, Array]) -> Array:
    """The weights with every weight but the fused score's scaled by the t in SHRINK that
    maximises card R@1 + MRR/2 while the demo FAQ keeps R@1 ≥ DEMO_FLOOR (t = 0 is today's
    ranking, which keeps it). Ties go to the smaller t."""
    best: Array = weights * np.eye(len(weights))[0]
    best_value = -np.inf
    for t in SHRINK:
        trial = weights.copy()
        trial[1:] *= t
        demo_r1 = evaluate(rank(demo[0].ids, demo[1] @ trial), demo[0].queries).recall_at_1
        card_scores = evaluate(rank(card[0].ids, card[1] @ trial), card[0].queries)
        value = card_scores.recall_at_1 + card_scores.mrr_at_10 / 2
        if demo_r1 >= DEMO_FLOOR and value > best_value + 1e-9:
            best, best_value = trial, value
    return best


def card_cross_validated(config: Config, card: QuerySet, demo: QuerySet) -> list[list[int]]:
    """Card rankings, each fold's by a model trained without that fold's articles."""
    rankings: list[list[int]] = [[] for _ in card.queries]
    folds = card.folds()
    for fold in range(FOLDS):
        held = folds == fold
        ranked = train(config, card.subset(~held), demo).rankings(card)
        for position in np.flatnonzero(held):
            rankings[position] = ranked[position]
    return rankings


def current_rankings(data: QuerySet) -> list[list[int]]:
    return rank(data.ids, data.fused)


def by_style(rankings: list[list[int]], queries: list[Query]) -> dict[str, Scores]:
    out = {"all": evaluate(rankings, queries)}
    for style in sorted({q.style for q in queries}):
        keep = [i for i, q in enumerate(queries) if q.style == style]
        out[style] = evaluate([rankings[i] for i in keep], [queries[i] for i in keep])
    return out


def style_table(title: str, queries: list[Query], systems: dict[str, list[list[int]]]) -> None:
    print(f"\n{title} (R@1 / MRR@10)")
    results = {name: by_style(r, queries) for name, r in systems.items()}
    first = next(iter(results.values()))
    print(f"{'style':<12}{'n':>5}" + "".join(f"{name:>24}" for name in results))
    for style in first:
        cells = "".join(f"{r[style].recall_at_1:>16.3f} / {r[style].mrr_at_10:.3f}" for r in results.values())
        print(f"{style:<12}{first[style].count:>5}{cells}")


FEATURE_SETS = (
    (False, ("value",), False),
    (True, ("value",), False),
    (True, ("value", "minmax"), False),
    (False, FAMILIES, False),
    (True, FAMILIES, False),
    (True, FAMILIES, True),
)
BARE = [Config(a, f, q, l2) for a, f, q in FEATURE_SETS for l2 in (1e-3, 1e-2, 1e-1, 1.0)]
GLOBAL = [
    Config(a, f, q, l2, 1.0, shrink)
    for a, f, q in (FEATURE_SETS[0], FEATURE_SETS[-1])
    for l2 in (1e-2, 1e-1)
    for shrink in (False, True)
]


def choose(results: Sequence[tuple[Config, Scores]], count: int) -> Config:
    """The simplest model (fewest features, then the strongest regularisation) whose CV R@1 is
    within one standard error of the best: many configurations are compared on one CV."""
    best = max(cv.recall_at_1 for _, cv in results)
    standard_error = float(np.sqrt(best * (1 - best) / count))
    eligible = [config for config, cv in results if cv.recall_at_1 >= best - standard_error]
    return min(eligible, key=lambda config: (config.size, -config.l2))


def nested_cross_validated(card: QuerySet, demo: QuerySet) -> list[list[int]]:
    """The whole procedure (every BARE configuration, the choice rule, the fit) redone inside
    each outer fold on the other four folds, so the choice among configurations is held out too."""
    rankings: list[list[int]] = [[] for _ in card.queries]
    folds = card.folds()
    for outer in range(FOLDS):
        held = folds == outer
        inner = card.subset(~held)
        results = [(config, evaluate(card_cross_validated(config, inner, demo), inner.queries)) for config in BARE]
        ranked = train(choose(results, len(inner.queries)), inner, demo).rankings(card)
        for position in np.flatnonzero(held):
            rankings[position] = ranked[position]
    return rankings


def as_fusion_weights(model: Model) -> dict[str, float]:
    """A 6-channel value-only model as FusionWeights (lexical = 1): fused is itself linear in them."""
    shipped = FusionWeights()
    total = sum(shipped.of(c) for c in CHANNELS)
    weights = {c: model.weights[0] * shipped.of(c) / total + model.weights[1 + i] for i, c in enumerate(CHANNELS)}
    return {c: w / weights["lexical"] for c, w in weights.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--embedding-cache", type=Path, default=None)
    parser.add_argument("--held-out", action="store_true", help="score the chosen model on the held-out sets")
    args = parser.parse_args()
    cache = embedding_cache.load(args.embedding_cache)
    engine = SearchEngine(semantic=True, embedding_cache=cache)
    embedders = load_embedders(cache)
    (name,) = TUNING_SETS
    demo_documents, demo_queries = load_paycenter()
    demo = compute_set("demo", engine, embedders, demo_documents, [q for q in demo_queries if q.style != "chosung"])
    card = compute_set(name, engine, embedders, *load_faq_set(name))
    embedding_cache.save(args.embedding_cache, cache)

    current_card = evaluate(current_rankings(card), card.queries)
    current_demo = evaluate(current_rankings(demo), demo.queries)
    tuned = cross_validated(Scored(card.components, card.queries), Scored(demo.components, demo.queries), DEMO_FLOOR)
    current_cv = evaluate(tuned, card.queries)
    print(
        f"current fusion: {name} 5-fold CV (tune_fusion's search per fold) R@1 {current_cv.recall_at_1:.3f} "
        f"MRR {current_cv.mrr_at_10:.3f}; shipped weights in-sample R@1 {current_card.recall_at_1:.3f} "
        f"MRR {current_card.mrr_at_10:.3f}; demo R@1 {current_demo.recall_at_1:.3f}"
    )
    header = f"{'model':<58}{'card CV R@1':>12}{'MRR':>7}{'in-sample':>10}{'demo R@1':>10}"

    print("\nglobal models (demo queries in training; demo R@1 in-sample):")
    print(header)
    for config in GLOBAL:
        cv = evaluate(card_cross_validated(config, card, demo), card.queries)
        model = train(config, card, demo)
        inside = evaluate(model.rankings(card), card.queries).recall_at_1
        demo_r1 = evaluate(model.rankings(demo), demo.queries).recall_at_1
        print(f"{config.label():<58}{cv.recall_at_1:>12.3f}{cv.mrr_at_10:>7.3f}{inside:>10.3f}{demo_r1:>10.3f}")

    print("\nbare-FAQ models (card only; demo R@1 gated = today's, in brackets if applied ungated):")
    print(header)
    results: list[tuple[Config, Scores]] = []
    for config in BARE:
        cv = evaluate(card_cross_validated(config, card, demo), card.queries)
        model = train(config, card, demo)
        inside = evaluate(model.rankings(card), card.queries).recall_at_1
        gated = evaluate(model.rankings(demo), demo.queries).recall_at_1
        ungated = evaluate(rank(demo.ids, features(demo, config)[0] @ model.weights), demo.queries).recall_at_1
        cells = f"{cv.recall_at_1:>12.3f}{cv.mrr_at_10:>7.3f}{inside:>10.3f}{gated:>10.3f} ({ungated:.3f})"
        print(f"{config.label():<58}{cells}", flush=True)
        results.append((config, cv))

    config = choose(results, len(card.queries))
    best = max(cv.recall_at_1 for _, cv in results)
    standard_error = float(np.sqrt(best * (1 - best) / len(card.queries)))
    model = train(config, card, demo)
    chosen_cv = card_cross_validated(config, card, demo)
    print(f"\nchosen (simplest within 1 SE = {standard_error:.3f} of the best CV R@1 {best:.3f}): {config.label()}")
    nested = evaluate(nested_cross_validated(card, demo), card.queries)
    print(f"nested 5-fold CV of the whole choice: R@1 {nested.recall_at_1:.3f} MRR {nested.mrr_at_10:.3f}")
    for feature, weight in zip(model.names, model.weights, strict=True):
        print(f"  {feature:<40}{weight:+.4f}")
    if config.size == len(CHANNELS):
        print("  as FusionWeights for bare FAQs (lexical = 1):")
        print("  " + ", ".join(f"{c} {w:.2f}" for c, w in as_fusion_weights(model).items()))
    style_table(f"{name}, 5-fold CV over articles", card.queries, {"current (CV)": tuned, "learned (CV)": chosen_cv})
    started = time.perf_counter()
    for row in range(len(card.queries)):
        model.scores(card.subset(np.arange(len(card.queries)) == row))
    per_query = (time.perf_counter() - started) / len(card.queries) * 1000
    print(f"\nfeatures + scoring, this script's numpy code: {per_query:.3f} ms per query ({len(card.ids[0])} articles)")

    if args.held_out:
        print("\nheld-out sets (one look, for the chosen model only):")
        for held_name in HELD_OUT_SETS:
            held = compute_set(held_name, engine, embedders, *load_faq_set(held_name))
            systems = {"current": current_rankings(held), "learned": model.rankings(held)}
            style_table(f"{held_name} (alternate-phrasing share {held.phrased_share:.2f})", held.queries, systems)
        embedding_cache.save(args.embedding_cache, cache)


if __name__ == "__main__":
    main()
