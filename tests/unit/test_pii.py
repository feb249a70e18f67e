"""PII masking: what must be hidden, what must survive untouched, and properties over any text."""

from __future__ import annotations

import dataclasses
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gogaek.korean.pii import PII_NOTICE, MaskedText, mask_card_numbers, mask_pii
from gogaek.web.i18n import text_in

KINDS = frozenset({"rrn", "card", "account", "phone"})


def check_digit(payload: str) -> str:
    """The Luhn digit that makes ``payload + digit`` a valid card number (independent of the module)."""
    total = 0
    for index, char in enumerate(reversed(payload)):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value // 10 + value % 10
    return str(-total % 10)


def test_check_digit_helper_agrees_with_known_test_cards() -> None:
    assert check_digit("411111111111111") == "1"
    assert check_digit("37828224631000") == "5"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("900101-1234567", "******-*******"),
        ("900101 1234567", "****** *******"),
        ("9001011234567", "*************"),
        ("제 주민번호는 900101-2234567입니다", "제 주민번호는 ******-*******입니다"),
        ("외국인등록번호 850315-5123456", "외국인등록번호 ******-*******"),
        ("040229-3123456", "******-*******"),  # 2004-02-29 exists
        ("000229-4123456", "******-*******"),  # 2000 was a leap year
        ("991231-8123456", "******-*******"),
    ],
)
def test_resident_numbers_are_hidden_completely(text: str, expected: str) -> None:
    result = mask_pii(text)
    assert result.text == expected
    assert result.kinds == {"rrn"}


@pytest.mark.parametrize(
    "text",
    [
        "900230-1234567",  # 30 February
        "901301-1234567",  # month 13
        "900100-1234567",  # day 0
        "010229-1234567",  # 1901 was no leap year
        "900101-9234567",  # 9 is no valid 7th digit
        "900101-0234567",
    ],
)
def test_impossible_resident_numbers_are_not_rrn(text: str) -> None:
    result = mask_pii(text)
    assert "rrn" not in result.kinds
    # 6-7 hyphen groups of 13 digits still look like an account, so they are not left bare.
    assert result.text == "******-***" + text[-4:]
    assert result.kinds == {"account"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4111-1111-1111-1111", "****-****-****-1111"),
        ("4111 1111 1111 1111", "**** **** **** 1111"),
        ("4111111111111111", "************1111"),
        ("카드번호5555555555554444로 결제했어요", "카드번호************4444로 결제했어요"),
        ("6011-0009-9013 9424", "****-****-**** 9424"),  # mixed separators still count
        ("3782 822463 10005", "**** ****** *0005"),  # Amex 4-6-5
        ("3782-822463-10005", "****-******-*0005"),
        ("378282246310005", "***********0005"),
        ("3056 930902 5904", "**** ****** 5904"),  # Diners 4-6-4
        ("4222222222222", "*********2222"),  # 13 digits
        ("6222020000000000000", "***************0000"),  # 19 digits
        ("4111 1111 1111 1111 123", "**** **** **** 1111 123"),  # a CVC after the number is not digits of it
    ],
)
def test_luhn_valid_cards_keep_last_four(text: str, expected: str) -> None:
    result = mask_pii(text)
    assert result.text == expected
    assert result.kinds == {"card"}


