"""Korean text tools: normalisation, jamo, 초성, typo lookup and the shared Kiwi."""

import threading
import unicodedata
from collections.abc import Callable

import pytest

from gogaek.korean import (
    analyze,
    chosung,
    decompose,
    get_kiwi,
    is_chosung_query,
    keystrokes,
    normalize_query,
    typo,
)
from gogaek.korean.jamo import direction_particle, object_particle
from gogaek.korean.keyboard import latin_to_hangul, looks_mistyped_latin
from gogaek.korean.typo import TypoIndex, within_one_edit


def test_chosung_of_words_and_mixed_text() -> None:
    assert chosung("비밀번호") == "ㅂㅁㅂㅎ"
    assert chosung("앱 2.0 업데이트") == "ㅇ 2.0 ㅇㄷㅇㅌ"


def test_is_chosung_query() -> None:
    assert is_chosung_query("ㅂㅁㅂㅎ")
    assert is_chosung_query(" ㅈㄱ ㅎㅈ ")
    assert not is_chosung_query("ㅂㅁ번호")
    assert not is_chosung_query("ㅏㅏ")
    assert not is_chosung_query("   ")


def test_decompose_and_keystrokes_follow_typing() -> None:
    assert decompose("값") == "ㄱㅏㅄ"
    assert keystrokes("값") == "ㄱㅏㅂㅅ"
    assert keystrokes("왜") == "ㅇㅗㅐ"
    assert keystrokes("비밀").startswith(keystrokes("빔"))


def test_normalize_query_composes_and_strips_controls() -> None:
    decomposed = unicodedata.normalize("NFD", "송금")
    assert normalize_query(f"  {decomposed}\x00\u200b이  \t안돼요\n") == "송금 이 안돼요"
    assert normalize_query("\x07\x1b") == ""


def test_kiwi_is_shared_across_threads() -> None:
    found: list[object] = []
    threads = [threading.Thread(target=lambda: found.append(get_kiwi())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(instance is get_kiwi() for instance in found)


def test_analyze_keeps_content_morphemes_and_flags_unknown_words() -> None:
    morphemes = analyze("돈 보냈는데 비밀번허")
    forms = [m.form for m in morphemes]
    assert forms[:2] == ["돈", "보내"]
    assert not morphemes[-1].known
    assert analyze("   ") == []


def test_within_one_edit() -> None:
    assert within_one_edit("abcd", "abdc")
    assert within_one_edit("abcd", "abc")
    assert within_one_edit("abc", "xabc")
    assert not within_one_edit("abcd", "axce")


def test_typo_index_corrects_one_keystroke_and_forgets_words() -> None:
    index = TypoIndex()
    index.add_all(["비밀번호", "안돼요", "비밀번호"])  # a word twice in one article counts twice
    assert index.correct("비밀번허") == "비밀번호"
    assert index.correct("안되요") == "안돼요"
    assert index.correct("비밀번호") is None
    index.discard("비밀번호")
    assert index.correct("비밀번허") == "비밀번호"
    index.discard("비밀번호")
    assert index.correct("비밀번허") is None
    assert "비밀번호" not in index


def test_a_typo_index_filed_again_in_a_fresh_index_corrects_the_same() -> None:
    first, second = TypoIndex(), TypoIndex()
    first.add_all(["비밀번호", "안돼요"])
    first.discard("비밀번호")
    second.add_all(["비밀번호", "안돼요"])  # the same words, their bucket keys kept per process
    assert first.correct("비밀번허") is None and second.correct("비밀번허") == "비밀번호"
    assert first.correct("안되요") == second.correct("안되요") == "안돼요"


def test_typo_indexes_share_their_filing_but_correct_only_to_their_own_words(monkeypatch: pytest.MonkeyPatch) -> None:
    cards, transfers = TypoIndex(), TypoIndex()
    cards.add_all(["비밀번호", "카드번호"])
    transfers.add_all(["송금한도", "안돼요"])
    assert cards.correct("비밀번허") == "비밀번호" and transfers.correct("비밀번허") is None
    assert transfers.correct("안되요") == "안돼요" and cards.correct("안되요") is None

    monkeypatch.setattr(typo, "MAX_FILED_WORDS", 3)  # the filing is full: a new index starts another
    fresh = TypoIndex()
    fresh.add_all(["비밀번호"])
    assert fresh.correct("비밀번허") == "비밀번호" and cards.correct("카드번허") == "카드번호"
    assert "송금한도" not in typo._filings[0].words  # the fresh filing holds only what was filed since


def test_latin_to_hangul_follows_the_dubeolsik_layout() -> None:
    assert latin_to_hangul("qlalfqjsgh") == "비밀번호"
    assert latin_to_hangul("thdrma gkseh") == "송금 한도"
    assert latin_to_hangul("ekfr") == "닭"
    assert latin_to_hangul("RKwl") == "까지"
    assert looks_mistyped_latin("qlalf qjsgh")
    assert not looks_mistyped_latin("비밀 qjsgh")
    assert not looks_mistyped_latin("123")


@pytest.mark.parametrize(
    ("particle_of", "word", "particle"),
    [
        (object_particle, "문의", "를"),
        (object_particle, "매크로", "를"),
        (object_particle, "SLA 정책", "을"),
        (object_particle, "첨부 파일", "을"),
        (object_particle, "상담 예약", "을"),
        (object_particle, "FAQ", "을(를)"),
        (object_particle, "", "을(를)"),
        (direction_particle, "해제", "로"),
        (direction_particle, "유지", "로"),
        (direction_particle, "검토 중", "으로"),
        (direction_particle, "추가 자료 요청", "으로"),
        (direction_particle, "서울", "로"),  # a final ㄹ takes 로
        (direction_particle, "FAQ", "(으)로"),
        (direction_particle, "", "(으)로"),
    ],
)
def test_particles_follow_the_last_syllable(particle_of: Callable[[str], str], word: str, particle: str) -> None:
    assert particle_of(word) == particle
