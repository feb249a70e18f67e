"""Jinja2 environment for every page, with helpers for Korean dates."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from fastapi.templating import Jinja2Templates

from gogaek.calendar.hours import SEOUL
from gogaek.config import Settings

TEMPLATES_DIR = Path(__file__).parent / "templates"


def korean_datetime(value: datetime | None, with_time: bool = True) -> str:
    if value is None:
        return ""
    local = value.astimezone(SEOUL)
    return local.strftime("%Y.%m.%d %H:%M" if with_time else "%Y.%m.%d")


def create_templates(settings: Settings) -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    templates.env.filters["kdate"] = korean_datetime
    templates.env.globals["settings"] = settings
    return templates
