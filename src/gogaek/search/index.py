"""The in-memory FAQ index: every structure the engine queries, kept in step per document.

Documents are analysed (Kiwi, synonyms, embeddings) before the engine takes its lock, then
added in one cheap step; a rebuild fills a fresh index and swaps it in whole.
"""

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from gogaek.korean import Morpheme, analyze_many
from gogaek.korean.typo import TypoIndex
from gogaek.search.analysis import bigrams, chosung_keys, morpheme_terms, prefix_keys, vocabulary
from gogaek.search.bm25 import FloatArray, RowIndex
from gogaek.search.documents import SearchDocument
from gogaek.search.prefix import PrefixIndex
from gogaek.search.process_cache import ProcessCache
from gogaek.search.semantic import Embedder, ModelSpec, Vector
from gogaek.search.synonyms import Synonyms
from gogaek.search.vectors import ModelVectors

Terms = tuple[Counter[str], Counter[str]]

# Kiwi's analysis is the slow part of a first build and depends only on the text and the model;
# the terms and keys derived from an article's texts depend only on those, the synonyms and the
# model. Both are kept per process across rebuilds and engines, so a rebuild after another
# process edited one article derives only new or edited texts (and so does every test's app over
# the same demo FAQ). Derived terms take about 16 KB an article, so they are kept only for FAQs
# of up to 1,024 articles (16 MB at most): a larger FAQ would push its own first articles out
# before the next rebuild came back to them, paying the memory for no hit.
_analysed: ProcessCache[tuple[str | None, str], tuple[Morpheme, ...]] = ProcessCache(8192)
_derived: "ProcessCache[tuple[str | None, Synonyms, tuple[str, ...], str, str], LexicalTerms]" = ProcessCache(1024)


def forget_prepared() -> None:
    """Empty the per-process caches, as in a process that has prepared nothing yet."""
    _analysed.clear()
    _derived.clear()


# The whole article is embedded as its question and the start of its answer: e5 reads at most
# 512 tokens, and the opening of an FAQ answer carries its point.
WHOLE_TEXT_CHARS = 1000


@dataclass(frozen=True, slots=True)
class ArticleVectors:
    """One model's vectors of one article: each phrasing, and the whole article."""

    phrasings: list[Vector]
    whole: Vector


@dataclass(frozen=True, slots=True)
class LexicalTerms:
    """What the lexical structures index of one article's texts; shared, never changed."""

    phrasings: list[Terms]
    tags: Terms
    answer: Counter[str]
    words: list[str]
    prefixes: list[tuple[str, int]]
    chosungs: list[tuple[str, int]]


@dataclass(frozen=True, slots=True)
class PreparedDocument:
    """A document with everything the index needs, computed outside the engine lock."""

    document: SearchDocument
    lexical: LexicalTerms
    vectors: dict[str, ArticleVectors]  # by model name


def phrasings_of(document: SearchDocument) -> list[str]:
    """The question first, then the distinct non-empty alternates."""
    texts = [document.question, *document.alternates]
    return list(dict.fromkeys(t.strip() for t in texts if t.strip()))


def whole_text(document: SearchDocument) -> str:
    """The article as one passage for the whole-article vectors."""
    return f"{document.question}\n{document.answer}".strip()[:WHOLE_TEXT_CHARS]


def embed(documents: Sequence[SearchDocument], embedder: Embedder) -> list[ArticleVectors]:
    """One model's vectors for many articles, in one batch for the texts not cached yet."""
    phrasings = [phrasings_of(d) for d in documents]
    texts = [t for group in phrasings for t in group] + [whole_text(d) for d in documents]
    vectors = iter(embedder.texts(texts))
    grouped = [[next(vectors) for _ in group] for group in phrasings]
    return [ArticleVectors(group, next(vectors)) for group in grouped]


