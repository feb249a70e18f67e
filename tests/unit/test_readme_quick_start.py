"""The README's Quick start answers what a newcomer trying the demo asked (issue 15, rough edges)."""

from __future__ import annotations

import re
from pathlib import Path

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_readme_says_how_to_run_the_demo_on_another_port() -> None:
    assert re.search(r"GOGAEK_PORT=\d+ GOGAEK_INBOUND_SMTP_PORT=\d+ scripts/demo\.sh", README)
    assert "scripts/demo.sh --port" in README


def test_readme_says_headless_screenshots_need_a_korean_font() -> None:
    fonts = README.split("Headless screenshots", 1)
    assert len(fonts) == 2, "README does not mention headless screenshots"
    assert "fonts-nanum" in fonts[1][:400] and "fonts-noto-cjk" in fonts[1][:400]


def test_readme_says_where_demo_notifications_go_and_how_to_get_a_fresh_link() -> None:
    assert "gogaek token customer --link" in README
    assert "printed in the demo's output" in README
