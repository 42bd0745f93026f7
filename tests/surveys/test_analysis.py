"""The analysis module on hand-built count frames: no app, no database."""

import math
import subprocess
import sys
from fractions import Fraction

import pandas as pd
import pytest
from scipy.stats import chi2_contingency
from scipy.stats import fisher_exact

from surveys.analysis import ALL
from surveys.analysis import COUNT_COLUMNS
from surveys.analysis import RESULT_COLUMNS
from surveys.analysis import AnalysisError
from surveys.analysis import Flag
from surveys.analysis import Method
from surveys.analysis import analyse
from surveys.analysis import change_pp
from surveys.analysis import display_value
from surveys.analysis import holm_adjust
from surveys.analysis import percent
from surveys.analysis import report_table
from surveys.analysis import two_proportion_test
from surveys.analysis.table import round_half_up

# Seed 002, "I understand the role of other partners in the PSP": people who
# agreed / neither / disagreed in each wave (reference/rrcf-partner-survey.md §c).
OTHER_ROLES = {1: (73, 3, 6), 2: (59, 5, 2), 3: (51, 10, 2)}


def frame(rows):
    """A counts frame from (item, wave, group, answer, n) tuples."""
    return pd.DataFrame(rows, columns=list(COUNT_COLUMNS))


def split(item, wave, group, positive, neutral, negative, *, dk=0, blank=0):
    """Rows for collapsed counts: positives as "2", neutral "3", negatives "4"."""
    rows = [
        (item, wave, group, "2", positive),
        (item, wave, group, "3", neutral),
        (item, wave, group, "4", negative),
        (item, wave, group, "DK", dk),
        (item, wave, group, "", blank),
    ]
    return [row for row in rows if row[-1]]


def seed_counts(waves=(1, 2, 3)):
    rows = []
    for wave in waves:
        rows += split("understand_other_roles", wave, ALL, *OTHER_ROLES[wave])
    return frame(rows)


def one(result, **where):
    """The single result row matching ``where``, as a dict."""
    selected = result
    for column, value in where.items():
        selected = selected[selected[column] == value]
    assert len(selected) == 1, selected
    return selected.iloc[0].to_dict()


def whole_percent(count, base):
    return int(percent(count, base, places=0))


# --- the published table ----------------------------------------------------


def test_seed_002_understand_other_roles_matches_the_published_figures():
    result = analyse(seed_counts())
    published = {1: (82, 89, 4), 2: (66, 89, 8), 3: (63, 81, 16)}
    for wave, (base, agree, neither) in published.items():
        row = one(result, wave=wave)
        assert row["base_n"] == base
        assert whole_percent(row["n_positive"], row["base_n"]) == agree
        assert whole_percent(row["n_neutral"], row["base_n"]) == neither
        assert round(row["pct_positive"]) == agree
        assert round(row["pct_neutral"]) == neither


def test_seed_002_wave_1_to_wave_3_is_no_reliable_change():
    result = analyse(seed_counts(waves=(1, 3)))
    row = one(result, wave=3)
    assert row["prev_wave"] == 1
    assert row["test"] == Method.Z
    assert row["flag"] == Flag.NO_RELIABLE_CHANGE
    assert row["p_value"] > 0.05
    assert row["change_pp"] == pytest.approx(100 * (51 / 63 - 73 / 82))
    # The same 2x2 chi-square without continuity correction.
    table = [[73, 9], [51, 12]]
    expected = chi2_contingency(table, correction=False).pvalue
    assert row["p_value"] == pytest.approx(expected)


def test_seed_002_all_three_waves_show_no_reliable_change():
    result = analyse(seed_counts())
    assert list(result["flag"]) == ["", "no reliable change", "no reliable change"]


# --- base, distribution, percentages and mean ----------------------------------


def test_dont_know_and_blanks_are_shown_but_excluded_from_base_and_mean():
    counts = frame(
        [
            ("q", 1, ALL, "1", 2),
            ("q", 1, ALL, "2", 3),
            ("q", 1, ALL, "3", 1),
            ("q", 1, ALL, "5", 4),
            ("q", 1, ALL, "DK", 7),
            ("q", 1, ALL, "", 9),
        ]
    )
    row = one(analyse(counts), wave=1)
    assert [row[f"n_{point}"] for point in range(1, 6)] == [2, 3, 1, 0, 4]
    assert (row["n_dk"], row["n_blank"]) == (7, 9)
    assert row["base_n"] == 10
    assert (row["n_positive"], row["n_neutral"], row["n_negative"]) == (5, 1, 4)
    assert row["pct_positive"] == pytest.approx(50.0)
    assert row["pct_neutral"] == pytest.approx(10.0)
    assert row["pct_negative"] == pytest.approx(40.0)
    assert row["mean"] == pytest.approx((2 * 1 + 3 * 2 + 1 * 3 + 4 * 5) / 10)


