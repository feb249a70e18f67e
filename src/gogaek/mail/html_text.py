"""HTML-only mail to plain text: agents and the quote stripper read lines, not markup.

The stdlib parser never raises on broken markup. Scripts, styles and the head are dropped, block
elements become line breaks, entities are unescaped, and <blockquote> lines get a "> " prefix so
that quoted history in HTML replies is stripped like quoted history in plain text.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

SKIPPED = frozenset({"script", "style", "head", "title", "template", "noscript", "svg", "object"})
BLOCKS = frozenset(
    {
        "p", "div", "li", "ul", "ol", "tr", "table", "tbody", "thead", "tfoot", "h1", "h2", "h3", "h4", "h5",
        "h6", "blockquote", "pre", "hr", "section", "article", "header", "footer", "address", "dl", "dt", "dd",
        "form", "fieldset", "center", "caption", "body", "html",
    }
)  # fmt: skip
CELLS = frozenset({"td", "th"})
_INLINE_SPACE = re.compile(r"[ \t\r\n\f\v\u00a0\u200b]+")
_CID = re.compile(r"""cid:\s*([^"'\s)>]+)""", re.IGNORECASE)


class _Line:
    """One output line: its <blockquote> depth, whether it is preformatted, and its text pieces."""

    __slots__ = ("depth", "hard", "parts", "pre")

    def __init__(self, depth: int, pre: bool, hard: bool = False) -> None:
        self.depth = depth
        self.pre = pre
        self.hard = hard  # an intentional empty line (<br>, paragraph gap) survives even when empty
        self.parts: list[str] = []

    def text(self) -> str:
        joined = "".join(self.parts)
        return joined.rstrip() if self.pre else _INLINE_SPACE.sub(" ", joined).strip()


class _TextCollector(HTMLParser):
    """Collects lines of text, each remembering how deep in <blockquote> it started."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[_Line] = [_Line(0, False)]
        self.skip_depth = 0
        self.quote_depth = 0
        self.pre_depth = 0

    def _soft_break(self) -> None:
        current = self.lines[-1]
        if current.parts or current.hard:
            self.lines.append(_Line(self.quote_depth, self.pre_depth > 0))
        else:
            current.depth, current.pre = self.quote_depth, self.pre_depth > 0

    def _hard_break(self) -> None:
        self.lines[-1].hard = True
        self.lines.append(_Line(self.quote_depth, self.pre_depth > 0))

    def _paragraph(self) -> None:
        self._soft_break()
        if len(self.lines) >= 2:
            self._hard_break()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED:
            self.skip_depth += 1
        elif self.skip_depth:
            return
        elif tag == "br":
            self._hard_break()
        elif tag == "blockquote":
            self.quote_depth += 1
            self._soft_break()
        elif tag == "pre":
            self.pre_depth += 1
            self._soft_break()
        elif tag == "p":
            self._paragraph()
        elif tag in BLOCKS:
            self._soft_break()
        elif tag in CELLS:
            self.lines[-1].parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED or tag in {"pre", "blockquote"}:
            return  # <script/> or <blockquote/> opens nothing
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif self.skip_depth:
            return
        elif tag == "blockquote":
            self.quote_depth = max(0, self.quote_depth - 1)
            self._soft_break()
        elif tag == "pre":
            self.pre_depth = max(0, self.pre_depth - 1)
            self._soft_break()
        elif tag == "p":
            self._paragraph()
        elif tag in BLOCKS:
            self._soft_break()
        elif tag in CELLS:
            self.lines[-1].parts.append(" ")

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        if not self.pre_depth:
            self.lines[-1].parts.append(data)
            return
        first, *rest = data.replace("\r\n", "\n").split("\n")
        self.lines[-1].parts.append(first)
        for line in rest:
            self._hard_break()
            self.lines[-1].parts.append(line)


def html_to_text(html: str) -> str:
    """Readable text from an HTML body; never raises."""
    collector = _TextCollector()
    try:
        collector.feed(html)
        collector.close()
    except (AssertionError, ValueError, IndexError, RecursionError):  # old parser bugs on broken markup
        pass
    out: list[str] = []
    for line in collector.lines:
        text = line.text()
        if not text and not line.hard:
            continue
        if not text and (not out or out[-1].strip("> ") == ""):
            continue  # one empty line at most, none at the start
        prefix = "> " * line.depth
        out.append(prefix + text if text else prefix.rstrip())
    while out and not out[-1].strip("> "):
        out.pop()
    return "\n".join(out)


def referenced_content_ids(html: str) -> set[str]:
    """Content-IDs an HTML body shows with cid: URLs, lowercased and without angle brackets."""
    return {match.group(1).strip("<>").lower() for match in _CID.finditer(html)}
