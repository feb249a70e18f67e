"""Admin page for the words of customer notifications (알림 문구): edit, preview, reset.

One form per notification kind and language; 미리보기 renders the typed texts with sample data
without saving, 저장 checks the placeholders (Korean messages per field) and stores them through
``notify.texts``. The notification jobs read the stored texts on their next run, in every process.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.deps import SessionDep
from gogaek.errors import not_found
from gogaek.notify.texts import (
    FIELD_LIMITS,
    INQUIRY_ANSWERED,
    KINDS,
    LANGUAGES,
    NoticeKind,
    NoticeTexts,
    check_texts,
    is_customised,
    notice_texts,
    save_notice_texts,
)
from gogaek.web.auth import PageAdmin
from gogaek.web.csrf import CsrfForm
from gogaek.web.flash import flash
from gogaek.web.forms import FormValues
from gogaek.web.i18n import gettext as _
from gogaek.web.views import redirect, render

router = APIRouter(prefix="/admin/notification-templates", include_in_schema=False)

PAGE_PATH = "/admin/notification-templates"


@dataclass(frozen=True, slots=True)
class TextsForm(FormValues):
    kind: str = ""
    lang: str = ""
    title: str = ""
    email_subject: str = ""
    email_body: str = ""
    sms: str = ""
    action: str = "save"

    def texts(self) -> dict[str, str]:
        """As typed, apart from line endings (browsers send CRLF) and the ends of one-line fields."""
        body = self.email_body.replace("\r\n", "\n").strip()
        return {
            "title": self.title.strip(),
            "email_subject": self.email_subject.strip(),
            "email_body": body,
            "sms": self.sms.replace("\r\n", "\n").strip(),
        }


@dataclass(frozen=True, slots=True)
class Editor:
    """One language's form on the page, with its preview."""

    kind: NoticeKind
    lang: str
    values: Mapping[str, str]
    errors: Mapping[str, str]
    preview: NoticeTexts | None
    customised: bool
    previewing: bool = False


def _kind(form: TextsForm) -> NoticeKind:
    kind = KINDS.get(form.kind)
    if kind is None or form.lang not in kind.defaults:
        raise not_found("알림 문구")
    return kind


def _words() -> dict[str, Mapping[str, str]]:
    """The page's names for the languages, fields, kinds and placeholders, in its own language
    (``texts`` keeps the Korean ones for its messages)."""
    return {
        "language_names": {"ko": _("한국어"), "en": LANGUAGES["en"]},
        "labels": {
            "title": _("알림 제목"),
            "email_subject": _("메일 제목"),
            "email_body": _("메일 본문"),
            "sms": _("문자 내용"),
        },
        "kind_labels": {INQUIRY_ANSWERED: _("문의 답변 등록")},
        "meanings": {"number": _("문의번호"), "link": _("답변을 확인하는 주소")},
    }


async def _page(
    request: Request, session: AsyncSession, replaced: Editor | None = None, status: int = 200
) -> HTMLResponse:
    sections: list[tuple[NoticeKind, list[Editor]]] = []
    for kind in KINDS.values():
        editors = []
        for lang in kind.defaults:
            if replaced is not None and (replaced.kind.key, replaced.lang) == (kind.key, lang):
                editors.append(replaced)
                continue
            texts = await notice_texts(session, kind.key, lang)
            customised = await is_customised(session, kind.key, lang)
            editors.append(Editor(kind, lang, asdict(texts), {}, texts.rendered(kind.sample), customised))
        sections.append((kind, editors))
    context = {"sections": sections, "limits": FIELD_LIMITS, **_words()}
    return render(request, "admin/notification_templates.html", context, status=status)


@router.get("", response_class=HTMLResponse)
async def templates_page(request: Request, session: SessionDep, _: PageAdmin) -> HTMLResponse:
    return await _page(request, session)


@router.post("")
async def save_templates(request: Request, session: SessionDep, user: PageAdmin, form: CsrfForm) -> Response:
    """저장 stores checked texts; 미리보기 (``action=preview``) only shows them filled with sample data."""
    values = TextsForm.read(form)
    kind = _kind(values)
    texts = values.texts()
    errors = check_texts(kind, texts)
    customised = await is_customised(session, kind.key, values.lang)
    if errors:
        editor = Editor(kind, values.lang, texts, errors, None, customised)
        return await _page(request, session, editor, status=422)
    checked = NoticeTexts(**texts)
    if values.action == "preview":
        editor = Editor(kind, values.lang, texts, {}, checked.rendered(kind.sample), customised, previewing=True)
        return await _page(request, session, editor)
    changed = await save_notice_texts(session, user, kind.key, values.lang, checked, request)
    words = _words()
    names = {"kind": words["kind_labels"].get(kind.key, kind.label), "lang": words["language_names"][values.lang]}
    saved = _("%(kind)s 알림 문구(%(lang)s)를 저장했습니다.") % names
    flash(request, saved if changed else _("바뀐 내용이 없습니다."))
    return redirect(f"{PAGE_PATH}#{kind.key}-{values.lang}")


@router.post("/reset")
async def reset_templates(request: Request, session: SessionDep, user: PageAdmin, form: CsrfForm) -> RedirectResponse:
    values = TextsForm.read(form)
    kind = _kind(values)
    changed = await save_notice_texts(session, user, kind.key, values.lang, None, request)
    flash(request, _("기본 문구로 되돌렸습니다.") if changed else _("이미 기본 문구를 쓰고 있습니다."))
    return redirect(f"{PAGE_PATH}#{kind.key}-{values.lang}")
