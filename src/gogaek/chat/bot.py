"""The answer bot: the first voice in a chat. It recognises a few intents (인사, 상담원 연결,
운영시간, 전화번호, 내 문의 상태, 금융사고) and otherwise searches the FAQ, answering only when
the search engine's scores say it is sure. Why the thresholds are what they are:
docs/chat-bot.md (measured by benchmarks/bot_quality.py).
"""

from __future__ import annotations

import math
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from gogaek.calendar.hours import SEOUL
from gogaek.inquiries.emergency import ACCIDENT_GUIDANCE, emergency_terms
from gogaek.korean import is_chosung_query, keystrokes, normalize_query
from gogaek.korean.typo import within_one_edit
from gogaek.search.documents import SearchDocument, SearchHit
from gogaek.search.engine import SearchAnswer
from gogaek.search.service import SearchIndex
from gogaek.web.i18n import N_, in_language
from gogaek.web.i18n import gettext as _

SEARCH_LIMIT = 5
MAX_SUGGESTIONS = 3
ANSWER_CHARS = 500
INTENT_CHARS = 300  # intents are short requests; a long story goes to the search
RUNNER_UP_WEIGHT = 0.2
_SENTENCE_END = re.compile(r"[.!?](?=\s)|\n")


class BotReplyKind(StrEnum):
    GREETING = "greeting"
    ANSWER = "answer"
    SUGGESTIONS = "suggestions"
    NO_MATCH = "no_match"
    HANDOFF = "handoff"
    HOURS = "hours"
    PHONE = "phone"
    INQUIRY_STATUS = "inquiry_status"
    EMERGENCY = "emergency"


@dataclass(frozen=True, slots=True)
class Suggestion:
    article_id: int
    title: str


@dataclass(frozen=True, slots=True)
class BotButton:
    """``action``: "helpful" / "not_helpful" (after an answer), "article" (open a suggestion), "handoff"."""

    action: str
    label: str
    article_id: int | None = None


@dataclass(frozen=True, slots=True)
class BotReply:
    kind: BotReplyKind
    text: str
    article_id: int | None = None
    suggestions: tuple[Suggestion, ...] = ()
    buttons: tuple[BotButton, ...] = ()

    @property
    def is_miss(self) -> bool:
        """The bot did not answer: two misses in a row hand the chat to a person."""
        return self.kind in (BotReplyKind.NO_MATCH, BotReplyKind.SUGGESTIONS)

    @property
    def wants_person(self) -> bool:
        return self.kind in (BotReplyKind.HANDOFF, BotReplyKind.EMERGENCY)


@dataclass(frozen=True, slots=True)
class InquirySummary:
    number: str
    title: str
    status_label: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class BotContext:
    support_phone: str
    support_hours: str
    open_now: bool
    confidence_threshold: float
    own_inquiries: Callable[[], Awaitable[Sequence[InquirySummary]]]  # called only for the status intent


def handoff_button() -> BotButton:
    return BotButton("handoff", _("상담원 연결"))


# ---------------------------------------------------------------------------------------------
# Intents. Rules run on the text squashed to letters and digits (spacing and punctuation do not
# matter), first as typed, then with near-miss spellings of key words corrected. The order of
# _RULES is the precedence: an emergency wins over everything; an explicit ask for the phone
# number ("상담원이랑 통화하고 싶은데 번호 뭐예요") over a plain ask for a person, and that over
# questions about the center. Words that make a question about the customer's own data
# ("전화번호 변경", "송금 가능 시간") veto the center intents, so those go to the FAQ.

_NOT_LETTER = re.compile(r"[^0-9a-z가-힣ㄱ-ㅎㅏ-ㅣ]")
_SECRET = re.compile(r"비밀번호|비번|패스워드|암호|아이디|id|pin|핀번호")

