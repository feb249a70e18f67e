"""Hangul jamo decomposition: 초성 strings and keystroke sequences.

Korean is typed jamo by jamo, so comparing keystroke sequences makes prefix matching
follow the IME ("빔" on the way to "비밀") and makes a one-key typo ("비밀번허") one edit.
"""

import functools

_SYLLABLE_FIRST = 0xAC00
_SYLLABLE_LAST = 0xD7A3
_JUNG_COUNT = 21
_JONG_COUNT = 28

CHOSUNG = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
JUNGSUNG = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
JONGSUNG = (
    "",
    "ㄱ",
    "ㄲ",
    "ㄳ",
    "ㄴ",
    "ㄵ",
    "ㄶ",
    "ㄷ",
    "ㄹ",
    "ㄺ",
    "ㄻ",
    "ㄼ",
    "ㄽ",
    "ㄾ",
    "ㄿ",
    "ㅀ",
    "ㅁ",
    "ㅂ",
    "ㅄ",
    "ㅅ",
    "ㅆ",
    "ㅇ",
    "ㅈ",
    "ㅊ",
    "ㅋ",
    "ㅌ",
    "ㅍ",
    "ㅎ",
)

# Compound letters as the keys a person presses on a 두벌식 keyboard.
_KEYSTROKES = {
    "ㄳ": "ㄱㅅ",
    "ㄵ": "ㄴㅈ",
    "ㄶ": "ㄴㅎ",
    "ㄺ": "ㄹㄱ",
    "ㄻ": "ㄹㅁ",
    "ㄼ": "ㄹㅂ",
    "ㄽ": "ㄹㅅ",
    "ㄾ": "ㄹㅌ",
    "ㄿ": "ㄹㅍ",
    "ㅀ": "ㄹㅎ",
    "ㅄ": "ㅂㅅ",
    "ㅘ": "ㅗㅏ",
    "ㅙ": "ㅗㅐ",
    "ㅚ": "ㅗㅣ",
    "ㅝ": "ㅜㅓ",
    "ㅞ": "ㅜㅔ",
    "ㅟ": "ㅜㅣ",
    "ㅢ": "ㅡㅣ",
}
_CONSONANTS = frozenset("ㄱㄲㄳㄴㄵㄶㄷㄸㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅃㅄㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ")


def _split(code: int) -> tuple[str, str, str]:
    """(초성, 중성, 종성) of the precomposed syllable with this code point."""
    cho, rest = divmod(code - _SYLLABLE_FIRST, _JUNG_COUNT * _JONG_COUNT)
    jung, jong = divmod(rest, _JONG_COUNT)
    return CHOSUNG[cho], JUNGSUNG[jung], JONGSUNG[jong]


@functools.cache
def _tables() -> tuple[dict[int, str], dict[int, str], dict[int, str]]:
    """``str.translate`` tables for letters, keystrokes and 초성 of all 11,172 syllables,
    built once: indexing and autocomplete spell tens of thousands of phrasings."""
    letters: dict[int, str] = {}
    keys: dict[int, str] = {ord(k): v for k, v in _KEYSTROKES.items()}
    initials: dict[int, str] = {}
    for code in range(_SYLLABLE_FIRST, _SYLLABLE_LAST + 1):
        parts = _split(code)
        letters[code] = "".join(parts)
        keys[code] = "".join(_KEYSTROKES.get(p, p) for p in parts)
        initials[code] = parts[0]
    return letters, keys, initials


def decompose(text: str) -> str:
    """Text with every syllable spelled as its letters ("값" -> "ㄱㅏㅄ"); others unchanged."""
    return text.translate(_tables()[0])


def keystrokes(text: str) -> str:
    """The 두벌식 key sequence that types ``text`` ("왜" -> "ㅇㅗㅐ"), lower-cased."""
    return text.lower().translate(_tables()[1])


def chosung(text: str) -> str:
    """Initial consonants of every syllable ("비밀번호" -> "ㅂㅁㅂㅎ"); others unchanged."""
    return text.translate(_tables()[2])


def is_chosung_query(text: str) -> bool:
    """True when the text (ignoring spaces) is made only of consonant letters, like "ㅂㅁㅂㅎ"."""
    letters = "".join(text.split())
    return bool(letters) and all(char in _CONSONANTS for char in letters)


def has_hangul(text: str) -> bool:
    """True when the text contains a Hangul syllable or letter."""
    return any("\uac00" <= char <= "\ud7a3" or "\u3131" <= char <= "\u318e" for char in text)


def _final_consonant(word: str) -> int | None:
    """The place of the last syllable's final consonant (0 = none), or None when the word does
    not end in a Hangul syllable."""
    last = ord(word.rstrip()[-1]) if word.strip() else 0
    return (last - _SYLLABLE_FIRST) % _JONG_COUNT if _SYLLABLE_FIRST <= last <= _SYLLABLE_LAST else None


def object_particle(word: str) -> str:
    """을 after a final consonant (받침), 를 after a vowel: "문의를", "매크로를", "SLA 정책을".
    A word that does not end in a Hangul syllable keeps both ("을(를)")."""
    final = _final_consonant(word)
    return "을(를)" if final is None else "을" if final else "를"


_JONG_RIEUL = 8  # ㄹ's place among the final consonants


def direction_particle(word: str) -> str:
    """로 after a vowel or a final ㄹ, 으로 after any other final consonant: "해제로", "서울로",
    "검토 중으로". A word that does not end in a Hangul syllable keeps both ("(으)로")."""
    final = _final_consonant(word)
    return "(으)로" if final is None else "로" if final in (0, _JONG_RIEUL) else "으로"
