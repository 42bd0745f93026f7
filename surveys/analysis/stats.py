"""Likert results from answer counts: distributions, wave-on-wave tests, suppression.

Input is a frame of counts that the database has already aggregated (see
``COUNT_COLUMNS``); output is one row per item x group x wave (see
``RESULT_COLUMNS``). Everything is computed from whole-person counts: the
percentages in the result are unrounded, and ``surveys.analysis.table`` rounds
them once, for display, from the counts again.

The rules, in the order ``analyse`` applies them:

1. **Base.** ``base_n`` counts answers on the five scale points; "Don't know"
   (``DK``) and blanks (``""``) are shown in the distribution but left out of
   the base, the percentages and the mean.
2. **Suppression.** A cell whose base is under ``min_base`` is suppressed: its
   numbers are blanked (``<NA>``/``NaN``) and its flag is ``suppressed``. In a
   breakdown a second cell is suppressed where needed so that the hidden one
   cannot be worked out by subtracting the shown groups from the total (see
   ``_protect``).
3. **Comparison.** Each wave is compared with the previous wave *in the report*
   on the positive share: ``change_pp`` in percentage points, ``p_value`` from a
   two-sided pooled two-proportion z-test, or Fisher's exact test when an
   expected count of the 2 x 2 table is under 5.
4. **Flag.** The p-values of every comparison in the report are Holm-adjusted
   together; an adjusted p at or under ``alpha`` reads ``improved`` or
   ``declined``, otherwise ``no reliable change``. A comparison where either
   base is under ``min_base`` reads ``too few responses`` and is not tested.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from functools import cached_property
from itertools import pairwise
from typing import TYPE_CHECKING
from typing import Any

# pandas is imported where a frame is made: building the app must not pay for it.
if TYPE_CHECKING:
    import pandas as pd


#: Columns of the counts frame ``analyse`` reads.
COUNT_COLUMNS = ("item_code", "wave", "group", "answer", "n")
#: The group of a report without a breakdown.
ALL = "all"
SCALE_POINTS = ("1", "2", "3", "4", "5")
DONT_KNOW = "DK"
BLANK = ""
POSITIVE = ("1", "2")
NEUTRAL = ("3",)
NEGATIVE = ("4", "5")
#: Below this expected count a 2 x 2 table is tested with Fisher's exact test.
MIN_EXPECTED = 5.0
DEFAULT_MIN_BASE = 5
DEFAULT_ALPHA = 0.05

COUNT_RESULT_COLUMNS = (
    "n_1",
    "n_2",
    "n_3",
    "n_4",
    "n_5",
    "n_dk",
    "n_blank",
    "base_n",
    "n_positive",
    "n_neutral",
    "n_negative",
    "prev_base_n",
    "prev_n_positive",
)
FLOAT_RESULT_COLUMNS = (
    "pct_positive",
    "pct_neutral",
    "pct_negative",
    "mean",
    "change_pp",
    "p_value",
    "p_adjusted",
)
#: Columns of the frame ``analyse`` returns, in order.
RESULT_COLUMNS = (
    "item_code",
    "group",
    "wave",
    "n_1",
    "n_2",
    "n_3",
    "n_4",
    "n_5",
    "n_dk",
    "n_blank",
    "base_n",
    "n_positive",
    "n_neutral",
    "n_negative",
    "pct_positive",
    "pct_neutral",
    "pct_negative",
    "mean",
    "suppressed",
    "prev_wave",
    "prev_base_n",
    "prev_n_positive",
    "change_pp",
    "p_value",
    "test",
    "p_adjusted",
    "flag",
)


class Flag(enum.StrEnum):
    """What a comparison with the previous wave says, in plain English."""

    #: The first wave in the report: nothing to compare with.
    NONE = ""
    IMPROVED = "improved"
    DECLINED = "declined"
    NO_RELIABLE_CHANGE = "no reliable change"
    TOO_FEW = "too few responses"
    SUPPRESSED = "suppressed"


class Method(enum.StrEnum):
    """Which test gave a comparison's p-value."""

    NONE = ""
    Z = "z"
    FISHER = "fisher"


class AnalysisError(ValueError):
    """A counts frame or setting ``analyse`` cannot work with; the message says why."""


@dataclass
class _Cell:
    """The counts of one item x group x wave, and what the rules decided about it.

    ``counts`` is complete before any total is read, so the totals are cached.
    """

    counts: dict[str, int] = field(default_factory=dict)
    suppressed: bool = False

    def n(self, *answers: str) -> int:
        counts = self.counts
        return sum([counts.get(answer, 0) for answer in answers])

    @cached_property
    def base(self) -> int:
        return self.n(*SCALE_POINTS)

    @cached_property
    def positive(self) -> int:
        return self.n(*POSITIVE)

    @property
    def holds_answers(self) -> bool:
        """True if anyone gave an answer here, "Don't know" included."""
        return self.base > 0 or self.counts.get(DONT_KNOW, 0) > 0


