"""Markdown to sanitised HTML: Markdown's own HTML is off and nh3 cleans what is left."""

from __future__ import annotations

import html as html_lib
import re
import unicodedata
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "ul",
    "ol",
    "li",
    "a",
    "code",
    "pre",
    "blockquote",
    "h2",
    "h3",
    "h4",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_control_characters(text: str) -> str:
    """Keeps tabs and newlines, drops other C0 controls that break pages and exports."""
    return _CONTROL_CHARS.sub("", unicodedata.normalize("NFC", text))


@lru_cache(maxsize=2048)
def markdown_to_html(source: str) -> str:
    """Cached: lists render many answers, and the same answer is read again and again."""
    html = _markdown.render(strip_control_characters(source))
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer nofollow",
    )


@lru_cache(maxsize=4096)
def markdown_to_text(source: str) -> str:
    """Plain text for search snippets and previews. Cached: every search-index rebuild turns
    each article's answer into text again, and rendering costs a millisecond an article."""
    html = _markdown.render(strip_control_characters(source))
    text = html_lib.unescape(nh3.clean(html, tags=set()))
    return re.sub(r"\s+", " ", text).strip()
