"""Demo action plan: a county reducing-offending strategy, 2015-18, refreshed for 2018/19.

Modelled on seed 004 (the Staffordshire progress report to the Police and Crime
Panel, April 2018): three themes (Prevention; Diversion; Offender Management,
Rehabilitation and Resettlement), a delivery group per theme and 53 actions due
by 31 March 2018, of which 42 were completed and 11 still in progress on that
day. Quarterly progress updates run through 2017/18 and 2018/19. In April 2018 a
refresh merges Prevention and Diversion into "Prevention/Early Intervention"
(themes and groups alike) and carries the 11 outstanding actions forward into
2018/19; two of them had already been carried forward once, in April 2017.
Outcome indicators with targets follow the Tayside reports (seed 000), with
values given as numerator and denominator (141 of 228, as in seed 003).

A second, small plan belongs to New Routes, one of the RRCF PSPs: the actions its
board agreed after wave 1 of the RRCF partner survey, each linked to the survey
questions it was meant to move, so the plan's "Survey questions" page shows each
question's change across the three waves beside those actions.

The county partnership, its organisations and people are fictitious (people on the
reserved ``.example`` domain). Every change goes through ``governance.plans``
at its historical date, so the history and the as-of reports are real.
Idempotent (nothing is done for a strategy that exists) and deterministic
(``random.Random(2015)``). Nothing here commits.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta

from sqlalchemy import select

from governance import plans
from governance.models import Action
from governance.models import ActionStatus
from governance.models import DeliveryGroup
from governance.models import Direction
from governance.models import Rag
from governance.models import Strategy
from governance.models import Theme
from portal import clock
from portal.directory import services as directory
from portal.extensions import db
from portal.models import MemberRole
from portal.models import Organisation
from portal.models import PartnerRole
from portal.models import Partnership
from portal.models import Person
from portal.models import Sector
from surveys.models import Item
from surveys.models import Survey

PARTNERSHIP_SLUG = "county-reducing-offending"
PARTNERSHIP_NAME = "County Reducing Offending Partnership"
PARTNERSHIP_DESCRIPTION = (
    "Brings together every agency that commissions or delivers services to "
    "offenders and their families across the county and city, to prevent offending "
    "and reduce reoffending. Reports quarterly to the Police and Crime Panel."
)
STRATEGY_SLUG = "county-reducing-offending-2015-18"
STRATEGY_TITLE = "County Strategic Framework for Reducing Offending 2015-18"
STRATEGY_DESCRIPTION = (
    "A whole-system approach to preventing offending and driving down offending "
    "and reoffending, delivered through three themes and their multi-agency "
    "delivery groups. Refreshed in April 2018: three themes became two."
)
LAUNCH = date(2015, 10, 1)
YEAR_END = date(2018, 3, 31)
REFRESH = date(2018, 4, 20)
NEXT_YEAR_END = date(2019, 3, 31)

OPCC = "Office of the Police and Crime Commissioner for the County"
POLICE = "County Police"
COUNTY = "County Council"
CITY = "City Council"
YOS = "County Youth Offending Service"
NPS = "National Probation Service, County Division"
CRC = "County Community Rehabilitation Company"
CCG = "County Clinical Commissioning Group"
CVS = "County Council for Voluntary Service"
HOUSING = "County Housing Support Trust"


@dataclass(frozen=True)
class DemoOrganisation:
    """An organisation of the county partnership."""

    name: str
    sector: Sector
    role: PartnerRole
    domain: str


ORGANISATIONS = (
    DemoOrganisation(OPCC, Sector.PUBLIC, PartnerRole.LEAD, "county-pcc.example"),
    DemoOrganisation(
        POLICE, Sector.PUBLIC, PartnerRole.PARTNER, "county-police.example"
    ),
    DemoOrganisation(
        COUNTY, Sector.PUBLIC, PartnerRole.PARTNER, "county-council.example"
    ),
    DemoOrganisation(CITY, Sector.PUBLIC, PartnerRole.PARTNER, "city-council.example"),
    DemoOrganisation(
        YOS, Sector.PUBLIC, PartnerRole.DELIVERY_PARTNER, "county-yos.example"
    ),
    DemoOrganisation(
        NPS, Sector.PUBLIC, PartnerRole.DELIVERY_PARTNER, "county-nps.example"
    ),
    DemoOrganisation(
        CRC, Sector.PRIVATE, PartnerRole.DELIVERY_PARTNER, "county-crc.example"
    ),
    DemoOrganisation(CCG, Sector.PUBLIC, PartnerRole.PARTNER, "county-ccg.example"),
    DemoOrganisation(CVS, Sector.THIRD, PartnerRole.PARTNER, "county-cvs.example"),
    DemoOrganisation(
        HOUSING, Sector.THIRD, PartnerRole.DELIVERY_PARTNER, "county-housing.example"
    ),
)

_FIRST = (
    "Helen",
    "David",
    "Sarah",
    "Mark",
    "Rachel",
    "Paul",
    "Joanne",
    "Andrew",
    "Claire",
    "Simon",
    "Karen",
    "Richard",
    "Emma",
    "Stephen",
    "Louise",
    "Gareth",
    "Nicola",
    "Darren",
    "Amanda",
    "Neil",
    "Victoria",
)
_LAST = (
    "Marsh",
    "Bennett",
    "Hughes",
    "Clarke",
    "Walker",
    "Turner",
    "Shaw",
    "Parker",
    "Hall",
    "Wright",
    "Green",
    "Baker",
    "Cooper",
    "Hill",
    "Ward",
    "Morris",
    "Price",
    "Lloyd",
    "Harrison",
    "Cole",
)
_TITLES = ("Head of Service", "Partnership Manager", "Commissioning Officer")
PROGRAMME_LEAD_TITLE = "Programme Lead, Offender Management"

PREVENTION = "Prevention"
DIVERSION = "Diversion"
OMRR = "Offender Management, Rehabilitation and Resettlement"
PREVENTION_EI = "Prevention/Early Intervention"

#: Theme -> (reference prefix, delivery group, its chair's organisation).
GROUPS = {
    PREVENTION: ("P", "Prevention Delivery Group", COUNTY),
    DIVERSION: ("D", "Diversion Delivery Group", POLICE),
    OMRR: ("O", "Offender Management, Rehabilitation and Resettlement Group", NPS),
}
PREVENTION_EI_GROUP = "Prevention/Early Intervention Group"

#: The 53 actions of the 2015-18 plan: theme -> (title, lead organisation).
ACTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    PREVENTION: (
        ("Introduce the Values versus Violence education resource in schools", OPCC),
        ("Scope what schools deliver in PSHE on the risks of offending", COUNTY),
        ("Commission an independent review of YOS prevention services", OPCC),
        ("Expand the SPACE positive activities programme to more ages", COUNTY),
        ("Fund a prison family support worker to maintain family ties", OPCC),
        ("Map early help services for children of prisoners", COUNTY),
        ("Agree a joint approach to intergenerational offending", CITY),
        ("Train school staff to spot child criminal exploitation", COUNTY),
        ("Develop a county-wide mentoring offer for young people at risk", CVS),
        ("Set up referral pathways from schools into early help", CITY),
        ("Run a knife crime campaign with young people's services", POLICE),
        ("Publish a prevention needs assessment for 10-17 year olds", COUNTY),
        ("Align community safety plans with the prevention priorities", CITY),
        ("Pilot restorative approaches in three secondary schools", YOS),
        ("Offer parenting support to families of young people at risk", COUNTY),
        ("Agree an information sharing protocol for prevention services", OPCC),
        ("Extend sports-based diversionary activities to rural districts", CVS),
        ("Evaluate the first year of the SPACE programme expansion", OPCC),
    ),
    DIVERSION: (
        ("Introduce multi-agency triage for young people's minor offending", YOS),
        ("Set up a police-led strategic group on adult out of court disposals", POLICE),
        ("Agree a protocol to reduce criminalisation of children in care", COUNTY),
        ("Establish the Mental Health and Community Safety Strategic Board", CCG),
        ("Extend Liaison and Diversion services to every custody suite", CCG),
        ("Link conditional cautions to appropriate interventions", POLICE),
        ("Review the use of community resolutions across the county", POLICE),
        ("Train custody staff to identify vulnerabilities", POLICE),
        ("Agree pathways from police custody into substance misuse services", CCG),
        ("Develop a women's diversion scheme with the third sector", CVS),
        ("Introduce a youth restorative justice panel in each district", YOS),
        ("Publish guidance on out of court disposals for partner agencies", POLICE),
        ("Report the outcomes of diversion schemes every quarter", OPCC),
        ("Set up street triage with mental health services", CCG),
        ("Develop a diversion offer for 18-25 year olds", YOS),
    ),
    OMRR: (
        ("Review statutory YOS services across the county and city", YOS),
        ("Hold quarterly performance meetings with the NPS and CRC", OPCC),
        ("Co-commission a community sentence option for women offenders", NPS),
        ("Maintain the co-commissioned housing support service for offenders", HOUSING),
        ("Set up a steering group on offenders' access to employment", OPCC),
        ("Commission a feasibility study for a construction social enterprise", OPCC),
        ("Review PCC funding for substance misuse treatment", OPCC),
        ("Refresh Integrated Offender Management cohort selection", POLICE),
        ("Agree a resettlement pathway for prisoners released to the county", NPS),
        ("Improve GP registration for people leaving prison", CCG),
        ("Develop an accommodation pathway for young adults leaving custody", HOUSING),
        ("Introduce a through-the-gate mentoring service", CRC),
        ("Agree a domestic abuse perpetrator programme for the IOM cohort", CRC),
        ("Provide debt and benefits advice for people on probation", CRC),
        ("Improve data sharing on IOM offenders between police, NPS and CRC", POLICE),
        ("Build a reducing reoffending performance dashboard for the board", OPCC),
        ("Develop pathways into mental health services for offenders", CCG),
        ("Review provision for veterans in the criminal justice system", NPS),
        ("Establish a lived-experience panel to advise the board", CVS),
        ("Agree a protocol for young adults moving from YOS to probation", YOS),
    ),
}
#: Actions added at the refresh, for 2018/19: (ref, theme, title, lead, due, outcome).
NEW_ACTIONS = (
    (
        "PE1",
        PREVENTION_EI,
        "Link the strategy's priorities to local early help plans",
        COUNTY,
        date(2018, 9, 30),
        ActionStatus.COMPLETED,
    ),
    (
        "PE2",
        PREVENTION_EI,
        "Strengthen connections across the local early help system",
        CITY,
        date(2018, 12, 31),
        ActionStatus.COMPLETED,
    ),
    (
        "PE3",
        PREVENTION_EI,
        "Build voluntary sector capacity for new approaches to reoffending",
        CVS,
        date(2019, 3, 31),
        ActionStatus.IN_PROGRESS,
    ),
    (
        "O21",
        OMRR,
        "Review IOM multi-agency offender management arrangements",
        POLICE,
        date(2018, 12, 31),
        ActionStatus.COMPLETED,
    ),
    (
        "O22",
        OMRR,
        "Focus new initiatives on tackling youth reoffending",
        YOS,
        date(2019, 3, 31),
        ActionStatus.NOT_STARTED,
    ),
    (
        "O23",
        OMRR,
        "Commission a women's centre in the north of the county",
        NPS,
        date(2019, 3, 31),
        ActionStatus.DISCONTINUED,
    ),
)

#: Outcome indicators: (name, target %, direction, amber margin, values, action refs).
INDICATORS = (
    (
        "Increased compliance/engagement with helping agencies",
        60.0,
        Direction.UP,
        5.0,
        ((96, 174), (112, 189), (128, 205), (141, 228)),
        ("O12", "O9", "O14"),
    ),
    (
        "Reduced involvement in crime",
        55.0,
        Direction.UP,
        5.0,
        ((81, 174), (95, 189), (108, 205), (127, 228)),
        ("O8", "O12", "O15"),
    ),
    (
        "Improved confidence and self esteem",
        60.0,
        Direction.UP,
        5.0,
        ((93, 174), (108, 189), (121, 205), (139, 228)),
        ("P9", "O19"),
    ),
)
#: Annual adult proven reoffending (lower is better), by year ending 31 March.
REOFFENDING = (
    "Adult proven reoffending rate",
    25.0,
    Direction.DOWN,
    2.0,
    ((2016, 402, 1480), (2017, 371, 1422), (2018, 349, 1405)),
    ("O2", "O8", "O15", "O16"),
)
QUARTERS_2017_18 = (
    ("2017/18 Q1", date(2017, 6, 30)),
    ("2017/18 Q2", date(2017, 9, 30)),
    ("2017/18 Q3", date(2017, 12, 31)),
    ("2017/18 Q4", date(2018, 3, 31)),
)
QUARTERS_2018_19 = (
    date(2018, 6, 30),
    date(2018, 9, 30),
    date(2018, 12, 31),
    date(2019, 3, 31),
)

_ON_TRACK = (
    "Partners have agreed the approach and the delivery plan is on schedule.",
    "Funding is agreed and recruitment is under way.",
    "The pilot is running in two districts; early feedback is positive.",
    "Reported to the delivery group this quarter; next steps agreed.",
    "Procurement is complete and the provider is mobilising.",
    "Delivery is on track; the evaluation framework is agreed with the OPCC.",
)
_DELAYED = (
    "Staff changes at the lead organisation have slowed progress; a revised "
    "timetable has been agreed.",
    "Waiting for data from partners before the review can be finished.",
    "Starting from a low base; capacity is being built before roll-out.",
    "Funding for the next stage is awaiting approval by partners.",
)
_DONE = (
    "Completed and reported to the delivery group.",
    "Completed; the new arrangements are now business as usual.",
    "Completed; the evaluation report has been circulated to the board.",
)


def _moment(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _quarter_ends(first: date, last: date) -> list[date]:
    ends = []
    for year in range(first.year, last.year + 1):
        for month, day in ((3, 31), (6, 30), (9, 30), (12, 31)):
            end = date(year, month, day)
            if first <= end <= last:
                ends.append(end)
    return ends


# Directory ------------------------------------------------------------------------


def _ensure_partnership() -> tuple[Partnership, dict[str, list[Person]]]:
    partnership = db.session.scalar(
        select(Partnership).where(Partnership.slug == PARTNERSHIP_SLUG)
    ) or directory.create_partnership(
        slug=PARTNERSHIP_SLUG,
        name=PARTNERSHIP_NAME,
        description=PARTNERSHIP_DESCRIPTION,
    )
    present = {p.organisation_id for p in partnership.participations}
    staff: dict[str, list[Person]] = {}
    index = 0
    for item in ORGANISATIONS:
        organisation: Organisation = directory.find_organisation(
            item.name
        ) or directory.create_organisation(name=item.name, sector=item.sector)
        if organisation.id not in present:
            directory.set_participation(partnership, organisation, role=item.role)
        staff[item.name] = []
        for slot in range(3 if item.role is PartnerRole.LEAD else 2):
            first, last = _FIRST[index % len(_FIRST)], _LAST[index % len(_LAST)]
            index += 1
            email = f"{first}.{last}@{item.domain}".lower()
            title = (
                PROGRAMME_LEAD_TITLE
                if item.name == OPCC and slot == 0
                else _TITLES[slot]
            )
            person = directory.find_person(email) or directory.create_person(
                name=f"{first} {last}",
                email=email,
                job_title=title,
                organisation=organisation,
            )
            staff[item.name].append(person)
    directory.set_membership(partnership, staff[OPCC][0], MemberRole.COORDINATOR)
    return partnership, staff


# The plan ----------------------------------------------------------------------


@dataclass
class _Plan:
    """The demo's actions and when things happen to them."""

    strategy: Strategy
    lead: Person
    actions: dict[str, Action]
    ops: list[tuple[datetime, int, Callable[[], None]]]

    def at(self, moment: datetime, op: Callable[[], None]) -> None:
        self.ops.append((moment, len(self.ops), op))


