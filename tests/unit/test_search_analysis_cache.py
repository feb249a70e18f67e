"""Kiwi analyses kept across rebuilds give the same index as fresh ones, within their bound."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gogaek.korean import analyze
from gogaek.search import index
from gogaek.search.documents import SearchDocument
from gogaek.search.synonyms import DEFAULT_PATH, Synonyms

DOCUMENTS = [
    SearchDocument(
        1, "a", "비밀번호를 잊어버렸어요", ("비번 재설정",), ("로그인",), "앱에서 비밀번호를 다시 설정하세요.", "계정"
    ),
    SearchDocument(2, "b", "송금을 취소하고 싶어요", (), ("송금", "이체"), "받기 전이면 취소할 수 있어요.", "송금"),
]


def test_cached_analyses_build_the_same_documents_as_fresh_ones() -> None:
    synonyms = Synonyms.from_file(DEFAULT_PATH)
    index.forget_prepared()
    fresh = index.prepare(DOCUMENTS, synonyms, (), None)
    assert index._analysed.keys() and index._derived.keys()  # the texts and their terms were kept
    index._derived.clear()
    assert index.prepare(DOCUMENTS, synonyms, (), None) == fresh  # terms derived from kept analyses
    assert index.prepare(DOCUMENTS, synonyms, (), None) == fresh  # kept terms


def test_kept_terms_follow_the_synonyms_and_a_changed_text() -> None:
    index.forget_prepared()
    plain = Synonyms.from_text("")
    with_group = Synonyms.from_text("송금, 이체")
    (before,) = index.prepare(DOCUMENTS[1:], plain, (), None)
    (after,) = index.prepare(DOCUMENTS[1:], with_group, (), None)
    assert not any(term.startswith("~") for term in before.lexical.phrasings[0][0])
    assert any(term.startswith("~") for term in after.lexical.phrasings[0][0])
    edited = replace(DOCUMENTS[1], question="송금을 되돌리고 싶어요")
    (changed,) = index.prepare([edited], with_group, (), None)
    assert changed.document == edited and changed.lexical != after.lexical


def test_the_cache_forgets_the_least_recently_used_texts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index._analysed, "size", 3)
    index._analysed.clear()
    texts = ["결제 취소", "환불 문의", "카드 등록", "결제 취소", "계좌 연결", "본인 인증"]
    for text in texts:
        assert index._analyse([text], None) == [analyze(text)]
    assert index._analysed.keys() == [(None, "결제 취소"), (None, "계좌 연결"), (None, "본인 인증")]


def test_terms_of_an_faq_larger_than_the_bound_are_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index._derived, "size", 1)
    index.forget_prepared()
    synonyms = Synonyms.from_file(DEFAULT_PATH)
    index.prepare(DOCUMENTS, synonyms, (), None)  # two articles: more than the bound
    assert not index._derived.keys()
    index.prepare(DOCUMENTS[:1], synonyms, (), None)  # one edited article, as an upsert
    assert len(index._derived.keys()) == 1
