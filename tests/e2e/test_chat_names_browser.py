"""The customer chat's script names agents the way the server does (gogaek.identity.naming):
"상담사 한결" in a bubble, never "상담사 상담사 한결" (issue 15, wording). Runs chat.js in chromium."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser

from gogaek.identity.naming import bare_agent_name

pytestmark = pytest.mark.e2e
STATIC = Path(__file__).resolve().parents[2] / "src" / "gogaek" / "web" / "static" / "js"
NAMES = ["상담사 한결", "상담사한결", "한결 상담사", "한결", "상담사", " 나래 "]


def test_chat_script_names_agents_like_the_server(chromium: Browser) -> None:
    page = chromium.new_page()
    page.add_script_tag(content=(STATIC / "chat-client.js").read_text(encoding="utf-8"))
    page.add_script_tag(content=(STATIC / "chat.js").read_text(encoding="utf-8"))
    got = page.evaluate("(names) => names.map((name) => window.GogaekChat.bareAgentName(name))", NAMES)
    assert got == [bare_agent_name(name) for name in NAMES]
    assert got[0] == "한결"
    page.close()