@dataclass
class _Comparison:
    prev_wave: int | None = None
    prev_base: int | None = None
    prev_positive: int | None = None
    change_pp: float = math.nan
    p_value: float = math.nan
    test: Method = Method.NONE
    p_adjusted: float = math.nan
    flag: Flag = Flag.NONE


@dataclass(frozen=True)
class TwoProportionResult:
    """A two-sided test of two proportions: its p-value and which test gave it."""

    p_value: float
    test: Method


def two_proportion_test(x1: int, n1: int, x2: int, n2: int) -> TwoProportionResult:
    """Compare ``x1/n1`` with ``x2/n2``: pooled z-test, or Fisher's exact test if
    any expected count of the 2 x 2 table is under 5.

    The pooled z-test is the 2 x 2 chi-square test without continuity correction.
    """
    if not (0 <= x1 <= n1 and 0 <= x2 <= n2) or n1 == 0 or n2 == 0:
        raise AnalysisError(f"cannot compare {x1}/{n1} with {x2}/{n2}")
    total = n1 + n2
    successes = x1 + x2
    failures = total - successes
    smallest_expected = min(n1, n2) * min(successes, failures) / total
    if smallest_expected < MIN_EXPECTED:
        # scipy.stats costs about 60 MB; only a report with a small table pays it.
        from scipy.stats import fisher_exact

        table = [[x1, n1 - x1], [x2, n2 - x2]]
        p = float(fisher_exact(table, alternative="two-sided").pvalue)
        return TwoProportionResult(p_value=min(p, 1.0), test=Method.FISHER)
    pooled = successes / total
    standard_error = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = (x2 / n2 - x1 / n1) / standard_error
    return TwoProportionResult(p_value=math.erfc(abs(z) / math.sqrt(2)), test=Method.Z)