_PERSON = r"(?:상담원|상담사|상담직원|직원|매니저|담당자)"
_PARTICLE = r"(?:님)?(?:이랑|랑|하고|과|와|에게|한테|께|을|를|이|가|은|는)?(?:좀)?"
_HANDOFF = re.compile(
    rf"{_PERSON}{_PARTICLE}(?:연결|바꿔|바꾸어|불러|대화|얘기|애기|이야기|말하|말할|통화|상담|있나|있어|없나|없어|원해|원합|요청)"
    r"|사람(?:이랑|랑|하고|과|와|한테|에게|을|를|좀)?(?:좀)?(?:연결|바꿔|불러|대화|얘기|이야기|통화|상담)"
    r"|(?:진짜|실제|실제로|살아있는)사람|(?:챗봇|봇|기계|로봇|자동응답|ai)(?:말고|아니고|싫)"
    r"|^(?:상담원|상담사|상담직원|직원|사람|상담|상담연결|연결)(?:님)?(?:이요|요|좀|연결)?"
    r"(?:해주세요|해주실래요|해줘요|해줘|부탁해요|부탁드려요|부탁드립니다|부탁합니다|하고싶어요|받고싶어요|원해요|요)?$"
    # English, without spaces: "agent" or "a human please" alone, "talk to an agent", "I need a
    # real person"; not "agent" inside other words or sentences ("my travel agent charged me").
    r"|^(?:an?|the)?(?:agent|human|operator|person|realperson|liveagent)(?:please|pls|plz)?$"
    r"|(?:talk|speak|chat|connect|transfer|put)(?:me)?(?:through)?(?:to|with)(?:an?|the|some|a?real|a?live)?"
    r"(?:agent|human|operator|person|someone|somebody)"
    r"|(?:need|want)(?:to(?:talk|speak)(?:to|with))?(?:an?|the|a?real|a?live)(?:agent|human|operator|person)"
    r"|realperson|liveagent"
)
_PHONE_VETO = re.compile(
    r"바꾸|바꿔|바꿨|바뀌|바꿀|변경|수정|등록|인증|송금|이체|보내|보낸|받는|받을|예약|콜백|오래|안돼|안되|안걸|끊|"
    r"사칭|진짜|스팸|문자|왔|결제|충전|환불|출금|입금|점검|해지|삭제|잘못|지연|대기|기다|안받|불친절|대신"
)
_OWN_NUMBER = re.compile(
    r"(?:내|제|나의|저의|휴대폰|핸드폰|폰|상대방?|친구|받는분|받는사람|가족)(?:의)?(?:전화번호|번호|연락처)"
)
_CENTER = r"(?:고객센터|콜센터|상담센터|센터|고객지원|고객상담|대표|상담|문의|cs)"
_PHONE = re.compile(
    rf"{_CENTER}(?:의)?(?:전화번호|번호|연락처|전화)|콜센터"
    r"|(?:전화번호|연락처|전번)(?:가|이|는|은|좀)?(?:좀)?(?:알려|뭐|뭔|몇번|어떻게되|있나|있어|있을|주세요|궁금|어디|부탁|요$|$)"
    r"|^번호(?:좀|가|는)?(?:알려|뭐|뭔|몇번|주세요|부탁)"
    r"|(?:전화|통화)(?:로)?(?:상담|문의)?(?:하고싶|할수있|해도되|하려면|드리고|드려도|걸고싶|가능|되나|돼요|되요|받고싶)"
)
_WHEN = r"(?:몇시|언제까지|언제부터|주말|토요일|일요일|공휴일|휴일|명절|설날|추석|연휴|야간|밤|새벽|24시간|점심)"
_SERVICE = r"(?:고객센터|콜센터|센터|상담|채팅|챗봇|전화상담|상담원|상담사)"
_HOURS = re.compile(
    r"(?:운영|영업|상담|업무|근무|오픈|마감|상담가능|상담가능한|응대)시간"
    rf"|{_SERVICE}(?:은|는|이|가|도)?(?:혹시)?(?:{_WHEN}|지금(?:해|되|돼|가능|하나|운영)|열어|열려|쉬어|쉬나|쉬는)"
    rf"|(?:{_WHEN}|지금)(?:까지|부터)?(?:에|에도|엔|도|에는|은|는)?{_SERVICE}(?:은|는|이|가|도)?(?:되|돼|가능|하|해|운영|열)"
)
_HOURS_VETO = re.compile(r"송금|이체|결제|충전|환불|출금|입금|점검|이벤트|배송")
_OWNER = r"(?:내|제|저의|나의|제가|내가)"
_INQUIRY = r"(?:문의|질문|민원|접수)"
_STATUS_WORDS = (
    r"(?:왔|됐|되었|달렸|나왔|없어|없나|없네|없는|아직|안와|안왔|안오|안옴|언제와|언제오|상황|현황|진행중|처리중|"
    r"확인|어떻게됐|어떻게되었|어떻게되고|어떻게돼가|어떻게됬|어케됐|어케됨|결과|상태)"
)
_STATUS = re.compile(
    rf"{_OWNER}(?:남긴|한|넣은|보낸|접수한|올린|작성한|했던)?(?:1대1|11|일대일|온라인)?(?:문의|민원)"
    rf"|{_INQUIRY}(?:한거|했던거|했는데|넣었는데|남겼는데|드렸는데|접수했는데|글|건|한것)?(?:의|은|는|이|가|에|좀)?"
    rf"(?:답변|답장|답|회신|처리|진행)?(?:은|는|이|가|좀)?{_STATUS_WORDS}"
    r"|(?:답변|답장|회신)(?:이|은|는|가)?(?:왔|달렸|아직|안와|안왔|안오|없|언제와|언제오)"
    r"|(?:문의|접수)(?:내역|현황|상태)|(?:처리|진행)(?:현황|상황|상태)"
)
_STATUS_VETO = re.compile(r"남기면|하면|넣으면|보내면|접수하면|하려면|방법|하는법|수정|삭제|취소|첨부|변경")
_MONEY = re.compile(r"송금|이체|결제|충전|환불|출금|입금|배송|주문|포인트")