@pytest.mark.parametrize(
    "text",
    [
        "4111111111111112",  # a plain run: only Luhn-valid ones are cards (order numbers stay)
        "2026092312345678",
        "62220200000000000001",  # 20 digits is too long for any card
        "카드 41111111111111111",  # 17 digits, Luhn-invalid
        "4111-1111 1111-1112",  # mixed separators are not how a card is written
    ],
)
def test_luhn_invalid_plain_digit_runs_are_left_alone(text: str) -> None:
    assert mask_pii(text) == MaskedText(text=text, kinds=frozenset())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4111-1111-1111-1112", "****-****-****-1112"),  # mistyped: the last digit fails Luhn
        ("4111 1111 1111 1112", "**** **** **** 1112"),
        ("1234 5678 9012 3456", "**** **** **** 3456"),
        ("카드 9410-1234-5678-9012로 결제", "카드 ****-****-****-9012로 결제"),
        ("3782-822463-10006", "****-******-*0006"),  # Amex groups, Luhn-invalid
    ],
)
def test_card_shaped_numbers_are_masked_whatever_the_checksum(text: str, expected: str) -> None:
    assert mask_pii(text) == MaskedText(text=expected, kinds=frozenset({"card"}))
    assert mask_pii(expected).text == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4111-1111-1111-1112", "****-****-****-1112"),
        ("4111111111111111", "************1111"),
        ("DEMO-0A1B2C3D4E", "DEMO-0A1B2C3D4E"),
        ("T2026120712345678", "T2026120712345678"),
        ("20261207-123456", "20261207-123456"),  # an account-like reference stays: cards only
        ("010-1234-5678", "010-1234-5678"),
    ],
)
def test_reference_fields_hide_card_numbers_only(text: str, expected: str) -> None:
    assert mask_card_numbers(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("010-1234-5678", "010-****-5678"),
        ("01012345678", "010****5678"),
        ("010 1234 5678", "010 **** 5678"),
        ("010.1234.5678", "010.****.5678"),
        ("011-123-4567", "011-***-4567"),
        ("0161234567", "016***4567"),
        ("019-1234-5678", "019-****-5678"),
        ("+82 10-1234-5678", "+82 10-****-5678"),
        ("+82-10-1234-5678", "+82-10-****-5678"),
        ("+82 10 1234 5678", "+82 10 **** 5678"),
        ("+821012345678", "+8210****5678"),
        ("+82 010-1234-5678", "+82 010-****-5678"),
        ("+82 (0)10 1234 5678", "+82 (0)10 **** 5678"),
        ("+82-2-123-4567", "+82-2-***-4567"),
        ("02-123-4567", "02-***-4567"),
        ("02-1234-5678", "02-****-5678"),
        ("021234567", "02***4567"),
        ("(02) 123-4567", "(02) ***-4567"),
        ("(031)1234-5678", "(031)****-5678"),
        ("031-1234-5678", "031-****-5678"),
        ("064-123-4567", "064-***-4567"),
        ("070-1234-5678", "070-****-5678"),
        ("0504-1234-5678", "0504-****-5678"),
        ("0505-123-4567", "0505-***-4567"),
        ("연락처는010-1234-5678이에요", "연락처는010-****-5678이에요"),
        ("전화: 010-1234-5678.", "전화: 010-****-5678."),
        ("Tel.010-1234-5678", "Tel.010-****-5678"),
    ],
)
def test_phone_numbers_keep_prefix_and_last_four(text: str, expected: str) -> None:
    result = mask_pii(text)
    assert result.text == expected
    assert result.kinds == {"phone"}


@pytest.mark.parametrize(
    "text",
    [
        "1577-3754",
        "고객센터 1588-1234로 연락 주세요",
        "1644 1234",
        "1800-1234",
        "15881234",
        "수신거부 080-123-4567",
        "080-1234-5678",
    ],
)
def test_public_business_numbers_are_left_alone(text: str) -> None:
    assert mask_pii(text).text == text