def load(today: date | None = None) -> None:
    """Create the county strategy unless it exists; flushes, the caller commits.

    Changes dated after ``today`` (default: the portal's today) are left out,
    so the demo never records the future.
    """
    today = today or clock.today()
    if plans.find_strategy(STRATEGY_SLUG) is None:
        _load_county(today)
    _load_psp_plan(today)
    db.session.flush()


def _load_county(today: date) -> None:
    """The county strategy, its history to ``today``, and its indicators."""
    rng = random.Random(2015)  # noqa: S311 - demo data, not security
    partnership, staff = _ensure_partnership()
    lead = staff[OPCC][0]
    strategy = plans.create_strategy(
        slug=STRATEGY_SLUG,
        title=STRATEGY_TITLE,
        partnership=partnership,
        starts_on=LAUNCH,
        ends_on=YEAR_END,
        description=STRATEGY_DESCRIPTION,
    )
    themes: dict[str, Theme] = {}
    groups: dict[str, DeliveryGroup] = {}
    everyone = [person for people in staff.values() for person in people]
    for name, (_, group_name, chair_org) in GROUPS.items():
        themes[name] = plans.create_theme(strategy, name=name)
        chair = staff[chair_org][0]
        members = [chair, lead, *rng.sample(everyone, 4)]
        groups[name] = plans.create_group(
            strategy, name=group_name, theme=themes[name], chair=chair, members=members
        )
        directory.set_membership(partnership, chair, MemberRole.BOARD_MEMBER)
    plan = _Plan(strategy=strategy, lead=lead, actions={}, ops=[])
    outstanding = _create_actions(plan, rng, staff, themes, groups)
    _schedule_refresh(plan, rng, staff, themes, groups, outstanding)
    for moment, _, op in sorted(plan.ops, key=lambda item: (item[0], item[1])):
        if plans.local_date(moment) <= today:
            op()
    _add_indicators(plan, today)


