"""The chat answer bot: intents, the answer/suggest/no-match decision, and whole turns against a
real (lexical) search engine. Also keeps benchmarks/bot_quality.py's scoring honest."""

from __future__ import annotations

import math
import sys
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from gogaek.chat.bot import (
    HYBRID_SCALE,
    BotContext,
    BotReply,
    BotReplyKind,
    InquirySummary,
    Suggestion,
    bot_reply,
    confidence,
    detect_intent,
    faq_reply,
    greeting_reply,
    search_reply,
)
from gogaek.inquiries.emergency import ACCIDENT_GUIDANCE
from gogaek.search.documents import SearchDocument, SearchHit
from gogaek.search.engine import SearchAnswer, SearchEngine
from gogaek.search.service import SearchIndex
from gogaek.web.i18n import for_reader

# benchmarks/ is a folder of scripts that import each other by bare name, not a package.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import bot_quality
from bot_quality import Case, Group, Outcome, Searched

K = BotReplyKind


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # greetings and small talk, with polite endings, laughter and a typo
        ("안녕하세요", K.GREETING),
        ("안녕하세여~~", K.GREETING),
        ("안녕하새요", K.GREETING),
        ("ㅎㅇ", K.GREETING),
        ("감사합니다!!", K.GREETING),
        ("네 감사합니다ㅎㅎ", K.GREETING),
        # asking for a person
        ("상담원 연결", K.HANDOFF),
        ("상담원연결해주세요", K.HANDOFF),
        ("상 담 원 연 결", K.HANDOFF),
        ("상담웜 연결 좀", K.HANDOFF),
        ("상담사님이요", K.HANDOFF),
        ("사람이랑 얘기하고 싶어요", K.HANDOFF),
        ("챗봇 말고 사람", K.HANDOFF),
        # business hours
        ("운영시간", K.HOURS),
        ("고객센터 운영 시간이 어떻게 되나요?", K.HOURS),
        ("고객샌터 몇시까지 해요", K.HOURS),
        ("주말에도 상담 되나요", K.HOURS),
        ("운영시긴", K.HOURS),
        # the center's phone number
        ("전화번호", K.PHONE),
        ("고객센터 전화번호 알려주세요", K.PHONE),
        ("전화번호가 뭐예요?", K.PHONE),
        ("대표번호 좀요", K.PHONE),
        ("상담원이랑 통화하고 싶은데 번호 뭐예요", K.PHONE),
        # the customer's own inquiries
        ("내 문의 어떻게 됐어요?", K.INQUIRY_STATUS),
        ("문의 답변 왔나요", K.INQUIRY_STATUS),
        ("문의했는데 답이 없어요", K.INQUIRY_STATUS),
        ("답변 왔나요?", K.INQUIRY_STATUS),
        ("문의 내역 보여주세요", K.INQUIRY_STATUS),
        ("제 1:1 문의 처리됐나요?", K.INQUIRY_STATUS),
        # emergencies beat everything, spacing and a typo included
        ("보이스피싱 당한 것 같아요", K.EMERGENCY),
        ("보이스 피싱 전화 받았어요 상담원 연결", K.EMERGENCY),
        ("해킹당했어요", K.EMERGENCY),
        ("누군가 제 명의를 도용해 가입한 것 같아요", K.EMERGENCY),
        ("카드 분실했어요", K.EMERGENCY),
        ("보이스피씽 당했어요", K.EMERGENCY),
        # FAQ questions that only mention an intent's words
        ("전화번호 변경은 어떻게 하나요?", None),
        ("제 전화번호 수정하고 싶어요", None),
        ("휴대폰 번호가 바뀌었어요", None),
        ("전화번호만 알아도 송금할 수 있나요?", None),
        ("계좌번호 알려주세요", None),
        ("전화 연결이 너무 오래 걸려요", None),
        ("송금은 몇 시까지 되나요?", None),
        ("주말에 남긴 문의는 언제 답변되나요", None),
        ("온라인 문의를 남기면 언제 답변받을 수 있나요?", None),
        ("1:1 문의는 어떻게 하나요?", None),
        ("환불 진행 상황 알고 싶어요", None),
        ("상담사에게 전화를 받을 수 있게 예약하고 싶어요", None),
        ("다른 사람에게 잘못 보낸 돈을 돌려받고 싶어요", None),
        ("받는 사람이 없어요", None),
        ("비밀번호 분실했어요", None),
        ("안녕하세요 결제 비밀번호를 잊어버렸어요", None),
        ("", None),
        ("?!", None),
    ],
)
def test_detect_intent(text: str, expected: BotReplyKind | None) -> None:
    assert detect_intent(text) == expected