_HELLO = (
    r"(?:안녕(?:하세요|하십니까|하세여|하세용|하신가요|요)?|안뇽|하이|헬로|hi|hello|hey|ㅎㅇ|하잉|반가워요|반갑습니다|"
    r"여보세요|저기요|계세요|계신가요|좋은(?:아침|오후|저녁)(?:이에요|입니다|요)?)"
)
_THANKS = r"(?:감사(?:합니다|해요|드려요|드립니다)?|고마워요|고마워|고맙습니다|땡큐|ㄱㅅ|ㄳ|thanks|thankyou|thx)"
_ACK = r"(?:네|넵|예|ok|오케이|알겠습니다|알겠어요|확인했습니다|해결됐어요|해결됐습니다|수고하세요|수고하셨습니다)"
_LAUGH = r"(?:[ㅎㅋㅠㅜ]|ㅇㅇ)*"
_SMALL_TALK = re.compile(rf"^(?:(?:{_HELLO}|{_THANKS}|{_ACK}){_LAUGH})+$")
_SMALL_TALK_TEXT = {
    "hello": N_("안녕하세요! 무엇을 도와드릴까요? 궁금한 내용을 편하게 입력해 주세요."),
    "thanks": N_("천만에요! 더 궁금한 점이 있으면 언제든 말씀해 주세요."),
    "ack": N_("네, 더 궁금한 점이 있으면 편하게 입력해 주세요."),
}
# A greeting in front of a question is dropped before searching ("안녕하세요 비번 까먹었어요").
_HELLO_WORDS = ("안녕하세요", "안녕하십니까", "안녕하세여", "안녕", "하이", "헬로", "저기요", "여보세요")
_LEADING_HELLO = re.compile(r"^\s*(?:" + "|".join(r"\s*".join(word) for word in _HELLO_WORDS) + r")[\s!~.,?ㅎㅋ^]*")
_FUZZY_WORDS = (
    "상담원",
    "상담사",
    "고객센터",
    "운영시간",
    "영업시간",
    "상담시간",
    "전화번호",
    "안녕하세요",
    "감사합니다",
    "보이스피싱",
    "명의도용",
)  # ≥ 8 keys, so a one-key slip rarely lands on another real word (and exact matches go first)


