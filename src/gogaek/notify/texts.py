"""The words of customer notifications, editable at run time (알림 문구).

Each kind of notification (today: an inquiry answered) has four texts — the in-app title, the
e-mail subject and body, and the SMS — in Korean and English, with placeholders such as
``{number}`` and ``{link}``. The built-in Korean texts are the ones the product always sent;
``/admin/notification-templates`` stores overrides in ``runtime_settings`` (key
``notify.<kind>.<lang>``), read through the per-process reference copy.

Rendering never uses ``str.format``: only the kind's own placeholders are replaced, so a stored
text cannot reach attributes (``{number.__class__}``) or fail on a stray brace.

``notify.service._answered`` sends what ``rendered_notice`` gives in the language the inquiry
was filed in (``inquiries.locale``: the page's or the host token's language at the time).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.identity.models import StaffUser
from gogaek.runtime_settings.queries import stored_settings
from gogaek.runtime_settings.service import save_settings
from gogaek.web.forms import josa
from gogaek.web.i18n import N_, text_in

LANGUAGES = {"ko": "한국어", "en": "English"}
DEFAULT_LANGUAGE = "ko"
INQUIRY_ANSWERED = "inquiry_answered"
TOKEN = re.compile(r"\{([^{}]*)\}")
FIELD_LIMITS = {"title": 200, "email_subject": 200, "email_body": 4000, "sms": 1000}
FIELD_LABELS = {"title": "알림 제목", "email_subject": "메일 제목", "email_body": "메일 본문", "sms": "문자 내용"}


@dataclass(frozen=True, slots=True)
class NoticeTexts:
    """One notification's four texts (templates before rendering, or the rendered words)."""

    title: str
    email_subject: str
    email_body: str
    sms: str

    def rendered(self, values: Mapping[str, str]) -> NoticeTexts:
        return NoticeTexts(**{name: render(text, values) for name, text in asdict(self).items()})


@dataclass(frozen=True, slots=True)
class NoticeKind:
    key: str
    label: str
    placeholders: Mapping[str, str]  # name → what it stands for, in Korean
    required: Mapping[str, frozenset[str]]  # field → placeholders it must contain
    sample: Mapping[str, str]  # values for the preview
    defaults: Mapping[str, NoticeTexts]  # language → built-in texts


KINDS: dict[str, NoticeKind] = {
    INQUIRY_ANSWERED: NoticeKind(
        key=INQUIRY_ANSWERED,
        label="문의 답변 등록",
        placeholders={"number": "문의번호", "link": "답변을 확인하는 주소"},
        required={"email_body": frozenset({"link"}), "sms": frozenset({"link"})},
        sample={"number": "Q-20261207-0042", "link": "https://help.example.com/inquiries/42"},
        defaults={
            "ko": NoticeTexts(
                title="문의하신 내용에 답변이 등록되었습니다 (문의번호 {number})",
                email_subject="[고객센터] 문의하신 내용에 답변이 등록되었습니다",
                email_body=(
                    "안녕하세요.\n문의하신 내용(문의번호 {number})에 답변이 등록되었습니다.\n"
                    "아래 주소에서 답변을 확인해 주세요.\n{link}\n\n이 메일은 발신 전용입니다."
                ),
                sms="[고객센터] 문의(문의번호 {number})에 답변이 등록되었습니다. {link}",
            ),
            "en": NoticeTexts(
                title="Your inquiry has been answered (No. {number})",
                email_subject="[Customer Center] Your inquiry has been answered",
                email_body=(
                    "Hello,\nWe have answered your inquiry (No. {number}).\n"
                    "Please read the answer here:\n{link}\n\nThis address does not receive replies."
                ),
                sms="[Customer Center] Your inquiry {number} has been answered. {link}",
            ),
        },
    ),
}


def setting_key(kind: str, lang: str) -> str:
    return f"notify.{kind}.{lang}"


def render(template: str, values: Mapping[str, str]) -> str:
    """Replaces ``{name}`` for the names in ``values``; anything else stays as written."""
    return TOKEN.sub(lambda match: values.get(match.group(1), match.group(0)), template)