def test_several_phone_numbers_in_a_list_are_all_masked() -> None:
    result = mask_pii("010-1111-2222, 010-3333-4444 010-5555-6666/02-777-8888")
    assert result.text == "010-****-2222, 010-****-4444 010-****-6666/02-***-8888"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("110-123-456789", "***-***-**6789"),
        ("1002-123-456789", "****-***-**6789"),
        ("123-456789-01-001", "***-******-*1-001"),
        ("3333-01-1234567", "****-**-***4567"),
        ("301-1234-5678-11", "***-****-**78-11"),
        ("123456-01-123456", "******-**-**3456"),
        ("신한 110-123-456789로 보내 주세요", "신한 ***-***-**6789로 보내 주세요"),
        ("계좌번호 110123456789", "계좌번호 ********6789"),
        ("계좌번호는1234567890입니다", "계좌번호는******7890입니다"),
        ("110123456789 계좌로 환불해 주세요", "********6789 계좌로 환불해 주세요"),
        ("국민은행 123456789012", "국민은행 ********9012"),
        ("카카오뱅크 33330112345678", "카카오뱅크 **********5678"),
        ("1234567890로 입금했어요", "******7890로 입금했어요"),
        ("송금 1000000000", "송금 ******0000"),
        ("Please refund to account 1234567890", "Please refund to account ******7890"),
        ("BANK: 12345678901234", "BANK: **********1234"),
        ("계좌 1234567890123", "계좌 *********0123"),  # 13 digits, Luhn-invalid: not a card
    ],
)
def test_account_numbers_keep_last_four(text: str, expected: str) -> None:
    result = mask_pii(text)
    assert result.text == expected
    assert result.kinds == {"account"}


@pytest.mark.parametrize(
    "text",
    [
        "주문번호 1234567890",  # a plain run needs an account word nearby
        "1234567890 이 번호는 어디에도 없는 계좌",  # the word is too far away
        "송금 1000000000원",  # an amount, not an account
        "입금 1000000000 원",
        "12-34-56-78",  # too few digits
        "110-123-45678901234",  # too many digits
        "계좌 123456789",  # nine digits is too short
        "계좌 123456789012345",  # fifteen is too long
    ],
)
def test_not_accounts(text: str) -> None:
    assert mask_pii(text).text == text


@pytest.mark.parametrize(
    "text",
    [
        "50,000원",
        "1,200,000원을 송금했어요",
        "1,234,567,890원",
        "2026-09-23",
        "2026.09.23",
        "2026/09/23 14:30:59",
        "2026-09-23T14:30:00+09:00",
        "14:30",
        "Q-20260923-0001",
        "문의번호 Q-20260923-0001 확인 부탁드립니다",
        "INQ-2026-000123",
        "INQ-2026-000123 계좌 관련 문의",
        "TX20260923ABC123",
        "거래번호 TX1234567890123456",
        "ORDER-110-123-456789",
        "ID01012345678",
        "12345",
        "v1.2.3",
        "192.168.100.200",
        "3~5영업일",
        "０１０-１２３４-５６７８",  # full-width digits are not normalised
        "",
    ],
)
def test_ordinary_numbers_are_left_alone(text: str) -> None:
    result = mask_pii(text)
    assert result.text == text
    assert result.kinds == frozenset()
    assert not result.masked


def test_rule_order_rrn_beats_card() -> None:
    assert check_digit("900101123456") == "3"  # so this resident number is also Luhn-valid
    result = mask_pii("9001011234563")
    assert result.text == "*************"
    assert result.kinds == {"rrn"}


def test_rule_order_card_beats_phone_and_account() -> None:
    number = "010123456789012"
    card = number + check_digit(number)
    result = mask_pii(f"계좌 {card}")
    assert result.kinds == {"card"}
    assert result.text == "계좌 " + "*" * 12 + card[-4:]


def test_luhn_invalid_grouped_number_can_still_be_an_account() -> None:
    result = mask_pii("1234-5678-9012")
    assert result.text == "****-****-9012"
    assert result.kinds == {"account"}


def test_mixed_message_reports_every_kind() -> None:
    text = (
        "안녕하세요. 주민번호 900101-1234567, 카드 4111-1111-1111-1111, "
        "연락처 010-1234-5678, 환불 계좌 신한 110-123-456789 입니다. "
        "문의번호 Q-20260923-0001, 금액 50,000원, 결제일 2026-09-23."
    )
    result = mask_pii(text)
    assert result.text == (
        "안녕하세요. 주민번호 ******-*******, 카드 ****-****-****-1111, "
        "연락처 010-****-5678, 환불 계좌 신한 ***-***-**6789 입니다. "
        "문의번호 Q-20260923-0001, 금액 50,000원, 결제일 2026-09-23."
    )
    assert result.kinds == KINDS
    assert result.masked