def _create_actions(
    plan: _Plan,
    rng: random.Random,
    staff: dict[str, list[Person]],
    themes: dict[str, Theme],
    groups: dict[str, DeliveryGroup],
) -> list[str]:
    """Create the 53 actions and schedule their history to 31 March 2018.

    Returns the references of the 11 still in progress on 31 March 2018.
    """
    due_dates = _quarter_ends(date(2016, 3, 31), YEAR_END)
    refs: list[str] = []
    for theme_name, rows in ACTIONS.items():
        prefix = GROUPS[theme_name][0]
        for number, (title, lead_org) in enumerate(rows, start=1):
            ref = f"{prefix}{number}"
            refs.append(ref)
            # Later quarters carry more of the plan.
            due = rng.choices(due_dates, weights=range(1, len(due_dates) + 1))[0]
            start = max(LAUNCH, due - timedelta(days=rng.randrange(180, 540)))
            action = plans.create_action(
                plan.strategy,
                ref=ref,
                title=title,
                theme=themes[theme_name],
                delivery_group=groups[theme_name],
                lead_organisation=_organisation(lead_org),
                owner=rng.choice(staff[lead_org]),
                start_date=start,
                due_date=due,
                by=plan.lead,
                at=_moment(LAUNCH),
            )
            plan.actions[ref] = action
    # Eleven were still in progress on 31 March 2018: mostly late in the plan,
    # and two that had already been carried forward from 2016/17.
    late = [r for r in refs if plan.actions[r].due_date >= date(2017, 9, 30)]
    early = [r for r in refs if plan.actions[r].due_date == date(2017, 3, 31)]
    twice = rng.sample(early, 2)
    outstanding = twice + rng.sample([r for r in late if r not in twice], 9)
    for ref in refs:
        action = plan.actions[ref]
        start = action.start_date or LAUNCH
        plan.at(_moment(start, 12), _starter(action, plan.lead))
        completed_on = None
        if ref not in outstanding:
            slack = timedelta(days=rng.randrange(-150, 75))
            completed_on = min(
                YEAR_END, max(start + timedelta(days=45), action.due_date + slack)
            )
            plan.at(
                _moment(completed_on, 15),
                _updater(
                    action,
                    status=ActionStatus.COMPLETED,
                    rag=Rag.GREEN,
                    progress=100,
                    narrative=rng.choice(_DONE),
                    day=completed_on,
                ),
            )
        if ref in twice:
            plan.at(
                _moment(date(2017, 4, 20), 11),
                _carrier(
                    action,
                    plan.lead,
                    YEAR_END,
                    "Not finished by 31 March 2017; the delivery group agreed a "
                    "further year.",
                    on=date(2017, 4, 20),
                ),
            )
        for _, quarter_end in QUARTERS_2017_18:
            written = quarter_end - timedelta(days=rng.randrange(0, 12))
            if written < start or (completed_on and completed_on <= written):
                continue
            plan.at(
                _moment(written, 14),
                _quarterly(action, rng, written, slow=ref in outstanding),
            )
    return outstanding


