"""Which language a page speaks, and the gettext catalogue behind it.

Korean is the source language: messages are written in Korean and ``locale/en/LC_MESSAGES/
messages.po`` translates them (translators work on the ``.po`` file; docs/i18n.md). The
language follows, in order: the host app's token (``locale`` claim), the visitor's own choice
(the switch on every page, kept in a cookie; a chat socket may say ``?lang=``), then the
browser's ``Accept-Language``; else Korean. A message without a translation falls back to
Korean.
"""

from __future__ import annotations

import functools
import gettext as gettext_module
import io
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

DEFAULT_LANGUAGE = "ko"
LANGUAGES = {"ko": "한국어", "en": "English"}
COOKIE = "gogaek_lang"
SESSION_KEY = "locale"  # the host token's claim, kept at sign-in for the pages that follow
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"

_current: ContextVar[str] = ContextVar("gogaek_language", default=DEFAULT_LANGUAGE)


def supported(code: str | None) -> str | None:
    """``en``, ``en-US`` and ``EN_us`` are all English; anything else we do not speak is None."""
    if not code:
        return None
    primary = code.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in LANGUAGES else None


def accepted(header: str | None) -> Iterable[str]:
    """The languages of an ``Accept-Language`` header, most wanted first (``q=0`` left out)."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")):
        code, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if code and quality > 0:
            ranked.append((-quality, position, code))
    return [code for _, _, code in sorted(ranked)]


def pick_language(claim: str | None, chosen: str | None, accept_language: str | None) -> str:
    for candidate in (claim, chosen, *accepted(accept_language)):
        language = supported(candidate)
        if language is not None:
            return language
    return DEFAULT_LANGUAGE


@functools.cache
def translations(language: str) -> gettext_module.NullTranslations:
    """The catalogue, read from the ``.po`` file once per process (no compiled ``.mo`` to ship)."""
    source = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if language == DEFAULT_LANGUAGE or not source.exists():
        return gettext_module.NullTranslations()
    with source.open("rb") as po:
        catalog = read_po(po, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def current_language() -> str:
    return _current.get()


@contextmanager
def speaking(language: str | None) -> Iterator[None]:
    """Words made through ``gettext`` inside are for a reader who is not this request's (a chat
    keeps the language it was started in, whichever socket acts on it)."""
    token = _current.set(supported(language) or DEFAULT_LANGUAGE)
    try:
        yield
    finally:
        _current.reset(token)


def use_language(language: str) -> None:
    """For the rest of this request (an API call whose token names a ``locale``)."""
    _current.set(supported(language) or DEFAULT_LANGUAGE)


def gettext(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, count)


# The English a Korean message carried in brackets before the catalogue existed: Latin letters
# and no Hangul, at the very end ("…찾을 수 없습니다. (Not found)").
_GLOSS = re.compile(r"\s*\(([^()\uac00-\ud7a3]*[A-Za-z][^()\uac00-\ud7a3]*)\)\s*$")


def for_reader(message: str) -> str:
    """A message for this reader (a flash, a refusal): one already in their language as it is,
    minus any English gloss a Korean reader does not need; a Korean one from the catalogue
    (a service's refusal passed on as it was raised) in English for an English reader."""
    if _current.get() != DEFAULT_LANGUAGE:
        return translations(_current.get()).gettext(message)
    gloss = _GLOSS.search(message)
    return message[: gloss.start()] if gloss else message


def failure_for_reader(failure: str) -> str:
    """A failure kept with a job or a webhook delivery, for this reader: its sentence from the
    catalogue in the reader's language, then its technical detail (an exception, an HTTP status)
    as it was recorded. A refusal's sentence is kept without the full stop it has on a page
    ("…보낼 수 없습니다: webhook_target_private") and found with it. A failure with no catalogue
    sentence is shown as it is."""
    sentence, separator, detail = failure.partition(": ")
    shown = for_reader(sentence)
    if separator and shown == sentence:
        shown = for_reader(sentence + ".").removesuffix(".")
    return shown + separator + detail


def in_language(message: str) -> str:
    """A Korean message made elsewhere (a service's refusal, a notice the API shares) in the
    reader's language: in Korean without its English gloss; in English its catalogue
    translation, else the gloss it carries ("…찾을 수 없습니다. (Not found)" → "Not found"),
    else the message as it is."""
    return in_language_of(_current.get(), message)


def in_language_of(language: str | None, message: str) -> str:
    """:func:`in_language` for a reader who is not the one of this request (a chat's customer
    while an agent acts, a staff member the job worker writes to)."""
    language = supported(language) or DEFAULT_LANGUAGE
    translated = translations(language).gettext(message)
    if language == DEFAULT_LANGUAGE:
        gloss = _GLOSS.search(translated)
        return translated[: gloss.start()] if gloss else translated
    if translated != message:
        return translated
    gloss = _GLOSS.search(message)
    return gloss.group(1).strip() if gloss else message


def text_in(language: str | None, message: str, **params: object) -> str:
    """A marked message (``N_``) in ``language``, its ``%(name)s`` places filled."""
    words = in_language_of(language, message)
    return words % params if params else words


def N_(message: str) -> str:  # noqa: N802 - the name extraction looks for (babel's default keywords)
    """Marks a Korean message for the catalogue where it is defined; ``gettext`` translates it
    later, where it is shown (a label kept in a table, a notice shared with the API)."""
    return message


def pgettext(context: str, message: str) -> str:
    """One Korean word, two English ones: ``pgettext("console", "채팅 상담")`` is the agents' "Live chat"."""
    return translations(_current.get()).pgettext(context, message)


def safe_next(target: str | None) -> str:
    """Where the switch sends the visitor back: a path on this site, never another host."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/"


class LanguageMiddleware:
    """Sets the request's language before any page or error is rendered.

    Runs inside the session middleware, so a claim kept at sign-in counts; an API call whose
    bearer token carries a ``locale`` claim switches later, when the token is verified.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        session = scope.get("session") or {}
        chosen = _cookies(headers.get("cookie", "")).get(COOKIE)
        if scope["type"] == "websocket":  # the embeddable widget has no cookie of ours: it says ?lang=
            chosen = _query_language(scope) or chosen
        language = pick_language(session.get(SESSION_KEY), chosen, headers.get("accept-language"))
        token = _current.set(language)
        try:
            await self.app(scope, receive, send)
        finally:
            _current.reset(token)


def _query_language(scope: Scope) -> str | None:
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("lang")
    return values[0] if values else None


def _cookies(header: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name:
            found[name] = value
    return found
