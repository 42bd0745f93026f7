"""Board progress summaries: the figures a board reads in five minutes, frozen as presented.

A summary is assembled for a partnership from the services that own each figure,
never recomputed another way:

- the action plan in force (``meetings.plan_for``): the completion report as at
  the reporting date (``completion.states_as_of`` / ``rows_for``, the numbers of
  the plan's progress page), by theme and delivery group, and the outcome
  indicators' latest values against target (``plans.indicator_rag``);
- the partnership's latest closed survey wave: response rate
  (``fieldwork.response_rates``), and the report of that wave against the one
  before (``surveys.report.count_frame`` → ``surveys.analysis.analyse`` →
  ``report_table``, exactly as ``report_rows`` and the results page make it);
- the governance record since the last meeting: decisions, actions arising with
  their status (``meetings.actions_arising``, statuses from the action history),
  and memoranda due for review or not fully signed (``agreements.register``).

``assemble`` returns plain JSON-serialisable data, with each figure's source page
as an endpoint and its arguments (the view builds the links). ``summary_text``
writes the plain-English summary from those numbers alone, deterministically.

A draft shows live figures. ``publish`` freezes the figures, the charts (SVG for
the page, PNG for the PDF) and the text into the database, adds an item to the
meeting's agenda that links to the summary, and from then on nothing is
recomputed: a published summary and its charts refuse every change.

Services flush; the caller commits once.
"""

from __future__ import annotations

import enum
import hashlib
import json
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

from sqlalchemy import CheckConstraint
from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import LargeBinary
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy import event
from sqlalchemy import inspect
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship
from sqlalchemy.orm.exc import StaleDataError

from governance import agreements
from governance import completion
from governance import meetings
from governance import plan_charts
from governance import plans
from governance.completion import Breakdown
from governance.completion import CompletionRow
from governance.meetings import BodyKind
from governance.meetings import Meeting
from governance.meetings import MeetingBody
from governance.meetings import MeetingStatus
from governance.models import Rag
from governance.models import Strategy
from portal import clock
from portal.errors import EditConflictError
from portal.errors import PortalError
from portal.extensions import Base
from portal.extensions import db
from portal.mail import Mail
from portal.mail import send_after_commit
from portal.models import MemberRole
from portal.models import Membership
from portal.models import Partnership
from portal.models import Person
from portal.models import User
from portal.models import UTCDateTime
from portal.models import enum_column
from portal.models import utcnow
from surveys import charts
from surveys import fieldwork
from surveys.analysis import ALL
from surveys.analysis import Flag
from surveys.analysis import analyse
from surveys.analysis import percent
from surveys.analysis import report_table
from surveys.models import Survey
from surveys.models import Wave
from surveys.report import count_frame
from surveys.report import likert_items
from surveys.report import response_count
from surveys.report import wording_warnings

#: Bumped when the shape of the frozen figures changes; templates read old shapes too.
SCHEMA = 1
MAX_TITLE = 300
MAX_TEXT = 20_000
#: At most this many questions in the headline survey chart.
HEADLINE_LIMIT = 6
CONFLICT_MESSAGE = (
    "Someone else changed this summary after you opened it. Your changes were not "
    "saved: reload to see theirs, then make yours again."
)
STALE_TEXT_MESSAGE = (
    "The figures have changed since the summary text was edited, so the text may "
    "no longer match them. Check the text against the figures and save it again "
    "(or clear it to use the generated text), then publish."
)
RELIABLE = (Flag.IMPROVED.value, Flag.DECLINED.value)


class SummaryError(PortalError):
    """A change the summary's rules refuse; the message says why."""

    status = 422


class SummaryPublishedError(SummaryError):
    """A published summary is frozen: it cannot be edited, published again or discarded."""

    status = 409


class SummaryStatus(enum.StrEnum):
    """Whether a summary is still a draft or has been published to a meeting."""

    DRAFT = "draft"
    PUBLISHED = "published"

    @property
    def label(self) -> str:
        """The name people read."""
        return self.value.capitalize()


# Models ---------------------------------------------------------------------------


class BoardSummary(Base):
    """A board progress summary: live while a draft, frozen once published.

    ``figures`` (JSON from ``assemble``) and ``text`` are written at publishing and
    never changed after; ``text`` on a draft is the coordinator's edited text, or
    None for the generated one, and ``text_basis`` the digest of the figures it
    was written against.
    """

    __tablename__ = "board_summary"
    __table_args__ = (
        CheckConstraint("until IS NULL OR since <= until", name="period_in_order"),
        CheckConstraint(
            "status = 'draft' OR (figures IS NOT NULL AND text IS NOT NULL "
            "AND published_at IS NOT NULL)",
            name="published_is_frozen",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnership.id"), index=True
    )
    #: The meeting it is for (a draft may have none yet) and, once published, its
    #: agenda item there.
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting.id", ondelete="SET NULL"), index=True
    )
    agenda_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting_agenda_item.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(MAX_TITLE))
    #: The reporting date: action and indicator figures are as at the end of it.
    as_of: Mapped[date]
    #: Meetings held from ``since`` to ``until`` give the decisions; until is the
    #: day before the meeting, or open (today) for a draft without a meeting.
    since: Mapped[date]
    until: Mapped[date | None]
    status: Mapped[SummaryStatus] = mapped_column(
        enum_column(SummaryStatus), default=SummaryStatus.DRAFT
    )
    text: Mapped[str | None] = mapped_column(Text)
    text_basis: Mapped[str] = mapped_column(String(64), default="", server_default="")
    figures: Mapped[str | None] = mapped_column(Text)
    #: The PDF as published, so a download does not rebuild it (0.3-0.5 s); None for
    #: a draft, and for a summary published before it was kept, until first asked
    #: for. Deferred: lists of summaries never need it.
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    partnership: Mapped[Partnership] = relationship()
    meeting: Mapped[Meeting | None] = relationship()
    agenda_item: Mapped[meetings.AgendaItem | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id])
    charts: Mapped[list[SummaryChart]] = relationship(
        back_populates="summary",
        order_by="SummaryChart.position",
        cascade="all, delete-orphan",
    )

    @property
    def is_published(self) -> bool:
        """True once frozen."""
        return self.status is SummaryStatus.PUBLISHED

    def frozen_figures(self) -> dict[str, Any]:
        """The figures as published."""
        if self.figures is None:
            raise SummaryError("This summary has not been published")
        loaded: dict[str, Any] = json.loads(self.figures)
        return loaded