def _organisation(name: str) -> Organisation:
    organisation = directory.find_organisation(name)
    if organisation is None:
        raise LookupError(name)
    return organisation


def _starter(action: Action, by: Person) -> Callable[[], None]:
    def op() -> None:
        plans.change_status(
            action,
            ActionStatus.IN_PROGRESS,
            opened_version=action.version,
            by=action.owner or by,
            at=_moment(action.start_date or LAUNCH, 12),
        )

    return op


def _updater(
    action: Action,
    *,
    status: ActionStatus,
    rag: Rag,
    progress: int,
    narrative: str,
    day: date,
) -> Callable[[], None]:
    def op() -> None:
        plans.record_update(
            action,
            opened_version=action.version,
            narrative=narrative,
            status=status,
            rag=rag,
            progress_pct=progress,
            by=action.owner,
            written_on=day,
            at=_moment(day, 15),
        )

    return op


def _quarterly(
    action: Action, rng: random.Random, day: date, *, slow: bool
) -> Callable[[], None]:
    """A progress update in proportion to the time elapsed; slow actions lag."""
    start = action.start_date or LAUNCH
    # The due date at the time of writing: carried-forward ones moved later.
    span = max((action.original_due_date - start).days, 1)
    elapsed = (day - start).days / span
    progress = max(5, min(95, round(elapsed * (55 if slow else 95) / 5) * 5))
    rag = Rag.AMBER if slow else rng.choice((Rag.GREEN, Rag.GREEN, Rag.AMBER))
    narrative = rng.choice(_DELAYED if slow else _ON_TRACK)
    return _updater(
        action,
        status=ActionStatus.IN_PROGRESS,
        rag=rag,
        progress=progress,
        narrative=narrative,
        day=day,
    )


