"""Days as the customer pages say them in English ("Fri 27 Nov"); Korean keeps its own forms
("11월 27일(금)") where each page builds them."""

from __future__ import annotations

from datetime import date

WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def english_day(day: date) -> str:
    return f"{WEEKDAYS_EN[day.weekday()]} {day.day} {MONTHS_EN[day.month - 1]}"
