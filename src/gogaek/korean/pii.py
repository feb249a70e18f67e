"""Masking of resident, card, phone and account numbers in customer-typed Korean text.

Customers paste their 주민등록번호 or card number into chats even though we never ask for them;
storing that text verbatim would turn the inquiry database into a PII store. Each rule hides
digits one for one with ``*`` and leaves separators in place, so the message keeps its shape,
an agent can still see *what* was sent, and running the masker again changes nothing.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from gogaek.web.i18n import N_

PII_NOTICE = N_("개인정보 보호를 위해 주민등록번호·카드번호·계좌번호·전화번호는 일부를 가려서 저장합니다.")

# A number counts only when it stands on its own: not glued to ASCII letters or digits
# (TX20260923ABC123), not continuing a code after a hyphen (Q-20260923-0001) or digits after a
# dot (2026.09.23), and not right after a mask. The last part is what keeps mask_pii idempotent: the visible last four
# digits of "**** **** **** 1234" must not start a new match on a second pass. Korean text may
# touch the number directly ("010-1234-5678로"), so Hangul is deliberately not a barrier.
_START = r"(?<![A-Za-z0-9*])(?<![A-Za-z0-9*]-)(?<![0-9*]\.)(?<!\*[ ])"
_END = r"(?![A-Za-z0-9*])(?![-.][0-9*])"
_FLAGS = re.ASCII | re.VERBOSE
_END_PEEK = 2  # how far _END looks past a match

# Every match starts with one of the first characters, is made of the others and is at least nine
# long (021234567). Running the rules only inside such stretches keeps plain prose cheap to scan.
_NUMBERISH = re.compile(r"[(+0-9][0-9 .()+-]{8,}", re.ASCII)
_DIGIT = re.compile(r"[0-9]")

_RRN = re.compile(_START + r"(?P<birth>[0-9]{6}) [- ]? (?P<code>[1-8]) [0-9]{6}" + _END, _FLAGS)

_CARD = re.compile(
    _START
    + r"""(?:
        [0-9]{13,19}
      | [0-9]{4} [- ]? [0-9]{4} [- ]? [0-9]{4} [- ]? [0-9]{4}   # 4-4-4-4
      | [0-9]{4} [- ]? [0-9]{6} [- ]? [0-9]{4,5}                # Diners 4-6-4, Amex 4-6-5
    )"""
    + _END,
    _FLAGS,
)

_PHONE = re.compile(
    _START
    + r"""(?P<head>
        (?: \+82 [-. ]? (?: \(0\) [ ]? | 0 )? | 0 | (?P<paren> \(0 ) )    # 010, +82 10, +82 (0)10, (02)
        (?: 1[016789] | 2 | 3[1-3] | 4[1-4] | 5[1-5] | 6[1-4]           # mobile, Seoul, regions,
          | 70 | 50[2-8] )                                              # internet phone, 050x safe numbers
        (?(paren) \) )
    )
    [-. ]? [0-9]{3,4} [-. ]? [0-9]{4}"""
    + _END,
    _FLAGS,
)

# Repetitions start with a literal hyphen, so the bounded group cannot backtrack badly.
_ACCOUNT = re.compile(
    _START
    + r"""(?:
        (?P<grouped> [0-9]{2,6} (?: -[0-9]{1,8} ){1,3} )   # 110-123-456789, 123-456789-01-001
      | (?P<plain> [0-9]{10,14} )                          # only next to an account word
    )"""
    + _END,
    _FLAGS,
)

_ACCOUNT_WORDS = ("계좌", "은행", "뱅크", "입금", "송금", "이체", "account", "bank")
_CONTEXT_CHARS = 12
_ACCOUNT_DIGITS = range(10, 15)
_FREE_CALL_PREFIX = "080-"  # 수신자부담 lines are public business numbers, like 1588-xxxx
_KEEP_LAST = 4
_Masker = Callable[[re.Match[str]], str | None]
# The digit after the hyphen encodes the century (and sex/nationality) of the birth date.
_CENTURY = {"1": 1900, "2": 1900, "5": 1900, "6": 1900, "3": 2000, "4": 2000, "7": 2000, "8": 2000}


@dataclass(frozen=True, slots=True)
class MaskedText:
    """Text that is safe to store, and which kinds of numbers were hidden (for audit and notices)."""

    text: str
    kinds: frozenset[str]

    @property
    def masked(self) -> bool:
        """True when anything was hidden, i.e. ``text`` differs from the input."""
        return bool(self.kinds)


def mask_pii(text: str) -> MaskedText:
    """Hide 주민/외국인등록번호 ("rrn"), card, phone and bank account numbers in ``text``.

    Rules run in the order rrn, card, phone, account; a span masked by an earlier rule is
    ``*`` afterwards and therefore never reconsidered. What stays visible:

    - rrn: nothing but the separator ("900101-1234567" -> "******-*******"). The birth date
      and the sex digit identify a person together with a name, and agents never need them.
    - card: the last 4 digits, so the customer's card can be told apart. A number written in card
      groups (4-4-4-4 or 4-6-5, one kind of separator) always counts, even when it fails the
      Luhn check (a mistyped card is still a card); a plain run of 13-19 digits only when
      Luhn-valid, so order and transaction numbers stay readable.
    - phone: the prefix and the last 4 digits ("010-****-5678"). 15xx/16xx/18xx and 080
      numbers are public business numbers and are left alone.
    - account: the last 4 digits. Hyphen-grouped numbers of 10-14 digits always count; a plain
      10-14 digit run only within a few characters of 계좌/은행/뱅크/입금/송금/이체/account/bank,
      and never when "원" follows it (an amount).

    Only ASCII digits are recognised; full-width digits are left as typed.
    """
    kinds: set[str] = set()
    length = len(text)
    # Masking only turns digits into "*", one for one, so every later match still lies inside a
    # window found on the original text.
    windows = [(found.start(), min(found.end() + _END_PEEK, length)) for found in _NUMBERISH.finditer(text)]
    for kind, pattern, masker in _RULES:
        text, hit = _apply(pattern, masker, text, windows)
        if hit:
            kinds.add(kind)
    return MaskedText(text=text, kinds=frozenset(kinds))


def _apply(pattern: re.Pattern[str], masker: _Masker, text: str, windows: list[tuple[int, int]]) -> tuple[str, bool]:
    """Replace every match the masker accepts inside the windows (lookbehinds still see before them).

    A rejected match (say a Luhn-invalid card) does not swallow its span, unlike ``re.sub``:
    the search resumes one character later. That way a candidate overlapping it is found on
    the first pass already, not only once a later rule has changed the text, which would break
    idempotence.
    """
    pieces: list[str] = []
    copied = 0
    for pos, end in windows:
        while (match := pattern.search(text, pos, end)) is not None:
            masked = masker(match)
            if masked is None:
                pos = match.start() + 1
                continue
            pieces += (text[copied : match.start()], masked)
            copied = pos = match.end()
    if not pieces:
        return text, False
    pieces.append(text[copied:])
    return "".join(pieces), True


def _mask_digits(span: str, keep_last: int) -> str:
    """Star every digit except the last ``keep_last``; separators stay where they were.

    Every caller keeps fewer digits than the span holds, so ``count`` is never 0 (which
    ``re.sub`` would read as "all").
    """
    return _DIGIT.sub("*", span, count=_count_digits(span) - keep_last)


def _count_digits(span: str) -> int:
    return sum(map(str.isdigit, span))


def _mask_rrn(match: re.Match[str]) -> str | None:
    if not _is_birth_date(match["birth"], match["code"]):
        return None
    return _mask_digits(match.group(), keep_last=0)


def _is_birth_date(birth: str, code: str) -> bool:
    """Reject 13-digit runs whose first six digits are no real date, e.g. order numbers."""
    try:
        date(_CENTURY[code] + int(birth[:2]), int(birth[2:4]), int(birth[4:]))
    except ValueError:
        return False
    return True


# Written in a card's own groups (4-4-4-4, or Amex 4-6-5), with one kind of separator: a card number
# as the customer sees it on the card, so it is hidden even when mistyped (Luhn-invalid). Plain digit
# runs still need the checksum, which keeps order and transaction references readable.
_CARD_SHAPED = re.compile(
    r"[0-9]{4}(?P<sep>[- ])[0-9]{4}(?P=sep)[0-9]{4}(?P=sep)[0-9]{4}|[0-9]{4}([- ])[0-9]{6}\2[0-9]{5}"
)


def _mask_card(match: re.Match[str]) -> str | None:
    span = match.group()
    if not _CARD_SHAPED.fullmatch(span) and not _luhn_valid(span.replace(" ", "").replace("-", "")):
        return None
    return _mask_digits(span, _KEEP_LAST)


def mask_card_numbers(text: str) -> str:
    """Only the card rule of :func:`mask_pii`, for a field that holds a reference number
    (결제번호): a card number typed there is hidden, other reference numbers stay as typed."""
    windows = [(found.start(), min(found.end() + _END_PEEK, len(text))) for found in _NUMBERISH.finditer(text)]
    return _apply(_CARD, _mask_card, text, windows)[0]


def _luhn_valid(digits: str) -> bool:
    """Luhn checksum: real card numbers pass, about nine in ten random digit runs do not."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _mask_phone(match: re.Match[str]) -> str:
    head = match.end("head") - match.start()
    span = match.group()
    return span[:head] + _mask_digits(span[head:], _KEEP_LAST)


def _mask_account(match: re.Match[str]) -> str | None:
    grouped = match["grouped"]
    if grouped is not None:
        if _count_digits(grouped) not in _ACCOUNT_DIGITS or grouped.startswith(_FREE_CALL_PREFIX):
            return None
    elif not _near_account_word(match.string, match.start(), match.end()):
        return None
    return _mask_digits(match.group(), _KEEP_LAST)


def _near_account_word(text: str, start: int, end: int) -> bool:
    """A bare digit run is an account only when the customer says so; "…원" makes it an amount."""
    if text.startswith("원", end) or text.startswith(" 원", end):
        return False
    before = text[max(0, start - _CONTEXT_CHARS) : start].lower()
    after = text[end : end + _CONTEXT_CHARS].lower()
    return any(word in before or word in after for word in _ACCOUNT_WORDS)


_RULES: tuple[tuple[str, re.Pattern[str], _Masker], ...] = (
    ("rrn", _RRN, _mask_rrn),
    ("card", _CARD, _mask_card),
    ("phone", _PHONE, _mask_phone),
    ("account", _ACCOUNT, _mask_account),
)