def test_numbers_at_the_very_edges_of_the_text() -> None:
    assert mask_pii("021234567").text == "02***4567"
    assert mask_pii("021234567 끝").text == "02***4567 끝"
    assert mask_pii("처음 021234567").text == "처음 02***4567"
    assert mask_pii("02123456").text == "02123456"


def test_masked_text_is_frozen_and_reports_masked() -> None:
    result = mask_pii("010-1234-5678")
    assert result.masked
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.text = "leak"  # type: ignore[misc]
    assert not MaskedText(text="x", kinds=frozenset()).masked


def test_notice_is_korean_with_its_english_in_the_catalogue() -> None:
    assert PII_NOTICE == "개인정보 보호를 위해 주민등록번호·카드번호·계좌번호·전화번호는 일부를 가려서 저장합니다."
    assert text_in("en", PII_NOTICE).startswith("To protect your privacy")


def test_long_text_with_many_numbers() -> None:
    line = "연락처 010-1234-5678, 주문 Q-20260923-0001, 금액 50,000원. "
    text = line * 120
    assert len(text) > 5000
    result = mask_pii(text)
    assert result.text == ("연락처 010-****-5678, 주문 Q-20260923-0001, 금액 50,000원. ") * 120
    assert result.kinds == {"phone"}


@pytest.mark.parametrize(
    "text",
    [
        "1" * 50_000,
        "12-" * 20_000,
        "1234 " * 10_000,
        "010-" * 10_000,
        "+82 " * 10_000,
        "(0" * 10_000,
        "9" * 13 + "-" + "9" * 50_000,
    ],
)
def test_pathological_inputs_are_handled(text: str) -> None:
    """Long runs of digits and separators must not trigger runaway backtracking or odd masks."""
    result = mask_pii(text)
    assert len(result.text) == len(text)
    assert mask_pii(result.text) == MaskedText(text=result.text, kinds=frozenset())


IDEMPOTENCE_SAMPLES = [
    "900101-1234567",
    "4111 1111 1111 1111 1111 1111",
    "4111 1111 1111 0504 1234 5678",
    "010 1234 0504 1234 5678",
    "010-1234-5678 1234 5678 9012",
    "(02) 123-4567 1234 5678",
    "+82 10 1234 5678 9012 3456",
    "계좌 110-123-456789 1234567890 입금",
    "900101-1234567 4111 1111 1111 1111",
]


@pytest.mark.parametrize("text", IDEMPOTENCE_SAMPLES)
def test_masking_twice_changes_nothing(text: str) -> None:
    once = mask_pii(text)
    assert once.masked
    assert mask_pii(once.text) == MaskedText(text=once.text, kinds=frozenset())


def assert_shape_kept(original: str, masked: str) -> None:
    """Only ASCII digits may turn into '*'; every other character stays where it was."""
    assert len(masked) == len(original)
    for before, after in zip(original, masked, strict=True):
        assert after == before or (before in string.digits and after == "*")


@settings(max_examples=300, deadline=None)
@given(text=st.text())
def test_any_text_is_masked_without_error_and_idempotently(text: str) -> None:
    once = mask_pii(text)
    assert once.kinds <= KINDS
    assert once.masked == (once.text != text)
    assert_shape_kept(text, once.text)
    assert mask_pii(once.text).text == once.text


NUMBERISH_TOKENS = [
    *"0123456789",
    *"0123456789",
    *"-. +*()",
    "010",
    "02",
    "+82",
    "1234",
    "4111",
    "900101",
    "계좌",
    "원",
    "a",
    "Q-",
    "\n",
]


