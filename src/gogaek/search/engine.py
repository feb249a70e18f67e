"""Korean FAQ search: BM25 over Kiwi morphemes and character bigrams, synonyms, typo
correction, 초성 and autocomplete, with optional semantic ranking (e5 and USE) and a
"no good answer" decision.

Pure and synchronous: the service layer owns the database and calls ``rebuild`` at start-up
(in a worker thread) and ``upsert``/``remove`` after each edit. Queries hold a lock only
for the few milliseconds of scoring, so edits from another thread are safe.
"""

import logging
import threading
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gogaek.korean import Morpheme, analyze, compact, is_chosung_query, keystrokes, normalize_query
from gogaek.korean.analyzer import NOUN_TAGS
from gogaek.search.analysis import bigrams, morpheme_terms
from gogaek.search.bm25 import FloatArray
from gogaek.search.documents import SearchDocument, SearchHit
from gogaek.search.fusion import BARE_FAQ_FUSION, FusionWeights, NoMatchRule, fuse, fusion_for, top_similarity
from gogaek.search.index import FaqIndex, LexicalWeights, phrasings_of, prepare, whole_text
from gogaek.search.semantic import Embedder, Vector, load_embedders
from gogaek.search.snippets import snippet
from gogaek.search.spelling import correct, keyboard_fix
from gogaek.search.synonyms import DEFAULT_PATH, Synonyms

MAX_QUERY_CHARS = 256
ATTACH_BATCH = 8  # texts per model call in the background, so a close is noticed within seconds
# A rebuild with ``background`` embeds at once what takes less than this, and later the rest.
SYNC_EMBED_BUDGET_MS = 5000.0
CHOSUNG_CANDIDATES = 500

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RankingWeights:
    """Knobs of the ranking: lexical signals, typo corrections, the fusion of channels and the
    no-match rule (chosen on the tuning sets, see docs/search.md)."""

    lexical: LexicalWeights = field(default_factory=LexicalWeights)
    correction: float = 0.8
    fusion: FusionWeights = field(default_factory=FusionWeights)  # FAQs with alternate phrasings
    bare_fusion: FusionWeights = BARE_FAQ_FUSION  # FAQs imported as question + answer only
    no_match: NoMatchRule = field(default_factory=NoMatchRule)


@dataclass(frozen=True, slots=True)
class ScoreComponents:
    """Every channel's unfused scores of every indexed document for one query."""

    ids: tuple[int, ...]
    channels: dict[str, FloatArray]


@dataclass(frozen=True, slots=True)
class _Query:
    phrase: tuple[Mapping[str, float], Mapping[str, float]]
    answer: Mapping[str, float]
    needles: tuple[str, ...]
    corrected: str | None  # the query with misspelled words fixed, when any were


@dataclass(frozen=True, slots=True)
class SearchAnswer:
    """``no_match``: the closest articles are still listed, but none looks like the answer, so the
    customer should be offered a person instead (only engines with e5 can tell)."""

    hits: list[SearchHit]
    did_you_mean: str | None
    no_match: bool = False


