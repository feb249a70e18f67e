"""Language negotiation and the English catalogue: the order of the sources, tolerant parsing
of Accept-Language, safe redirects, and no marked message without a translation."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from babel.messages.catalog import Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from gogaek.errors import ProblemError
from gogaek.identity.service import totp_enrolment_required
from gogaek.inquiries.attachments import _too_many_pixels
from gogaek.inquiries.queue import _parse_status
from gogaek.inquiries.workflow import Actor, check_transition
from gogaek.phone.booking import _too_many
from gogaek.search.dictionary import check_dictionary
from gogaek.web.i18n import (
    LOCALE_DIR,
    accepted,
    for_reader,
    in_language,
    pick_language,
    safe_next,
    supported,
    use_language,
)

SOURCE = Path(__file__).resolve().parents[2] / "src" / "gogaek"
BABEL_CFG = Path(__file__).resolve().parents[2] / "babel.cfg"


@pytest.mark.parametrize(
    ("claim", "chosen", "header", "expected"),
    [
        (None, None, None, "ko"),
        (None, None, "en-US,en;q=0.9", "en"),
        (None, None, "fr-FR, en;q=0.5", "en"),  # the first one we speak
        (None, None, "en;q=0, ko;q=0.3", "ko"),  # q=0 means "not this"
        (None, "ko", "en-US", "ko"),  # the visitor's choice beats the browser
        ("en", "ko", "ko-KR", "en"),  # the host app's claim beats both
        ("fr", None, "en", "en"),  # a claim we do not speak is skipped
        (None, "xx", "de", "ko"),
    ],
)
def test_the_language_follows_claim_then_choice_then_browser(
    claim: str | None, chosen: str | None, header: str | None, expected: str
) -> None:
    assert pick_language(claim, chosen, header) == expected


def test_accept_language_is_read_by_quality_and_survives_junk() -> None:
    assert accepted("ko;q=0.2, en-GB;q=0.8, fr") == ["fr", "en-GB", "ko"]
    assert accepted("en;q=abc, ko") == ["ko"]
    assert accepted("") == []
    assert [supported(code) for code in ("EN_us", "ko-KR", "ja", "", None)] == ["en", "ko", None, None, None]


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/search?q=%EC%86%A1%EA%B8%88", "/search?q=%EC%86%A1%EA%B8%88"),
        ("/inquiries", "/inquiries"),
        ("https://evil.example/", "/"),
        ("//evil.example/x", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
    ],
)
def test_the_switch_only_sends_visitors_back_to_this_site(target: str, expected: str) -> None:
    assert safe_next(target) == expected


def _translated(message: Message | None) -> bool:
    """Every form filled in (a plural message has one per English plural form), and not marked
    fuzzy: the app leaves fuzzy entries out of the catalogue it loads, as ``pybabel update`` marks
    a message whose form changed (a singular made plural)."""
    if message is None or message.fuzzy:
        return False
    return all(message.string) if isinstance(message.string, tuple) else bool(message.string)


def test_every_marked_message_has_an_english_translation() -> None:
    with (LOCALE_DIR / "en" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale="en")
    method_map = [("**.py", "python"), ("web/templates/**.html", "jinja2")]
    options = {"web/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    # A pgettext message is found under its context ("deadline" 해결 is not the status 해결).
    marked = {(message, context) for _, _, message, _, context in extract_from_dir(str(SOURCE), method_map, options)}
    assert marked, "no marked message found: is extraction looking in the right place?"
    assert any(context for _, context in marked), "no pgettext context found: is extraction reading them?"
    assert BABEL_CFG.exists()
    missing = sorted(str(m) for m, context in marked if not _translated(catalog.get(m, context=context)))
    assert not missing, f"messages without English (scripts/i18n.sh extract && update, then translate): {missing}"


@pytest.mark.parametrize(
    ("message", "korean", "english"),
    [
        ("웹훅을 찾을 수 없습니다. (Not found)", "웹훅을 찾을 수 없습니다.", "Not found"),
        ("지금은 상담 시간이 아닙니다 (Closed now)", "지금은 상담 시간이 아닙니다", "Closed now"),
        ("전화 상담 예약 (2026-12-08 10:00)", "전화 상담 예약 (2026-12-08 10:00)", "전화 상담 예약 (2026-12-08 10:00)"),
        ("1~2일 (주말 제외)", "1~2일 (주말 제외)", "1~2일 (주말 제외)"),
        ("설명 없는 메시지", "설명 없는 메시지", "설명 없는 메시지"),
    ],
)
def test_a_korean_reader_gets_no_english_gloss_and_an_english_one_gets_only_the_gloss(
    message: str, korean: str, english: str
) -> None:
    """Only a bracket of Latin text at the very end is a gloss: a date or Korean in brackets stays."""
    try:
        use_language("ko")
        assert (in_language(message), for_reader(message)) == (korean, korean)
        use_language("en")
        assert in_language(message) == english
        assert for_reader("Saved (Not found)") == "Saved (Not found)"  # English text is left alone
    finally:
        use_language("ko")


def test_a_refusal_written_without_a_gloss_reaches_an_english_reader_through_the_catalogue() -> None:
    """Services write Korean only (marked with ``N_``); the page or the API shows the English."""
    try:
        use_language("en")
        assert in_language("관리자 권한이 필요합니다.") == "Admin role required"
        assert for_reader("관리자 권한이 필요합니다.") == "Admin role required"  # a refusal flashed as raised
        use_language("ko")
        assert for_reader("관리자 권한이 필요합니다.") == "관리자 권한이 필요합니다."
    finally:
        use_language("ko")


def test_a_refusal_built_around_a_value_is_worded_in_the_readers_language() -> None:
    """Messages with a value in them are translated where they are raised (``%(status)s``)."""
    try:
        for language, expected in (("ko", "알 수 없는 상태입니다: nope"), ("en", "Unknown status: nope")):
            use_language(language)
            with pytest.raises(ProblemError) as refused:
                _parse_status("nope")
            assert in_language(refused.value.message) == expected
    finally:
        use_language("ko")


def _refused(raise_it: Callable[[], object]) -> str:
    with pytest.raises(ProblemError) as refused:
        raise_it()
    return in_language(refused.value.message)


def _raise(problem: ProblemError) -> None:
    raise problem


@pytest.mark.parametrize(
    ("raise_it", "korean", "english"),
    [
        (
            lambda: check_transition("received", "received", Actor.AGENT),
            "'접수' 상태에서 '접수'로 바꿀 수 없습니다.",  # 로 after a vowel
            "Cannot change the status from 'Received' to 'Received'.",
        ),
        (
            lambda: check_transition("resolved", "in_progress", Actor.SYSTEM),
            "'해결' 상태에서 '처리중'으로 바꿀 수 없습니다.",  # 으로 after a final consonant
            "Cannot change the status from 'Resolved' to 'In progress'.",
        ),
        (
            lambda: _raise(_too_many(3)),
            "예약은 한 번에 3건까지 할 수 있습니다. 기존 예약을 취소하거나 상담 후 다시 예약해 주세요.",
            "You can have up to 3 callbacks booked at a time. Cancel one, or book again after your call.",
        ),
        (
            lambda: _raise(_too_many(1)),  # the English follows the number (ngettext)
            "예약은 한 번에 1건까지 할 수 있습니다. 기존 예약을 취소하거나 상담 후 다시 예약해 주세요.",
            "You can have up to 1 callback booked at a time. Cancel it, or book again after your call.",
        ),
        (
            lambda: _raise(_too_many_pixels(40_000_000)),
            "이미지 해상도가 너무 큽니다. 최대 40메가픽셀까지 올릴 수 있습니다.",
            "Image has too many pixels; at most 40 megapixels.",
        ),
        (
            lambda: check_dictionary("송금, 이체\n오타 한 단어\n"),
            "2번째 줄에 쉼표로 나눈 단어가 둘 이상 있어야 합니다. 설명은 # 뒤에 적어 주세요.",
            "Each line needs two or more comma-separated terms; these do not: 2. Write comments after #.",
        ),
        (
            lambda: _raise(totp_enrolment_required()),  # no value: marked with N_, translated when shown
            "관리자가 OTP를 초기화했습니다. 로그인 페이지에서 새 OTP를 등록해 주세요.",
            "An admin reset your authenticator. Register the new one on the sign-in page.",
        ),
    ],
    ids=["transition-ro", "transition-euro", "bookings", "one-booking", "pixels", "synonym-lines", "totp-reset"],
)
def test_refusals_once_glossed_on_the_next_line_are_korean_only_or_english(
    raise_it: Callable[[], object], korean: str, english: str
) -> None:
    """The refusals whose English sat on a source line of its own: Korean without a bracket of
    English for a Korean reader (the particle chosen by the value), the catalogue's English for
    an English one."""
    try:
        use_language("ko")
        assert _refused(raise_it) == korean
        assert not re.search(r"\([^()]*[A-Za-z][^()]*\)", korean)
        use_language("en")
        assert _refused(raise_it) == english
    finally:
        use_language("ko")
