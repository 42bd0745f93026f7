"""Demo progress summaries for the county partnership of ``governance.record_demo``.

First a short members' survey of the partnership, so the summary has a survey to
report: four agree/disagree questions asked in February 2018 (22 responses,
imported without invitations) and February 2019 (19 responses, with the
staff of its organisations invited), in which information sharing improves and the board's
decision-making declines, both reliably.

The board's latest meeting that has been held gets the summary that was
published to it the day before (figures as at the last quarter end before the
meeting, decisions since the board's previous meeting), on its agenda; and a
draft waits for the next meeting, as at the following quarter end. Published
with the services, so the summary is frozen exactly as a coordinator's would be;
no email is sent. Idempotent (nothing is done if the partnership has a summary)
and deterministic. Nothing here commits.
"""

from __future__ import annotations

import contextlib
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta

from sqlalchemy import select

from governance import completion
from governance import demo as plan_demo
from governance import meetings
from governance import record_demo
from governance import summary as summaries
from governance.meetings import MeetingBody
from governance.meetings import MeetingStatus
from governance.summary import BoardSummary
from portal import clock
from portal.extensions import db
from portal.models import Participation
from portal.models import Partnership
from portal.models import Person
from portal.models import User
from surveys import services as survey_services
from surveys.models import Answer
from surveys.models import Invitation
from surveys.models import ItemType
from surveys.models import Response
from surveys.models import Survey

#: The demo account that publishes (a coordinator of the county partnership).
PUBLISHER = "coordinator@portal.example"
NEXT_TITLE = "Progress summary for the next board meeting"
SURVEY_SLUG = "county-members-survey"
SURVEY_TITLE = "County partnership members' survey"
#: (code, wording, answers on points 1-5 in wave 1, the same in wave 2).
SURVEY_ITEMS = (
    (
        "shared_vision",
        "Partners share a clear vision for reducing offending",
        (5, 9, 4, 3, 1),
        (5, 8, 3, 2, 1),
    ),
    (
        "information_sharing",
        "Partners share information about offenders effectively",
        (1, 5, 6, 7, 3),
        (6, 10, 2, 1, 0),
    ),
    (
        "decisions",
        "The board takes decisions promptly",
        (6, 11, 3, 2, 0),
        (1, 3, 5, 7, 3),
    ),
    (
        "voluntary_sector",
        "The voluntary sector has a real voice in the partnership",
        (3, 7, 6, 4, 2),
        (3, 6, 5, 4, 1),
    ),
)
#: How many answered each wave.
SURVEY_RESPONSES = tuple(sum(counts) for counts in SURVEY_ITEMS[0][2:])
SURVEY_WAVES = (
    (date(2018, 1, 15), date(2018, 2, 9)),
    (date(2019, 1, 14), date(2019, 2, 8)),
)


def _moment(day: date, hour: int = 16) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _survey(partnership: Partnership, today: date) -> None:
    """The members' survey, unless it exists; waves and answers up to ``today`` only."""
    if db.session.scalar(select(Survey.id).where(Survey.slug == SURVEY_SLUG)):
        return
    survey = Survey(slug=SURVEY_SLUG, title=SURVEY_TITLE, partnership=partnership)
    db.session.add(survey)
    section = survey_services.add_section(
        survey, title="Working together", preamble="How far do you agree?"
    )
    for code, text, _, _ in SURVEY_ITEMS:
        survey_services.add_item(
            section, code=code, text=text, item_type=ItemType.LIKERT, scale="agree5"
        )
    db.session.flush()
    staff = list(
        db.session.scalars(
            select(Person)
            .join(
                Participation, Participation.organisation_id == Person.organisation_id
            )
            .where(Participation.partnership_id == partnership.id)
            .order_by(Person.id)
        )
    )
    item_ids = {item.code: item.id for item in survey.items}
    for number, (opens_on, closes_on) in enumerate(SURVEY_WAVES, start=1):
        if opens_on > today:
            return
        wave = survey_services.add_wave(survey, opens_on=opens_on, closes_on=closes_on)
        db.session.flush()
        if closes_on > today:
            return
        columns = [pair[number - 1] for pair in _by_wave()]
        answered = sum(columns[0])
        respondents = staff[:answered] if number == 2 else [None] * answered
        for index, person in enumerate(respondents):
            answers = [
                Answer(item_id=item_ids[code], value=_point(column, index))
                for (code, *_), column in zip(SURVEY_ITEMS, columns, strict=True)
            ]
            db.session.add(
                Response(
                    wave_id=wave.id,
                    organisation_id=person.organisation_id if person else None,
                    partnership_id=partnership.id,
                    submitted_on=closes_on,
                    answers=answers,
                )
            )
        if number == 2:
            for index, person in enumerate(staff):
                db.session.add(
                    Invitation(
                        wave=wave,
                        person=person,
                        organisation_id=person.organisation_id,
                        partnership=partnership,
                        started=index < answered,
                        completed=index < answered,
                    )
                )
    db.session.flush()


def _by_wave() -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    return [(first, second) for *_, first, second in SURVEY_ITEMS]


def _point(counts: tuple[int, ...], index: int) -> str:
    """The answer of the ``index``-th respondent when ``counts`` are given in order."""
    for point, count in enumerate(counts, start=1):
        if index < count:
            return str(point)
        index -= count
    raise IndexError(index)


def load(today: date | None = None) -> None:
    """Publish a summary to the board's latest meeting and draft the next; flushes only."""
    today = today or clock.today()
    partnership = db.session.scalar(
        select(Partnership).where(Partnership.slug == plan_demo.PARTNERSHIP_SLUG)
    )
    if partnership is None:
        return
    _survey(partnership, today)
    if db.session.scalar(
        select(BoardSummary.id).where(BoardSummary.partnership_id == partnership.id)
    ):
        return
    board = db.session.scalar(
        select(MeetingBody).where(
            MeetingBody.partnership_id == partnership.id,
            MeetingBody.name == record_demo.BOARD_NAME,
        )
    )
    if board is None:
        return
    held = [
        m
        for m in meetings.meetings_for(partnership, body=board)
        if m.status is MeetingStatus.HELD
    ]
    if not held:
        return
    latest = held[-1]
    publisher = db.session.scalar(select(User).where(User.email == PUBLISHER))
    eve = min(latest.held_on - timedelta(days=1), today)
    published = summaries.create_draft(
        partnership, meeting=latest, by=publisher, at=_moment(eve, 9)
    )
    # The meeting's agenda may be closed (its minutes approved): then it stays a draft.
    with contextlib.suppress(summaries.SummaryError, meetings.MeetingError):
        summaries.publish(
            published,
            meeting=None,
            opened_version=published.version,
            by=publisher,
            today=eve,
            at=_moment(eve),
        )
    following = completion.quarter_ends(latest.held_on, latest.held_on + timedelta(92))
    as_of = min(following[0], summaries.quarter_end_before(today + timedelta(days=1)))
    summaries.create_draft(
        partnership,
        as_of=as_of,
        title=NEXT_TITLE,
        by=publisher,
        today=today,
        at=_moment(min(as_of + timedelta(days=1), today), 9),
    )
    db.session.flush()