def _squash(text: str) -> str:
    return _NOT_LETTER.sub("", normalize_query(text).lower())[:INTENT_CHARS]


def _corrected(squashed: str) -> str:
    """Key words with one wrong, missing or extra key replaced ("상담웜" → "상담원")."""
    for word in _FUZZY_WORDS:
        if word in squashed:
            continue
        size, keys = len(word), keystrokes(word)
        for start in range(len(squashed) - size + 1):
            if within_one_edit(keystrokes(squashed[start : start + size]), keys):
                squashed = squashed[:start] + word + squashed[start + size :]
    return squashed


def _is_emergency(s: str) -> bool:
    """금융사고 words; a lost password (비밀번호 분실) is forgetting, not theft."""
    terms = set(emergency_terms(s))
    if terms == {"분실"} and _SECRET.search(s):
        return False
    return bool(terms)


def _wants_person(s: str) -> bool:
    return bool(_HANDOFF.search(s))


def _asks_status(s: str) -> bool:
    if not _STATUS.search(s) or _STATUS_VETO.search(s):
        return False
    generic = not re.search(_INQUIRY + "|답변|답장|회신", s)  # "환불 진행 상황" is an FAQ question
    return not (generic and _MONEY.search(s))


def _asks_hours(s: str) -> bool:
    return bool(_HOURS.search(s)) and not _HOURS_VETO.search(s)


def _asks_phone(s: str) -> bool:
    return bool(_PHONE.search(s)) and not _PHONE_VETO.search(s) and not _OWN_NUMBER.search(s)


def _small_talk(s: str) -> str | None:
    """The kind of small talk ("hello", "thanks", "ack") when that is all the message is."""
    if not _SMALL_TALK.match(s):
        return None
    if re.search(_THANKS, s):
        return "thanks"
    return "hello" if re.search(_HELLO, s) else "ack"


_RULES: tuple[tuple[BotReplyKind, Callable[[str], bool]], ...] = (
    (BotReplyKind.EMERGENCY, _is_emergency),
    (BotReplyKind.PHONE, _asks_phone),
    (BotReplyKind.HANDOFF, _wants_person),
    (BotReplyKind.INQUIRY_STATUS, _asks_status),
    (BotReplyKind.HOURS, _asks_hours),
    (BotReplyKind.GREETING, lambda s: _small_talk(s) is not None),
)


def detect_intent(text: str) -> BotReplyKind | None:
    """The intent of a customer message, or None when it is a question for the FAQ."""
    squashed = _squash(text)
    if not squashed:
        return None
    kind = _first_rule(squashed)
    if kind is None:
        corrected = _corrected(squashed)
        kind = _first_rule(corrected) if corrected != squashed else None
    return kind


def _first_rule(squashed: str) -> BotReplyKind | None:
    return next((kind for kind, rule in _RULES if rule(squashed)), None)


# ---------------------------------------------------------------------------------------------
# Confidence. Scores are comparable only within one query, but their scale is known: with the
# semantic channels on, a fused score is a weighted mean of channels in [0, 1]
# (gogaek.search.fusion) and a clear match scores about 0.55–0.7, so the top score is an absolute
# "how close"; the engine itself says when even the best hit is no answer (``no_match``). With
# BM25 alone the top score grows with the query and only the lead over the runner-up means much.


@dataclass(frozen=True, slots=True)
class ScoreScale:
    """How to read one kind of engine's scores: ``full`` is a full-strength top score, a top
    score below ``noise`` is a chance overlap (no match). Values measured in docs/chat-bot.md."""

    full: float
    noise: float