def test_percentages_are_unrounded_and_rounded_once_for_display():
    counts = frame([("q", 1, ALL, "1", 1), ("q", 1, ALL, "4", 2)])
    row = one(analyse(counts, min_base=1), wave=1)
    assert row["pct_positive"] == pytest.approx(100 / 3)
    (shown,) = report_table(analyse(counts, min_base=1), item_texts={"q": "Q"})
    assert (shown["pct_positive"], shown["pct_negative"]) == (33.3, 66.7)


def test_repeated_count_rows_are_added_up_and_unknown_answers_ignored():
    counts = frame(
        [
            ("q", 1, ALL, "1", 3),
            ("q", 1, ALL, "1", 4),
            ("q", 1, ALL, "dk", 1),
            ("q", 1, ALL, "7", 50),
        ]
    )
    row = one(analyse(counts), wave=1)
    assert (row["n_1"], row["n_dk"], row["base_n"]) == (7, 1, 7)


@pytest.mark.parametrize(
    ("count", "base", "places", "shown"),
    [
        (1, 8, 1, 12.5),
        (1, 8, 0, 13.0),
        (1, 16, 1, 6.3),  # 6.25 exactly: halves go up, not to even
        (3, 2000, 1, 0.2),  # 0.15 exactly, which binary floating point cannot hold
        (73, 82, 1, 89.0),
        (2, 3, 1, 66.7),
        (0, 5, 1, 0.0),
        (5, 5, 1, 100.0),
    ],
)
def test_percent_rounds_half_up_from_the_counts(count, base, places, shown):
    assert percent(count, base, places) == shown


def test_percent_and_change_of_a_zero_base_are_none():
    assert percent(0, 0) is None
    assert change_pp(1, 2, 0, 0) is None


def test_change_is_rounded_from_exact_fractions_away_from_zero():
    assert change_pp(51, 63, 73, 82) == -8.1
    assert round_half_up(Fraction(-1, 40) * 100) == -2.5
    assert round_half_up(Fraction(-225, 100)) == -2.3
    assert change_pp(3, 4, 1, 2) == 25.0


def test_display_value_formats_blanks_percentages_and_p_values():
    assert display_value("pct_positive", None) == ""
    assert display_value("pct_positive", 89.0) == "89.0"
    assert display_value("change_pp", -8.1) == "-8.1"
    assert display_value("p_value", 0.171) == "0.1710"
    assert display_value("base_n", 82) == "82"
    assert display_value("flag", "improved") == "improved"


# --- the test of a change: z or Fisher ------------------------------------------


def test_z_test_when_every_expected_count_is_at_least_five():
    result = two_proportion_test(50, 100, 65, 100)
    assert result.test is Method.Z
    table = [[50, 50], [65, 35]]
    assert result.p_value == pytest.approx(
        chi2_contingency(table, correction=False).pvalue
    )


def test_fisher_when_an_expected_count_is_under_five():
    # Expected "not positive" count in wave 1 is 10 * 6 / 30 = 2 < 5.
    result = two_proportion_test(9, 10, 15, 20)
    assert result.test is Method.FISHER
    expected = fisher_exact([[9, 1], [15, 5]], alternative="two-sided").pvalue
    assert result.p_value == pytest.approx(expected)


def test_the_switch_happens_exactly_at_an_expected_count_of_five():
    # Expected counts: 20 * 10 / 40 = 5 (z) versus 20 * 9 / 40 = 4.5 (Fisher).
    assert two_proportion_test(15, 20, 15, 20).test is Method.Z
    assert two_proportion_test(16, 20, 15, 20).test is Method.FISHER


def test_everyone_positive_in_both_waves_gives_p_one_without_dividing_by_zero():
    result = two_proportion_test(20, 20, 30, 30)
    assert result.test is Method.FISHER
    assert result.p_value == pytest.approx(1.0)


def test_an_empty_base_cannot_be_tested():
    with pytest.raises(AnalysisError):
        two_proportion_test(0, 0, 3, 10)


