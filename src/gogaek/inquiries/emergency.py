"""Emergencies (금융사고): texts about voice phishing, hacking or identity theft jump the queue."""

from __future__ import annotations

import re

from gogaek.web.i18n import N_

EMERGENCY_TERMS = ("보이스피싱", "피싱", "해킹", "명의도용", "도용", "사기", "분실", "스미싱")
_COMPACT = re.compile(r"\s+")

ACCIDENT_GUIDANCE = N_(
    "금융사고가 의심되면 지금 바로 24시간 사고신고센터(1577-3754, 연중무휴)로 전화해 결제·송금을 "
    "정지해 주세요. 경찰청(112)과 금융감독원(1332)에도 신고할 수 있습니다. 접수하신 문의는 "
    "보안 전담팀이 가장 먼저 확인합니다. (Suspect fraud? Call the 24-hour accident line now to stop "
    "payments; your inquiry goes to the security team first.)"
)


def emergency_terms(*texts: str) -> list[str]:
    """The emergency words found, ignoring spacing ("보이스 피싱" counts too)."""
    compact = _COMPACT.sub("", " ".join(texts))
    return [term for term in EMERGENCY_TERMS if term in compact]


def is_emergency(*texts: str) -> bool:
    return bool(emergency_terms(*texts))