class SummaryChart(Base):
    """A chart of a published summary as it was presented: SVG for the page, PNG for the PDF."""

    __tablename__ = "board_summary_chart"
    __table_args__ = (UniqueConstraint("summary_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    summary_id: Mapped[int] = mapped_column(
        ForeignKey("board_summary.id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(MAX_TITLE))
    #: The long text alternative: every number of the chart in words.
    description: Mapped[str] = mapped_column(Text)
    svg: Mapped[str] = mapped_column(Text)
    png: Mapped[bytes] = mapped_column(LargeBinary)
    summary: Mapped[BoardSummary] = relationship(back_populates="charts")


@event.listens_for(BoardSummary, "before_update")
def _refuse_change_once_published(_: object, __: object, target: BoardSummary) -> None:
    """A published summary is frozen as presented."""
    history = inspect(target).attrs.status.history
    before = [*history.deleted, *history.unchanged]
    if SummaryStatus.PUBLISHED in before:
        raise SummaryPublishedError("A published summary cannot be changed")


@event.listens_for(BoardSummary, "before_delete")
def _refuse_delete_once_published(_: object, __: object, target: BoardSummary) -> None:
    """A published summary stays: the meeting's record points at it."""
    if target.status is SummaryStatus.PUBLISHED:
        raise SummaryPublishedError("A published summary cannot be deleted")


@event.listens_for(SummaryChart, "before_update")
def _refuse_chart_change(*_: object) -> None:
    """Frozen charts are never redrawn."""
    raise SummaryPublishedError("A published chart cannot be changed")


# Helpers --------------------------------------------------------------------------


def day_text(day: date) -> str:
    """A date as people read it: 31 March 2018."""
    return plans.day_text(day)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _source(endpoint: str, anchor: str = "", **args: Any) -> dict[str, Any]:
    """Where a figure comes from: a page of the portal, built into a link by the view."""
    return {"endpoint": endpoint, "args": args, "anchor": anchor}


def _moment(at: datetime | None) -> datetime:
    moment = at or utcnow()
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment


def _check_version(summary: BoardSummary, opened_version: int | None) -> None:
    if opened_version is not None and summary.version != opened_version:
        raise EditConflictError(CONFLICT_MESSAGE)


def _flush() -> None:
    try:
        db.session.flush()
    except StaleDataError as error:
        db.session.rollback()
        raise EditConflictError(CONFLICT_MESSAGE) from error


def _refuse_if_published(summary: BoardSummary) -> None:
    if summary.is_published:
        raise SummaryPublishedError(
            "This summary has been published and is frozen as presented. Make a new "
            "draft for the next meeting instead."
        )


def digest(figures: Mapping[str, Any]) -> str:
    """A fingerprint of the figures, to tell whether edited text still matches them."""
    canonical = json.dumps(figures, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def quarter_end_before(day: date) -> date:
    """The last calendar quarter end strictly before ``day``: the usual reporting date."""
    return completion.quarter_ends(date(day.year - 1, 1, 1), day - timedelta(days=1))[
        -1
    ]


def _quarter_start(day: date) -> date:
    """The first day of the quarter that ends on or after ``day``."""
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


# Assembling the figures -------------------------------------------------------------


def _row(row: CompletionRow) -> dict[str, Any]:
    """A completion row as the progress page shows it, plus the whole-number rate."""
    data = row.as_dict()
    whole = percent(row.completed, row.scheduled, 0)
    data["pct_whole"] = int(whole) if whole is not None else None
    return data


def _indicators(strategy: Strategy, as_of: date) -> list[dict[str, Any]]:
    """Each indicator's latest value on or before ``as_of``, against its target."""
    found = []
    for indicator in strategy.indicators:
        values = [v for v in indicator.values if v.period_end <= as_of]
        latest = values[-1] if values else None
        entry: dict[str, Any] = {
            "id": indicator.id,
            "name": indicator.name,
            "target_pct": indicator.target_pct,
            "direction": indicator.direction.value,
            "direction_label": indicator.direction.label,
            "amber_margin_pp": indicator.amber_margin_pp,
            "value": None,
            "source": _source(
                "plans.indicators", f"indicator-{indicator.id}", slug=strategy.slug
            ),
        }
        if latest is not None:
            entry["value"] = {
                "period_label": latest.period_label,
                "period_end": latest.period_end.isoformat(),
                "numerator": latest.numerator,
                "denominator": latest.denominator,
                "pct": latest.pct,
                "rag": plans.indicator_rag(indicator, latest.pct).value,
            }
        found.append(entry)
    return found


def plan_figures(partnership: Partnership, as_of: date) -> dict[str, Any] | None:
    """Completion as at ``as_of`` (overall, by theme and group) and the indicators."""
    strategy = meetings.plan_for(partnership, as_of)
    if strategy is None:
        return None
    states = completion.states_as_of(strategy, as_of)
    overall = completion.rows_for(strategy, states, as_of)[0]
    by_theme = completion.rows_for(strategy, states, as_of, Breakdown.THEME)[1:]
    by_group = completion.rows_for(strategy, states, as_of, Breakdown.GROUP)[1:]
    progress = {"slug": strategy.slug, "as_of": as_of.isoformat()}
    return {
        "strategy": {"id": strategy.id, "slug": strategy.slug, "title": strategy.title},
        "overall": _row(overall),
        "by_theme": [_row(row) for row in by_theme],
        "by_group": [_row(row) for row in by_group],
        "indicators": _indicators(strategy, as_of),
        "sources": {
            "overall": _source("plans.progress", "completion", **progress),
            "by_theme": _source("plans.progress", "by-theme", **progress),
            "by_group": _source("plans.progress", "by-group", **progress),
            "indicators": _source("plans.indicators", "", slug=strategy.slug),
        },
    }


def _latest_wave(partnership: Partnership, reference: date) -> Wave | None:
    """The partnership's survey wave that closed last on or before ``reference``, with responses."""
    surveys = db.session.scalars(
        select(Survey).where(Survey.partnership_id == partnership.id)
    )
    closed = [
        wave
        for survey in surveys
        for wave in survey.waves
        if wave.closes_on <= reference and response_count([wave])
    ]
    if not closed:
        return None
    return max(closed, key=lambda w: (w.closes_on, w.survey_id, w.number))


def _wave_figures(wave: Wave) -> dict[str, Any]:
    rows = fieldwork.response_rates(wave)
    invited = rows[0].invited if rows else None
    submitted = rows[0].submitted if rows else None
    rate = percent(submitted or 0, invited, 0) if invited else None
    return {
        "number": wave.number,
        "opens_on": wave.opens_on.isoformat(),
        "closes_on": wave.closes_on.isoformat(),
        "invited": invited,
        "submitted": submitted,
        "rate": int(rate) if rate is not None else None,
        "responses": response_count([wave]),
    }


def _short(text: str, width: int = 48) -> str:
    return textwrap.shorten(text, width, placeholder="…")


def survey_figures(
    partnership: Partnership, reference: date, min_base: int
) -> dict[str, Any] | None:
    """The latest closed wave: response rate, reliable changes since the wave before,
    and the headline questions' answers for the chart."""
    latest = _latest_wave(partnership, reference)
    if latest is None:
        return None
    survey = latest.survey
    earlier = [
        wave
        for wave in survey.waves
        if wave.number < latest.number and response_count([wave])
    ]
    previous = earlier[-1] if earlier else None
    waves = [previous, latest] if previous is not None else [latest]
    numbers = [wave.number for wave in waves]
    items = likert_items(survey)
    codes = [item.code for item in items]
    texts = {item.code: item.text for item in items}
    # Exactly what ``surveys.report.report_rows`` does for these waves, so the
    # figures match the results page asked for the same waves.
    result = analyse(
        count_frame(survey, waves),
        items=codes,
        waves=numbers,
        groups=[ALL],
        min_base=min_base,
    )
    rows = report_table(result, item_texts=texts, breakdown=ALL)
    by_wave = {(str(row["item_code"]), int(str(row["wave"]))): row for row in rows}
    results_args = {"slug": survey.slug, "waves": numbers}
    changes: list[dict[str, Any]] = []
    for code in codes:
        row = by_wave.get((code, latest.number))
        if row is None or row["flag"] not in RELIABLE:
            continue
        before = by_wave.get((code, previous.number)) if previous else None
        changes.append(
            {
                "code": code,
                "text": texts[code],
                "flag": row["flag"],
                "pct": row["pct_positive"],
                "base": row["base_n"],
                "prev_pct": before["pct_positive"] if before else None,
                "prev_base": before["base_n"] if before else None,
                "change_pp": row["change_pp"],
                "source": _source("results.page", f"item-{code}", **results_args),
            }
        )
    changes.sort(key=lambda c: (c["flag"] != Flag.IMPROVED, -abs(c["change_pp"] or 0)))
    records = {
        str(record["item_code"]): record
        for record in result.to_dict("records")
        if int(record["wave"]) == latest.number
    }
    # The questions that changed reliably first, then the rest in questionnaire order.
    order = list(dict.fromkeys([c["code"] for c in changes] + codes))
    scale = next((item.scale for item in items if item.code == order[0]), "agree5")
    headline = []
    for code in order:
        item = next(i for i in items if i.code == code)
        record = records.get(code)
        if item.scale != scale or record is None:
            continue
        suppressed = bool(record["suppressed"]) or not record["base_n"]
        counts = (
            None if suppressed else [int(record[f"n_{point}"]) for point in range(1, 6)]
        )
        row = by_wave[(code, latest.number)]
        headline.append(
            {
                "code": code,
                "text": item.text,
                "label": _short(item.text),
                "counts": counts,
                "base": row["base_n"],
                "pct_positive": row["pct_positive"],
                "pct_neutral": row["pct_neutral"],
                "pct_negative": row["pct_negative"],
                "source": _source("results.page", f"item-{code}", **results_args),
            }
        )
        if len(headline) == HEADLINE_LIMIT:
            break
    return {
        "survey": {"id": survey.id, "slug": survey.slug, "title": survey.title},
        "wave": _wave_figures(latest),
        "previous": _wave_figures(previous) if previous is not None else None,
        "questions": len(codes),
        "changes": changes,
        "headline": headline,
        "scale": scale,
        "share_headings": list(charts.share_headings(scale)),
        "point_labels": list(charts.point_labels(scale)),
        "min_base": min_base,
        "warnings": dict(wording_warnings(survey, waves)),
        "source": _source("results.page", "", **results_args),
    }


def _strategy_states(
    strategy_id: int, reference: date, cache: dict[int, dict[int, Any]]
) -> dict[int, Any]:
    if strategy_id not in cache:
        strategy = db.session.get(Strategy, strategy_id)
        assert strategy is not None  # noqa: S101 - an action's strategy exists
        cache[strategy_id] = {
            state.action_id: state
            for state in completion.states_as_of(strategy, reference)
        }
    return cache[strategy_id]


def _meeting_ref(meeting: Meeting) -> dict[str, Any]:
    return {
        "id": meeting.id,
        "title": meeting.title,
        "body": meeting.body.name,
        "held_on": meeting.held_on.isoformat(),
    }


def governance_figures(
    partnership: Partnership, since: date, until: date, reference: date
) -> dict[str, Any]:
    """Decisions of meetings held from ``since`` to ``until``, actions arising (those
    of the period and those still open from earlier) with their status on
    ``reference``, and memoranda that need the board's attention then."""
    slug = partnership.slug
    held = [
        m
        for m in meetings.meetings_for(partnership, end=until)
        if m.status is MeetingStatus.HELD
    ]
    in_period = [m for m in held if m.held_on >= since]
    decisions = []
    for meeting in in_period:
        minutes = meeting.minutes
        if minutes is None:
            continue
        for decision in minutes.decisions:
            decisions.append(
                {
                    "meeting": _meeting_ref(meeting),
                    "number": decision.number,
                    "text": decision.text,
                    "item": decision.agenda_item.title,
                    "minutes_status": minutes.status.label,
                    "source": _source(
                        "record.meeting", "decisions", slug=slug, meeting_id=meeting.id
                    ),
                }
            )
    cache: dict[int, dict[int, Any]] = {}
    actions = []
    for meeting in held:
        for _, action in meetings.actions_arising(meeting):
            state = _strategy_states(action.strategy_id, reference, cache)[action.id]
            arose_in_period = meeting.held_on >= since
            if not arose_in_period and not state.status.is_open:
                continue
            actions.append(
                {
                    "id": action.id,
                    "ref": action.ref,
                    "title": action.title,
                    "owner": action.owner.name if action.owner else "",
                    "due_date": state.due_date.isoformat(),
                    "status": state.status.value,
                    "status_label": state.status.label,
                    "open": state.status.is_open,
                    "overdue": state.status.is_open and state.due_date < reference,
                    "in_period": arose_in_period,
                    "meeting": _meeting_ref(meeting),
                    "source": _source(
                        "plans.action",
                        "",
                        slug=action.strategy.slug,
                        action_id=action.id,
                    ),
                }
            )
    memoranda = []
    for entry in agreements.register({partnership.id}, reference):
        if not entry.needs_attention:
            continue
        shown = entry.current or entry.draft
        memoranda.append(
            {
                "id": entry.agreement.id,
                "title": entry.agreement.title,
                "version": shown.number if shown else None,
                "version_status": shown.status.label if shown else "",
                "review_on": _iso(entry.review_on),
                "review_due": entry.review_due,
                "review_overdue": entry.review_overdue,
                "past_end": entry.past_end,
                "ends_on": _iso(entry.current.ends_on if entry.current else None),
                "unsigned": [organisation.name for organisation in entry.unsigned],
                "source": _source(
                    "record.memorandum", "", slug=slug, agreement_id=entry.agreement.id
                ),
            }
        )
    return {
        "meetings": [_meeting_ref(m) for m in in_period],
        "decisions": decisions,
        "actions": actions,
        "memoranda": memoranda,
        "sources": {
            "decisions": _source("record.decisions", "", slug=slug),
            "meetings": _source("record.meetings_list", "", slug=slug),
            "memoranda": _source("record.memoranda", "", slug=slug),
        },
    }


def assemble(
    partnership: Partnership,
    *,
    as_of: date,
    since: date,
    until: date | None,
    today: date,
    meeting: Meeting | None = None,
    min_base: int = charts.DEFAULT_MIN_BASE,
) -> dict[str, Any]:
    """Every figure of a summary as plain data (JSON-serialisable, deterministic).

    Figures that describe "now" (action statuses, overdue actions arising,
    memoranda, the latest survey wave) are as on the reference day: the day
    before the meeting, or today if that is earlier.
    """
    end = until or today
    reference = min(end, today)
    return {
        "schema": SCHEMA,
        "partnership": {
            "id": partnership.id,
            "name": partnership.name,
            "slug": partnership.slug,
        },
        "meeting": _meeting_ref(meeting) if meeting is not None else None,
        "as_of": as_of.isoformat(),
        "since": since.isoformat(),
        "until": end.isoformat(),
        "reference": reference.isoformat(),
        "plan": plan_figures(partnership, as_of),
        "survey": survey_figures(partnership, reference, min_base),
        "governance": governance_figures(partnership, since, end, reference),
    }


# The plain-English summary ----------------------------------------------------------


def _n(count: int, singular: str, plural: str | None = None) -> str:
    """``1 action``, ``2 actions``."""
    return f"{count} {singular if count == 1 else plural or singular + 's'}"


def _was(count: int) -> str:
    return "was" if count == 1 else "were"


def _and_list(words: Sequence[str]) -> str:
    if len(words) < 2:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _date(value: str) -> str:
    return day_text(date.fromisoformat(value))


def completion_headline(figures: Mapping[str, Any]) -> str:
    """The headline figure: "42 of 53 actions due by 31 March 2018 completed, 79%"."""
    plan = figures["plan"]
    as_of = _date(figures["as_of"])
    if plan is None:
        return f"No action plan covers {as_of}"
    overall = plan["overall"]
    if not overall["scheduled"]:
        return f"No actions were due by {as_of}"
    return (
        f"{overall['completed']} of {_n(overall['scheduled'], 'action')} due by "
        f"{as_of} completed, {overall['pct_whole']}%"
    )


def rate_text(wave: Mapping[str, Any]) -> str:
    """A wave's response rate with its base: "63 of 88 people invited (72%)"."""
    if wave["invited"]:
        return (
            f"{wave['submitted']} of {wave['invited']} people invited responded "
            f"({wave['rate']}%)"
        )
    return (
        f"{_n(wave['responses'], 'response')} (no invitations recorded, so no "
        "response rate)"
    )


def _plan_text(figures: Mapping[str, Any]) -> str:
    plan = figures["plan"]
    as_of = _date(figures["as_of"])
    if plan is None:
        return f"No action plan of the partnership covers {as_of}."
    overall = plan["overall"]
    if not overall["scheduled"]:
        return f"No actions of “{plan['strategy']['title']}” were due by {as_of}."
    sentences = [
        f"{overall['completed']} of {_n(overall['scheduled'], 'action')} due by "
        f"{as_of} {_was(overall['completed'])} completed ({overall['pct_whole']}%)."
    ]
    overdue, carried = overall["overdue"], overall["carried_forward"]
    sentences.append(
        f"{overdue or 'None'} {_was(overdue)} overdue on that day, and "
        f"{carried or 'none'} of the actions due {_was(carried)} carried forward "
        "from an earlier period."
    )
    themes = [row for row in plan["by_theme"] if row["scheduled"]]
    if len(themes) > 1:
        high = max(themes, key=lambda row: row["completion_pct"])
        low = min(themes, key=lambda row: row["completion_pct"])
        if high["completion_pct"] == low["completion_pct"]:
            sentences.append(
                f"Every theme completed {high['pct_whole']}% of its actions due."
            )
        else:
            sentences.append(
                f"By theme, completion ranged from {low['pct_whole']}% "
                f"({low['group']}) to {high['pct_whole']}% ({high['group']})."
            )
    return " ".join(sentences)


def _indicator_text(figures: Mapping[str, Any]) -> str:
    plan = figures["plan"]
    if plan is None or not plan["indicators"]:
        return ""
    as_of = _date(figures["as_of"])
    valued = [i for i in plan["indicators"] if i["value"] is not None]
    if not valued:
        return f"No outcome indicator had a value by {as_of}."
    rags = [i["value"]["rag"] for i in valued]
    green, amber, red = (rags.count(r.value) for r in (Rag.GREEN, Rag.AMBER, Rag.RED))
    parts = []
    if green:
        parts.append(f"{green} {_was(green)} on or beyond target")
    if amber:
        parts.append(f"{amber} within the amber margin")
    if red:
        parts.append(f"{red} short of target")
    sentences = [
        f"Of {_n(len(valued), 'outcome indicator')} with a value by {as_of}, "
        f"{_and_list(parts)}."
    ]
    short = [i["name"] for i in valued if i["value"]["rag"] == Rag.RED.value]
    if short:
        sentences.append(f"Short of target: {_and_list(short)}.")
    missing = len(plan["indicators"]) - len(valued)
    if missing:
        sentences.append(f"{_n(missing, 'indicator')} had no value yet.")
    return " ".join(sentences)


def _survey_text(figures: Mapping[str, Any]) -> str:
    survey = figures["survey"]
    if survey is None:
        return (
            "No survey wave of the partnership had closed with responses by "
            f"{_date(figures['reference'])}."
        )
    wave = survey["wave"]
    title = survey["survey"]["title"]
    if wave["invited"]:
        rate = rate_text(wave)
    else:
        rate = f"{_n(wave['responses'], 'response')} {_was(wave['responses'])} received"
    sentences = [
        f"In wave {wave['number']} of the {title}, which closed on "
        f"{_date(wave['closes_on'])}, {rate}."
    ]
    previous = survey["previous"]
    if previous is None:
        sentences.append("It was the first wave, so there is nothing to compare with.")
        return " ".join(sentences)
    improved = [c for c in survey["changes"] if c["flag"] == Flag.IMPROVED.value]
    declined = [c for c in survey["changes"] if c["flag"] == Flag.DECLINED.value]
    if not improved and not declined:
        sentences.append(
            f"No question changed reliably since wave {previous['number']}."
        )
        return " ".join(sentences)
    parts = []
    for changes, word in ((improved, "improved"), (declined, "declined")):
        if changes:
            names = _and_list([f"“{c['text']}”" for c in changes])
            parts.append(f"{_n(len(changes), 'question')} {word} reliably ({names})")
    sentences.append(f"Since wave {previous['number']}, {_and_list(parts)}.")
    return " ".join(sentences)


def _governance_text(figures: Mapping[str, Any]) -> str:
    governance = figures["governance"]
    since, until = _date(figures["since"]), _date(figures["until"])
    held = len(governance["meetings"])
    decided = len(governance["decisions"])
    sentences = [
        f"{_n(decided, 'decision')} {_was(decided)} recorded at "
        f"{_n(held, 'meeting')} held from {since} to {until}."
        if held
        else f"No meeting was held from {since} to {until}."
    ]
    actions = governance["actions"]
    if actions:
        arose = sum(1 for a in actions if a["in_period"])
        still_open = sum(1 for a in actions if a["open"])
        overdue = sum(1 for a in actions if a["overdue"])
        earlier = len(actions) - arose
        parts = [f"{arose} from meetings in the period"]
        if earlier:
            parts.append(f"{earlier} still open from earlier meetings")
        text = (
            f"Of {_n(len(actions), 'action')} arising to follow up "
            f"({_and_list(parts)}), {still_open} "
            f"{'is' if still_open == 1 else 'are'} open on "
            f"{_date(figures['reference'])}"
        )
        text += f", {overdue} of them overdue." if overdue else "."
        sentences.append(text)
    else:
        sentences.append("There were no actions arising to follow up.")
    memoranda = governance["memoranda"]
    if memoranda:
        notes = []
        for memo in memoranda:
            reasons = []
            if memo["past_end"]:
                reasons.append("past its end date")
            elif memo["review_overdue"]:
                reasons.append("review overdue")
            elif memo["review_due"]:
                reasons.append(f"review due on {_date(memo['review_on'])}")
            if memo["unsigned"]:
                reasons.append(
                    f"{_n(len(memo['unsigned']), 'party', 'parties')} yet to sign"
                )
            notes.append(f"{memo['title']} ({_and_list(reasons)})")
        sentences.append(
            f"{_n(len(memoranda), 'memorandum', 'memoranda')} "
            f"{'needs' if len(memoranda) == 1 else 'need'} attention: "
            f"{'; '.join(notes)}."
        )
    return " ".join(sentences)


def summary_text(figures: Mapping[str, Any]) -> str:
    """The plain-English summary: sentences from the figures alone, in a fixed order."""
    paragraphs = [
        _plan_text(figures),
        _indicator_text(figures),
        _survey_text(figures),
        _governance_text(figures),
    ]
    return "\n\n".join(p for p in paragraphs if p)


def paragraphs(text: str) -> list[str]:
    """The text's paragraphs (separated by blank lines), for showing."""
    return [
        " ".join(line.strip() for line in block.splitlines() if line.strip())
        for block in text.replace("\r\n", "\n").split("\n\n")
        if block.strip()
    ]


# Charts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chart:
    """One chart of a summary: what it shows in words, and how it is drawn."""

    key: str
    title: str
    description: str
    svg: str
    data: plan_charts.StatusChart | charts.ChartData

    def png(self) -> bytes:
        """The chart as a PNG image (for the PDF)."""
        if isinstance(self.data, charts.ChartData):
            return charts.chart_png(self.data)
        return _status_png(self.data)


def _status_png(chart: plan_charts.StatusChart) -> bytes:
    """The status chart drawn as ``plan_charts`` draws it, as PNG."""
    return charts.figure_png(lambda: plan_charts._draw_status(chart))


def _retitle(svg: str, chart_id: str, title: str) -> str:
    """Replace the chart's short text alternative (the survey chart shows many questions)."""
    root = ET.fromstring(svg)  # noqa: S314 - our own sanitised output
    for element in root.iter(f"{{{charts.SVG_NS}}}title"):
        if element.get("id") == f"{chart_id}-title":
            element.text = title
    return ET.tostring(root, encoding="unicode")


def build_charts(figures: Mapping[str, Any], prefix: str) -> list[Chart]:
    """The summary's charts from its figures: actions by theme, and the headline questions."""
    found: list[Chart] = []
    plan = figures["plan"]
    if plan is not None and plan["by_theme"]:
        status = plan_charts.StatusChart(
            chart_id=f"{prefix}-themes",
            title=f"Actions due by {_date(figures['as_of'])}, by theme and status",
            bars=tuple(
                plan_charts.StatusBar(
                    label=row["group"],
                    counts=(
                        row["completed"],
                        row["in_progress"],
                        row["carried_forward"],
                        row["not_started"],
                    ),
                )
                for row in plan["by_theme"]
            ),
        )
        found.append(
            Chart(
                key="themes",
                title=status.title,
                description=plan_charts.status_description(status),
                svg=plan_charts.status_chart_svg(status),
                data=status,
            )
        )
    survey = figures["survey"]
    if survey is not None and survey["headline"]:
        title = (
            f"{survey['survey']['title']}, wave {survey['wave']['number']}: "
            "answers to the headline questions"
        )
        data = charts.ChartData(
            item_code=f"{prefix}-survey",
            title=title,
            scale=survey["scale"],
            labels=charts.point_labels(survey["scale"]),
            bars=tuple(
                charts.Bar(
                    label=entry["label"],
                    counts=tuple(entry["counts"]) if entry["counts"] else None,
                )
                for entry in survey["headline"]
            ),
            min_base=survey["min_base"],
        )
        chart_id = charts.chart_id(data.item_code)
        found.append(
            Chart(
                key="survey",
                title=title,
                description=charts.chart_description(data),
                svg=_retitle(charts.chart_svg(data), chart_id, title),
                data=data,
            )
        )
    return found


# Services ---------------------------------------------------------------------------


def summaries_for(partnership: Partnership, *, drafts: bool) -> list[BoardSummary]:
    """The partnership's summaries, newest reporting date first; drafts if asked for."""
    query = select(BoardSummary).where(BoardSummary.partnership_id == partnership.id)
    if not drafts:
        query = query.where(BoardSummary.status == SummaryStatus.PUBLISHED)
    return list(
        db.session.scalars(
            query.order_by(BoardSummary.as_of.desc(), BoardSummary.id.desc())
        )
    )


def summaries_by_item(meeting: Meeting) -> dict[int, BoardSummary]:
    """The published summaries on a meeting's agenda, by agenda item id."""
    found = db.session.scalars(
        select(BoardSummary).where(
            BoardSummary.meeting_id == meeting.id,
            BoardSummary.status == SummaryStatus.PUBLISHED,
            BoardSummary.agenda_item_id.is_not(None),
        )
    )
    return {s.agenda_item_id: s for s in found if s.agenda_item_id is not None}


def meeting_choices(partnership: Partnership) -> list[Meeting]:
    """Meetings a summary can go to: not cancelled, agenda still open; newest first."""
    found = [
        m
        for m in meetings.meetings_for(partnership)
        if m.status is not MeetingStatus.CANCELLED
        and (m.minutes is None or m.minutes.status.is_editable)
    ]
    return sorted(found, key=lambda m: (m.held_on, m.id), reverse=True)


def _board_bodies(partnership: Partnership) -> list[MeetingBody]:
    return [b for b in meetings.bodies_for(partnership) if b.kind is BodyKind.BOARD]


def default_since(partnership: Partnership, before: date, as_of: date) -> date:
    """The last board meeting before ``before``, else the start of the reporting quarter."""
    earlier = [
        found.held_on
        for body in _board_bodies(partnership)
        if (found := meetings.previous_meeting(body, before)) is not None
    ]
    return max(earlier) if earlier else _quarter_start(as_of)


def _check_meeting(partnership: Partnership, meeting: Meeting | None) -> None:
    if meeting is None:
        return
    if meeting.partnership_id != partnership.id:
        raise SummaryError("That meeting is not one of this partnership's")
    if meeting.status is MeetingStatus.CANCELLED:
        raise SummaryError("That meeting was cancelled")


def create_draft(
    partnership: Partnership,
    *,
    as_of: date | None = None,
    meeting: Meeting | None = None,
    since: date | None = None,
    title: str = "",
    by: User | None,
    today: date | None = None,
    at: datetime | None = None,
) -> BoardSummary:
    """Start a draft for a meeting (or for the next one, chosen when publishing).

    By default the figures are as at the last quarter end before the meeting
    (before today without one), and decisions count from the last board meeting.
    """
    _check_meeting(partnership, meeting)
    today = today or clock.today()
    before = meeting.held_on if meeting is not None else today + timedelta(days=1)
    as_of = as_of or quarter_end_before(before)
    since = since or default_since(partnership, before, as_of)
    until = meeting.held_on - timedelta(days=1) if meeting is not None else None
    if until is not None and since > until:
        raise SummaryError(
            "The period for decisions must start before the meeting "
            f"({day_text(until + timedelta(days=1))})"
        )
    title = (title or "").strip() or (
        f"Progress summary for the {meeting.body.name}, {day_text(meeting.held_on)}"
        if meeting is not None
        else f"Progress summary to {day_text(as_of)}"
    )
    if len(title) > MAX_TITLE:
        raise SummaryError(f"The title must be {MAX_TITLE} characters or fewer")
    moment = _moment(at)
    summary = BoardSummary(
        partnership=partnership,
        meeting=meeting,
        title=title,
        as_of=as_of,
        since=since,
        until=until,
        created_at=moment,
        updated_at=moment,
        created_by_id=by.id if by is not None else None,
    )
    db.session.add(summary)
    _flush()
    return summary


def live_figures(
    summary: BoardSummary,
    *,
    today: date | None = None,
    min_base: int = charts.DEFAULT_MIN_BASE,
) -> dict[str, Any]:
    """A draft's figures as they stand (a published summary's as frozen)."""
    if summary.is_published:
        return summary.frozen_figures()
    return assemble(
        summary.partnership,
        as_of=summary.as_of,
        since=summary.since,
        until=summary.until,
        today=today or clock.today(),
        meeting=summary.meeting,
        min_base=min_base,
    )


def current_text(summary: BoardSummary, figures: Mapping[str, Any]) -> str:
    """The text shown: as published, as the coordinator edited it, or generated."""
    if summary.text is not None:
        return summary.text
    return summary_text(figures)


def text_is_stale(summary: BoardSummary, figures: Mapping[str, Any]) -> bool:
    """True when a draft's edited text was written against other figures."""
    return (
        not summary.is_published
        and summary.text is not None
        and summary.text_basis != digest(figures)
    )


def edit_text(
    summary: BoardSummary,
    text: str,
    *,
    figures: Mapping[str, Any],
    opened_version: int,
    at: datetime | None = None,
) -> None:
    """Save the coordinator's wording of the summary; blank goes back to the generated text.

    ``figures`` are the ones the coordinator saw (``live_figures``): the text is
    checked against them again when publishing.
    """
    _check_version(summary, opened_version)
    _refuse_if_published(summary)
    cleaned = text.replace("\r\n", "\n").strip()
    if len(cleaned) > MAX_TEXT:
        raise SummaryError(f"The summary must be {MAX_TEXT} characters or fewer")
    summary.text = cleaned or None
    summary.text_basis = digest(figures) if cleaned else ""
    summary.updated_at = _moment(at)
    _flush()


def discard(summary: BoardSummary, *, opened_version: int) -> None:
    """Delete a draft."""
    _check_version(summary, opened_version)
    _refuse_if_published(summary)
    db.session.delete(summary)
    _flush()


def store_pdf(summary: BoardSummary, content: bytes) -> None:
    """Keep a published summary's PDF, unless one is kept already.

    A statement of its own rather than a change to the object: a published summary
    refuses changes, and its PDF, written once, is the one thing filled in later.
    Two first downloads at once both write the same frozen content; neither fails.
    """
    db.session.execute(
        update(BoardSummary)
        .where(BoardSummary.id == summary.id, BoardSummary.pdf.is_(None))
        .values(pdf=content)
    )


def publish(
    summary: BoardSummary,
    *,
    meeting: Meeting | None,
    opened_version: int,
    by: User | None,
    today: date | None = None,
    at: datetime | None = None,
    min_base: int = charts.DEFAULT_MIN_BASE,
) -> BoardSummary:
    """Freeze the figures, charts and text, and put the summary on the meeting's agenda.

    :raise SummaryError: without a meeting, for a meeting that already has a
        published summary, or when edited text no longer matches the figures.
    :raise SummaryPublishedError: if it was published already.
    :raise meetings.MeetingError: if the meeting's agenda can no longer change.
    """
    _check_version(summary, opened_version)
    _refuse_if_published(summary)
    meeting = summary.meeting or meeting
    if meeting is None:
        raise SummaryError("Choose the meeting the summary is presented to")
    _check_meeting(summary.partnership, meeting)
    if db.session.scalar(
        select(BoardSummary.id).where(
            BoardSummary.meeting_id == meeting.id,
            BoardSummary.status == SummaryStatus.PUBLISHED,
        )
    ):
        raise SummaryError(
            f"A summary has already been published to the meeting on "
            f"{day_text(meeting.held_on)}"
        )
    until = summary.until or meeting.held_on - timedelta(days=1)
    if summary.since > until:
        raise SummaryError(
            "The period for decisions must start before the meeting "
            f"({day_text(meeting.held_on)})"
        )
    today = today or clock.today()
    moment = _moment(at)
    figures = assemble(
        summary.partnership,
        as_of=summary.as_of,
        since=summary.since,
        until=until,
        today=today,
        meeting=meeting,
        min_base=min_base,
    )
    fingerprint = digest(figures)
    if summary.text is not None and summary.text_basis != fingerprint:
        raise SummaryError(STALE_TEXT_MESSAGE)
    text = summary.text if summary.text is not None else summary_text(figures)
    item = meetings.add_item(
        meeting,
        title="Board progress summary",
        description=(
            f"{summary.title}: progress to {day_text(summary.as_of)}, published "
            f"{day_text(today)}. Read it in the portal under Summaries."
        ),
        at=moment,
    )
    drawn = build_charts(figures, f"summary-{summary.id}")
    frozen = [
        SummaryChart(
            position=position,
            key=chart.key,
            title=chart.title,
            description=chart.description,
            svg=chart.svg,
            png=chart.png(),
        )
        for position, chart in enumerate(drawn, start=1)
    ]
    published_by_id = by.id if by is not None else None
    # Everything is worked out first; the summary changes in one flush, status
    # last, because a published summary refuses any later change.
    with db.session.no_autoflush:
        summary.charts = frozen
        summary.meeting = meeting
        summary.agenda_item = item
        summary.until = until
        summary.figures = json.dumps(figures, sort_keys=True)
        summary.text = text
        summary.text_basis = fingerprint
        summary.published_at = moment
        summary.published_by_id = published_by_id
        summary.updated_at = moment
        summary.status = SummaryStatus.PUBLISHED
    _flush()
    return summary


def board_members(partnership: Partnership) -> list[Person]:
    """The partnership's board members with an email address, by name."""
    people = db.session.scalars(
        select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .where(
            Membership.partnership_id == partnership.id,
            Membership.role == MemberRole.BOARD_MEMBER,
            Person.archived_at.is_(None),
        )
        .order_by(Person.name, Person.id)
    )
    return list({person.email: person for person in people if person.email}.values())


def notify_board(summary: BoardSummary, link: str) -> int:
    """Email each board member a link to the published summary, after the commit.

    The email says where to read it, never the figures: a summary is for the
    signed-in board, not for a forwarded inbox. Returns how many were queued.
    """
    if not summary.is_published or summary.meeting is None:
        raise SummaryError("Only a published summary is sent to the board")
    partnership = summary.partnership
    meeting = summary.meeting
    people = board_members(partnership)
    for person in people:
        send_after_commit(
            Mail(
                to=person.email,
                subject=f"Progress summary for {partnership.name}",
                body=(
                    f"Dear {person.name},\n\n"
                    f"The progress summary for {partnership.name} has been "
                    f"published for the {meeting.body.name} meeting on "
                    f"{day_text(meeting.held_on)}.\n\n"
                    f"Read it, print it or download it as a PDF (sign in first):\n"
                    f"{link}\n"
                ),
            )
        )
    return len(people)


# Comparing two summaries --------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """One line of two summaries side by side."""

    label: str
    first: str
    second: str
    change: str = ""


def _signed(value: float, unit: str = "") -> str:
    if value == 0:
        return f"0{unit}"
    sign = "+" if value > 0 else "\u2212"
    text = f"{abs(value):.1f}".removesuffix(".0")
    return f"{sign}{text}{unit}"


def _number_line(label: str, first: int | None, second: int | None) -> Comparison:
    change = _signed(second - first) if first is not None and second is not None else ""
    return Comparison(
        label,
        "—" if first is None else str(first),
        "—" if second is None else str(second),
        change,
    )


def _pct_line(
    label: str, first: float | None, second: float | None, places: int = 1
) -> Comparison:
    def shown(value: float | None) -> str:
        return "—" if value is None else f"{value:.{places}f}%"

    change = (
        _signed(round(second - first, 1), " pp")
        if first is not None and second is not None
        else ""
    )
    return Comparison(label, shown(first), shown(second), change)


def compare(first: Mapping[str, Any], second: Mapping[str, Any]) -> list[Comparison]:
    """The headline figures of two summaries side by side, with the change."""
    lines = [
        Comparison("Figures as at", _date(first["as_of"]), _date(second["as_of"]), "")
    ]

    def plan(figures: Mapping[str, Any], key: str) -> Any:
        return figures["plan"]["overall"][key] if figures["plan"] else None

    lines += [
        _number_line(
            "Actions due", plan(first, "scheduled"), plan(second, "scheduled")
        ),
        _number_line(
            "Actions completed", plan(first, "completed"), plan(second, "completed")
        ),
        _pct_line(
            "Completion rate",
            plan(first, "completion_pct"),
            plan(second, "completion_pct"),
        ),
        _number_line("Overdue", plan(first, "overdue"), plan(second, "overdue")),
        _number_line(
            "Carried forward",
            plan(first, "carried_forward"),
            plan(second, "carried_forward"),
        ),
    ]
    names: dict[str, list[Any]] = {}
    for position, figures in enumerate((first, second)):
        for indicator in figures["plan"]["indicators"] if figures["plan"] else []:
            names.setdefault(indicator["name"], [None, None])[position] = indicator[
                "value"
            ]
    for name, (a, b) in names.items():
        line = _pct_line(name, a["pct"] if a else None, b["pct"] if b else None)
        lines.append(
            Comparison(
                line.label,
                f"{line.first} ({Rag(a['rag']).label})" if a else line.first,
                f"{line.second} ({Rag(b['rag']).label})" if b else line.second,
                line.change,
            )
        )

    def survey(figures: Mapping[str, Any]) -> Mapping[str, Any] | None:
        found: Mapping[str, Any] | None = figures["survey"]
        return found

    def wave_name(figures: Mapping[str, Any]) -> str:
        found = survey(figures)
        if found is None:
            return "—"
        return f"{found['survey']['title']}, wave {found['wave']['number']}"

    def rate(figures: Mapping[str, Any]) -> float | None:
        found = survey(figures)
        return found["wave"]["rate"] if found else None

    def flagged(figures: Mapping[str, Any], flag: str) -> int | None:
        found = survey(figures)
        if found is None:
            return None
        return sum(1 for c in found["changes"] if c["flag"] == flag)

    lines += [
        Comparison("Survey wave", wave_name(first), wave_name(second), ""),
        _pct_line("Response rate", rate(first), rate(second), 0),
        _number_line(
            "Questions improved reliably",
            flagged(first, Flag.IMPROVED.value),
            flagged(second, Flag.IMPROVED.value),
        ),
        _number_line(
            "Questions declined reliably",
            flagged(first, Flag.DECLINED.value),
            flagged(second, Flag.DECLINED.value),
        ),
    ]

    def governance(figures: Mapping[str, Any], what: str) -> int:
        items = figures["governance"][what]
        if what == "actions":
            return sum(1 for a in items if a["open"])
        return len(items)

    lines += [
        _number_line(
            "Decisions recorded",
            governance(first, "decisions"),
            governance(second, "decisions"),
        ),
        _number_line(
            "Actions arising still open",
            governance(first, "actions"),
            governance(second, "actions"),
        ),
        _number_line(
            "Memoranda needing attention",
            governance(first, "memoranda"),
            governance(second, "memoranda"),
        ),
    ]
    return lines
