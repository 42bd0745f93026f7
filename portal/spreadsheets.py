"""Helpers shared by every CSV and XLSX export."""

import re

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
