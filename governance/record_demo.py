"""Demo governance record for the county partnership of ``governance.demo``.

A memorandum of understanding agreed in September 2015 (version 1, to March
2019, signed by eight of its ten parties) and amended in January 2019 (version
2, a draft renewing it to March 2021, with public funding "subject to budget
approval", signed so far by two parties); and a year of quarterly meetings of the
partnership's board, the OMCDB (seed 004), from June 2018 to June 2019: agendas
with the standing items, attendance, minutes approved at the following meeting
and locked (the September minutes corrected afterwards, making revision 2),
decisions, and actions arising that go into the 2018/19 action plan (which the
refresh of April 2018 left with two themes). The last meeting's minutes are
still a draft.

Every change goes through the services at its historical moment, so histories
are real; changes dated after ``today`` are left out. Idempotent (nothing is
done twice) and deterministic (``random.Random(2018)``). Nothing here commits.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from governance import agreements
from governance import demo as plan_demo
from governance import meetings
from governance import plans
from governance.agreements import Agreement
from governance.agreements import AgreementContent
from governance.agreements import Funding
from governance.agreements import PartyTerms
from governance.meetings import AttendanceStatus
from governance.meetings import BodyKind
from governance.meetings import Meeting
from governance.meetings import MeetingBody
from governance.meetings import QuorumBasis
from governance.models import Action
from governance.models import ActionStatus
from governance.models import Strategy
from governance.models import Theme
from portal import clock
from portal.extensions import db
from portal.models import Organisation
from portal.models import Partnership
from portal.models import Person

MOU_TITLE = "Memorandum of understanding: County Reducing Offending Partnership"
BOARD_NAME = "Offender Management Commissioning and Development Board"
QUORUM = 5
PLACE = "Committee Room 2, County Police Headquarters"
ONLINE = "https://meet.county-pcc.example/omcdb"
MEETING_DAYS = (
    date(2018, 6, 12),
    date(2018, 9, 11),
    date(2018, 12, 11),
    date(2019, 3, 12),
    date(2019, 6, 11),
)
BUDGET_CAVEAT = "subject to budget approval"
#: The September 2018 minutes are corrected after approval, making revision 2.
CORRECTED_MEETING = 1
CORRECTED_ON = date(2019, 1, 10)
CORRECTION_TEXT = " The recovery plan runs to March 2019, not December 2018."
CORRECTION_REASON = (
    "The CRC pointed out that the minutes gave the wrong end date for its "
    "recovery plan."
)

#: Organisation → (role in the memorandum, responsibilities).
PARTIES: dict[str, tuple[str, str]] = {
    plan_demo.OPCC: (
        "Lead organisation",
        "Chairs the board; hosts the programme lead; commissions services from the "
        "PCC's community safety fund; reports quarterly to the Police and Crime "
        "Panel.",
    ),
    plan_demo.POLICE: (
        "Public sector partner",
        "Leads Integrated Offender Management and out of court disposals; shares "
        "IOM data with probation.",
    ),
    plan_demo.COUNTY: (
        "Public sector partner",
        "Leads on prevention and early help for children and families; chairs the "
        "prevention delivery group.",
    ),
    plan_demo.CITY: (
        "Public sector partner",
        "Aligns the city's community safety plan with the strategy; housing "
        "options for people leaving prison.",
    ),
    plan_demo.YOS: (
        "Delivery partner",
        "Delivers youth diversion, restorative justice panels and statutory youth "
        "justice services.",
    ),
    plan_demo.NPS: (
        "Delivery partner",
        "Manages high-risk offenders; chairs the offender management, "
        "rehabilitation and resettlement group.",
    ),
    plan_demo.CRC: (
        "Delivery partner",
        "Manages low and medium-risk offenders; delivers through-the-gate "
        "resettlement services.",
    ),
    plan_demo.CCG: (
        "Public sector partner",
        "Commissions liaison and diversion, street triage and mental health "
        "pathways for offenders.",
    ),
    plan_demo.CVS: (
        "Third sector partner",
        "Represents voluntary organisations on the board and builds the sector's "
        "capacity to deliver.",
    ),
    plan_demo.HOUSING: (
        "Delivery partner",
        "Provides the co-commissioned housing support service for offenders.",
    ),
}
DECISION_PROTOCOL = (
    "Decisions that cannot wait for a board meeting are taken by the lead "
    "organisation after consulting the deputy lead, a public sector partner who "
    "rotates each year (2015/16 County Council, 2016/17 County Police, 2017/18 "
    "National Probation Service). Such decisions are reported to the next board "
    "meeting and minuted there."
)


def _moment(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _organisation(name: str) -> Organisation:
    organisation = db.session.scalar(
        select(Organisation).where(Organisation.name == name)
    )
    if organisation is None:
        raise LookupError(name)
    return organisation


def _staff() -> dict[str, list[Person]]:
    """Each demo organisation's people, in the order ``governance.demo`` made them."""
    return {
        item.name: list(
            db.session.scalars(
                select(Person)
                .where(Person.organisation_id == _organisation(item.name).id)
                .order_by(Person.id)
            )
        )
        for item in plan_demo.ORGANISATIONS
    }