def _carrier(
    action: Action, by: Person | None, new_due: date, reason: str, *, on: date
) -> Callable[[], None]:
    def op() -> None:
        plans.carry_forward(
            action,
            opened_version=action.version,
            new_due_date=new_due,
            reason=reason,
            by=by,
            at=_moment(on, 11),
        )

    return op


def _schedule_refresh(
    plan: _Plan,
    rng: random.Random,
    staff: dict[str, list[Person]],
    themes: dict[str, Theme],
    groups: dict[str, DeliveryGroup],
    outstanding: list[str],
) -> None:
    """April 2018: two themes, one prevention group, 11 actions carried forward."""
    strategy = plan.strategy

    def refresh() -> None:
        moment = _moment(REFRESH, 10)
        plans.update_strategy(
            strategy,
            opened_version=strategy.version,
            title=strategy.title,
            description=strategy.description,
            starts_on=strategy.starts_on,
            ends_on=NEXT_YEAR_END,
        )
        merged = plans.create_theme(strategy, name=PREVENTION_EI, position=0)
        plans.merge_themes(
            [themes[PREVENTION], themes[DIVERSION]], merged, by=plan.lead, at=moment
        )
        group = plans.create_group(
            strategy,
            name=PREVENTION_EI_GROUP,
            theme=merged,
            chair=staff[COUNTY][0],
        )
        plans.merge_groups(
            [groups[PREVENTION], groups[DIVERSION]], group, by=plan.lead, at=moment
        )
        themes[PREVENTION_EI] = merged
        groups[PREVENTION_EI] = group

    plan.at(_moment(REFRESH, 10), refresh)
    reason = (
        "Outstanding at 31 March 2018; carried into 2018/19 as part of the "
        "strategy refresh agreed by the OMCDB."
    )
    for ref in outstanding:
        plan.at(
            _moment(REFRESH, 11),
            _carrier(plan.actions[ref], plan.lead, NEXT_YEAR_END, reason, on=REFRESH),
        )
    # 2018/19: four of the eleven are finished; five move on, among them the two
    # carried forward twice; two are never updated.
    finish, move_on = outstanding[2:6], outstanding[:2] + outstanding[6:9]
    for ref in finish + move_on:
        action = plan.actions[ref]
        done_on = (
            date(2018, 6, 1) + timedelta(days=rng.randrange(0, 270))
            if ref in finish
            else None
        )
        for quarter_end in QUARTERS_2018_19:
            written = quarter_end - timedelta(days=rng.randrange(0, 12))
            if done_on is not None and done_on <= written:
                break
            plan.at(
                _moment(written, 14),
                _updater(
                    action,
                    status=ActionStatus.IN_PROGRESS,
                    rag=Rag.AMBER,
                    progress=min(95, 60 + 10 * QUARTERS_2018_19.index(quarter_end)),
                    narrative=rng.choice(_DELAYED + _ON_TRACK),
                    day=written,
                ),
            )
        if done_on is not None:
            plan.at(
                _moment(done_on, 15),
                _updater(
                    action,
                    status=ActionStatus.COMPLETED,
                    rag=Rag.GREEN,
                    progress=100,
                    narrative=rng.choice(_DONE),
                    day=done_on,
                ),
            )
    for ref, theme_name, title, lead_org, due, outcome in NEW_ACTIONS:
        owner = rng.choice(staff[lead_org])
        plan.at(
            _moment(date(2018, 4, 23), 12),
            _new_action(
                plan, themes, groups, ref, theme_name, title, lead_org, due, owner
            ),
        )
        _schedule_new_outcome(plan, rng, ref, due, outcome)