def check_template(kind: NoticeKind, field: str, text: str) -> str | None:
    """A Korean sentence about what is wrong with one text, or ``None`` when it is fine."""
    label = FIELD_LABELS[field]
    if not text.strip():
        return f"{josa(label, '을', '를')} 입력해 주세요."
    if len(text) > FIELD_LIMITS[field]:
        return f"{josa(label, '은', '는')} {FIELD_LIMITS[field]}자 이하로 입력해 주세요."
    if field in ("title", "email_subject") and ("\n" in text or "\r" in text):
        return f"{label}에는 줄바꿈을 넣을 수 없습니다."
    allowed = ", ".join(f"{{{name}}}" for name in kind.placeholders)
    for match in TOKEN.finditer(text):
        if match.group(1) not in kind.placeholders:
            return f"{match.group(0)}는 쓸 수 없는 자리표시자입니다. 쓸 수 있는 것: {allowed}"
    if "{" in TOKEN.sub("", text) or "}" in TOKEN.sub("", text):
        return f"중괄호 {{ }}의 짝이 맞지 않습니다. 자리표시자는 {allowed}처럼 씁니다."
    used = {match.group(1) for match in TOKEN.finditer(text)}
    for name in sorted(kind.required.get(field, frozenset()) - used):
        meaning = kind.placeholders[name]
        return f"{label}에 {{{name}}}({josa(meaning, '이', '가')} 들어갈 자리)를 넣어 주세요."
    return None


def check_texts(kind: NoticeKind, texts: Mapping[str, str]) -> dict[str, str]:
    """Messages per field; an empty dict means every text may be saved."""
    errors: dict[str, str] = {}
    for field in FIELD_LABELS:
        problem = check_template(kind, field, texts.get(field, ""))
        if problem is not None:
            errors[field] = problem
    return errors


def _from_stored(value: Any, kind: NoticeKind, fallback: NoticeTexts) -> NoticeTexts:
    """A stored override that is not a complete, valid set (e.g. written by hand) is ignored."""
    if not isinstance(value, dict) or not all(isinstance(value.get(f.name), str) for f in fields(NoticeTexts)):
        return fallback
    texts = {f.name: value[f.name] for f in fields(NoticeTexts)}
    return fallback if check_texts(kind, texts) else NoticeTexts(**texts)


async def notice_texts(session: AsyncSession, kind: str, lang: str = DEFAULT_LANGUAGE) -> NoticeTexts:
    """The templates in use for ``kind`` in ``lang``: the page's, else the built-in ones."""
    spec = KINDS[kind]
    language = lang if lang in spec.defaults else DEFAULT_LANGUAGE
    stored = (await stored_settings(session)).get(setting_key(kind, language))
    return _from_stored(stored, spec, spec.defaults[language])


async def rendered_notice(
    session: AsyncSession, kind: str, values: Mapping[str, str], lang: str = DEFAULT_LANGUAGE
) -> NoticeTexts:
    """The words to send: the templates in use with ``values`` filled in."""
    return (await notice_texts(session, kind, lang)).rendered(values)


async def is_customised(session: AsyncSession, kind: str, lang: str) -> bool:
    return setting_key(kind, lang) in await stored_settings(session)


async def save_notice_texts(
    session: AsyncSession,
    actor: StaffUser,
    kind: str,
    lang: str,
    texts: NoticeTexts | None,
    request: Request | None = None,
) -> list[str]:
    """Stores checked texts (``None`` goes back to the built-in ones); the audit entry names the
    fields that changed, not the whole texts."""
    key = setting_key(kind, lang)
    current = await notice_texts(session, kind, lang)
    built_in = KINDS[kind].defaults[lang]
    value = asdict(texts) if texts is not None and texts != built_in else None  # the built-in words: no copy
    compared = texts or built_in
    changed = [name for name in FIELD_LABELS if getattr(current, name) != getattr(compared, name)]
    detail = {"kind": kind, "lang": lang, "fields": changed, "reset": texts is None}
    return await save_settings(session, actor, "notify.templates", {key: value}, request=request, audit_detail=detail)


def with_sender(words: str, language: str | None) -> str:
    """A text message or an e-mail subject opens with who sends it: [고객센터] / [Customer center]."""
    return text_in(language, N_("[고객센터] %(title)s"), title=words)
