"""Jinja2 environment for every page, with helpers for Korean dates, CSRF and flashes."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from fastapi.templating import Jinja2Templates
from jinja2 import BytecodeCache, pass_context
from jinja2.bccache import Bucket
from jinja2.runtime import Context

from gogaek.calendar.hours import SEOUL
from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.helpcenter.contact import ContactInfo, contact_info
from gogaek.helpcenter.models import Notice
from gogaek.helpcenter.publishing import PublishState, notice_state
from gogaek.identity.naming import bare_agent_name
from gogaek.web.business_hours import STATE_KEY
from gogaek.web.csrf import csrf_field
from gogaek.web.flash import flashes_global
from gogaek.web.i18n import LANGUAGES, current_language, failure_for_reader, for_reader, gettext, ngettext, pgettext

TEMPLATES_DIR = Path(__file__).parent / "templates"
INQUIRY_URL = "/inquiries/new"


def korean_datetime(value: datetime | None, with_time: bool = True) -> str:
    if value is None:
        return ""
    local = value.astimezone(SEOUL)
    return local.strftime("%Y.%m.%d %H:%M" if with_time else "%Y.%m.%d")


def local_input_value(value: datetime | None) -> str:
    """Value for ``<input type=datetime-local>``: Korean wall-clock time, minutes precision."""
    return value.astimezone(SEOUL).strftime("%Y-%m-%dT%H:%M") if value else ""


class _ProcessTemplateCode(BytecodeCache):
    """Compiled templates kept for every environment of the process.

    A process serves one app, but the test suite makes an app per test, and each new
    environment parsed and compiled every template it rendered again (about 40 s of CPU in a
    full test run). Every environment is configured by ``create_templates`` alike, which a
    shared cache requires; Jinja checks each entry against the template's source, so an edited
    template is compiled again.
    """

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_TEMPLATE_CODE = _ProcessTemplateCode()


def create_templates(settings: Settings) -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    templates.env.bytecode_cache = _TEMPLATE_CODE
    # ``_("한국어 문장")`` in a template: translated for the request's language (web/i18n.py).
    templates.env.add_extension("jinja2.ext.i18n")
    templates.env.install_gettext_callables(gettext, ngettext, newstyle=True, pgettext=pgettext)  # type: ignore[attr-defined]
    templates.env.globals["current_language"] = current_language
    templates.env.globals["languages"] = LANGUAGES
    templates.env.filters["kdate"] = korean_datetime
    templates.env.filters["local_input"] = local_input_value
    templates.env.filters["bare_agent_name"] = bare_agent_name
    templates.env.globals["settings"] = settings
    templates.env.globals["csrf_field"] = csrf_field
    templates.env.globals["flashes"] = flashes_global
    templates.env.filters["for_reader"] = for_reader
    templates.env.filters["failure_for_reader"] = failure_for_reader
    templates.env.globals["inquiry_url"] = INQUIRY_URL

    @pass_context
    def contact_now(context: Context) -> ContactInfo:
        """Computed per render: whether the center is open changes during the day, by the hours
        in force that the page's request carries (``web.business_hours``)."""
        request = context.get("request")
        hours = getattr(request.state, STATE_KEY, None) if request is not None else None
        return contact_info(settings, hours=hours)

    templates.env.globals["contact_now"] = contact_now

    def notice_state_now(notice: Notice) -> PublishState:
        """Per render too: a notice's window opens and closes without anyone editing it."""
        return notice_state(notice, utcnow())

    templates.env.globals["notice_state"] = notice_state_now
    return templates