class _Schedule:
    """Changes to make in date order, leaving out those after ``today``."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.ops: list[tuple[datetime, int, Callable[[], None]]] = []

    def at(self, moment: datetime, op: Callable[[], None]) -> None:
        self.ops.append((moment, len(self.ops), op))

    def run(self) -> None:
        for moment, _, op in sorted(self.ops, key=lambda item: (item[0], item[1])):
            if plans.local_date(moment) <= self.today:
                op()


def load(today: date | None = None) -> None:
    """Add the memorandum and the board's meetings unless they exist; flushes only."""
    today = today or clock.today()
    plan_demo.load(today)
    partnership = db.session.scalar(
        select(Partnership).where(Partnership.slug == plan_demo.PARTNERSHIP_SLUG)
    )
    if partnership is None:
        return
    staff = _staff()
    schedule = _Schedule(today)
    has_memorandum = db.session.scalar(
        select(Agreement.id).where(
            Agreement.partnership_id == partnership.id, Agreement.title == MOU_TITLE
        )
    )
    if not has_memorandum:
        _memorandum(schedule, partnership, staff)
    has_board = db.session.scalar(
        select(MeetingBody.id).where(
            MeetingBody.partnership_id == partnership.id,
            MeetingBody.name == BOARD_NAME,
        )
    )
    if not has_board:
        strategy = plans.find_strategy(plan_demo.STRATEGY_SLUG)
        if strategy is not None:
            _board(schedule, partnership, staff, strategy)
    schedule.run()
    db.session.flush()


# The memorandum ----------------------------------------------------------------------


def _parties() -> list[PartyTerms]:
    return [
        PartyTerms(organisation=_organisation(name), role=role, responsibilities=duties)
        for name, (role, duties) in PARTIES.items()
    ]


