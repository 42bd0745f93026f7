"""Survey questions a plan's actions are meant to move, beside those actions.

For each question linked to an action of the strategy: how its answers changed
from wave to wave (the share agreeing, or saying "increased" or "more
effective", with the report's change in percentage points and its plain-English
flag), and where each action meant to move it stands. The figures are those of
``surveys.report``, so they match the survey's results page and report CSV to
the decimal. For a programme-wide survey they are the answers of the strategy's
own partnership; for a partnership survey, every answer.

Survey results are respondent-level data, so the caller says which surveys the
reader may see (``surveys.access.can_see_respondents``); for the others only the
questions and actions are listed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field

from sqlalchemy import select

from governance.models import Action
from governance.models import Strategy
from governance.models import action_survey_item
from governance.queries import natural_key
from portal.extensions import db
from surveys.analysis import ALL
from surveys.analysis import Flag
from surveys.analysis import ReportRow
from surveys.charts import share_labels
from surveys.models import Item
from surveys.models import ItemType
from surveys.models import Survey
from surveys.models import Wave
from surveys.report import report_rows


@dataclass(frozen=True)
class WaveFigure:
    """One wave's answers to a question, as the survey report gives them."""

    number: int
    #: When the wave was in the field, e.g. "January 2014".
    fieldwork: str
    #: Answers on the scale (blanks and Don't know left out); None if suppressed.
    base_n: int | None
    pct_positive: float | None
    #: Change from the wave before in percentage points; None for the first wave.
    change_pp: float | None
    flag: str

    @property
    def change_text(self) -> str:
        """The change as people read it: "+5.8 pp", a minus sign for a fall, or ""."""
        if self.change_pp is None:
            return ""
        if self.change_pp == 0:
            return "0.0 pp"
        sign = "+" if self.change_pp > 0 else "\u2212"
        return f"{sign}{abs(self.change_pp):.1f} pp"


@dataclass
class LinkedQuestion:
    """A survey question, the plan's actions meant to move it, and its answers by wave."""

    item: Item
    survey: Survey
    actions: list[Action]
    #: False when the reader may not see this survey's results.
    shown: bool
    #: Whose answers the figures are, e.g. "All respondents" or "New Routes".
    answered_by: str = ""
    waves: list[WaveFigure] = field(default_factory=list)
    #: The latest wave compared with the first, when there are three or more.
    since_first: WaveFigure | None = None

    @property
    def is_likert(self) -> bool:
        """Only agree/disagree-style questions are compared across waves."""
        return self.item.type is ItemType.LIKERT

    @property
    def positive(self) -> str:
        """What the share counts: "agree", "increased" or "more effective"."""
        return share_labels(self.item.scale)[0]

    @property
    def latest(self) -> WaveFigure | None:
        """The last wave with figures."""
        return self.waves[-1] if self.waves else None


def linked_actions(strategy: Strategy) -> dict[int, list[Action]]:
    """The strategy's actions by the id of each survey question they are linked to."""
    rows = db.session.execute(
        select(action_survey_item.c.item_id, Action)
        .join(Action, Action.id == action_survey_item.c.action_id)
        .where(Action.strategy_id == strategy.id)
    ).all()
    found: dict[int, list[Action]] = defaultdict(list)
    for item_id, action in rows:
        found[item_id].append(action)
    for actions in found.values():
        actions.sort(key=lambda action: natural_key(action.ref))
    return found


def _fieldwork(wave: Wave) -> str:
    return f"{wave.opens_on:%B %Y}"


def _figures(
    rows: Sequence[ReportRow], code: str, groups: set[str], waves: dict[int, Wave]
) -> list[WaveFigure]:
    figures = []
    for row in rows:
        if row["item_code"] != code or row["group"] not in groups:
            continue
        number = int(str(row["wave"]))
        base = row["base_n"]
        pct = row["pct_positive"]
        change = row["change_pp"]
        figures.append(
            WaveFigure(
                number=number,
                fieldwork=_fieldwork(waves[number]),
                base_n=int(base) if isinstance(base, int) else None,
                pct_positive=float(pct) if isinstance(pct, int | float) else None,
                change_pp=float(change) if isinstance(change, int | float) else None,
                flag=str(row["flag"] or ""),
            )
        )
    return sorted(figures, key=lambda figure: figure.number)


def linked_questions(
    strategy: Strategy,
    *,
    shown: Callable[[Survey], bool],
    min_base: int = 5,
) -> list[LinkedQuestion]:
    """Every survey question linked to an action of the strategy, with its figures.

    Questions come in survey-title and questionnaire order. ``shown`` says
    whether the reader may see a survey's results; ``min_base`` is the smallest
    base shown (smaller groups are suppressed, as in the survey report).
    """
    by_item = linked_actions(strategy)
    if not by_item:
        return []
    items = list(
        db.session.scalars(
            select(Item)
            .join(Survey, Survey.id == Item.survey_id)
            .where(Item.id.in_(by_item))
            .order_by(Survey.title, Survey.id, Item.position)
        )
    )
    partnership = strategy.partnership
    # The report names a partnership by its name, or "name (slug)" when two share it.
    own = {partnership.name, f"{partnership.name} ({partnership.slug})"}
    reports: dict[int, tuple[list[ReportRow], list[ReportRow], set[str]]] = {}
    questions = []
    for item in items:
        survey = item.survey
        question = LinkedQuestion(
            item=item, survey=survey, actions=by_item[item.id], shown=shown(survey)
        )
        questions.append(question)
        if not (question.shown and question.is_likert and survey.waves):
            continue
        if survey.id not in reports:
            by = None if survey.partnership_id is not None else "partnership"
            numbers = sorted(wave.number for wave in survey.waves)
            every = report_rows(survey, None, by, min_base)
            first_last = (
                report_rows(survey, [numbers[0], numbers[-1]], by, min_base)
                if len(numbers) > 2
                else []
            )
            reports[survey.id] = (every, first_last, {ALL} if by is None else own)
        every, first_last, groups = reports[survey.id]
        waves = {wave.number: wave for wave in survey.waves}
        question.answered_by = (
            "All respondents"
            if survey.partnership_id is not None
            else f"Respondents from {partnership.name}"
        )
        question.waves = _figures(every, item.code, groups, waves)
        ends = _figures(first_last, item.code, groups, waves)
        if len(ends) == 2:
            question.since_first = ends[1]
    return questions


def flag_label(flag: str) -> str:
    """A report flag as a sentence fragment people read."""
    return {
        Flag.IMPROVED.value: "Improved",
        Flag.DECLINED.value: "Declined",
        Flag.NO_RELIABLE_CHANGE.value: "No reliable change",
        Flag.TOO_FEW.value: "Too few responses to compare",
        Flag.SUPPRESSED.value: "Too few responses to show",
    }.get(flag, "")
