"""Settings, Markdown sanitising and opening hours: the small rules everything leans on."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from gogaek.calendar.hours import BusinessHours
from gogaek.config import Settings
from gogaek.rendering import markdown_to_html, markdown_to_text, strip_control_characters

SEOUL = ZoneInfo("Asia/Seoul")


def test_production_refuses_the_default_or_a_short_secret() -> None:
    with pytest.raises(ValidationError, match="GOGAEK_SECRET_KEY"):
        Settings(env="production")
    with pytest.raises(ValidationError):
        Settings(env="production", secret_key="short")
    assert Settings(env="production", secret_key="x" * 40).env == "production"


def test_sqlite_is_the_default_database(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.resolved_database_url.startswith("sqlite+aiosqlite:///")
    assert settings.is_sqlite
    assert not Settings(database_url="postgresql+asyncpg://x@y/z").is_sqlite


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "<a href='javascript:alert(1)'>x</a>",
        "![img](javascript:alert(1))",
        "<iframe src=//evil></iframe>",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
    ],
)
def test_markdown_never_yields_active_content(source: str) -> None:
    html = markdown_to_html(source).lower()
    for bad in ("<script", 'href="javascript', "<iframe", 'href="data:', "<img", "onerror"):
        assert bad not in html


def test_markdown_keeps_what_answers_need() -> None:
    html = markdown_to_html("1. **설정** > `개인정보`\n2. [안내](https://example.com) [전화](tel:15773754)")
    assert "<ol>" in html and "<strong>설정</strong>" in html and "<code>개인정보</code>" in html
    assert 'href="tel:15773754"' in html


def test_plain_text_for_snippets() -> None:
    assert markdown_to_text("**잔액**이 &amp; 부족\n\n- 충전") == "잔액이 & 부족 충전"


def test_control_characters_are_stripped_but_newlines_kept() -> None:
    assert strip_control_characters("a\x00b\x1bc\nd\te") == "abc\nd\te"


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (datetime(2026, 11, 26, 10, 0, tzinfo=SEOUL), True),  # Thursday
        (datetime(2026, 11, 26, 18, 0, tzinfo=SEOUL), False),  # closing time
        (datetime(2026, 11, 28, 10, 0, tzinfo=SEOUL), False),  # Saturday
        (datetime(2026, 9, 25, 10, 0, tzinfo=SEOUL), False),  # Chuseok
        (datetime(2026, 10, 5, 10, 0, tzinfo=SEOUL), False),  # substitute holiday for 개천절
        (datetime(2026, 11, 26, 0, 30, tzinfo=ZoneInfo("UTC")), True),  # 09:30 in Seoul
    ],
)
def test_opening_hours_follow_korean_holidays(moment: datetime, is_open: bool) -> None:
    assert BusinessHours().is_open(moment) is is_open