HYBRID_SCALE = ScoreScale(full=0.72, noise=0.0)  # "no match" comes from the engine (SearchAnswer.no_match)
LEXICAL_SCALE = ScoreScale(full=20.0, noise=5.0)


def _scale(semantic: bool) -> ScoreScale:
    return HYBRID_SCALE if semantic else LEXICAL_SCALE


def confidence(answer: SearchAnswer, *, semantic: bool = True) -> float:
    """How sure the top hit answers the query, in [0, 1]. ``semantic`` says whether the engine
    fused similarities into its scores (the app's default) or ranked by BM25 only."""
    if not answer.hits or answer.hits[0].score <= 0:
        return 0.0
    top = answer.hits[0].score
    ratio = answer.hits[1].score / top if len(answer.hits) > 1 else 0.0
    strength = min(1.0, top / _scale(semantic).full)
    if semantic:
        return strength * (1.0 - RUNNER_UP_WEIGHT * ratio)
    return math.sqrt(strength * (1.0 - ratio))


def faq_reply(answer: SearchAnswer, threshold: float, *, semantic: bool = True) -> BotReply:
    """ANSWER when confident, NO_MATCH when even the best hit is no answer, else SUGGESTIONS."""
    if not answer.hits or answer.no_match or answer.hits[0].score < _scale(semantic).noise:
        return no_match_reply()
    if confidence(answer, semantic=semantic) >= threshold:
        return answer_reply(answer.hits[0].document)
    return suggestions_reply(answer.hits)


def search_reply(query: str, answer: SearchAnswer, threshold: float, *, semantic: bool = True) -> BotReply:
    """What the bot says for a search it ran for ``query``: a 초성 query ("ㅂㅁㅂㅎ") is a guess at
    several words, so it always gets choices."""
    if is_chosung_query(normalize_query(query)):
        return suggestions_reply(answer.hits) if answer.hits else no_match_reply()
    return faq_reply(answer, threshold, semantic=semantic)


def _excerpt(text: str, limit: int = ANSWER_CHARS) -> str:
    """At most ``limit`` characters, cut after a sentence or line when one ends late enough."""
    text = text.strip()
    if len(text) <= limit:
        return text
    head = text[:limit]
    ends = [m.end() for m in _SENTENCE_END.finditer(head)]
    if ends and ends[-1] >= limit * 0.6:
        return head[: ends[-1]].rstrip() + " …"
    return head.rstrip() + "…"


def answer_reply(document: SearchDocument) -> BotReply:
    question = _("도움이 되었나요?")
    text = f"{document.question}\n\n{_excerpt(document.answer)}\n\n{question}"
    buttons = (
        BotButton("helpful", _("네, 도움이 됐어요"), document.id),
        BotButton("not_helpful", _("아니요"), document.id),
        handoff_button(),
    )
    return BotReply(BotReplyKind.ANSWER, text, article_id=document.id, buttons=buttons)


def suggestions_reply(hits: Sequence[SearchHit]) -> BotReply:
    suggestions = tuple(Suggestion(h.document.id, h.document.question) for h in hits[:MAX_SUGGESTIONS])
    lines = [f"{number}. {s.title}" for number, s in enumerate(suggestions, 1)]
    text = "\n".join([_("이런 내용을 찾으셨나요?"), *lines])
    buttons = (*(BotButton("article", s.title, s.article_id) for s in suggestions), handoff_button())
    return BotReply(BotReplyKind.SUGGESTIONS, text, suggestions=suggestions, buttons=buttons)


def no_match_reply() -> BotReply:
    text = _("죄송해요, 질문에 맞는 도움말을 찾지 못했어요. 다른 말로 다시 질문하시거나 상담원과 연결해 드릴까요?")
    return BotReply(BotReplyKind.NO_MATCH, text, buttons=(handoff_button(),))


# ---------------------------------------------------------------------------------------------
# Replies to intents.


def greeting_reply(greeting: str) -> BotReply:
    return BotReply(BotReplyKind.GREETING, greeting)