class SearchEngine:
    """In-memory FAQ index with Korean-aware ranking."""

    def __init__(
        self,
        *,
        synonyms_path: Path | None = None,
        semantic: bool = False,
        kiwi_model_type: str | None = None,
        weights: RankingWeights | None = None,
        embedding_cache: MutableMapping[str, bytes] | None = None,
    ) -> None:
        self._synonyms_path = synonyms_path or DEFAULT_PATH
        self._model_type = kiwi_model_type
        self._weights = weights or RankingWeights()
        self._embedders: tuple[Embedder, ...] = load_embedders(embedding_cache) if semantic else ()
        self._synonyms: Synonyms | None = None
        self._index = self._new_index()
        self._lock = threading.RLock()
        self._ready = False
        self._generation = 0  # each rebuild's number: a late background step of an older one stops
        self._complete = threading.Event()
        self._complete.set()

    @property
    def ready(self) -> bool:
        """True once a full index has been built."""
        return self._ready

    @property
    def semantic(self) -> bool:
        """True when embeddings take part in ranking (a packaged model is installed and enabled)."""
        return bool(self._embedders)

    def _new_index(self) -> FaqIndex:
        return FaqIndex([embedder.spec for embedder in self._embedders])

    def __len__(self) -> int:
        return len(self._index)

    @property
    def complete(self) -> bool:
        """True when every model's vectors are in the index (see ``rebuild(background=True)``)."""
        return self._complete.is_set()

    def wait_until_complete(self, timeout: float | None = None) -> bool:
        return self._complete.wait(timeout)

    def rebuild(self, documents: Iterable[SearchDocument], *, background: bool = False) -> None:
        """Replace the whole index; queries keep using the old one until it is ready.

        With ``background``, a model whose missing vectors would take more than
        ``SYNC_EMBED_BUDGET_MS`` to compute (e5 on a freshly imported FAQ: minutes) is left out of
        the new index, which is swapped in at once; that model's vectors are computed in a
        background thread and attached when done. Until then ranking uses the channels present,
        and ``no_match`` waits for e5. Small edits and warm restarts embed at once, as before.
        """
        docs = list(documents)
        texts = embedded_texts(docs)
        costs = {e.spec.name: e.expected_ms(texts) for e in self._embedders}
        later = [e for e in self._embedders if background and costs[e.spec.name] > SYNC_EMBED_BUDGET_MS]
        later.sort(key=lambda e: costs[e.spec.name])  # the cheaper model is attached first
        now = [e for e in self._embedders if e not in later]
        fresh = FaqIndex([e.spec for e in now])
        fresh.load(prepare(docs, self._get_synonyms(), now, self._model_type))
        with self._lock:
            self._index = fresh
            self._ready = True
            self._generation += 1
            generation = self._generation
            if later:
                self._complete.clear()
            else:
                self._complete.set()
        if later:
            threading.Thread(target=self._attach, args=(later, docs, generation), daemon=True).start()

    def _attach(self, embedders: list[Embedder], documents: list[SearchDocument], generation: int) -> None:
        """Embed with the slow models outside the lock, then attach their vectors to the index."""
        texts = embedded_texts(documents)
        try:
            for embedder in embedders:
                for start in range(0, len(texts), ATTACH_BATCH):
                    if self._generation != generation:
                        return  # a newer rebuild (or close) replaced this index
                    embedder.texts(texts[start : start + ATTACH_BATCH])  # the slow part; fills the cache
                with self._lock:
                    if self._generation != generation:
                        return
                    # Documents upserted meanwhile were embedded by their own upsert: cached too.
                    self._index.attach(embedder)
        except Exception:  # a closed vector store at shutdown, a model error: stay lexical + fast models
            logger.exception("background embedding stopped; the index keeps the channels it has")
            return
        with self._lock:
            if self._generation == generation:
                self._complete.set()

    def close(self) -> None:
        """Stop background embedding (it checks between batches); the index stays usable."""
        with self._lock:
            self._generation += 1
            self._complete.set()

    def upsert(self, document: SearchDocument) -> None:
        """Add a document or replace the one with the same id."""
        (item,) = prepare([document], self._get_synonyms(), self._embedders, self._model_type)
        with self._lock:
            self._index.add(item)

    def remove(self, document_id: int) -> None:
        """Remove a document; unknown ids are ignored."""
        with self._lock:
            self._index.remove(document_id)

    def search(self, query: str, limit: int = 10) -> list[SearchHit]:
        """The best ``limit`` articles for a customer query, best first."""
        return self.answer(query, limit).hits

    def answer(self, query: str, limit: int = 10) -> SearchAnswer:
        """Hits and "이것을 찾으셨나요?" from one analysis of the query (pages need both)."""
        text = _clean(query)
        if not text or limit <= 0:
            return SearchAnswer([], None)
        if is_chosung_query(text):
            return SearchAnswer(self._chosung_search(text, limit), None)
        converted = self._keyboard_fix(text)
        text = converted or text
        vectors, morphemes = self._analyse(text)
        with self._lock:
            plan = self._plan(text, morphemes)
            channels = self._channels(plan, vectors)
            scores = fuse(channels, self.fusion_weights())
            hits = self._hits(scores, plan, limit)
            no_match = self._no_match(channels, scores, bool(hits), morphemes)
        return SearchAnswer(hits, converted or plan.corrected, no_match)

    def score_components(self, query: str) -> ScoreComponents:
        """Unfused scores of every document, for tuning and explaining the ranking."""
        text = _clean(query)
        vectors, morphemes = self._analyse(text)
        with self._lock:
            channels = self._channels(self._plan(text, morphemes), vectors)
            slots = [s for s, d in enumerate(self._index.documents) if d is not None]
            ids = tuple(self._index.slot_ids(slots))
            return ScoreComponents(ids, {name: scores[slots] for name, scores in channels.items()})

    def completions(self, prefix: str, limit: int = 8) -> list[SearchDocument]:
        """Articles whose phrasing starts (at a word) with what was typed so far: the part of
        autocomplete that continues the customer's own words."""
        text = _clean(prefix)
        if not text or limit <= 0:
            return []
        with self._lock:
            index = self._index
            if is_chosung_query(text):
                found = index.chosungs.lookup(compact(text), limit)
            else:
                found = index.prefixes.lookup(keystrokes(compact(text)), limit)
            return index.by_ids([doc_id for doc_id, _ in found])

    def suggest(self, prefix: str, limit: int = 8) -> list[SearchDocument]:
        """Autocomplete: the completions, then (when fewer than ``limit``) lexical neighbours."""
        text = _clean(prefix)
        documents = self.completions(text, limit)
        if text and len(documents) < limit and not is_chosung_query(text):
            seen = {d.id for d in documents}
            hits = self._lexical_search(text, limit)
            extra = [h.document for h in hits if h.document.id not in seen]
            documents += extra[: limit - len(documents)]
        return documents

    def did_you_mean(self, query: str) -> str | None:
        """A corrected query when some words look misspelled, else None."""
        text = _clean(query)
        if not text or is_chosung_query(text):
            return None
        converted = self._keyboard_fix(text)
        if converted:
            return converted
        morphemes = analyze(text, self._model_type)
        with self._lock:
            return self._correction(text, morphemes)

    def _correction(self, text: str, morphemes: list[Morpheme]) -> str | None:
        corrected = correct(self._index, text, morphemes)
        return corrected if corrected != text else None

    def _analyse(self, text: str) -> tuple[tuple[Vector, ...], list[Morpheme]]:
        """The slow, index-independent part of a query, done before taking the lock."""
        vectors = tuple(embedder.query(text) for embedder in self._embedders) if text else ()
        return vectors, analyze(text, self._model_type)

    def _channels(self, plan: _Query, vectors: tuple[Vector, ...]) -> dict[str, FloatArray]:
        """Every ranking channel's scores per slot (docs: gogaek.search.fusion); hold the lock."""
        answer = self._index.answer_scores(plan.answer)
        lexical = self._index.lexical_scores(plan.phrase, answer, self._weights.lexical)
        channels = {"lexical": lexical}
        if not vectors:
            return channels
        capacity = len(lexical)
        channels["lexical_answer"] = answer
        for embedder, vector in zip(self._embedders, vectors, strict=True):
            model = self._index.models.get(embedder.spec.name)
            if model is None:  # still being embedded in the background
                continue
            channels[f"{embedder.spec.name}_phrasing"] = model.phrasings.score(vector, capacity)
            channels[f"{embedder.spec.name}_document"] = model.documents.score(vector, capacity)
        return channels

    def _no_match(
        self, channels: dict[str, FloatArray], scores: FloatArray, found: bool, morphemes: list[Morpheme]
    ) -> bool:
        """True when no article is close enough to be the answer (docs: fusion.NoMatchRule)."""
        if not found:
            return True
        similarity = top_similarity(channels, int(np.argmax(scores)))
        if similarity is None:
            return False
        return self._weights.no_match.abstains(similarity, self._familiar_share(morphemes))

    def fusion_weights(self) -> FusionWeights:
        """The fusion for this FAQ: alternate phrasings written for its articles change which
        channels can be trusted (docs/search.md, *Fusion*)."""
        weights = self._weights
        return fusion_for(weights.fusion, weights.bare_fusion, self._index.phrased_share)

    def familiar_share(self, query: str) -> float:
        """The share of the query's nouns that some article uses (for tuning the no-match rule)."""
        morphemes = analyze(_clean(query), self._model_type)
        with self._lock:
            return self._familiar_share(morphemes)

    def _familiar_share(self, morphemes: list[Morpheme]) -> float:
        """The share of the query's nouns that some article uses (1 when it has none)."""
        nouns = [m.form for m in morphemes if m.tag in NOUN_TAGS]
        if not nouns:
            return 1.0
        return sum(self._index.known(noun) for noun in nouns) / len(nouns)

    def _lexical_search(self, text: str, limit: int) -> list[SearchHit]:
        """Search without the semantic stage (autocomplete must stay fast)."""
        morphemes = analyze(text, self._model_type)
        with self._lock:
            plan = self._plan(text, morphemes)
            answer = self._index.answer_scores(plan.answer)
            scores = self._index.lexical_scores(plan.phrase, answer, self._weights.lexical)
            return self._hits(scores, plan, limit)

    def _chosung_search(self, text: str, limit: int) -> list[SearchHit]:
        """Articles whose words start with the typed 초성: the whole query in a row first,
        then articles by how many space-separated parts ("ㅈㄱㄱㅈ ㅎㅈ") start their words."""
        chunks = text.split()
        with self._lock:
            lookup = self._index.chosungs.lookup
            scores = {doc_id: 1.0 + score for doc_id, score in lookup(compact(text), limit)}
            if len(chunks) > 1:
                parts = [dict(lookup(chunk, CHOSUNG_CANDIDATES)) for chunk in chunks]
                for doc_id in set().union(*parts):
                    together = sum(part.get(doc_id, 0.0) for part in parts) / len(parts)
                    scores[doc_id] = max(scores.get(doc_id, 0.0), together)
            ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]
            documents = self._index.by_ids([doc_id for doc_id, _ in ranked])
        return [
            SearchHit(doc, score, snippet(doc.answer, ())) for doc, (_, score) in zip(documents, ranked, strict=True)
        ]

    def _hits(self, scores: FloatArray, plan: _Query, limit: int) -> list[SearchHit]:
        count = min(limit, int(np.count_nonzero(scores > 0)))
        if count == 0:
            return []
        top = np.argpartition(-scores, count - 1)[:count]
        ordered = top[np.argsort(-scores[top], kind="stable")]
        hits = []
        for slot in ordered:
            document = self._index.documents[int(slot)]
            if document is not None:
                text = snippet(document.answer, plan.needles)
                hits.append(SearchHit(document, float(scores[slot]), text))
        return hits

    def _plan(self, text: str, morphemes: list[Morpheme]) -> _Query:
        """Query terms per channel, with misspelled words corrected against the index."""
        synonyms = self._get_synonyms()
        terms = morpheme_terms(text, morphemes, synonyms)
        grams = bigrams(text)
        corrected = self._correction(text, morphemes)
        weighted: dict[str, float] = {t: float(c) for t, c in terms.items()}
        if corrected is not None:
            fixed = analyze(corrected, self._model_type)
            for term in morpheme_terms(corrected, fixed, synonyms):
                if term not in weighted:
                    weighted[term] = self._weights.correction
            grams |= bigrams(corrected)
        needles = tuple(t for t in weighted if not t.startswith("~"))
        needles += tuple(m for t in weighted if t.startswith("~") for m in synonyms.members(t))
        return _Query((weighted, grams), weighted, needles, corrected)

    def _keyboard_fix(self, text: str) -> str | None:
        with self._lock:
            return keyboard_fix(self._index, text, self._model_type)

    def _get_synonyms(self) -> Synonyms:
        """The synonym groups, loaded on first use (analysing them needs Kiwi)."""
        with self._lock:
            if self._synonyms is None:
                self._synonyms = Synonyms.from_file(self._synonyms_path, self._model_type)
            return self._synonyms

    def use_synonyms(self, text: str | None) -> None:
        """The dictionary edited on the admin page, or ``None`` for the file again. Articles carry
        concept tokens computed when indexed, so a rebuild must follow for them to change."""
        synonyms = Synonyms.from_text(text, self._model_type) if text is not None else None
        with self._lock:
            self._synonyms = synonyms

    @property
    def synonyms_file(self) -> Path:
        return self._synonyms_path


def embedded_texts(documents: Iterable[SearchDocument]) -> list[str]:
    """Every text the models embed for these documents."""
    return [t for d in documents for t in (*phrasings_of(d), whole_text(d))]


def _clean(query: str) -> str:
    return normalize_query(query)[:MAX_QUERY_CHARS].strip()