def prepare(
    documents: Sequence[SearchDocument],
    synonyms: Synonyms,
    embedders: Sequence[Embedder],
    model_type: str | None,
) -> list[PreparedDocument]:
    """Derive the lexical terms of the documents not seen before (one parallel Kiwi batch) and
    embed every document with every model."""
    texts = [(tuple(phrasings_of(d)), " ".join(d.tags), d.answer) for d in documents]
    keys = [(model_type, synonyms, *text) for text in texts]
    known = _derived.get_many(keys)
    missing = list(dict.fromkeys(key for key in keys if key not in known))
    flat = [t for _, _, phrasings, tags, answer in missing for t in (*phrasings, tags, answer)]
    analysed = iter(_analyse(flat, model_type))
    fresh = {}
    for key in missing:
        _, _, phrasings, tags, answer = key
        phrase_morphs = [next(analysed) for _ in phrasings]
        tag_morphs, answer_morphs = next(analysed), next(analysed)
        fresh[key] = _derive(phrasings, phrase_morphs, (tags, tag_morphs), (answer, answer_morphs), synonyms)
    if len(documents) <= _derived.size:
        _derived.put_many(fresh)
    known.update(fresh)
    per_model = [embed(documents, embedder) for embedder in embedders]
    return [
        PreparedDocument(
            document,
            known[key],
            {embedder.spec.name: model[number] for embedder, model in zip(embedders, per_model, strict=True)},
        )
        for number, (document, key) in enumerate(zip(documents, keys, strict=True))
    ]


def _analyse(texts: list[str], model_type: str | None) -> list[list[Morpheme]]:
    """The morphemes of each text: cached ones, and one Kiwi batch for the rest."""
    known = {text: morphemes for (_, text), morphemes in _analysed.get_many((model_type, t) for t in texts).items()}
    missing = [text for text in dict.fromkeys(texts) if text not in known]
    analysed = analyze_many(missing, model_type) if missing else iter(())
    fresh = {text: tuple(morphemes) for text, morphemes in zip(missing, analysed, strict=True)}
    _analysed.put_many({(model_type, text): morphemes for text, morphemes in fresh.items()})
    known.update(fresh)
    return [list(known[text]) for text in texts]


def _derive(
    phrasings: Sequence[str],
    phrase_morphs: list[list[Morpheme]],
    tags: tuple[str, list[Morpheme]],
    answer: tuple[str, list[Morpheme]],
    synonyms: Synonyms,
) -> LexicalTerms:
    """The index terms, typo vocabulary and autocomplete keys of one article's texts."""
    pairs = list(zip(phrasings, phrase_morphs, strict=True))
    words = [w for text, morphs in [*pairs, tags] for w in vocabulary(text, morphs)]
    words += [m.form for m in answer[1] if m.tag.startswith("NN")]
    prefixes, chosungs = [], []
    for position, (text, morphs) in enumerate(pairs):
        prefixes += prefix_keys(text, morphs, min(position, 1))
        chosungs += chosung_keys(text, morphs, min(position, 1))
    return LexicalTerms(
        phrasings=[(morpheme_terms(t, m, synonyms), bigrams(t)) for t, m in pairs],
        tags=(morpheme_terms(tags[0], tags[1], synonyms), bigrams(tags[0])),
        answer=morpheme_terms(answer[0], answer[1], synonyms),
        words=words,
        prefixes=prefixes,
        chosungs=chosungs,
    )


