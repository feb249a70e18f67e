"""Korean left on a page that should be English.

The one Korean word an English page keeps on purpose is the language switch's way back to
한국어, written in its own language; :func:`without_switch_back` takes out that and only that.
"""

from __future__ import annotations

import re

HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")
SWITCH_BACK = 'lang="ko" hreflang="ko">한국어</a>'


def without_switch_back(html: str) -> str:
    return html.replace(SWITCH_BACK, "")


def hangul_in(html: str, context: int = 30) -> list[str]:
    """Each Hangul character left (the switch back aside) with a little context to find it by."""
    page = without_switch_back(html)
    return [page[max(0, m.start() - context) : m.end() + context] for m in HANGUL.finditer(page)]
