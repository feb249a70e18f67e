"""How phone numbers and callback numbers are written for people."""

from __future__ import annotations

from gogaek.calendar.hours import SEOUL
from gogaek.phone.models import Callback


def callback_number(callback: Callback) -> str:
    """예약번호: "CB" with the Seoul date and the row id, easy to read out on the phone."""
    return f"CB{callback.created_at.astimezone(SEOUL):%Y%m%d}-{callback.id:06d}"


def mask_phone(digits: str) -> str:
    """010-****-5678: enough for the customer to recognise their number, not enough to call it."""
    if len(digits) < 8:
        return "*" * len(digits)
    return f"{digits[:3]}-{'*' * (len(digits) - 7)}-{digits[-4:]}"


def format_phone(digits: str) -> str:
    """01012345678 → 010-1234-5678 (agents dial it)."""
    if len(digits) == 11:
        return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
    if len(digits) == 10:
        return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"
    return digits
