"""Text typed with the keyboard in English mode by mistake ("qlalfqjsgh" -> "비밀번호").

Maps QWERTY keys to the 두벌식 layout and assembles the letters into syllables the way a
Korean IME does.
"""

from gogaek.korean.jamo import CHOSUNG, JONGSUNG, JUNGSUNG

_KEYS = dict(zip("qwertyuiopasdfghjklzxcvbnm", "ㅂㅈㄷㄱㅅㅛㅕㅑㅐㅔㅁㄴㅇㄹㅎㅗㅓㅏㅣㅋㅌㅊㅍㅠㅜㅡ", strict=True))
_SHIFTED = {"Q": "ㅃ", "W": "ㅉ", "E": "ㄸ", "R": "ㄲ", "T": "ㅆ", "O": "ㅒ", "P": "ㅖ"}
_VOWEL_PAIRS = {"ㅗㅏ": "ㅘ", "ㅗㅐ": "ㅙ", "ㅗㅣ": "ㅚ", "ㅜㅓ": "ㅝ", "ㅜㅔ": "ㅞ", "ㅜㅣ": "ㅟ", "ㅡㅣ": "ㅢ"}
_FINAL_PAIRS = {
    "ㄱㅅ": "ㄳ",
    "ㄴㅈ": "ㄵ",
    "ㄴㅎ": "ㄶ",
    "ㄹㄱ": "ㄺ",
    "ㄹㅁ": "ㄻ",
    "ㄹㅂ": "ㄼ",
    "ㄹㅅ": "ㄽ",
    "ㄹㅌ": "ㄾ",
    "ㄹㅍ": "ㄿ",
    "ㄹㅎ": "ㅀ",
    "ㅂㅅ": "ㅄ",
}


def _is_vowel(letter: str) -> bool:
    return letter in JUNGSUNG


def _is_final(letter: str) -> bool:
    return letter in JONGSUNG and letter != ""


def _syllable(initial: str, vowel: str, final: str) -> str:
    index = (CHOSUNG.index(initial) * 21 + JUNGSUNG.index(vowel)) * 28 + JONGSUNG.index(final)
    return chr(0xAC00 + index)


def _final(letters: list[str], i: int) -> tuple[str, int]:
    """The final consonant(s) starting at ``i``, unless they begin the next syllable."""

    def opens_syllable(j: int) -> bool:
        return j + 1 < len(letters) and _is_vowel(letters[j + 1])

    if i >= len(letters) or not _is_final(letters[i]) or opens_syllable(i):
        return "", i
    pair = _FINAL_PAIRS.get(letters[i] + (letters[i + 1] if i + 1 < len(letters) else ""))
    if pair and not opens_syllable(i + 1):
        return pair, i + 2
    return letters[i], i + 1


def compose(letters: list[str]) -> str:
    """Assemble a sequence of jamo letters into syllables."""
    out: list[str] = []
    i = 0
    while i < len(letters):
        initial = letters[i]
        if initial in CHOSUNG and i + 1 < len(letters) and _is_vowel(letters[i + 1]):
            vowel, i = letters[i + 1], i + 2
            if i < len(letters) and vowel + letters[i] in _VOWEL_PAIRS:
                vowel, i = _VOWEL_PAIRS[vowel + letters[i]], i + 1
            final, i = _final(letters, i)
            out.append(_syllable(initial, vowel, final))
        else:
            out.append(initial)
            i += 1
    return "".join(out)


def latin_to_hangul(text: str) -> str:
    """What ``text`` would have been with the keyboard in Korean mode."""
    words = []
    for word in text.split(" "):
        letters = [_SHIFTED.get(c) or _KEYS.get(c.lower(), c) for c in word]
        words.append(compose(letters))
    return " ".join(words)


def looks_mistyped_latin(text: str) -> bool:
    """True for text made only of Latin letters and spaces (a Korean query typed in English
    mode looks like that; so does an English word, so callers check the result)."""
    letters = text.replace(" ", "")
    return bool(letters) and letters.isascii() and letters.isalpha()