def test_analyse_uses_fisher_for_small_expected_counts():
    counts = frame(split("q", 1, ALL, 9, 1, 0) + split("q", 2, ALL, 15, 3, 2))
    row = one(analyse(counts), wave=2)
    assert row["test"] == Method.FISHER
    assert row["flag"] == Flag.NO_RELIABLE_CHANGE


# --- Holm ----------------------------------------------------------------------


def test_holm_adjusts_in_order_and_keeps_the_input_order():
    adjusted = holm_adjust([0.01, 0.04, 0.03, 0.005])
    # Sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 -> max(0.06, 0.04).
    assert adjusted == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_holm_caps_at_one_and_handles_no_p_values():
    assert holm_adjust([0.6, 0.9]) == pytest.approx([1.0, 1.0])
    assert holm_adjust([]) == []


def test_flags_use_holm_across_all_the_reports_comparisons():
    counts = frame(
        split("big", 1, ALL, 30, 40, 30)
        + split("big", 2, ALL, 60, 20, 20)
        + split("edge", 1, ALL, 50, 25, 25)
        + split("edge", 2, ALL, 65, 20, 15)
        + split("down", 1, ALL, 70, 20, 10)
        + split("down", 2, ALL, 30, 40, 30)
        + split("flat", 1, ALL, 50, 25, 25)
        + split("flat", 2, ALL, 50, 25, 25)
    )
    result = analyse(counts)
    edge = one(result, item_code="edge", wave=2)
    # Alone, 50% -> 65% passes at 0.05. Third smallest of four p-values, Holm
    # multiplies it by 4 - 2 = 2, and then it does not.
    assert edge["p_value"] < 0.05
    assert edge["p_adjusted"] == pytest.approx(2 * edge["p_value"])
    assert edge["flag"] == Flag.NO_RELIABLE_CHANGE
    assert one(result, item_code="big", wave=2)["flag"] == Flag.IMPROVED
    assert one(result, item_code="down", wave=2)["flag"] == Flag.DECLINED
    alone = analyse(counts[counts["item_code"] == "edge"])
    assert one(alone, wave=2)["flag"] == Flag.IMPROVED


def test_untested_comparisons_do_not_count_towards_holm():
    counts = frame(
        split("edge", 1, ALL, 50, 25, 25)
        + split("edge", 2, ALL, 65, 20, 15)
        + split("small", 1, ALL, 2, 1, 0)
        + split("small", 2, ALL, 30, 0, 0)
    )
    result = analyse(counts)
    assert one(result, item_code="small", wave=2)["flag"] == Flag.TOO_FEW
    assert one(result, item_code="edge", wave=2)["flag"] == Flag.IMPROVED


def test_alpha_is_configurable():
    counts = frame(
        split("edge", 1, ALL, 50, 25, 25) + split("edge", 2, ALL, 65, 20, 15)
    )
    assert one(analyse(counts, alpha=0.01), wave=2)["flag"] == Flag.NO_RELIABLE_CHANGE


# --- too few responses ------------------------------------------------------------


def test_too_few_responses_when_the_previous_base_is_under_the_minimum():
    counts = frame(split("q", 1, ALL, 2, 1, 1, dk=6) + split("q", 2, ALL, 12, 4, 4))
    result = analyse(counts)
    first, second = one(result, wave=1), one(result, wave=2)
    assert first["suppressed"]
    assert first["flag"] == Flag.SUPPRESSED
    assert pd.isna(first["base_n"])
    assert not second["suppressed"]
    assert second["base_n"] == 20
    assert second["flag"] == Flag.TOO_FEW
    assert math.isnan(second["change_pp"])
    assert math.isnan(second["p_value"])


def test_the_minimum_base_is_configurable():
    counts = frame(split("q", 1, ALL, 5, 1, 1) + split("q", 2, ALL, 8, 1, 1))
    assert one(analyse(counts), wave=2)["flag"] == Flag.NO_RELIABLE_CHANGE
    result = analyse(counts, min_base=10)
    assert one(result, wave=1)["flag"] == Flag.SUPPRESSED
    assert one(result, wave=2)["flag"] == Flag.TOO_FEW
    with pytest.raises(AnalysisError):
        analyse(counts, min_base=0)


# --- suppression -----------------------------------------------------------------


