"""What the customer wrote this time: quoted history and signatures removed from a mail's text.

History markers (Gmail "On … wrote:", Outlook "-----Original Message-----" and header blocks, the
Korean Gmail/Outlook/Naver/Daum forms) cut everything after them. Signature markers ("-- ",
"Sent from my iPhone", "Galaxy에서 보냄") cut up to a forwarded-message marker, because forwarded
mail is evidence the customer is showing us and must stay. Lines quoted with ">" are dropped
wherever they are, so inline answers between quotes keep only the customer's own lines.
"""

from __future__ import annotations

import re

_HISTORY_LINE = [
    re.compile(r"^-{2,}\s*(original message|원본 메시지|원본 메일|원래 메시지)\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^_{10,}\s*$"),  # Outlook's rule above its header block; only counts with the block (below)
]
_ON_WROTE = re.compile(r"^(on|le|am)\s.{4,300}\s(wrote|a écrit|schrieb)\s*:\s*$", re.IGNORECASE)
_KOREAN_WROTE = re.compile(r"^\d{4}\s*년\s*\d{1,2}\s*월\s*\d{1,2}\s*일.{0,300}(님이|님의)\s*(작성|작성함|말)\s*:\s*$")
_KOREAN_WROTE_LOOSE = re.compile(r"^\d{4}[./-]\s*\d{1,2}[./-]\s*\d{1,2}.{0,300}(님이|님의)\s*(작성|작성함|말)\s*:\s*$")
_FORWARD = re.compile(
    r"^-{3,}\s*(forwarded message|전달된 메일|전달된 메시지|forwarded by .{0,80}|begin forwarded message)"
    r"\s*-{0,}\s*:?\s*$"
    r"|^begin forwarded message\s*:\s*$|^전달된 메일\s*:?\s*$",
    re.IGNORECASE,
)
_HEADER_FROM = re.compile(r"^\s*\*?(from|보낸 사람|보낸사람|발신자|보낸이)\s*:\*?\s*\S", re.IGNORECASE)
_HEADER_SENT = re.compile(r"^\s*\*?(sent|date|보낸 날짜|보낸날짜|날짜|발송일|발신 일시)\s*:\*?\s*\S", re.IGNORECASE)
_HEADER_SUBJECT = re.compile(r"^\s*\*?(subject|제목)\s*:\*?", re.IGNORECASE)
_SIGNATURE = re.compile(
    r"^(--|-- )$"
    r"|^sent from my \S.{0,40}$"
    r"|^sent from (mail|outlook|yahoo mail) for .{1,40}$"
    r"|^get outlook for (ios|android)\s*$"
    r"|^(나의\s*)?(iphone|ipad|galaxy|갤럭시|android|안드로이드)에서 보냄\.?$"
    r"|^samsung galaxy.{0,20}에서 보냈습니다\.?$"
    r"|^(ios|android)용 outlook( 받기| 다운로드)?$",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"^\s*>")
_ATTRIBUTION = re.compile(r"(wrote|작성|님의 말|a écrit|schrieb)\s*:\s*$", re.IGNORECASE)
HEADER_BLOCK_LINES = 8  # an Outlook block's Sent:/Subject: lines follow its From: within this many lines


def _is_header_block(lines: list[str], index: int) -> bool:
    """An Outlook reply header: From: then Sent:/Date: then Subject: within a few lines."""
    window = lines[index : index + HEADER_BLOCK_LINES]
    if not window or not _HEADER_FROM.match(window[0]):
        return False
    has_sent = any(_HEADER_SENT.match(line) for line in window[1:])
    has_subject = any(_HEADER_SUBJECT.match(line) for line in window[1:])
    return has_sent and has_subject


def _history_starts(lines: list[str], index: int) -> bool:
    line = lines[index].strip()
    if _HISTORY_LINE[0].match(line) or _ON_WROTE.match(line) or _KOREAN_WROTE.match(line):
        return True
    if _KOREAN_WROTE_LOOSE.match(line):
        return True
    if index + 1 < len(lines):  # Gmail wraps a long attribution over two lines
        joined = f"{line} {lines[index + 1].strip()}"
        if (line.lower().startswith("on ") and _ON_WROTE.match(joined)) or (
            line[:4].isdigit() and _KOREAN_WROTE.match(joined)
        ):
            return True
    if _HISTORY_LINE[1].match(line):
        return _is_header_block(lines, index + 1)
    return _is_header_block(lines, index)


def strip_quoted(text: str) -> str:
    """The text without quoted history, ">" lines, device signatures or a "-- " signature; may be ""."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        stripped = line.strip()
        if _FORWARD.match(stripped):
            kept.extend(lines[index:])  # everything forwarded stays, markers and headers included
            break
        if _QUOTED.match(line):
            index += 1
            continue
        if _history_starts(lines, index):
            break
        if _ATTRIBUTION.search(stripped) and _next_is_quoted(lines, index + 1):
            index += 1  # "홍길동 wrote:" over a ">" block goes with the block
            continue
        if _SIGNATURE.match(line.rstrip("\n")) or _SIGNATURE.match(stripped):
            index = _next_forward(lines, index + 1)
            continue
        kept.append(line)
        index += 1
    return _tidy(kept)


def _next_is_quoted(lines: list[str], start: int) -> bool:
    for line in lines[start : start + 3]:
        if line.strip():
            return bool(_QUOTED.match(line))
    return False


def _next_forward(lines: list[str], start: int) -> int:
    """Index of the next forwarded-message marker (signatures end there), or the end of the text."""
    for index in range(start, len(lines)):
        if _FORWARD.match(lines[index].strip()):
            return index
    return len(lines)


def _tidy(lines: list[str]) -> str:
    """Trailing spaces off, runs of empty lines folded to one, and no empty lines at either end."""
    out: list[str] = []
    for line in lines:
        line = line.rstrip()
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)
