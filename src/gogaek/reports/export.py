"""CSV exports: UTF-8 with a BOM (so Excel reads Korean) and no formulas from user text."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from gogaek.web.i18n import gettext as _

# A cell that starts with one of these is run as a formula by spreadsheet programs
# (OWASP "CSV injection"); tab and carriage return are included for the same reason.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | None


def safe_cell(value: Cell) -> str | int | float:
    """Numbers stay numbers; text that a spreadsheet would run gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("예") if value else _("아니오")
    if isinstance(value, int | float):
        return value
    if value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(headers: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(header) for header in headers])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