def _memorandum(
    schedule: _Schedule, partnership: Partnership, staff: dict[str, list[Person]]
) -> None:
    state: dict[str, Agreement] = {}
    version_one = AgreementContent(
        purpose=(
            "To prevent offending and reduce reoffending across the county and "
            "city by planning, commissioning and delivering services together, "
            "as set out in the County Strategic Framework for Reducing Offending "
            "2015-18."
        ),
        scope=(
            "Adults and young people who offend or are at risk of offending, and "
            "their families, across the county and the city. Covers prevention, "
            "diversion, and offender management, rehabilitation and resettlement."
        ),
        vision=(
            "Fewer victims, fewer people drawn into crime, and people who have "
            "offended supported to lead law-abiding lives."
        ),
        decision_protocol=DECISION_PROTOCOL,
        starts_on=date(2015, 10, 1),
        review_on=date(2018, 9, 30),
        ends_on=date(2019, 3, 31),
        parties=_parties(),
        funding=[
            Funding(_organisation(plan_demo.OPCC), Decimal("450000"), "2015-18"),
            Funding(
                _organisation(plan_demo.COUNTY),
                Decimal("150000"),
                "2015-18",
                "dependent on future budgets",
            ),
            Funding(
                _organisation(plan_demo.CITY),
                Decimal("60000"),
                "2015-18",
                "dependent on future budgets",
            ),
            Funding(
                _organisation(plan_demo.CCG),
                Decimal("90000"),
                "2015-18",
                "dependent on future budgets",
            ),
        ],
    )

    def create() -> None:
        state["agreement"] = agreements.create_agreement(
            partnership,
            title=MOU_TITLE,
            content=version_one,
            by=None,
            at=_moment(date(2015, 9, 1)),
        )

    schedule.at(_moment(date(2015, 9, 1)), create)

    def agree_one() -> None:
        agreement = state["agreement"]
        agreements.agree(
            agreement.versions[0],
            opened_version=agreement.version,
            agreed_on=date(2015, 9, 28),
            by=None,
            at=_moment(date(2015, 9, 28), 15),
            today=date(2015, 9, 28),
        )

    schedule.at(_moment(date(2015, 9, 28), 15), agree_one)
    # Eight of the ten sign version 1; the CRC and the housing trust never do.
    signers = [
        name for name in PARTIES if name not in (plan_demo.CRC, plan_demo.HOUSING)
    ]
    for offset, name in enumerate(signers):
        day = date(2015, 9, 28) + timedelta(days=2 * offset)
        schedule.at(_moment(day, 16), _signer(state, 0, name, staff, day))

    def amend(content: AgreementContent, note: str, day: date) -> Callable[[], None]:
        def op() -> None:
            agreement = state["agreement"]
            version = agreements.amend(
                agreement,
                opened_version=agreement.version,
                change_note=note,
                by=None,
                at=_moment(day, 11),
            )
            agreements.update_draft(
                version,
                opened_version=agreement.version,
                content=content,
                by=None,
                at=_moment(day, 12),
            )

        return op

    # January 2019: version 2, a draft to 2021 with funding subject to budgets.
    draft = AgreementContent(
        purpose=(
            "To prevent offending and reduce reoffending across the county and "
            "city by planning, commissioning and delivering services together, "
            "as set out in the refreshed strategy for 2019-21."
        ),
        scope=version_one.scope
        + " From April 2019 includes women offenders and young adults (18-25) "
        "moving from youth to adult services.",
        vision=version_one.vision,
        decision_protocol=DECISION_PROTOCOL.replace(
            "2017/18 National Probation Service)",
            "2017/18 National Probation Service, 2019/20 City Council)",
        ),
        starts_on=date(2019, 4, 1),
        review_on=date(2020, 3, 31),
        ends_on=date(2021, 3, 31),
        parties=[
            party
            if party.organisation.name != plan_demo.HOUSING
            else PartyTerms(
                party.organisation,
                "Delivery partner",
                party.responsibilities
                + " Leads the new accommodation pathway for young adults.",
            )
            for party in version_one.parties
        ],
        funding=[
            Funding(_organisation(plan_demo.OPCC), Decimal("300000"), "2019-21"),
            Funding(
                _organisation(plan_demo.COUNTY),
                Decimal("100000"),
                "2019-21",
                BUDGET_CAVEAT,
            ),
            Funding(
                _organisation(plan_demo.CITY),
                Decimal("40000"),
                "2019-21",
                BUDGET_CAVEAT,
            ),
            Funding(
                _organisation(plan_demo.CCG), Decimal("75000"), "2019-21", BUDGET_CAVEAT
            ),
        ],
    )
    schedule.at(
        _moment(date(2019, 1, 15), 11),
        amend(
            draft,
            "Renews the memorandum for 2019-21; public sector funding is subject to "
            "budget approval.",
            date(2019, 1, 15),
        ),
    )
    for offset, name in enumerate((plan_demo.OPCC, plan_demo.CVS)):
        day = date(2019, 1, 21) + timedelta(days=offset)
        schedule.at(_moment(day, 16), _signer(state, 1, name, staff, day))