def doc(
    id_: int, question: str, answer: str, *, alternates: tuple[str, ...] = (), tags: tuple[str, ...] = ()
) -> SearchDocument:
    return SearchDocument(id_, f"faq-{id_}", question, alternates, tags, answer, "기타")


def answer_of(*scores: float, no_match: bool = False) -> SearchAnswer:
    hits = [SearchHit(doc(i + 1, f"질문 {i + 1}", f"답변 {i + 1}"), score, "") for i, score in enumerate(scores)]
    return SearchAnswer(hits, None, no_match)


def hybrid(*strengths: float, no_match: bool = False) -> SearchAnswer:
    """Fused scores given as shares of a full-strength match (the hybrid scale's ``full``)."""
    return answer_of(*(strength * HYBRID_SCALE.full for strength in strengths), no_match=no_match)


def test_a_clear_winner_is_answered_with_feedback_buttons() -> None:
    reply = faq_reply(answer_of(0.9, 0.5, 0.4), 0.7)

    assert reply.kind == K.ANSWER and reply.article_id == 1 and not reply.is_miss
    assert reply.text.startswith("질문 1\n\n답변 1") and "도움이 되었나요?" in reply.text
    actions = [(b.action, b.article_id) for b in reply.buttons]
    assert actions == [("helpful", 1), ("not_helpful", 1), ("handoff", None)]


def test_a_close_runner_up_gives_three_suggestions_instead() -> None:
    reply = faq_reply(hybrid(0.78, 0.76, 0.7, 0.6, 0.5), 0.7)

    assert reply.kind == K.SUGGESTIONS and reply.is_miss and reply.article_id is None
    assert reply.suggestions == (Suggestion(1, "질문 1"), Suggestion(2, "질문 2"), Suggestion(3, "질문 3"))
    assert reply.text.startswith("이런 내용을 찾으셨나요?")
    assert [(b.action, b.article_id) for b in reply.buttons] == [
        ("article", 1),
        ("article", 2),
        ("article", 3),
        ("handoff", None),
    ]


@pytest.mark.parametrize("answer", [answer_of(), hybrid(0.9, no_match=True), hybrid(1.0, 0.3, no_match=True)])
def test_no_hits_or_the_engines_no_match_is_no_match(answer: SearchAnswer) -> None:
    reply = faq_reply(answer, 0.7)

    assert reply.kind == K.NO_MATCH and reply.is_miss
    assert [b.action for b in reply.buttons] == ["handoff"]


def test_the_threshold_decides_between_answer_and_suggestions() -> None:
    answer = hybrid(0.8, 0.5)  # confidence 0.8 × (1 - 0.2 × 0.5 / 0.8) = 0.7

    assert math.isclose(confidence(answer), 0.7)
    assert faq_reply(answer, 0.7).kind == K.ANSWER
    assert faq_reply(answer, 0.71).kind == K.SUGGESTIONS


@pytest.mark.parametrize(
    ("scores", "expected"),
    [((30.0, 3.0), K.ANSWER), ((12.0, 10.0), K.SUGGESTIONS), ((4.0,), K.NO_MATCH)],
)
def test_lexical_scores_are_read_by_their_lead_and_size(scores: tuple[float, ...], expected: BotReplyKind) -> None:
    assert faq_reply(answer_of(*scores), 0.7, semantic=False).kind == expected