def _new_action(
    plan: _Plan,
    themes: dict[str, Theme],
    groups: dict[str, DeliveryGroup],
    ref: str,
    theme_name: str,
    title: str,
    lead_org: str,
    due: date,
    owner: Person,
) -> Callable[[], None]:
    def op() -> None:
        plan.actions[ref] = plans.create_action(
            plan.strategy,
            ref=ref,
            title=title,
            theme=themes[theme_name],
            delivery_group=groups[theme_name],
            lead_organisation=_organisation(lead_org),
            owner=owner,
            start_date=date(2018, 4, 23),
            due_date=due,
            origin="Strategy refresh, April 2018",
            by=plan.lead,
            at=_moment(date(2018, 4, 23), 12),
        )

    return op


def _schedule_new_outcome(
    plan: _Plan,
    rng: random.Random,
    ref: str,
    due: date,
    outcome: ActionStatus,
) -> None:
    """Start, update and finish (or drop) a 2018/19 action, by its outcome."""
    if outcome is ActionStatus.NOT_STARTED:
        return

    def later(op: Callable[[Action], None]) -> Callable[[], None]:
        return lambda: op(plan.actions[ref])

    started = date(2018, 5, 14) + timedelta(days=rng.randrange(0, 30))

    def start(action: Action) -> None:
        plans.change_status(
            action,
            ActionStatus.IN_PROGRESS,
            opened_version=action.version,
            by=action.owner,
            at=_moment(started, 9),
        )

    plan.at(_moment(started, 9), later(start))
    if outcome is ActionStatus.DISCONTINUED:

        def drop(action: Action) -> None:
            plans.record_update(
                action,
                opened_version=action.version,
                narrative="Discontinued: the Ministry of Justice is commissioning "
                "women's centres nationally, so partners agreed not to duplicate it.",
                status=ActionStatus.DISCONTINUED,
                rag=Rag.NONE,
                progress_pct=20,
                by=plan.lead,
                written_on=date(2018, 10, 15),
                at=_moment(date(2018, 10, 15), 15),
            )

        plan.at(_moment(date(2018, 10, 15), 15), later(drop))
        return
    if outcome is ActionStatus.COMPLETED:
        done_on = due - timedelta(days=rng.randrange(5, 40))
        narrative = rng.choice(_DONE)

        def finish(action: Action) -> None:
            plans.record_update(
                action,
                opened_version=action.version,
                narrative=narrative,
                status=ActionStatus.COMPLETED,
                rag=Rag.GREEN,
                progress_pct=100,
                by=action.owner,
                written_on=done_on,
                at=_moment(done_on, 15),
            )

        plan.at(_moment(done_on, 15), later(finish))
        return
    for quarter_end in QUARTERS_2018_19:
        if quarter_end <= started:
            continue
        written = quarter_end - timedelta(days=3)
        progress = 25 * (QUARTERS_2018_19.index(quarter_end) + 1) - 10

        def update(action: Action, day: date = written, pct: int = progress) -> None:
            plans.record_update(
                action,
                opened_version=action.version,
                narrative="Work with the voluntary sector forum is under way.",
                status=ActionStatus.IN_PROGRESS,
                rag=Rag.GREEN,
                progress_pct=pct,
                by=action.owner,
                written_on=day,
                at=_moment(day, 14),
            )

        plan.at(_moment(written, 14), later(update))


