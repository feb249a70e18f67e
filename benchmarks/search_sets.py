"""The independently written FAQ sets in the quality benchmark: ranking by query style against
baselines, and the no-match decision. Used by ``search_quality.py``; see benchmarks/data/."""

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from baselines import BM25, DenseE5, morpheme_tokens, whitespace_tokens
from common import (
    HELD_OUT_SETS,
    TUNING_SETS,
    Query,
    Scores,
    evaluate,
    load_everyday_questions,
    load_faq_set,
    load_offtopic,
    table,
)
from gogaek.search.documents import SearchDocument
from gogaek.search.engine import SearchEngine

Ranker = Callable[[str], list[int]]
STYLES = ("colloquial", "keyword", "synonym", "typo", "long")
HYBRID = "Gogaek hybrid"
BASELINES = ("whitespace BM25", "Kiwi BM25", "plain e5 dense")
TARGET_R1, TARGET_MRR, TARGET_STYLE = 0.80, 0.87, 0.65
EVERYDAY_QUESTIONS, EVERYDAY_SEED = 200, 13


def qa_text(document: SearchDocument) -> str:
    return f"{document.question} {document.answer}"


def systems(documents: Sequence[SearchDocument], cache: dict[str, bytes]) -> dict[str, Callable[[], Ranker]]:
    """Baselines over question + answer as one field, and the engine as it runs in the app."""
    texts = [qa_text(d) for d in documents]

    def engine(semantic: bool) -> Ranker:
        built = SearchEngine(semantic=semantic, embedding_cache=cache)
        built.rebuild(documents)
        return lambda text: [hit.document.id for hit in built.search(text, 10)]

    return {
        "whitespace BM25": lambda: BM25(texts, whitespace_tokens).rank,
        "Kiwi BM25": lambda: BM25(texts, morpheme_tokens).rank,
        "plain e5 dense": lambda: DenseE5(texts, cache).rank,
        "Gogaek lexical": lambda: engine(False),
        HYBRID: lambda: engine(True),
    }


@dataclass(frozen=True, slots=True)
class SetResult:
    name: str
    held_out: bool
    per_style: dict[str, dict[str, Scores]]  # style (and "all") -> system -> scores
    articles: int


def rank_set(name: str, cache: dict[str, bytes]) -> SetResult:
    documents, queries = load_faq_set(name)
    print(f"{name}: {len(documents)} articles, {len(queries)} queries", flush=True)
    per_style: dict[str, dict[str, Scores]] = {}
    for system, build in systems(documents, cache).items():
        rank = build()
        rankings = [rank(q.text) for q in queries]
        for style in (*STYLES, "all"):
            chosen = [(r, q) for r, q in zip(rankings, queries, strict=True) if style in ("all", q.style)]
            scores = evaluate([r for r, _ in chosen], [q for _, q in chosen])
            per_style.setdefault(style, {})[system] = scores
        total = per_style["all"][system]
        print(f"  {system:<16} R@1 {total.recall_at_1:.3f}  MRR {total.mrr_at_10:.3f}", flush=True)
    return SetResult(name, name in HELD_OUT_SETS, per_style, len(documents))


def verdict(result: SetResult) -> str:
    """The issue's targets for a set the engine was not tuned on."""
    ours = result.per_style["all"][HYBRID]
    misses = []
    if ours.recall_at_1 < TARGET_R1:
        misses.append(f"R@1 {ours.recall_at_1:.3f} < {TARGET_R1}")
    if ours.mrr_at_10 < TARGET_MRR:
        misses.append(f"MRR@10 {ours.mrr_at_10:.3f} < {TARGET_MRR}")
    for style in STYLES:
        row = result.per_style[style]
        if row[HYBRID].recall_at_1 < TARGET_STYLE:
            misses.append(f"{style} R@1 {row[HYBRID].recall_at_1:.2f} < {TARGET_STYLE}")
        behind = [b for b in ("Kiwi BM25", "plain e5 dense") if row[b].recall_at_1 >= row[HYBRID].recall_at_1]
        if behind:
            misses.append(f"{style}: not ahead of {', '.join(behind)}")
    return "**met**" if not misses else "**NOT met**: " + "; ".join(misses)


def set_table(result: SetResult) -> str:
    names = list(result.per_style["all"])
    header = ["style", "queries", *[f"{n} R@1" for n in names], f"{HYBRID} MRR@10"]
    rows = []
    for style, by_system in result.per_style.items():
        cells = [f"{by_system[n].recall_at_1:.3f}" for n in names]
        rows.append([style, str(by_system[names[0]].count), *cells, f"{by_system[HYBRID].mrr_at_10:.3f}"])
    return table(header, rows)


