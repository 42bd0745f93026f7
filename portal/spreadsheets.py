"""Helpers shared by every CSV and XLSX export."""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass

#: Characters that make a spreadsheet read a cell as a formula (ASVS 1.2.10), and NUL.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")
#: A plain number such as -3, -2.5 or +1e3: a spreadsheet reads it as a number, never
#: as a formula, so it is left alone and numeric answers round-trip.
_PLAIN_NUMBER = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


def safe_cell(value: str) -> str:
    """``value`` with a leading ``'`` if a spreadsheet would otherwise run it as a formula."""
    if value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def unguard_cell(value: str) -> str:
    """Undo ``safe_cell`` on an imported cell: drop a ``'`` that it would have added."""
    if value.startswith("'") and safe_cell(value[1:]) == value:
        return value[1:]
    return value


@dataclass(frozen=True)
class Sheet:
    """One worksheet: its title, an optional bold header row and its rows.

    ``rows`` may be a generator: ``xlsx_bytes`` reads it once.
    """

    title: str
    rows: Iterable[Sequence[object]]
    header: Sequence[str] = ()


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    """A workbook of ``sheets``, in which no cell is ever a formula.

    Numbers stay numbers (NaN becomes an empty cell); anything else is written as
    text through ``safe_cell``, without the control characters XLSX cannot hold.
    openpyxl is imported here, not at start-up: most processes never write one.
    """
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    def cell(value: object) -> object:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        return ILLEGAL_CHARACTERS_RE.sub("", safe_cell(str(value)))

    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    for sheet in sheets:
        worksheet = workbook.create_sheet(sheet.title)
        if sheet.header:
            worksheet.append([cell(name) for name in sheet.header])
            for heading in worksheet[1]:
                heading.font = bold
        for row in sheet.rows:
            worksheet.append([cell(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