class FaqIndex:
    """Lexical rows, typo vocabulary, prefix keys and vectors for a set of documents."""

    def __init__(self, models: Sequence[ModelSpec] = ()) -> None:
        self.phrasings = RowIndex(channels=2)
        self.tags = RowIndex(channels=2)
        self.answers = RowIndex(channels=1)
        self.vocabulary = TypoIndex()
        self.prefixes = PrefixIndex()
        self.chosungs = PrefixIndex()
        self.models = {spec.name: ModelVectors(spec.dim) for spec in models}
        self.documents: list[SearchDocument | None] = []
        self.slots: dict[int, int] = {}
        self._words: dict[int, list[str]] = {}
        self._free: list[int] = []
        self._phrased: set[int] = set()

    def __len__(self) -> int:
        return len(self.slots)

    @property
    def phrased_share(self) -> float:
        """The share of documents with alternate phrasings written for them (0 when empty)."""
        return len(self._phrased) / len(self.slots) if self.slots else 0.0

    def load(self, prepared: Iterable[PreparedDocument]) -> None:
        """Fill an empty index in bulk."""
        items = list(prepared)
        for item in items:
            self._add_lexical(item)
        self.prefixes.bulk_load((p.document.id, p.lexical.prefixes) for p in items)
        self.chosungs.bulk_load((p.document.id, p.lexical.chosungs) for p in items)

    def add(self, item: PreparedDocument) -> None:
        """Add or replace one document."""
        self.remove(item.document.id)
        self._add_lexical(item)
        self.prefixes.add(item.document.id, item.lexical.prefixes)
        self.chosungs.add(item.document.id, item.lexical.chosungs)

    def remove(self, document_id: int) -> None:
        """Forget one document; unknown ids are ignored."""
        slot = self.slots.pop(document_id, None)
        if slot is None:
            return
        words = self._words.pop(document_id)
        self._phrased.discard(document_id)
        for index in (self.phrasings, self.tags, self.answers):
            index.remove(slot)
        for vectors in self.models.values():
            vectors.remove(slot)
        for word in words:
            self.vocabulary.discard(word)
        self.prefixes.remove(document_id)
        self.chosungs.remove(document_id)
        self.documents[slot] = None
        self._free.append(slot)

    def attach(self, embedder: Embedder) -> None:
        """Add a model's vectors for every live document (its texts are expected in the cache)."""
        live = [(slot, d) for slot, d in enumerate(self.documents) if d is not None]
        vectors = ModelVectors(embedder.spec.dim)
        for (slot, _), article in zip(live, embed([d for _, d in live], embedder), strict=True):
            vectors.add(slot, article.phrasings, article.whole)
        self.models[embedder.spec.name] = vectors

    def known(self, term: str) -> bool:
        """True when some document uses ``term`` as a morpheme."""
        indexes = (self.phrasings, self.tags, self.answers)
        return any(index.document_frequency(0, term) for index in indexes)

    def by_ids(self, ids: Iterable[int]) -> list[SearchDocument]:
        """Indexed documents for the given ids, in order, skipping unknown ids."""
        found = (self.documents[self.slots[i]] for i in ids if i in self.slots)
        return [d for d in found if d is not None]

    def slot_ids(self, slots: Iterable[int]) -> list[int]:
        """Document ids of live slots."""
        return [d.id for d in (self.documents[s] for s in slots) if d is not None]

    def lexical_scores(
        self,
        phrase_query: tuple[Mapping[str, float], Mapping[str, float]],
        answer_scores: FloatArray,
        weights: "LexicalWeights",
    ) -> FloatArray:
        """Per-slot lexical score: best phrasing, plus tags and the answers' scores (from
        ``answer_scores``, computed once per query) at lower weight."""
        capacity = len(self.documents)
        channels = (_weighted(phrase_query[0], weights.morpheme), _weighted(phrase_query[1], weights.bigram))
        scores = self.phrasings.score(channels, capacity)
        scores += weights.tags * self.tags.score(channels, capacity)
        scores += weights.answer * answer_scores
        return scores

    def answer_scores(self, answer_query: Mapping[str, float]) -> FloatArray:
        """Per-slot BM25 of the answers alone."""
        return self.answers.score((_weighted(answer_query, 1.0),), len(self.documents))

    def _add_lexical(self, item: PreparedDocument) -> None:
        slot = self._free.pop() if self._free else len(self.documents)
        if slot == len(self.documents):
            self.documents.append(None)
        self.documents[slot] = item.document
        self.slots[item.document.id] = slot
        lexical = item.lexical
        self._words[item.document.id] = lexical.words
        if len(lexical.phrasings) > 1:
            self._phrased.add(item.document.id)
        self.phrasings.add(slot, lexical.phrasings)
        self.tags.add(slot, [lexical.tags])
        self.answers.add(slot, [(lexical.answer,)])
        for name, vectors in self.models.items():
            article = item.vectors[name]
            vectors.add(slot, article.phrasings, article.whole)
        self.vocabulary.add_all(lexical.words)


@dataclass(frozen=True, slots=True)
class LexicalWeights:
    """How much each lexical signal counts; defaults chosen on the paraKQC tuning split."""

    morpheme: float = 1.0
    bigram: float = 0.5
    tags: float = 0.6
    answer: float = 0.3


def _weighted(terms: Mapping[str, float], weight: float) -> dict[str, float]:
    return {term: weight * count for term, count in terms.items()}