def holm_adjust(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the order given."""
    m = len(p_values)
    order = sorted(range(m), key=lambda index: p_values[index])
    adjusted = [math.nan] * m
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


def _check_counts(counts: pd.DataFrame) -> None:
    missing = [column for column in COUNT_COLUMNS if column not in counts.columns]
    if missing:
        raise AnalysisError(f"the counts frame has no column {missing[0]!r}")


def _tally(counts: pd.DataFrame) -> dict[tuple[str, str, int], _Cell]:
    """Sum the counts frame into cells; answers outside the scale are ignored."""
    known = {*SCALE_POINTS, DONT_KNOW, BLANK}
    cells: dict[tuple[str, str, int], _Cell] = {}
    present = counts[counts["n"].notna()]
    columns: list[list[Any]] = [
        present["item_code"].tolist(),
        present["wave"].tolist(),
        present["group"].tolist(),
        present["answer"]
        .astype("object")
        .where(present["answer"].notna(), "")
        .tolist(),
        present["n"].astype("int64").tolist(),
    ]
    for item_code, wave, group, answer, n in zip(*columns, strict=True):
        value = str(answer).strip()
        if value.upper() == DONT_KNOW:
            value = DONT_KNOW
        if value not in known:
            continue
        cell = cells.setdefault((str(item_code), str(group), int(wave)), _Cell())
        cell.counts[value] = cell.counts.get(value, 0) + n
    return cells


def _protect(cells: Sequence[_Cell], min_base: int) -> None:
    """Suppress small cells of one item x wave, and a complementary cell if needed.

    A cell under ``min_base`` is suppressed. If that hides only one cell holding
    answers, or hidden cells whose bases together are still under ``min_base``,
    the total minus the shown groups would give them away, so the smallest shown
    cell is suppressed too.
    """
    for cell in cells:
        cell.suppressed = cell.base < min_base
    if len(cells) < 2:
        return
    hidden = [cell for cell in cells if cell.suppressed and cell.holds_answers]
    if not hidden:
        return
    if len(hidden) == 1 or sum(cell.base for cell in hidden) < min_base:
        shown = [cell for cell in cells if not cell.suppressed]
        if shown:
            min(shown, key=lambda cell: cell.base).suppressed = True


def _compare(previous: _Cell, current: _Cell, min_base: int) -> _Comparison:
    if current.suppressed:
        return _Comparison(flag=Flag.SUPPRESSED)
    if previous.base < min_base:
        return _Comparison(flag=Flag.TOO_FEW)
    if previous.suppressed:
        # A change would give away the previous wave's hidden share.
        return _Comparison(flag=Flag.SUPPRESSED)
    result = two_proportion_test(
        previous.positive, previous.base, current.positive, current.base
    )
    return _Comparison(
        prev_base=previous.base,
        prev_positive=previous.positive,
        change_pp=100 * (current.positive / current.base)
        - 100 * (previous.positive / previous.base),
        p_value=result.p_value,
        test=result.test,
    )


def _pct(count: int, base: int) -> float:
    return 100 * count / base if base else math.nan


def _unique(values: pd.Series[Any]) -> list[Any]:
    return list(dict.fromkeys(values.tolist()))


def analyse(
    counts: pd.DataFrame,
    *,
    items: Sequence[str] | None = None,
    waves: Sequence[int] | None = None,
    groups: Sequence[str] | None = None,
    min_base: int = DEFAULT_MIN_BASE,
    alpha: float = DEFAULT_ALPHA,
) -> pd.DataFrame:
    """One row per item x group x wave (``RESULT_COLUMNS``) from a counts frame.

    ``items``, ``waves`` and ``groups`` fix the rows and their order, so an item
    nobody answered or a wave without answers still gets its (suppressed) rows;
    by default they are those found in ``counts`` (waves ascending, groups
    sorted). Waves are compared in ascending order.
    """
    _check_counts(counts)
    if min_base < 1:
        raise AnalysisError("the minimum base must be at least 1")
    if not 0 < alpha < 1:
        raise AnalysisError("alpha must be between 0 and 1")
    tallies = _tally(counts)
    item_codes = (
        list(dict.fromkeys(items))
        if items is not None
        else [str(code) for code in _unique(counts["item_code"])]
    )
    wave_numbers = sorted(
        {int(wave) for wave in (waves if waves is not None else counts["wave"])}
    )
    group_names = (
        list(dict.fromkeys(groups))
        if groups is not None
        else sorted({str(group) for group in counts["group"]}) or [ALL]
    )
    cells = {
        (item, group, wave): tallies.get((item, group, wave), _Cell())
        for item in item_codes
        for group in group_names
        for wave in wave_numbers
    }
    for item in item_codes:
        for wave in wave_numbers:
            _protect([cells[item, group, wave] for group in group_names], min_base)

    comparisons: dict[tuple[str, str, int], _Comparison] = {}
    for key in cells:
        comparisons[key] = _Comparison()
    for item in item_codes:
        for group in group_names:
            for previous_wave, wave in pairwise(wave_numbers):
                comparison = _compare(
                    cells[item, group, previous_wave],
                    cells[item, group, wave],
                    min_base,
                )
                comparison.prev_wave = previous_wave
                comparisons[item, group, wave] = comparison
    tested = [c for c in comparisons.values() if c.test is not Method.NONE]
    for comparison, adjusted in zip(
        tested, holm_adjust([c.p_value for c in tested]), strict=True
    ):
        comparison.p_adjusted = adjusted
        if adjusted <= alpha:
            comparison.flag = (
                Flag.IMPROVED if comparison.change_pp > 0 else Flag.DECLINED
            )
        else:
            comparison.flag = Flag.NO_RELIABLE_CHANGE

    rows = [
        _row(
            item, group, wave, cells[item, group, wave], comparisons[item, group, wave]
        )
        for item in item_codes
        for group in group_names
        for wave in wave_numbers
    ]
    return _frame(rows)


def _row(
    item: str, group: str, wave: int, cell: _Cell, comparison: _Comparison
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "item_code": item,
        "group": group,
        "wave": wave,
        "suppressed": cell.suppressed,
        "prev_wave": comparison.prev_wave,
        "prev_base_n": comparison.prev_base,
        "prev_n_positive": comparison.prev_positive,
        "change_pp": comparison.change_pp,
        "p_value": comparison.p_value,
        "test": comparison.test.value,
        "p_adjusted": comparison.p_adjusted,
        "flag": Flag.SUPPRESSED.value if cell.suppressed else comparison.flag.value,
    }
    if cell.suppressed:
        return row
    base = cell.base
    points = {point: cell.counts.get(point, 0) for point in SCALE_POINTS}
    positive = sum([points[point] for point in POSITIVE])
    neutral = sum([points[point] for point in NEUTRAL])
    negative = sum([points[point] for point in NEGATIVE])
    row.update(
        {f"n_{point}": n for point, n in points.items()},
        n_dk=cell.n(DONT_KNOW),
        n_blank=cell.n(BLANK),
        base_n=base,
        n_positive=positive,
        n_neutral=neutral,
        n_negative=negative,
        pct_positive=_pct(positive, base),
        pct_neutral=_pct(neutral, base),
        pct_negative=_pct(negative, base),
        mean=sum([int(point) * n for point, n in points.items()]) / base
        if base
        else math.nan,
    )
    return row


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame(rows, columns=list(RESULT_COLUMNS))
    for column in COUNT_RESULT_COLUMNS:
        frame[column] = frame[column].astype("Int64")
    for column in FLOAT_RESULT_COLUMNS:
        frame[column] = frame[column].astype("float64")
    frame["prev_wave"] = frame["prev_wave"].astype("Int64")
    frame["wave"] = frame["wave"].astype("int64")
    frame["suppressed"] = frame["suppressed"].astype("bool")
    for column in ("item_code", "group", "test", "flag"):
        frame[column] = frame[column].astype("str")
    return frame