def _open_line(context: BotContext) -> str:
    if context.open_now:
        return _("지금은 상담 가능 시간입니다.")
    return _("지금은 상담 시간이 아니에요. 남겨 주신 내용은 상담 시간에 확인합니다.")


def hours_reply(context: BotContext) -> BotReply:
    text = "\n".join(
        [
            _("상담 운영시간은 %(hours)s입니다.") % {"hours": context.support_hours},
            _open_line(context),
            _("전화 상담: %(phone)s") % {"phone": context.support_phone},
        ]
    )
    return BotReply(BotReplyKind.HOURS, text, buttons=(handoff_button(),))


def phone_reply(context: BotContext) -> BotReply:
    text = "\n".join(
        [
            _("고객센터 전화번호는 %(phone)s입니다.") % {"phone": context.support_phone},
            _("상담 시간: %(hours)s") % {"hours": context.support_hours},
            _open_line(context),
        ]
    )
    return BotReply(BotReplyKind.PHONE, text, buttons=(handoff_button(),))


def handoff_reply(context: BotContext) -> BotReply:
    text = _("네, 상담원 연결을 도와드릴게요.")
    if not context.open_now:
        text += f"\n{_open_line(context)}\n" + _("상담 시간: %(hours)s") % {"hours": context.support_hours}
    return BotReply(BotReplyKind.HANDOFF, text)


def emergency_reply() -> BotReply:
    lead = _("금융사고가 의심되는 상황이라 상담원에게 가장 먼저 연결해 드릴게요.")
    text = f"{lead}\n{in_language(ACCIDENT_GUIDANCE)}"
    return BotReply(BotReplyKind.EMERGENCY, text)


def inquiry_status_reply(inquiries: Sequence[InquirySummary]) -> BotReply:
    """The customer's latest inquiries in the order given (the caller sorts, newest first)."""
    if not inquiries:
        text = _("접수된 1:1 문의가 없습니다. 새 문의는 '1:1 문의'에서 남기실 수 있어요.")
        return BotReply(BotReplyKind.INQUIRY_STATUS, text, buttons=(handoff_button(),))
    latest = inquiries[:MAX_SUGGESTIONS]
    lines = [f"• {i.number} {i.title} — {i.status_label} ({i.updated_at.astimezone(SEOUL):%Y-%m-%d})" for i in latest]
    text = "\n".join(
        [
            _("최근 문의 %(count)s건의 처리 상태입니다.") % {"count": len(latest)},
            *lines,
            _("자세한 내용은 '문의 내역'에서 확인하실 수 있어요."),
        ]
    )
    return BotReply(BotReplyKind.INQUIRY_STATUS, text, buttons=(handoff_button(),))


def small_talk_reply(text: str) -> BotReply:
    kind = _small_talk(_squash(text)) or _small_talk(_corrected(_squash(text))) or "hello"
    return BotReply(BotReplyKind.GREETING, _(_SMALL_TALK_TEXT[kind]))


def without_greeting(text: str) -> str:
    """The question after a leading 안녕하세요, which would only blur the search."""
    stripped = _LEADING_HELLO.sub("", normalize_query(text), count=1)
    return stripped or text


async def bot_reply(text: str, index: SearchIndex, context: BotContext) -> BotReply:
    """The bot's answer to one customer message."""
    match detect_intent(text):
        case BotReplyKind.EMERGENCY:
            return emergency_reply()
        case BotReplyKind.HANDOFF:
            return handoff_reply(context)
        case BotReplyKind.INQUIRY_STATUS:
            return inquiry_status_reply(await context.own_inquiries())
        case BotReplyKind.HOURS:
            return hours_reply(context)
        case BotReplyKind.PHONE:
            return phone_reply(context)
        case BotReplyKind.GREETING:
            return small_talk_reply(text)
    query = without_greeting(text)
    answer = await index.answer(query, SEARCH_LIMIT, logged_as="bot")
    return search_reply(query, answer, context.confidence_threshold, semantic=index.engine.semantic)