@given(st.lists(st.floats(0.0, 50.0), max_size=6), st.booleans())
def test_confidence_stays_between_zero_and_one(scores: list[float], semantic: bool) -> None:
    value = confidence(answer_of(*sorted(scores, reverse=True)), semantic=semantic)

    assert 0.0 <= value <= 1.0


def test_a_chosung_query_always_gets_choices() -> None:
    reply = search_reply("ㅂㅁㅂㅎ", answer_of(1.5, 1.2), 0.7)

    assert reply.kind == K.SUGGESTIONS


def test_a_long_answer_is_cut_after_a_sentence() -> None:
    body = "첫 문장입니다. " * 100
    hit = SearchHit(doc(9, "긴 답변", body), 0.95, "")

    reply = faq_reply(SearchAnswer([hit], None), 0.7)

    shown = reply.text.split("\n\n")[1]
    assert 300 <= len(shown) <= 510 and shown.endswith("입니다. …")


@pytest.mark.parametrize(
    ("kind", "miss", "person"),
    [
        (K.ANSWER, False, False),
        (K.SUGGESTIONS, True, False),
        (K.NO_MATCH, True, False),
        (K.HANDOFF, False, True),
        (K.EMERGENCY, False, True),
        (K.GREETING, False, False),
        (K.INQUIRY_STATUS, False, False),
    ],
)
def test_misses_and_wanting_a_person(kind: BotReplyKind, miss: bool, person: bool) -> None:
    reply = BotReply(kind, "")

    assert (reply.is_miss, reply.wants_person) == (miss, person)


def test_greeting_reply_uses_the_configured_text() -> None:
    reply = greeting_reply("반가워요! 무엇이든 물어보세요.")

    assert reply.kind == K.GREETING and reply.text == "반가워요! 무엇이든 물어보세요." and not reply.is_miss


# Whole turns: a real SearchIndex (lexical engine) over a few articles. The index never reads
# the database here: its refresh interval is infinite.

DOCUMENTS = [
    doc(
        1,
        "결제 비밀번호를 잊어버렸어요",
        "설정 > 보안 > 결제 비밀번호 재설정에서 본인인증 후 새 비밀번호를 등록할 수 있습니다.",
        alternates=("비밀번호 재설정",),
        tags=("비밀번호", "보안"),
    ),
    doc(
        2,
        "전화번호 변경은 어떻게 하나요?",
        "설정 > 내 정보 > 휴대폰 번호 변경에서 새 번호로 본인인증을 하면 바뀝니다.",
        alternates=("휴대폰 번호가 바뀌었어요",),
        tags=("번호 변경",),
    ),
    doc(3, "송금 한도는 얼마인가요?", "1회 200만원, 1일 500만원까지 송금할 수 있습니다.", tags=("한도",)),
    doc(4, "회원 탈퇴는 어떻게 하나요?", "설정 > 계정 > 회원 탈퇴에서 진행할 수 있습니다.", tags=("탈퇴",)),
    doc(5, "결제를 취소하고 환불받고 싶어요", "가맹점에서 결제를 취소하면 결제 수단으로 환불됩니다.", tags=("환불",)),
    doc(
        6,
        "보낸 송금을 취소할 수 있나요?",
        "받는 분이 받기 전이면 송금 내역에서 취소할 수 있습니다.",
        tags=("송금 취소",),
    ),
    doc(
        7,
        "앱이 실행되지 않아요",
        "앱을 최신 버전으로 업데이트한 뒤 다시 실행해 주세요.",
        alternates=("앱 오류",),
        tags=("오류",),
    ),
    doc(
        8,
        "연결된 은행 계좌를 해지하고 싶어요",
        "설정 > 계좌 관리에서 연결된 계좌를 삭제할 수 있습니다.",
        alternates=("계좌 연결 해제",),
        tags=("계좌",),
    ),
]