def _add_indicators(plan: _Plan, today: date) -> None:
    """Tayside-style outcome indicators with quarterly values, linked to actions."""
    strategy = plan.strategy
    for name, target, direction, margin, values, refs in INDICATORS:
        indicator = plans.create_indicator(
            strategy,
            name=name,
            target_pct=target,
            direction=direction,
            amber_margin_pp=margin,
            description="Share of people mentored whose assessment and review "
            "show the outcome.",
        )
        for (label, period_end), (numerator, denominator) in zip(
            QUARTERS_2017_18, values, strict=True
        ):
            if period_end <= today:
                plans.record_indicator_value(
                    indicator,
                    period_label=label,
                    period_end=period_end,
                    numerator=numerator,
                    denominator=denominator,
                )
        for ref in refs:
            plans.link_indicator(plan.actions[ref], indicator)
    r_name, r_target, r_direction, r_margin, annual, r_refs = REOFFENDING
    indicator = plans.create_indicator(
        strategy,
        name=r_name,
        target_pct=r_target,
        direction=r_direction,
        amber_margin_pp=r_margin,
        description="Adults in the year's cohort convicted of a further offence "
        "within a year (Ministry of Justice proven reoffending data).",
    )
    for year, numerator, denominator in annual:
        period_end = date(year, 3, 31)
        if period_end <= today:
            plans.record_indicator_value(
                indicator,
                period_label=f"{year - 1}/{str(year)[2:]}",
                period_end=period_end,
                numerator=numerator,
                denominator=denominator,
            )
    for ref in r_refs:
        plans.link_indicator(plan.actions[ref], indicator)


# A PSP's development plan, linked to the RRCF partner survey ---------------------------

PSP_PARTNERSHIP_SLUG = "new-routes"
PSP_STRATEGY_SLUG = "new-routes-development-2014-15"
PSP_STRATEGY_TITLE = "New Routes partnership development plan 2014-15"
PSP_SURVEY_SLUG = "rrcf-partner-survey"
PSP_START = date(2014, 3, 10)


@dataclass(frozen=True)
class PspAction:
    """An action the New Routes board agreed after wave 1 of the partner survey."""

    ref: str
    theme: str
    title: str
    lead: str
    due: date
    #: The partner-survey questions it is meant to move (item codes).
    items: tuple[str, ...]
    #: (day, status, RAG, progress, narrative) updates, in order.
    updates: tuple[tuple[date, ActionStatus, Rag, int, str], ...]
    #: (day, new due date, reason) if it was carried forward.
    carried: tuple[date, date, str] | None = None


