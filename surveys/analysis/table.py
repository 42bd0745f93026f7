"""The report table (DESIGN.md "Report CSV"): analysis results rounded once, for people.

Percentages and changes are rounded half away from zero from the whole-person
counts, with exact fractions, so 1 of 8 is 12.5% and 1 of 16 is 6.3% whatever
binary floating point would make of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import TYPE_CHECKING
from typing import Any
from typing import TypeAlias

from surveys.analysis.stats import ALL

# pandas is imported where a frame is made: building the app must not pay for it.
if TYPE_CHECKING:
    import pandas as pd

#: The report's columns, in order (a contract: see DESIGN.md).
REPORT_COLUMNS = (
    "item_code",
    "item_text",
    "breakdown",
    "group",
    "wave",
    "base_n",
    "n_positive",
    "n_neutral",
    "n_negative",
    "pct_positive",
    "pct_neutral",
    "pct_negative",
    "change_pp",
    "p_value",
    "flag",
)
PERCENT_PLACES = 1
P_VALUE_PLACES = 4
_COUNTS = ("base_n", "n_positive", "n_neutral", "n_negative")

ReportValue: TypeAlias = str | int | float | None
ReportRow: TypeAlias = dict[str, ReportValue]


def round_half_up(value: Fraction, places: int = PERCENT_PLACES) -> float:
    """``value`` rounded to ``places`` decimals, halves away from zero."""
    return _rounded(value.numerator, value.denominator, places)


def _rounded(numerator: int, denominator: int, places: int) -> float:
    """``numerator / denominator`` (denominator > 0) rounded half away from zero."""
    scale = int(10**places)
    whole, remainder = divmod(abs(numerator) * scale, denominator)
    if 2 * remainder >= denominator:
        whole += 1
    return (-whole if numerator < 0 else whole) / scale


def percent(count: int, base: int, places: int = PERCENT_PLACES) -> float | None:
    """``count`` as a percentage of ``base``, rounded once; None for a zero base."""
    if base <= 0:
        return None
    return _rounded(100 * count, base, places)


def change_pp(
    count: int,
    base: int,
    prev_count: int,
    prev_base: int,
    places: int = PERCENT_PLACES,
) -> float | None:
    """The change in percentage points from ``prev_count/prev_base`` to ``count/base``."""
    if base <= 0 or prev_base <= 0:
        return None
    # 100 * (count / base - prev_count / prev_base), kept as an exact fraction.
    numerator = 100 * (count * prev_base - prev_count * base)
    return _rounded(numerator, base * prev_base, places)


def _int(value: Any) -> int | None:
    import pandas as pd

    return None if pd.isna(value) else int(value)


def report_table(
    result: pd.DataFrame,
    *,
    item_texts: Mapping[str, str],
    breakdown: str = ALL,
) -> list[ReportRow]:
    """The report rows (``REPORT_COLUMNS``) of an ``analyse`` result, rounded."""
    import pandas as pd

    rows: list[ReportRow] = []
    for record in result.to_dict("records"):
        code = str(record["item_code"])
        counts = {column: _int(record[column]) for column in _COUNTS}
        base = counts["base_n"]
        row: ReportRow = {
            "item_code": code,
            "item_text": item_texts.get(code, ""),
            "breakdown": breakdown,
            "group": str(record["group"]),
            "wave": int(record["wave"]),
            **counts,
        }
        for column, count_column in (
            ("pct_positive", "n_positive"),
            ("pct_neutral", "n_neutral"),
            ("pct_negative", "n_negative"),
        ):
            count = counts[count_column]
            row[column] = (
                None if base is None or count is None else percent(count, base)
            )
        prev_base = _int(record["prev_base_n"])
        prev_positive = _int(record["prev_n_positive"])
        positive = counts["n_positive"]
        row["change_pp"] = None
        if (
            base is not None
            and positive is not None
            and prev_base is not None
            and prev_positive is not None
        ):
            row["change_pp"] = change_pp(positive, base, prev_positive, prev_base)
        row["p_value"] = (
            None
            if pd.isna(record["p_value"])
            else round(float(record["p_value"]), P_VALUE_PLACES)
        )
        row["flag"] = str(record["flag"])
        rows.append(row)
    return rows


def display_value(column: str, value: ReportValue) -> str:
    """How a report value reads in a CSV cell: blank for None, fixed decimals."""
    if value is None:
        return ""
    if isinstance(value, float):
        places = P_VALUE_PLACES if column == "p_value" else PERCENT_PLACES
        return f"{value:.{places}f}"
    return str(value)
