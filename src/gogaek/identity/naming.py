"""How an agent's name is written next to the word 상담사 (docs/chat-protocol.md, "Agent names")."""

from __future__ import annotations

AGENT_WORD = "상담사"


def bare_agent_name(display_name: str) -> str:
    """The agent's name without the word 상담사, which the text around it adds itself.

    Staff named "상담사 한결" (as the demo's are) or "한결 상담사" become "한결", so a chat bubble
    reads "상담사 한결" and a greeting "한결 상담사가 연결되었습니다", never "상담사 상담사 한결". A name
    that is only the word stays as it is. ``chat.js`` and ``console-chat.js`` follow the same rule.
    """
    name = display_name.strip()
    if name.startswith(AGENT_WORD):
        name = name[len(AGENT_WORD) :]
    elif name.endswith(AGENT_WORD):
        name = name[: -len(AGENT_WORD)]
    return name.strip() or display_name.strip()