def faq_sets(cache: dict[str, bytes]) -> str:
    parts = ["### Independently written FAQ sets (question + answer only)\n"]
    for name in (*TUNING_SETS, *HELD_OUT_SETS):
        result = rank_set(name, cache)
        role = "held out: never used for tuning" if result.held_out else "tuning set: weights were fitted on it"
        parts.append(f"#### {name} ({result.articles} articles; {role})\n\n{set_table(result)}\n")
        if result.held_out:
            parts.append(
                f"Targets (R@1 ≥ {TARGET_R1}, MRR@10 ≥ {TARGET_MRR}, every style ≥ {TARGET_STYLE} "
                f"and ahead of Kiwi BM25 and plain e5 dense): {verdict(result)}\n"
            )
    return "\n".join(parts)


@dataclass(frozen=True, slots=True)
class Abstention:
    answered: float  # in-domain queries answered (not no_match)
    answered_right: float  # of the in-domain queries ranked right first, share still answered
    left_out: float  # queries whose article was removed: share that abstained
    off_dev: float  # off-topic dev queries that abstained
    off_test: float  # off-topic test queries that abstained
    everyday: float  # Question_pair everyday questions that abstained


@dataclass(frozen=True, slots=True)
class OffTopic:
    dev: list[str]
    test: list[str]
    everyday: list[str]


def abstention_of(name: str, cache: dict[str, bytes], off: OffTopic) -> Abstention:
    documents, queries = load_faq_set(name)
    engine = SearchEngine(semantic=True, embedding_cache=cache)
    engine.rebuild(documents)
    answers = [engine.answer(q.text, 10) for q in queries]
    right = [a for a, q in zip(answers, queries, strict=True) if a.hits and a.hits[0].document.id == q.expected]
    return Abstention(
        answered=_share([not a.no_match for a in answers]),
        answered_right=_share([not a.no_match for a in right]),
        left_out=_leave_one_out(engine, documents, queries),
        off_dev=_share([engine.answer(text, 10).no_match for text in off.dev]),
        off_test=_share([engine.answer(text, 10).no_match for text in off.test]),
        everyday=_share([engine.answer(text, 10).no_match for text in off.everyday]),
    )


def _leave_one_out(engine: SearchEngine, documents: Sequence[SearchDocument], queries: Sequence[Query]) -> float:
    """Each article removed in turn: do its queries now get "no good answer"?"""
    abstained = []
    for document in documents:
        engine.remove(document.id)
        abstained += [engine.answer(q.text, 10).no_match for q in queries if q.expected == document.id]
        engine.upsert(document)
    return _share(abstained)


def _share(flags: Sequence[bool]) -> float:
    return sum(flags) / max(len(flags), 1)


def abstention(cache: dict[str, bytes], eval_dir: Path) -> str:
    everyday = load_everyday_questions(eval_dir, random.Random(EVERYDAY_SEED), EVERYDAY_QUESTIONS)
    off = OffTopic(load_offtopic("dev"), load_offtopic("test"), everyday)
    rows = []
    for name in (*TUNING_SETS, *HELD_OUT_SETS):
        found = abstention_of(name, cache, off)
        print(f"  no-match {name}: {found}", flush=True)
        role = "held out" if name in HELD_OUT_SETS else "tuning"
        rows.append(
            [
                f"{name} ({role})",
                f"{found.answered:.3f}",
                f"{found.answered_right:.3f}",
                f"{found.left_out:.3f}",
                f"{found.off_dev:.3f}",
                f"{found.off_test:.3f}",
                f"{found.everyday:.3f}",
            ]
        )
    header = [
        "FAQ",
        "in-domain answered",
        "right-first still answered",
        "article removed → no match",
        "off-topic dev → no match",
        "off-topic test (held out) → no match",
        "everyday chat → no match",
    ]
    return (
        "### Knowing when there is no answer (`no_match`)\n\n"
        f"{len(off.dev)} off-topic dev queries (threshold fitted on them with the tuning set), "
        f"{len(off.test)} held-out off-topic test queries (benchmarks/data/offtopic) and {len(off.everyday)} "
        "everyday Question_pair questions (../shared/eval, seed 13; held out), searched against each FAQ.\n"
        "Target: ≥ 0.90 of off-topic queries get no match while ≥ 0.90 of the queries answered right "
        "are still answered.\n\n" + table(header, rows) + "\n"
    )