@settings(max_examples=1000, deadline=None)
@given(text=st.lists(st.sampled_from(NUMBERISH_TOKENS), max_size=40).map("".join))
def test_digit_heavy_text_is_masked_idempotently(text: str) -> None:
    once = mask_pii(text)
    assert_shape_kept(text, once.text)
    assert once.masked == (once.text != text)
    assert mask_pii(once.text) == MaskedText(text=once.text, kinds=frozenset())


NO_DIGIT_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3),
        st.sampled_from(string.ascii_letters + string.punctuation + " \n\t"),
    )
)


@settings(max_examples=300, deadline=None)
@given(text=NO_DIGIT_TEXT)
def test_korean_letters_and_punctuation_are_unchanged(text: str) -> None:
    assert mask_pii(text) == MaskedText(text=text, kinds=frozenset())


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.characters(exclude_characters=string.digits)))
def test_text_without_ascii_digits_is_unchanged(text: str) -> None:
    assert mask_pii(text).text == text


SEPARATORS = st.sampled_from(["-", " ", ".", ""])
BEFORE_PHONE = st.sampled_from(["", " ", "연락처 ", "제 번호는 ", "(", "번호:"])
AFTER_PHONE = st.sampled_from(["", " ", "입니다", "로 연락 주세요", ")"])


@settings(max_examples=300, deadline=None)
@given(
    prefix=st.sampled_from(["010", "011", "016", "017", "018", "019", "02", "031", "051", "064", "070", "0505"]),
    middle=st.from_regex(r"[0-9]{3,4}", fullmatch=True),
    last=st.from_regex(r"[0-9]{4}", fullmatch=True),
    sep=SEPARATORS,
    before=BEFORE_PHONE,
    after=AFTER_PHONE,
)
def test_any_korean_phone_number_is_masked(
    prefix: str, middle: str, last: str, sep: str, before: str, after: str
) -> None:
    result = mask_pii(f"{before}{prefix}{sep}{middle}{sep}{last}{after}")
    assert result.text == f"{before}{prefix}{sep}{'*' * len(middle)}{sep}{last}{after}"
    assert result.kinds == {"phone"}


@settings(max_examples=300, deadline=None)
@given(
    payload=st.from_regex(r"[3-6][0-9]{14}", fullmatch=True),
    sep=st.sampled_from(["-", " ", ""]),
    before=st.sampled_from(["", "카드 ", "카드번호는", "card: "]),
)
def test_any_luhn_valid_card_is_masked(payload: str, sep: str, before: str) -> None:
    number = payload + check_digit(payload)
    groups = [number[index : index + 4] for index in range(0, 16, 4)]
    result = mask_pii(before + sep.join(groups) + " 확인 부탁드려요")
    assert result.text == before + sep.join(["****"] * 3 + [groups[3]]) + " 확인 부탁드려요"
    assert result.kinds == {"card"}


@settings(max_examples=300, deadline=None)
@given(payload=st.from_regex(r"[1-9][0-9]{14}", fullmatch=True), wrong=st.integers(min_value=1, max_value=9))
def test_any_luhn_invalid_sixteen_digit_run_is_kept(payload: str, wrong: int) -> None:
    number = payload + str((int(check_digit(payload)) + wrong) % 10)
    assert mask_pii(number).text == number


@settings(max_examples=300, deadline=None)
@given(
    payload=st.from_regex(r"[1-9][0-9]{14}", fullmatch=True),
    wrong=st.integers(min_value=1, max_value=9),
    sep=st.sampled_from(["-", " "]),
)
def test_any_luhn_invalid_number_in_card_groups_is_masked(payload: str, wrong: int, sep: str) -> None:
    number = payload + str((int(check_digit(payload)) + wrong) % 10)
    groups = [number[index : index + 4] for index in range(0, 16, 4)]
    result = mask_pii(sep.join(groups))
    assert result.text == sep.join(["****"] * 3 + [groups[3]])
    assert result.kinds == {"card"}