@pytest.fixture(scope="module")
async def index() -> AsyncIterator[SearchIndex]:
    engine = SearchEngine()
    engine.rebuild(DOCUMENTS)
    # Only the search log writes here (the bot's searches are logged); closed like an app's.
    database = create_async_engine("sqlite+aiosqlite://")
    index = SearchIndex(engine, async_sessionmaker(database), refresh_seconds=math.inf)
    yield index
    await index.query_log.close()
    await database.dispose()


class Inquiries:
    """The customer's inquiries as the chat service would hand them over, counting the calls."""

    def __init__(self, items: Sequence[InquirySummary] = ()) -> None:
        self.items = items
        self.calls = 0

    async def __call__(self) -> Sequence[InquirySummary]:
        self.calls += 1
        return self.items


def context(inquiries: Inquiries | None = None, *, open_now: bool = True) -> BotContext:
    return BotContext(
        support_phone="1588-0000",
        support_hours="평일 09:00–18:00",
        open_now=open_now,
        confidence_threshold=0.7,
        own_inquiries=inquiries or Inquiries(),
    )


@pytest.mark.parametrize(
    ("text", "kind", "article"),
    [
        ("전화번호 변경은 어떻게 하나요?", K.ANSWER, 2),
        ("안녕하세요! 결제 비밀번호를 잊어버렸어요", K.ANSWER, 1),
        ("송금 한도는 얼마인가요?", K.ANSWER, 3),
        ("오늘 점심 뭐 먹지", K.NO_MATCH, None),
    ],
)
async def test_bot_reply_answers_from_the_faq(
    index: SearchIndex, text: str, kind: BotReplyKind, article: int | None
) -> None:
    inquiries = Inquiries()

    reply = await bot_reply(text, index, context(inquiries))

    assert (reply.kind, reply.article_id) == (kind, article)
    assert inquiries.calls == 0


@pytest.mark.parametrize(("text", "first"), [("송금 취소", 6), ("전화번호 바꾸고 싶어요", 2), ("ㅅㄱㅎㄷ", 3)])
async def test_bot_reply_suggests_when_unsure(index: SearchIndex, text: str, first: int) -> None:
    reply = await bot_reply(text, index, context())

    assert reply.kind == K.SUGGESTIONS and reply.suggestions[0].article_id == first
    assert len(reply.suggestions) <= 3


async def test_hours_and_phone_use_the_context(index: SearchIndex) -> None:
    hours = await bot_reply("운영시간이 어떻게 되나요", index, context(open_now=False))
    phone = await bot_reply("고객센터 전화번호 알려주세요", index, context(open_now=True))

    assert hours.kind == K.HOURS and "평일 09:00–18:00" in hours.text and "상담 시간이 아니에요" in hours.text
    assert phone.kind == K.PHONE and "1588-0000" in phone.text and "상담 가능 시간입니다" in phone.text


async def test_handoff_and_emergency_want_a_person(index: SearchIndex) -> None:
    handoff = await bot_reply("상담원 연결해 주세요", index, context())
    after_hours = await bot_reply("상담사 연결", index, context(open_now=False))
    emergency = await bot_reply("보이스피싱 당한 것 같아요 도와주세요", index, context())

    assert handoff.kind == K.HANDOFF and handoff.wants_person and "상담 시간이 아니에요" not in handoff.text
    assert after_hours.kind == K.HANDOFF and "상담 시간이 아니에요" in after_hours.text
    assert emergency.kind == K.EMERGENCY and emergency.wants_person and for_reader(ACCIDENT_GUIDANCE) in emergency.text


@pytest.mark.parametrize(
    "text",
    ["agent", "I want to talk to an agent", "Human please", "operator!", "a real person", "I need a live agent"],
)
async def test_an_english_ask_for_a_person_is_a_handoff(index: SearchIndex, text: str) -> None:
    assert (await bot_reply(text, index, context())).kind == K.HANDOFF


