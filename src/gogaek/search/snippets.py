"""Short plain-text excerpts of an answer around the words the customer searched for."""

import re

MAX_CHARS = 120
_LEAD = 30
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MARKUP = re.compile(r"<[^>]+>|[#>*_`~|]+")
_SPACE = re.compile(r"\s+")


def plain(markdown: str) -> str:
    """Markdown (or stray HTML) reduced to its words on one line."""
    text = _IMAGE.sub(" ", markdown)
    text = _LINK.sub(r"\1", text)
    text = _MARKUP.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


def snippet(answer: str, needles: tuple[str, ...]) -> str:
    """At most 120 characters of the answer, starting a little before the first match."""
    text = plain(answer)
    if len(text) <= MAX_CHARS:
        return text
    lowered = text.lower()
    positions = [p for p in (lowered.find(n) for n in needles if len(n) >= 2) if p >= 0]
    start = max(0, min(positions) - _LEAD) if positions else 0
    if start > 0:
        space = text.find(" ", start, start + 10)
        start = space + 1 if space >= 0 else start
    prefix = "…" if start > 0 else ""
    room = MAX_CHARS - len(prefix)
    body = text[start:]
    return prefix + (body if len(body) <= room else body[: room - 1].rstrip() + "…")