def breakdown(bases, *, wave=1, item="q"):
    """Rows for groups whose answers are all "agree": {group: base}."""
    return [(item, wave, group, "2", base) for group, base in bases.items() if base]


def test_small_group_and_the_next_smallest_are_suppressed():
    # T32: orgs A/B/C with 12/7/3 respondents, k = 5.
    result = analyse(frame(breakdown({"A": 12, "B": 7, "C": 3})))
    a, b, c = (one(result, group=name) for name in "ABC")
    assert c["suppressed"] and c["flag"] == Flag.SUPPRESSED
    assert b["suppressed"] and b["flag"] == Flag.SUPPRESSED
    assert not a["suppressed"] and a["base_n"] == 12
    for hidden in (b, c):
        assert all(
            pd.isna(hidden[column])
            for column in (
                "base_n",
                "n_positive",
                "n_neutral",
                "n_negative",
                "n_dk",
                "n_blank",
                "n_1",
                "pct_positive",
                "pct_neutral",
                "pct_negative",
                "mean",
            )
        )


def test_complementary_suppression_breaks_ties_by_group_order():
    result = analyse(frame(breakdown({"A": 9, "B": 9, "C": 2})), groups=["A", "B", "C"])
    assert [one(result, group=g)["suppressed"] for g in "ABC"] == [True, False, True]


def test_two_small_groups_that_together_reach_the_minimum_need_no_complement():
    result = analyse(frame(breakdown({"A": 12, "B": 3, "C": 3, "D": 8})))
    assert [one(result, group=g)["suppressed"] for g in "ABCD"] == [
        False,
        True,
        True,
        False,
    ]


def test_two_small_groups_that_together_stay_under_the_minimum_get_a_complement():
    result = analyse(frame(breakdown({"A": 12, "B": 1, "C": 2, "D": 8})))
    assert [one(result, group=g)["suppressed"] for g in "ABCD"] == [
        False,
        True,
        True,
        True,
    ]


def test_a_group_with_nobody_in_it_needs_no_complement():
    counts = frame(breakdown({"A": 12, "B": 7}))
    result = analyse(counts, groups=["A", "B", "C"])
    assert [one(result, group=g)["suppressed"] for g in "ABC"] == [False, False, True]


def test_a_small_group_of_dont_knows_is_still_protected():
    counts = frame([*breakdown({"A": 12, "B": 7}), ("q", 1, "C", "DK", 2)])
    result = analyse(counts)
    assert [one(result, group=g)["suppressed"] for g in "ABC"] == [False, True, True]


def test_suppression_is_decided_per_item_and_wave():
    counts = frame(
        breakdown({"A": 12, "B": 7, "C": 3})
        + breakdown({"A": 12, "B": 7, "C": 6}, wave=2)
        + breakdown({"A": 12, "B": 7, "C": 6}, item="other")
    )
    result = analyse(counts)
    assert one(result, item_code="q", wave=1, group="B")["suppressed"]
    assert not one(result, item_code="q", wave=2, group="B")["suppressed"]
    assert not one(result, item_code="other", wave=1, group="C")["suppressed"]


def test_a_change_from_a_suppressed_cell_is_withheld():
    counts = frame(
        breakdown({"A": 12, "B": 7, "C": 3})
        + breakdown({"A": 12, "B": 7, "C": 6}, wave=2)
    )
    result = analyse(counts)
    b = one(result, group="B", wave=2)
    c = one(result, group="C", wave=2)
    # B's wave 1 share is hidden, so its change would give it away.
    assert b["flag"] == Flag.SUPPRESSED and math.isnan(b["change_pp"])
    assert c["flag"] == Flag.TOO_FEW and math.isnan(c["change_pp"])
    assert one(result, group="A", wave=2)["flag"] == Flag.NO_RELIABLE_CHANGE
    rows = report_table(result, item_texts={}, breakdown="partnership")
    shown = next(row for row in rows if row["group"] == "B" and row["wave"] == 2)
    assert shown["change_pp"] is None and shown["p_value"] is None
    assert shown["base_n"] == 7


def test_suppressed_rows_print_blank_numbers_in_the_report():
    result = analyse(frame(breakdown({"A": 12, "B": 7, "C": 3})))
    rows = report_table(result, item_texts={"q": "Question"}, breakdown="sector")
    hidden = next(row for row in rows if row["group"] == "C")
    assert hidden["flag"] == "suppressed"
    assert hidden["breakdown"] == "sector"
    assert all(
        hidden[column] is None
        for column in (
            "base_n",
            "n_positive",
            "n_neutral",
            "n_negative",
            "pct_positive",
            "pct_neutral",
            "pct_negative",
            "change_pp",
            "p_value",
        )
    )