def _signer(
    state: dict[str, Agreement],
    index: int,
    name: str,
    staff: dict[str, list[Person]],
    day: date,
) -> Callable[[], None]:
    def op() -> None:
        version = state["agreement"].versions[index]
        person = staff[name][0]
        agreements.sign(
            version,
            organisation=_organisation(name),
            signatory_name=person.name,
            signatory_role=person.job_title or "Signatory",
            signed_on=day,
            person=person,
            by=None,
            at=_moment(day, 16),
            today=day,
        )

    return op


# The board and its meetings ----------------------------------------------------------

#: Per meeting: extra agenda items (title, presenter's organisation, minutes,
#: confidential), decisions (item index, text) and actions arising (item index,
#: title, owner's organisation, theme, days to due, completed after days or None).
_ITEMS = (
    (
        "Action plan progress report",
        plan_demo.OPCC,
        "The programme lead presented the quarter's progress report. Most "
        "carried-forward actions are on track; two are **amber**.\n\n"
        "- Housing pathway: procurement is behind schedule.\n"
        "- Women's diversion scheme: funding awaits partners' approval.",
        False,
    ),
    (
        "Delivery group reports",
        plan_demo.NPS,
        "The chairs of the two delivery groups reported. The Prevention/Early "
        "Intervention Group has met twice since the refresh; the offender "
        "management group is reviewing its terms of reference.",
        False,
    ),
    (
        "Community Rehabilitation Company performance",
        plan_demo.CRC,
        "The CRC reported on the measures below target this quarter and the "
        "recovery plan agreed with the Ministry of Justice. *Confidential: "
        "contractual information.*",
        True,
    ),
    (
        "Any other business",
        plan_demo.OPCC,
        "None.",
        False,
    ),
)
_DECISIONS = (
    (
        (0, "The board accepted the quarter's progress report."),
        (1, "The board agreed the delivery groups' revised terms of reference."),
    ),
    (
        (0, "The board accepted the quarter's progress report."),
        (2, "The CRC's recovery plan will be reviewed at every meeting until March."),
    ),
    (
        (0, "The board accepted the quarter's progress report."),
        (1, "The women's diversion scheme is to be funded from the PCC's fund."),
    ),
    (
        (0, "The board accepted the year-end progress report for 2018/19."),
        (1, "Partners are asked to sign version 2 of the memorandum by May."),
    ),
    ((0, "The board accepted the 2018/19 annual report to the Panel."),),
)
_ACTIONS = (
    (
        (
            0,
            "Circulate the revised housing pathway timetable",
            plan_demo.HOUSING,
            plan_demo.OMRR,
            60,
            50,
        ),
        (
            1,
            "Agree a schedule of delivery group reports to the board",
            plan_demo.OPCC,
            plan_demo.PREVENTION_EI,
            80,
            120,
        ),
    ),
    (
        (
            2,
            "Report CRC recovery plan progress to each meeting",
            plan_demo.CRC,
            plan_demo.OMRR,
            170,
            None,
        ),
        (
            0,
            "Map early help referrals for children of prisoners",
            plan_demo.COUNTY,
            plan_demo.PREVENTION_EI,
            110,
            100,
        ),
    ),
    (
        (
            1,
            "Draft the women's diversion scheme specification",
            plan_demo.CVS,
            plan_demo.PREVENTION_EI,
            75,
            None,
        ),
    ),
    (
        (
            1,
            "Collect signatures for version 2 of the memorandum",
            plan_demo.OPCC,
            plan_demo.OMRR,
            60,
            40,
        ),
    ),
    (),
)


