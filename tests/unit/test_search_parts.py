"""Building blocks of the search engine: BM25 rows, prefixes, synonyms, snippets."""

from collections import Counter
from pathlib import Path

import numpy as np

from gogaek.search.bm25 import RowIndex
from gogaek.search.prefix import PrefixIndex
from gogaek.search.snippets import MAX_CHARS, plain, snippet
from gogaek.search.synonyms import DEFAULT_PATH, Synonyms, parse_groups


def test_row_index_scores_best_row_and_forgets_removed_docs() -> None:
    index = RowIndex(channels=1)
    index.add(0, [(Counter(["송금", "한도"]),), (Counter(["이체"]),)])
    index.add(1, [(Counter(["환불"]),)])
    scores = index.score(({"이체": 1.0},), 2)
    assert scores[0] > 0
    assert scores[1] == 0
    index.remove(0)
    assert not np.any(index.score(({"이체": 1.0},), 2))
    assert index.document_frequency(0, "송금") == 0


def test_row_index_reuses_slots_after_removal() -> None:
    index = RowIndex(channels=1)
    for slot in range(100):
        index.add(slot, [(Counter([f"t{slot}"]),)])
    for slot in range(50):
        index.remove(slot)
    index.add(7, [(Counter(["t99"]),)])
    scores = index.score(({"t99": 1.0},), 100)
    assert scores[7] > 0
    assert scores[99] > 0
    assert index.row_count == 51


def test_prefix_index_ranks_question_start_first() -> None:
    index = PrefixIndex()
    index.add(1, [("abcd", 2)])
    index.add(2, [("abce", 0)])
    index.add(3, [("xyz", 0)])
    assert [doc for doc, _ in index.lookup("abc", 5)] == [2, 1]
    index.remove(2)
    assert [doc for doc, _ in index.lookup("abc", 5)] == [1]
    assert index.lookup("", 5) == []


def test_parse_groups_skips_comments_and_single_terms() -> None:
    lines = ["# comment", "송금, 이체 ,보내기  # trailing", "혼자", "", "비번,비밀번호,비번"]
    assert parse_groups(lines) == [("송금", "이체", "보내기"), ("비번", "비밀번호")]


def test_synonym_concepts_match_morphemes_and_compounds(tmp_path: Path) -> None:
    path = tmp_path / "synonyms.txt"
    path.write_text("송금, 이체, 돈 보내기\n폰, 휴대폰\n", encoding="utf-8")
    synonyms = Synonyms.from_file(path)
    assert synonyms.concepts("계좌이체 한도", ["계좌", "이체", "한도"]) == {"~0"}
    assert synonyms.concepts("돈 보냈는데", ["돈", "보내"]) == {"~0"}
    assert synonyms.concepts("폰 바꿈", ["폰", "바꾸"]) == {"~1"}
    assert synonyms.members("~1") == ("폰", "휴대폰")


def test_shipped_synonym_file_parses() -> None:
    groups = parse_groups(DEFAULT_PATH.read_text(encoding="utf-8").splitlines())
    assert any("비번" in group and "비밀번호" in group for group in groups)


def test_snippet_is_short_plain_text_around_the_match() -> None:
    answer = "# 안내\n\n" + "가나다 " * 40 + "**환불**은 [여기](https://x.test)에서 신청합니다. " + "라마 " * 40
    text = snippet(answer, ("환불",))
    assert len(text) <= MAX_CHARS
    assert "환불" in text
    assert "*" not in text and "https" not in text
    assert plain("<b>굵게</b> `코드`") == "굵게 코드"
    assert snippet("짧은 답", ()) == "짧은 답"
