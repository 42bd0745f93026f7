"""Survey analysis: pure Python and pandas, no Flask and no database.

``stats.analyse`` turns answer counts into per item x group x wave results with
wave-on-wave tests and small-cell suppression; ``table.report_table`` rounds
them into the rows of the report CSV. ``surveys.report`` feeds them from the
database.
"""

from surveys.analysis.stats import ALL
from surveys.analysis.stats import COUNT_COLUMNS
from surveys.analysis.stats import RESULT_COLUMNS
from surveys.analysis.stats import AnalysisError
from surveys.analysis.stats import Flag
from surveys.analysis.stats import Method
from surveys.analysis.stats import TwoProportionResult
from surveys.analysis.stats import analyse
from surveys.analysis.stats import holm_adjust
from surveys.analysis.stats import two_proportion_test
from surveys.analysis.table import REPORT_COLUMNS
from surveys.analysis.table import ReportRow
from surveys.analysis.table import ReportValue
from surveys.analysis.table import change_pp
from surveys.analysis.table import display_value
from surveys.analysis.table import percent
from surveys.analysis.table import report_table

__all__ = [
    "ALL",
    "COUNT_COLUMNS",
    "REPORT_COLUMNS",
    "RESULT_COLUMNS",
    "AnalysisError",
    "Flag",
    "Method",
    "ReportRow",
    "ReportValue",
    "TwoProportionResult",
    "analyse",
    "change_pp",
    "display_value",
    "holm_adjust",
    "percent",
    "report_table",
    "two_proportion_test",
]