def _board(
    schedule: _Schedule,
    partnership: Partnership,
    staff: dict[str, list[Person]],
    strategy: Strategy,
) -> None:
    rng = random.Random(2018)  # noqa: S311 - demo data, not security
    members = [people[0] for people in staff.values()] + [staff[plan_demo.OPCC][1]]
    chair = staff[plan_demo.OPCC][1]
    state: dict[str, object] = {}

    def create_body() -> None:
        meetings.set_quorum(partnership, count=QUORUM, basis=QuorumBasis.ORGANISATIONS)
        state["body"] = meetings.create_body(
            partnership, name=BOARD_NAME, kind=BodyKind.BOARD, members=members
        )

    first = MEETING_DAYS[0]
    schedule.at(_moment(first - timedelta(days=30), 9), create_body)
    for index, day in enumerate(MEETING_DAYS):
        plan = _MeetingPlan(
            index=index,
            day=day,
            chair=chair,
            members=members,
            staff=staff,
            strategy=strategy,
            state=state,
            rng=rng,
        )
        plan.schedule(schedule)


class _MeetingPlan:
    """The life of one demo meeting, from agenda to locked minutes."""

    def __init__(
        self,
        *,
        index: int,
        day: date,
        chair: Person,
        members: list[Person],
        staff: dict[str, list[Person]],
        strategy: Strategy,
        state: dict[str, object],
        rng: random.Random,
    ) -> None:
        self.index = index
        self.day = day
        self.chair = chair
        self.members = members
        self.staff = staff
        self.strategy = strategy
        self.state = state
        self.rng = rng
        self.key = f"meeting-{index}"

    @property
    def meeting(self) -> Meeting:
        meeting = self.state[self.key]
        assert isinstance(meeting, Meeting)  # noqa: S101 - set by an earlier op
        return meeting

    def schedule(self, schedule: _Schedule) -> None:
        day = self.day
        schedule.at(_moment(day - timedelta(days=21), 9), self.create)
        schedule.at(_moment(day, 9), self.hold)
        schedule.at(_moment(day + timedelta(days=3), 10), self.write_minutes)
        if self.index + 1 < len(MEETING_DAYS):
            schedule.at(_moment(day + timedelta(days=8), 10), self.circulate)
            following = MEETING_DAYS[self.index + 1]
            schedule.at(_moment(following, 11), self.approve)
            schedule.at(_moment(following + timedelta(days=2), 9), self.lock)
        if self.index == CORRECTED_MEETING:
            schedule.at(_moment(CORRECTED_ON, 10), self.correct)
        for _, title, org, _, _, done_days in _ACTIONS[self.index]:
            if done_days is not None:
                done = day + timedelta(days=done_days)
                schedule.at(_moment(done, 15), self.completer(title, org, done))

    def create(self) -> None:
        body = self.state["body"]
        assert isinstance(body, MeetingBody)  # noqa: S101 - set by an earlier op
        online = self.index == 3
        meeting = meetings.create_meeting(
            body,
            held_on=self.day,
            starts_at=time(10, 0),
            duration_minutes=150,
            place="" if online else PLACE,
            link=ONLINE if online else "",
            chair=self.chair,
            confidential=False,
            title=f"{BOARD_NAME} (OMCDB)",
            at=_moment(self.day - timedelta(days=21), 9),
        )
        for title, org, _, confidential in _ITEMS:
            meetings.add_item(
                meeting,
                title=title,
                presenter=self.staff[org][0],
                duration_minutes=30 if not confidential else 20,
                confidential=confidential,
                at=_moment(self.day - timedelta(days=21), 9),
            )
        self.state[self.key] = meeting

    def hold(self) -> None:
        meeting = self.meeting
        meetings.mark_held(meeting, at=_moment(self.day, 13), today=self.day)
        entries = []
        for person in self.members:
            roll = self.rng.random()
            status = (
                AttendanceStatus.PRESENT
                if roll < 0.8
                else AttendanceStatus.APOLOGIES
                if roll < 0.95
                else AttendanceStatus.ABSENT
            )
            entries.append((person, status))
        meetings.record_attendance(meeting, entries, at=_moment(self.day, 13))

    def write_minutes(self) -> None:
        meeting = self.meeting
        moment = _moment(self.day + timedelta(days=3), 10)
        minutes = meetings.start_minutes(meeting, by=None, at=moment)
        items = meeting.items
        texts = {
            items[0].id: (
                "The minutes of the last meeting were approved as a true record."
                if meeting.previous is not None
                else "This was the board's first meeting under the refreshed strategy."
            ),
            items[1].id: (
                "The board reviewed the open actions from earlier meetings; "
                "updates are recorded in the action plan."
            ),
        }
        for offset, (_, _, text, _) in enumerate(_ITEMS, start=2):
            texts[items[offset].id] = text
        meetings.edit_minutes(
            minutes, texts, opened_version=minutes.version, by=None, at=moment
        )
        extra = items[2:]
        for item_index, text in _DECISIONS[self.index]:
            meetings.record_decision(
                minutes,
                extra[item_index],
                text,
                opened_version=minutes.version,
                by=None,
                at=moment,
            )
        for item_index, title, org, theme_name, due_days, _ in _ACTIONS[self.index]:
            owner = self.staff[org][0]
            meetings.add_action_arising(
                minutes,
                extra[item_index],
                title=title,
                owner=owner,
                due_date=self.day + timedelta(days=due_days),
                theme=_theme(self.strategy, theme_name),
                opened_version=minutes.version,
                by=None,
                at=moment,
            )

    def circulate(self) -> None:
        minutes = self.meeting.minutes
        if minutes is not None:
            meetings.circulate_minutes(
                minutes,
                opened_version=minutes.version,
                by=None,
                at=_moment(self.day + timedelta(days=8), 10),
            )

    def approve(self) -> None:
        minutes = self.meeting.minutes
        following = self.state.get(f"meeting-{self.index + 1}")
        if minutes is None or not isinstance(following, Meeting):
            return
        day = MEETING_DAYS[self.index + 1]
        meetings.approve_minutes(
            minutes,
            at_meeting=following,
            opened_version=minutes.version,
            by=None,
            at=_moment(day, 11),
            today=day,
        )

    def lock(self) -> None:
        minutes = self.meeting.minutes
        if minutes is not None and minutes.status is meetings.MinutesStatus.APPROVED:
            meetings.lock_minutes(
                minutes,
                opened_version=minutes.version,
                by=None,
                at=_moment(MEETING_DAYS[self.index + 1] + timedelta(days=2), 9),
            )

    def correct(self) -> None:
        """A correction after approval: a new revision with its reason."""
        minutes = self.meeting.minutes
        if minutes is None or minutes.status.is_editable:
            return
        item = self.meeting.items[2 + 2]
        meetings.correct_minutes(
            minutes,
            {item.id: minutes.text_for(item) + CORRECTION_TEXT},
            reason=CORRECTION_REASON,
            opened_version=minutes.version,
            by=None,
            at=_moment(CORRECTED_ON, 10),
        )

    def completer(self, title: str, org: str, done: date) -> Callable[[], None]:
        def op() -> None:
            action = db.session.scalar(
                select(Action).where(
                    Action.strategy_id == self.strategy.id, Action.title == title
                )
            )
            if action is None:
                return
            plans.change_status(
                action,
                ActionStatus.COMPLETED,
                opened_version=action.version,
                by=self.staff[org][0],
                completed_on=done,
                at=_moment(done, 15),
            )

        return op


def _theme(strategy: Strategy, name: str) -> Theme:
    themes = strategy.active_themes
    return next((theme for theme in themes if theme.name == name), themes[0])