@pytest.mark.parametrize(
    "text", ["My travel agent charged me twice", "the user agent shows an error", "is this a human error?"]
)
async def test_english_words_for_a_person_inside_a_question_are_not_a_handoff(index: SearchIndex, text: str) -> None:
    assert (await bot_reply(text, index, context())).kind != K.HANDOFF


async def test_small_talk_is_answered_in_kind(index: SearchIndex) -> None:
    thanks = await bot_reply("감사합니다~", index, context())

    assert thanks.kind == K.GREETING and "천만에요" in thanks.text and not thanks.is_miss


async def test_inquiry_status_lists_the_latest_three(index: SearchIndex) -> None:
    when = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)  # 2026-03-03 01:00 in Seoul
    items = [InquirySummary(f"Q-2026-{n:04d}", f"문의 {n}", "답변 완료", when) for n in range(4, 0, -1)]
    inquiries = Inquiries(items)

    reply = await bot_reply("내 문의 어떻게 됐어요?", index, context(inquiries))

    assert reply.kind == K.INQUIRY_STATUS and inquiries.calls == 1
    assert "• Q-2026-0004 문의 4 — 답변 완료 (2026-03-03)" in reply.text
    assert "Q-2026-0002" in reply.text and "Q-2026-0001" not in reply.text


async def test_inquiry_status_without_inquiries_points_to_one_to_one(index: SearchIndex) -> None:
    reply = await bot_reply("문의 답변 왔나요", index, context(Inquiries()))

    assert reply.kind == K.INQUIRY_STATUS
    assert "접수된 1:1 문의가 없습니다" in reply.text and "'1:1 문의'" in reply.text


# benchmarks/bot_quality.py


def test_benchmark_scores_each_reply_against_the_expected_article() -> None:
    answered = faq_reply(answer_of(0.9, 0.3), 0.7)  # answers article 1
    suggested = faq_reply(hybrid(0.78, 0.77, 0.7), 0.7)  # suggests 1, 2, 3
    nothing = faq_reply(answer_of(), 0.7)

    outcome = bot_quality.outcome
    assert [outcome(answered, 1), outcome(answered, 2), outcome(answered, None)] == [
        Outcome.RIGHT,
        Outcome.WRONG,
        Outcome.WRONG,
    ]
    assert [outcome(suggested, 3), outcome(suggested, 4), outcome(suggested, None)] == [
        Outcome.SUGGESTED,
        Outcome.OTHERS,
        Outcome.OTHERS,
    ]
    assert outcome(nothing, None) == Outcome.NO_MATCH

    tally = bot_quality.tally([Outcome.RIGHT, Outcome.RIGHT, Outcome.WRONG, Outcome.NO_MATCH])
    assert tally.total == 4 and tally.share(Outcome.RIGHT) == 0.5
    assert tally.share(Outcome.WRONG, Outcome.NO_MATCH) == 0.5


def test_benchmark_row_counts_shares_per_group_and_all_wrong_answers() -> None:
    searched = [
        Searched(Case("a", 1, Group.IN_DOMAIN), answer_of(0.9, 0.3)),  # right
        Searched(Case("b", 2, Group.IN_DOMAIN), answer_of(0.9, 0.3)),  # wrong
        Searched(Case("c", 2, Group.IN_DOMAIN), hybrid(0.78, 0.77)),  # suggested
        Searched(Case("d", None, Group.HELD_OUT), answer_of(0.9)),  # wrong
        Searched(Case("e", None, Group.OTHER_SOURCE), answer_of()),  # no match
    ]

    row, wrong = bot_quality.policy_row("set", "bot", bot_quality.bot_policy(0.7, True), searched)

    assert row == ["set", "bot", "0.333", "0.333", "0.333", "0.000", "1.000", "0.000", "1.000", "0.400"]
    assert wrong == pytest.approx(0.4)
    _, naive_wrong = bot_quality.policy_row("set", "top-1", bot_quality.top1_policy, searched)
    assert naive_wrong == pytest.approx(0.6)  # the naive bot also answers c with article 1