# --- awkward input ---------------------------------------------------------------


def test_no_answers_at_all_gives_an_empty_result():
    result = analyse(frame([]))
    assert list(result.columns) == list(RESULT_COLUMNS)
    assert result.empty
    assert report_table(result, item_texts={}) == []


def test_no_answers_with_items_and_waves_given_gives_suppressed_rows():
    result = analyse(frame([]), items=["q"], waves=[1, 2], groups=[ALL])
    assert list(result["flag"]) == [Flag.SUPPRESSED, Flag.SUPPRESSED]
    assert result["base_n"].isna().all()


def test_one_respondent_is_suppressed_not_divided():
    counts = frame([("q", 1, ALL, "2", 1), *split("q", 2, ALL, 10, 5, 5)])
    result = analyse(counts)
    assert one(result, wave=1)["flag"] == Flag.SUPPRESSED
    assert one(result, wave=2)["flag"] == Flag.TOO_FEW


def test_one_respondent_with_a_minimum_of_one_is_compared_by_fisher():
    counts = frame([("q", 1, ALL, "2", 1), *split("q", 2, ALL, 10, 5, 5)])
    row = one(analyse(counts, min_base=1), wave=2)
    assert row["test"] == Method.FISHER
    assert row["flag"] == Flag.NO_RELIABLE_CHANGE


def test_an_item_nobody_answered_gets_suppressed_rows():
    counts = frame([*split("q", 1, ALL, 10, 5, 5), ("skipped", 1, ALL, "", 20)])
    row = one(analyse(counts, items=["q", "skipped"]), item_code="skipped")
    assert row["suppressed"]
    assert row["flag"] == Flag.SUPPRESSED


def test_an_item_only_answered_dont_know_has_a_zero_base_and_no_mean():
    counts = frame([("q", 1, ALL, "DK", 9)])
    row = one(analyse(counts, min_base=1), wave=1)
    assert row["suppressed"]


def test_a_wave_missing_an_item_is_suppressed_and_breaks_the_comparison():
    counts = frame(
        split("q", 1, ALL, 10, 5, 5)
        + split("r", 1, ALL, 10, 5, 5)
        + split("q", 2, ALL, 10, 5, 5)
        + split("q", 3, ALL, 20, 5, 5)
        + split("r", 3, ALL, 10, 5, 5)
    )
    result = analyse(counts, items=["q", "r"], waves=[1, 2, 3])
    assert one(result, item_code="r", wave=2)["flag"] == Flag.SUPPRESSED
    assert one(result, item_code="r", wave=3)["flag"] == Flag.TOO_FEW
    assert one(result, item_code="q", wave=3)["flag"] == Flag.NO_RELIABLE_CHANGE


def test_rows_follow_the_given_item_group_and_wave_order():
    counts = frame(split("b", 2, "Y", 5, 0, 0) + split("a", 1, "X", 5, 0, 0))
    result = analyse(counts, items=["b", "a"], waves=[2, 1], groups=["Y", "X"])
    keys = list(zip(result["item_code"], result["group"], result["wave"], strict=True))
    assert keys == [
        ("b", "Y", 1),
        ("b", "Y", 2),
        ("b", "X", 1),
        ("b", "X", 2),
        ("a", "Y", 1),
        ("a", "Y", 2),
        ("a", "X", 1),
        ("a", "X", 2),
    ]


def test_waves_are_compared_with_the_previous_wave_in_the_report():
    counts = seed_counts()
    row = one(analyse(counts, waves=[3, 1]), wave=3)
    assert row["prev_wave"] == 1


def test_a_frame_without_the_count_columns_is_refused():
    with pytest.raises(AnalysisError, match="answer"):
        analyse(pd.DataFrame({"item_code": [], "wave": [], "group": [], "n": []}))


def test_the_analysis_package_imports_neither_flask_nor_sqlalchemy():
    code = (
        "import sys, surveys.analysis; "
        "bad = [m for m in ('flask', 'sqlalchemy', 'flask_sqlalchemy') "
        "if m in sys.modules]; "
        "print(*bad); sys.exit(1 if bad else 0)"
    )
    # A fresh interpreter, because this one has imported Flask for other tests.
    completed = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