PSP_ACTIONS = (
    PspAction(
        "NR1",
        "Working together",
        "Agree a partnership agreement setting out each partner's role",
        "The Wise Group",
        date(2014, 9, 30),
        ("clear_roles_responsibilities",),
        (
            (
                date(2014, 6, 20),
                ActionStatus.IN_PROGRESS,
                Rag.GREEN,
                50,
                "Draft agreed by the operational group; with partners' boards.",
            ),
            (
                date(2014, 9, 12),
                ActionStatus.COMPLETED,
                Rag.GREEN,
                100,
                "Signed by all eleven partners at the September board.",
            ),
        ),
    ),
    PspAction(
        "NR2",
        "Working together",
        "Add a standing item on barriers and problems to every board agenda",
        "The Wise Group",
        date(2014, 6, 30),
        ("share_info_barriers",),
        (
            (
                date(2014, 5, 20),
                ActionStatus.COMPLETED,
                Rag.GREEN,
                100,
                "On the agenda from the May board onwards.",
            ),
        ),
    ),
    PspAction(
        "NR3",
        "Working together",
        "Publish a monthly bulletin for partner staff and mentors",
        "Turning Point Scotland",
        date(2014, 12, 31),
        ("clear_communication",),
        (
            (
                date(2014, 9, 25),
                ActionStatus.IN_PROGRESS,
                Rag.AMBER,
                30,
                "Two issues out; the communications post is vacant from October.",
            ),
            (
                date(2015, 3, 20),
                ActionStatus.IN_PROGRESS,
                Rag.AMBER,
                45,
                "Post filled in February; the bulletin restarts in April.",
            ),
        ),
        carried=(
            date(2015, 1, 15),
            date(2015, 6, 30),
            "The communications post was vacant from October to February.",
        ),
    ),
    PspAction(
        "NR4",
        "Delivering the service",
        "Introduce a single referral and case-allocation process for mentors",
        "Apex Scotland",
        date(2014, 12, 31),
        ("service_more_efficient", "less_duplication"),
        (
            (
                date(2014, 8, 29),
                ActionStatus.IN_PROGRESS,
                Rag.GREEN,
                60,
                "Referral form and allocation meeting piloted in two prisons.",
            ),
            (
                date(2014, 11, 28),
                ActionStatus.COMPLETED,
                Rag.GREEN,
                100,
                "Running in every prison; duplicate referrals have stopped.",
            ),
        ),
    ),
    PspAction(
        "NR5",
        "Delivering the service",
        "Agree information-sharing protocols with prisons and social work",
        "Sacro",
        date(2015, 3, 31),
        ("share_info_user_needs",),
        (
            (
                date(2014, 12, 12),
                ActionStatus.IN_PROGRESS,
                Rag.GREEN,
                70,
                "Protocol agreed with the Scottish Prison Service; social work next.",
            ),
            (
                date(2015, 2, 20),
                ActionStatus.COMPLETED,
                Rag.GREEN,
                100,
                "Signed with Social Work Scotland.",
            ),
        ),
    ),
    PspAction(
        "NR6",
        "Sustainability",
        "Agree a sustainability plan for the service beyond the Change Fund",
        "The Wise Group",
        date(2015, 3, 31),
        ("confident_services_maintained", "psp_done_what_it_can_funding"),
        (
            (
                date(2014, 12, 19),
                ActionStatus.IN_PROGRESS,
                Rag.AMBER,
                40,
                "Options paper to the board; funders' plans are uncertain.",
            ),
            (
                date(2015, 3, 27),
                ActionStatus.IN_PROGRESS,
                Rag.RED,
                50,
                "On hold: community justice moves to the Community Planning "
                "Partnerships, and the plan must wait for their commissioning.",
            ),
        ),
    ),
)


def _first_staff(organisation: Organisation) -> Person | None:
    return db.session.scalar(
        select(Person)
        .where(Person.organisation_id == organisation.id)
        .where(Person.archived_at.is_(None))
        .order_by(Person.email)
    )


def _load_psp_plan(today: date) -> None:
    """New Routes' plan after wave 1 of the RRCF partner survey, linked to its questions.

    Skipped if it exists, or if the RRCF demo (partnership and survey) is not there.
    """
    if plans.find_strategy(PSP_STRATEGY_SLUG) is not None:
        return
    partnership = db.session.scalar(
        select(Partnership).where(Partnership.slug == PSP_PARTNERSHIP_SLUG)
    )
    survey = db.session.scalar(select(Survey).where(Survey.slug == PSP_SURVEY_SLUG))
    if partnership is None or survey is None or today < PSP_START:
        return
    items = {
        item.code: item
        for item in db.session.scalars(select(Item).where(Item.survey_id == survey.id))
    }
    strategy = plans.create_strategy(
        slug=PSP_STRATEGY_SLUG,
        title=PSP_STRATEGY_TITLE,
        partnership=partnership,
        starts_on=PSP_START,
        ends_on=date(2015, 6, 30),
        description=(
            "Agreed by the New Routes board in March 2014, after wave 1 of the RRCF "
            "partner survey, to strengthen how the partners work together."
        ),
    )
    themes = {
        name: plans.create_theme(strategy, name=name)
        for name in dict.fromkeys(action.theme for action in PSP_ACTIONS)
    }
    ops: list[tuple[datetime, int, Callable[[], None]]] = []
    for spec in PSP_ACTIONS:
        lead = _organisation(spec.lead)
        owner = _first_staff(lead)
        action = plans.create_action(
            strategy,
            ref=spec.ref,
            title=spec.title,
            theme=themes[spec.theme],
            lead_organisation=lead,
            owner=owner,
            start_date=PSP_START,
            due_date=spec.due,
            origin="New Routes board, March 2014",
            at=_moment(PSP_START),
        )
        for code in spec.items:
            if code in items:
                plans.link_survey_item(action, items[code])
        for day, status, rag, progress, narrative in spec.updates:
            ops.append(
                (
                    _moment(day, 15),
                    len(ops),
                    _updater(
                        action,
                        status=status,
                        rag=rag,
                        progress=progress,
                        narrative=narrative,
                        day=day,
                    ),
                )
            )
        if spec.carried is not None:
            on, new_due, reason = spec.carried
            ops.append(
                (
                    _moment(on, 11),
                    len(ops),
                    _carrier(action, owner, new_due, reason, on=on),
                )
            )
    for moment, _, op in sorted(ops, key=lambda entry: (entry[0], entry[1])):
        if plans.local_date(moment) <= today:
            op()
