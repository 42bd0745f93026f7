"""Demo surveys: the RRCF partner survey and an open New Routes check-in.

The RRCF partner survey reproduces the published design (seed 002, chapter 3): three
closed waves of 95, 88 and 88 invited people with 82, 66 and 63 responses. Seven
people sampled in wave 1 left or changed role before wave 2 and nobody replaced them
(footnote 8), so waves 2 and 3 carry the wave 1 sample forward without them. The
answers roughly follow the published percentages; ``understand_other_roles`` is exact.

The New Routes check-in has one wave open around today, so the demo partner login
(``partner@portal.example``) finds a survey to answer under "My surveys".

Everything is idempotent (a survey is only built when its slug is missing, a person
only when their email is) and deterministic: each survey draws from its own
``random.Random(2014)``. Nothing here commits and no email is queued.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from datetime import timedelta

from sqlalchemy import select

from portal import clock
from portal import demo_data
from portal.directory import services as directory
from portal.extensions import db
from portal.models import Organisation
from portal.models import Participation
from portal.models import PartnerRole
from portal.models import Partnership
from portal.models import Person
from portal.models import Programme
from portal.models import Scope
from portal.models import Sector
from surveys import fieldwork
from surveys import instrument
from surveys import services
from surveys.answers import DONT_KNOW
from surveys.models import Answer
from surveys.models import DraftAnswer
from surveys.models import Invitation
from surveys.models import Item
from surveys.models import ItemType
from surveys.models import Response
from surveys.models import ResponseOwner
from surveys.models import Survey
from surveys.models import SurveyMode
from surveys.models import Wave
from surveys.models import new_response_id
from surveys.services import SurveyError

RRCF_SLUG = "rrcf-partner-survey"
RRCF_TITLE = "RRCF partner survey"
RRCF_INTRODUCTION = (
    "An online survey of the lead and partner organisations of the six Public Social "
    "Partnerships. Each organisation nominated up to three people to take part."
)
CHECK_IN_SLUG = "new-routes-partner-check-in"
CHECK_IN_TITLE = "New Routes partner check-in"
CHECK_IN_PARTNERSHIP = "new-routes"
CHECK_IN_INTRODUCTION = (
    "A short check-in between board meetings on how the New Routes partnership is "
    "working. Your answers are seen by the partnership's coordinators."
)
#: The demo login whose person must be sampled in the open check-in.
PARTNER_LOGIN = "partner@portal.example"
SEED = 2014


@dataclass(frozen=True)
class DemoWave:
    """One wave's fieldwork window, notes and number of completed questionnaires."""

    opens_on: date
    closes_on: date
    context_notes: str
    completed: int


RRCF_WAVES = (
    DemoWave(date(2014, 1, 6), date(2014, 2, 28), "", 82),
    DemoWave(
        date(2014, 10, 1),
        date(2014, 10, 31),
        "RRCF funding extension announced in June 2014",
        66,
    ),
    DemoWave(
        date(2015, 6, 1),
        date(2015, 6, 30),
        "Plans announced in December 2014 to move community justice from the 8 CJAs "
        "to the 32 Community Planning Partnerships",
        63,
    ),
)

#: Wave 1: people nominated per partnership and organisation (at most 3), 95 in all.
WAVE_ONE_SAMPLE: dict[str, dict[str, int]] = {
    "new-routes": {
        "The Wise Group": 3,
        "Turning Point Scotland": 3,
        "Apex Scotland": 3,
        "Sacro": 3,
        "YCSA": 3,
        "Scottish Association for Mental Health": 3,
        "Families Outside": 2,
        "Community Justice Authorities": 3,
        "Jobcentre Plus": 3,
        "NHS Scotland": 2,
        "Social Work Scotland": 2,
    },
    "shine": {
        "Sacro": 3,
        "Access to Industry": 3,
        "Apex Scotland": 2,
        "Barnardo's": 3,
        "Circle Scotland": 3,
        "Turning Point Scotland": 2,
        "The Wise Group": 2,
        "Venture Trust": 2,
        "Scottish Prison Service": 2,
        "Social Work Scotland": 2,
        "Community Justice Authorities": 2,
    },
    "tca": {
        "Tayside Council on Alcohol": 3,
        "Dundee City Council": 2,
        "Angus Council": 2,
        "Perth and Kinross Council": 1,
        "Tayside Community Justice Authority": 2,
        "Police Scotland": 1,
        "Churches Action for the Homeless": 1,
    },
    "moving-on": {
        "Action for Children": 2,
        "Barnardo's": 1,
        "Scottish Prison Service": 1,
        "Northern Community Justice Authority": 1,
        "South West Scotland Community Justice Authority": 1,
        "East Ayrshire Council": 1,
        "Renfrewshire Council": 1,
        "Inverclyde Council": 1,
        "Highland Council": 1,
    },
    "includem-impact": {
        "Includem": 3,
        "Glasgow City Council Social Work Services": 2,
        "NHS Scotland": 1,
        "Police Scotland": 1,
        "Department for Work and Pensions": 1,
        "Glasgow Community Justice Authority": 1,
        "Wheatley Group": 1,
    },
    "vaslan": {
        "Voluntary Action South Lanarkshire": 3,
        "Routes to Inclusion": 2,
        "Routes to Work South": 1,
        "Lanarkshire Community Justice Authority": 1,
    },
}

#: Wave 1 people who left (None) or moved to another organisation before wave 2.
LEAVERS: tuple[tuple[str, str | None], ...] = (
    ("Sacro", None),
    ("Apex Scotland", None),
    ("Community Justice Authorities", None),
    ("Barnardo's", None),
    ("Glasgow City Council Social Work Services", None),
    ("Turning Point Scotland", "Scottish Association for Mental Health"),
    ("Dundee City Council", "Angus Council"),
)

_FIRST = (
    "Agnes",
    "Blair",
    "Cameron",
    "Darcy",
    "Elspeth",
    "Finlay",
    "Greer",
    "Innes",
    "Jamie",
    "Kenna",
    "Lorne",
    "Maisie",
    "Nairn",
    "Orla",
    "Rory",
    "Skye",
    "Tam",
    "Una",
    "Wallace",
    "Yvonne",
)
_LAST = (
    "Buchanan",
    "Dalgleish",
    "Ferguson",
    "Galbraith",
    "Henderson",
    "Imrie",
    "Jardine",
    "Kinnear",
    "Laidlaw",
    "McAllister",
    "Nicol",
    "Ogilvie",
    "Pringle",
    "Quarrie",
    "Rennie",
    "Souter",
    "Tennant",
    "Urquhart",
    "Wishart",
)
_TITLES_THIRD = (
    "Senior Mentor",
    "Development Officer",
    "Operations Manager",
    "Volunteer Coordinator",
)
_TITLES_PUBLIC = (
    "Team Leader",
    "Partnership Manager",
    "Policy Officer",
    "Operations Manager",
)


@dataclass(frozen=True)
class ExtraPerson:
    """A fictitious member of staff added so the nominations add up."""

    person: demo_data.DemoPerson
    #: Left before wave 2: None if still there, "" if left, else the new employer.
    moved_to: str | None


def _extra_staff() -> tuple[ExtraPerson, ...]:
    """Enough extra staff for the wave 1 nominations, the leavers first per org."""
    need: Counter[str] = Counter()
    for plan in WAVE_ONE_SAMPLE.values():
        need.update(plan)
    have = Counter(person.organisation for person in demo_data.PEOPLE)
    domains = {
        person.organisation: person.email.split("@", 1)[1]
        for person in demo_data.PEOPLE
    }
    leavers: dict[str, list[str]] = {}
    for origin, moved_to in LEAVERS:
        leavers.setdefault(origin, []).append(moved_to or "")
    extras: list[ExtraPerson] = []
    index = 0
    for organisation in demo_data.ORGANISATIONS:
        fates = leavers.get(organisation.name, [])
        count = max(need[organisation.name] - have[organisation.name], len(fates))
        titles = _TITLES_PUBLIC if organisation.sector == "public" else _TITLES_THIRD
        for slot in range(count):
            first = _FIRST[index % len(_FIRST)]
            last = _LAST[index % len(_LAST)]
            index += 1
            domain = domains.get(organisation.name, "portal.example")
            extras.append(
                ExtraPerson(
                    person=demo_data.DemoPerson(
                        name=f"{first} {last}",
                        email=f"{first}.{last}@{domain}".lower(),
                        job_title=titles[slot % len(titles)],
                        organisation=organisation.name,
                    ),
                    moved_to=fates[slot] if slot < len(fates) else None,
                )
            )
    return tuple(extras)


#: Names cycle through two lists of coprime length, so no two extras share a name.
EXTRA_STAFF: tuple[ExtraPerson, ...] = _extra_staff()

# Answers ------------------------------------------------------------------------

PSP_OPTION = {
    "new-routes": "New Routes",
    "shine": "Shine",
    "tca": "Tayside Council on Alcohol",
    "moving-on": "Moving On",
    "includem-impact": "Includem",
    "vaslan": "Chance to Change",
}


@dataclass(frozen=True)
class Spread:
    """Percentages of the answering base on scale points 1-5, with DK and blank rates."""

    points: tuple[float, float, float, float, float]
    dont_know: float = 0.02
    blank: float = 0.01


def _agree(
    agree: float,
    neither: float,
    disagree: float,
    *,
    strongly: float = 0.4,
    dont_know: float = 0.02,
) -> Spread:
    return Spread(
        (
            agree * strongly,
            agree * (1 - strongly),
            neither,
            disagree * 0.7,
            disagree * 0.3,
        ),
        dont_know=dont_know,
    )


def _change(*points: float) -> Spread:
    a, b, c, d, e = points
    return Spread((a, b, c, d, e), dont_know=0.03)


_JUDGE = 0.06  # "as far as you are able to judge": more don't knows.

#: Per item, waves 1-3; loosely after the published results (reference §c).
SPREADS: dict[str, tuple[Spread, Spread, Spread]] = {
    "understand_objectives": (
        _agree(96, 3, 1, strongly=0.6, dont_know=0),
        _agree(94, 4, 2, strongly=0.6, dont_know=0),
        _agree(94, 5, 1, strongly=0.6, dont_know=0),
    ),
    "all_partners_understand_objectives": (
        _agree(68, 22, 10),
        _agree(72, 18, 10),
        _agree(76, 19, 5),
    ),
    "clear_vision": (_agree(90, 7, 3), _agree(92, 6, 2), _agree(88, 9, 3)),
    "all_involved_vision": (
        _agree(77, 10, 13),
        _agree(72, 16, 12),
        _agree(70, 18, 12),
    ),
    "understand_own_role": (
        _agree(94, 5, 1, strongly=0.6, dont_know=0),
        _agree(92, 6, 2, strongly=0.6, dont_know=0),
        _agree(93, 5, 2, strongly=0.6, dont_know=0),
    ),
    "clear_roles_responsibilities": (
        _agree(80, 14, 6),
        _agree(83, 12, 5),
        _agree(82, 13, 5),
    ),
    "lead_fulfilled_role": (
        _agree(76, 11, 13, dont_know=0.05),
        _agree(65, 16, 19, dont_know=0.05),
        _agree(71, 16, 13, dont_know=0.05),
    ),
    "share_info_services": (
        _agree(82, 10, 8),
        _agree(84, 9, 7),
        _agree(81, 11, 8),
    ),
    "share_info_barriers": (
        _agree(78, 12, 10),
        _agree(80, 11, 9),
        _agree(77, 13, 10),
    ),
    "share_info_user_needs": (
        _agree(80, 11, 9),
        _agree(82, 10, 8),
        _agree(79, 12, 9),
    ),
    "share_info_best_practice": (
        _agree(68, 22, 10),
        _agree(72, 19, 9),
        _agree(76, 16, 8),
    ),
    "clear_communication": (
        _agree(70, 16, 14),
        _agree(68, 17, 15),
        _agree(60, 22, 18),
    ),
    "partners_treated_equally": (
        _agree(70, 18, 12),
        _agree(72, 16, 12),
        _agree(73, 17, 10),
    ),
    "choose_psp_again": (
        _agree(68, 27, 5),
        _agree(78, 16, 6),
        _agree(85, 10, 5),
    ),
    "awareness_services": (
        _change(40, 48, 12, 0, 0),
        _change(42, 47, 11, 0, 0),
        _change(41, 49, 10, 0, 0),
    ),
    "understanding_expertise": (
        _change(38, 44, 17, 1, 0),
        _change(40, 45, 14, 1, 0),
        _change(44, 43, 13, 0, 0),
    ),
    "trust_between_partners": (
        _change(30, 40, 25, 3, 2),
        _change(33, 40, 23, 3, 1),
        _change(37, 38, 20, 3, 2),
    ),
    "communication_effectiveness": (
        _change(27, 48, 21, 3, 1),
        _change(30, 49, 18, 2, 1),
        _change(31, 50, 16, 2, 1),
    ),
    "service_more_effective": (
        _agree(60, 28, 12, dont_know=_JUDGE),
        _agree(66, 24, 10, dont_know=_JUDGE),
        _agree(68, 22, 10, dont_know=_JUDGE),
    ),
    "service_more_efficient": (
        _agree(45, 23, 32, dont_know=_JUDGE),
        _agree(62, 25, 13, dont_know=_JUDGE),
        _agree(67, 22, 11, dont_know=_JUDGE),
    ),
    "less_duplication": (
        _agree(62, 22, 16, dont_know=_JUDGE),
        _agree(72, 16, 12, dont_know=_JUDGE),
        _agree(61, 17, 18, dont_know=_JUDGE),
    ),
    "fewer_gaps": (
        _agree(66, 18, 16, dont_know=_JUDGE),
        _agree(70, 14, 16, dont_know=_JUDGE),
        _agree(71, 11, 18, dont_know=_JUDGE),
    ),
    "referral_routes_more_effective": (
        _agree(60, 21, 19, dont_know=_JUDGE),
        _agree(66, 20, 14, dont_know=_JUDGE),
        _agree(70, 19, 11, dont_know=_JUDGE),
    ),
    "confident_services_maintained": (
        _agree(35, 35, 30, strongly=0.25, dont_know=0.04),
        _agree(47, 33, 20, strongly=0.25, dont_know=0.04),
        _agree(28, 42, 30, strongly=0.25, dont_know=0.04),
    ),
    "psp_done_what_it_can_funding": (
        _agree(58, 28, 14, dont_know=0.04),
        _agree(64, 24, 12, dont_know=0.04),
        _agree(52, 30, 18, dont_know=0.04),
    ),
}
_DEFAULT_SPREAD = _agree(75, 15, 10)

#: Exact counts on points 1-5 (no DK, no blanks) where the published figures pin
#: them down: 73/3/6, 59/5/2 and 51/10/2 agree/neither/disagree (89%, 89%, 81%).
EXACT_COUNTS: dict[str, tuple[tuple[int, int, int, int, int], ...]] = {
    "understand_other_roles": (
        (30, 43, 3, 5, 1),
        (25, 34, 5, 2, 0),
        (20, 31, 10, 2, 0),
    ),
}

COMMENTS: tuple[tuple[str, ...], ...] = (
    (
        "Early days, but the board has been a useful place to sort out referral "
        "problems.",
        "It took a while to agree how referrals from prisons would work. That is "
        "much clearer now.",
        "We would like more information about what the other delivery partners are "
        "doing in our area.",
        "Good commitment from all partners so far.",
        "The reporting asked of us is heavy for a small organisation.",
        "The memorandum of understanding helped, but the caveats on funding caused "
        "some uncertainty.",
        "Mentors from different organisations work in different ways; more "
        "consistency would help.",
        "Hard to judge effectiveness yet; the service only started recently.",
    ),
    (
        "The announcement of extended funding has taken a lot of pressure off staff.",
        "Communication between partners has improved since the first year.",
        "Sharing best practice is still difficult when we also compete for contracts.",
        "Mentors from different organisations now meet regularly, which helps.",
        "Still not sure how the service will be kept going after the extension.",
        "Referrals from community justice social work have picked up.",
        "Board meetings are more focused on outcomes than on process now.",
    ),
    (
        "Uncertainty about the move to Community Planning Partnerships makes it hard "
        "to plan beyond 2017.",
        "A recent issue was not communicated well to partners and it affected "
        "confidence.",
        "The partnership works well day to day; links with the new local structures "
        "need work.",
        "We know each other's services much better than before the PSP.",
        "Service users should have more say in how the service develops.",
        "We need clarity soon on funding after the extension.",
        "Trust between partners has grown, but it could slip back if we end up "
        "bidding against each other.",
    ),
)
CHECK_IN_COMMENTS = (
    "Helpful to have a check-in between board meetings.",
    "Referral numbers from some prisons are still low.",
    "Would welcome a shared calendar of partner training.",
    "Communication has been good since the new coordinator started.",
)


@dataclass(frozen=True)
class Respondent:
    """What a response's answers must be consistent with."""

    partnership: Partnership
    organisation: Organisation
    role: PartnerRole


def _spread_counts(total: int, weights: Sequence[float]) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainder)."""
    whole = sum(weights)
    if total <= 0 or whole <= 0:
        return [0] * len(weights)
    shares = [total * weight / whole for weight in weights]
    counts = [int(share) for share in shares]
    by_remainder = sorted(range(len(weights)), key=lambda i: (counts[i] - shares[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _likert_column(
    rng: random.Random,
    latents: Sequence[float],
    spread: Spread,
    exact: tuple[int, int, int, int, int] | None,
) -> list[str]:
    """One item's answers ("" for blank): more positive people answer more positively."""
    size = len(latents)
    if exact is not None and sum(exact) == size:
        dont_know = blank = 0
        counts = list(exact)
    else:
        dont_know = sum(rng.random() < spread.dont_know for _ in range(size))
        blank = sum(rng.random() < spread.blank for _ in range(size - dont_know))
        weights: Sequence[float] = exact if exact is not None else spread.points
        counts = _spread_counts(size - dont_know - blank, weights)
    people = list(range(size))
    rng.shuffle(people)
    column = [""] * size
    for person in people[:dont_know]:
        column[person] = DONT_KNOW
    answering = people[dont_know + blank :]
    noise = {person: latents[person] + rng.gauss(0, 1) for person in answering}
    answering.sort(key=lambda person: noise[person], reverse=True)
    values = [str(point) for point, count in enumerate(counts, 1) for _ in range(count)]
    for person, value in zip(answering, values, strict=True):
        column[person] = value
    return column


def _option(item: Item, prefix: str) -> str:
    """The item's first choice that starts with ``prefix``, or "" if none."""
    return next((label for label in item.option_labels if label.startswith(prefix)), "")


def _profile_answer(item: Item, respondent: Respondent, rng: random.Random) -> str:
    labels = item.option_labels
    role = respondent.role
    if item.code == "profile_psp":
        return _option(item, PSP_OPTION.get(respondent.partnership.slug, "\0"))
    if item.code == "profile_role":
        return _option(item, "Lead" if role is PartnerRole.LEAD else "Partner")
    if item.code == "profile_sector":
        public = respondent.organisation.sector is Sector.PUBLIC
        return _option(item, "Public" if public else "Third")
    if item.code == "profile_involvement" and len(labels) >= 2:
        delivers = role in (PartnerRole.LEAD, PartnerRole.DELIVERY_PARTNER)
        return labels[0] if delivers else labels[1]
    if item.code == "profile_board_meetings" and len(labels) >= 3:
        weights = {
            PartnerRole.LEAD: (85, 15, 0),
            PartnerRole.DELIVERY_PARTNER: (55, 35, 10),
            PartnerRole.PARTNER: (35, 35, 30),
        }[role]
        return rng.choices(labels[:3], weights=weights)[0]
    return ""


def _answer_sets(
    rng: random.Random,
    items: Sequence[Item],
    respondents: Sequence[Respondent],
    wave_index: int,
    comments: Sequence[str],
) -> list[dict[int, str]]:
    """Each respondent's answers by item id, blanks left out."""
    latents = [
        rng.gauss(0, 1)
        - (0.3 if respondent.partnership.scope is Scope.NATIONAL else 0.0)
        for respondent in respondents
    ]
    answers: list[dict[int, str]] = [{} for _ in respondents]
    for item in items:
        if item.type is ItemType.LIKERT:
            spreads = SPREADS.get(item.code)
            spread = spreads[wave_index] if spreads else _DEFAULT_SPREAD
            exact = EXACT_COUNTS.get(item.code)
            column = _likert_column(
                rng, latents, spread, exact[wave_index] if exact else None
            )
        elif item.type is ItemType.SINGLE:
            column = [_profile_answer(item, r, rng) for r in respondents]
        elif item.type is ItemType.TEXT and item.code == "open_comments":
            column = [""] * len(respondents)
            count = min(len(comments), 8, len(respondents))
            chosen = rng.sample(range(len(respondents)), count)
            for person, comment in zip(
                chosen, rng.sample(comments, count), strict=True
            ):
                column[person] = comment
        else:
            continue
        for answer_set, value in zip(answers, column, strict=True):
            if value:
                answer_set[item.id] = value
    return answers


def _submitted_on(rng: random.Random, first: date, last: date) -> date:
    """A day in the window, more of them early on (the invitation, then reminders)."""
    days = max((last - first).days, 0)
    return first + timedelta(days=int(rng.triangular(0, days, 0)))


# Loading ------------------------------------------------------------------------


def load(today: date | None = None) -> None:
    """Create whichever demo surveys are missing; flushes, the caller commits."""
    _ensure_extra_staff()
    if _survey_missing(RRCF_SLUG):
        _load_rrcf()
    if _survey_missing(CHECK_IN_SLUG):
        _load_check_in(today or clock.today())
    db.session.flush()


def _survey_missing(slug: str) -> bool:
    return db.session.scalar(select(Survey.id).where(Survey.slug == slug)) is None


def _organisations() -> dict[str, Organisation]:
    return {o.name: o for o in db.session.scalars(select(Organisation))}


def _ensure_extra_staff() -> None:
    organisations = _organisations()
    emails = set(db.session.scalars(select(Person.email)))
    db.session.add_all(
        Person(
            name=extra.person.name,
            email=extra.person.email,
            job_title=extra.person.job_title,
            organisation=organisations[extra.person.organisation],
        )
        for extra in EXTRA_STAFF
        if extra.person.email not in emails
        and extra.person.organisation in organisations
    )


def _roles() -> dict[tuple[int, int], PartnerRole]:
    return {
        (row.partnership_id, row.organisation_id): row.role
        for row in db.session.scalars(select(Participation))
    }


def _load_rrcf() -> None:
    programme = db.session.scalar(
        select(Programme).where(Programme.slug == demo_data.PROGRAMME_SLUG)
    )
    if programme is None:
        return
    survey = instrument.create_survey_from_instrument(
        instrument.check_instrument_csv(instrument.template_csv()),
        slug=RRCF_SLUG,
        title=RRCF_TITLE,
        partnership=None,
        programme=programme,
        mode=SurveyMode.ANONYMOUS,
    )
    survey.introduction = RRCF_INTRODUCTION
    waves = [
        services.add_wave(
            survey,
            opens_on=wave.opens_on,
            closes_on=wave.closes_on,
            context_notes=wave.context_notes,
        )
        for wave in RRCF_WAVES
    ]
    _sample_wave_one(waves[0])
    _record_leavers()
    db.session.flush()
    for wave in waves[1:]:
        fieldwork.carry_forward(wave)
        db.session.flush()
    rng = random.Random(SEED)  # noqa: S311 - demo answers, not secrets
    roles = _roles()
    for index, (wave, plan) in enumerate(zip(waves, RRCF_WAVES, strict=True)):
        invitations = sorted(wave.invitations, key=lambda inv: inv.person.email)
        completed = rng.sample(invitations, min(plan.completed, len(invitations)))
        done = {invitation.id for invitation in completed}
        for invitation in invitations:
            invitation.invitations_sent = 1
            invitation.completed = invitation.id in done
            invitation.started = invitation.completed or rng.random() < 0.15
            invitation.reminders_sent = (
                rng.choice((0, 0, 0, 1, 1, 2))
                if invitation.completed
                else rng.choice((1, 2, 2))
            )
        respondents = [
            Respondent(
                partnership=invitation.partnership,
                organisation=invitation.organisation,
                role=roles.get(
                    (invitation.partnership_id, invitation.organisation_id),
                    PartnerRole.PARTNER,
                ),
            )
            for invitation in completed
        ]
        answer_sets = _answer_sets(
            rng, survey.items, respondents, index, COMMENTS[index]
        )
        db.session.add_all(
            Response(
                wave_id=wave.id,
                organisation_id=respondent.organisation.id,
                partnership_id=respondent.partnership.id,
                submitted_on=_submitted_on(rng, wave.opens_on, wave.closes_on),
                answers=[
                    Answer(item_id=item_id, value=value)
                    for item_id, value in answers.items()
                ],
            )
            for respondent, answers in zip(respondents, answer_sets, strict=True)
        )


def _sample_wave_one(wave: Wave) -> None:
    """The 95 nominations of wave 1, leavers first, each person once."""
    organisations = _organisations()
    partnerships = {p.slug: p for p in db.session.scalars(select(Partnership))}
    people = {p.email: p for p in db.session.scalars(select(Person))}
    order: dict[str, list[Person]] = {}
    leavers = [extra for extra in EXTRA_STAFF if extra.moved_to is not None]
    stayers = [extra for extra in EXTRA_STAFF if extra.moved_to is None]
    for email, employer in [
        *((e.person.email, e.person.organisation) for e in leavers),
        *((p.email, p.organisation) for p in demo_data.PEOPLE),
        *((e.person.email, e.person.organisation) for e in stayers),
    ]:
        if email in people:
            order.setdefault(employer, []).append(people[email])
    sampled: set[int] = set()
    for slug, plan in WAVE_ONE_SAMPLE.items():
        partnership = partnerships.get(slug)
        if partnership is None:
            continue
        for name, count in plan.items():
            organisation = organisations.get(name)
            if organisation is None:
                continue
            chosen = [p for p in order.get(name, []) if p.id not in sampled][:count]
            for person in chosen:
                sampled.add(person.id)
                db.session.add(
                    Invitation(
                        wave=wave,
                        person=person,
                        organisation_id=organisation.id,
                        partnership_id=partnership.id,
                    )
                )


def _record_leavers() -> None:
    """Footnote 8: some people left or changed role and nobody replaced them."""
    organisations = _organisations()
    for extra in EXTRA_STAFF:
        if extra.moved_to is None:
            continue
        person = directory.find_person(extra.person.email)
        if person is None:
            continue
        destination = organisations.get(extra.moved_to)
        origin = organisations.get(extra.person.organisation)
        if destination is None:
            person.archive()
        elif origin is not None and person.organisation_id == origin.id:
            person.organisation = destination
            person.job_title = "Development Officer"


def _load_check_in(today: date) -> None:
    partnership = db.session.scalar(
        select(Partnership).where(Partnership.slug == CHECK_IN_PARTNERSHIP)
    )
    if partnership is None:
        return
    survey = instrument.create_survey_from_instrument(
        instrument.check_instrument_csv(instrument.template_csv()),
        slug=CHECK_IN_SLUG,
        title=CHECK_IN_TITLE,
        partnership=partnership,
        programme=None,
        mode=SurveyMode.IDENTIFIED,
    )
    survey.introduction = CHECK_IN_INTRODUCTION
    wave = services.add_wave(
        survey, opens_on=today - timedelta(days=7), closes_on=today + timedelta(days=21)
    )
    fieldwork.draw_sample(wave, max_per_organisation=3)
    partner = directory.find_person(PARTNER_LOGIN)
    if partner is not None and not partner.is_archived:
        try:
            fieldwork.add_person(wave, partner)
        except SurveyError:
            partner = None
    db.session.flush()
    rng = random.Random(SEED)  # noqa: S311 - demo answers, not secrets
    invitations = sorted(wave.invitations, key=lambda inv: inv.person.email)
    others = [inv for inv in invitations if partner is None or inv.person != partner]
    completed = rng.sample(others, min(len(others), round(len(invitations) / 3)))
    rest = [inv for inv in others if inv not in completed]
    started = rng.sample(rest, min(len(rest), 2))
    for invitation in invitations:
        invitation.invitations_sent = 1
        invitation.completed = invitation in completed
        invitation.started = invitation.completed or invitation in started
    roles = _roles()
    respondents = [
        Respondent(
            partnership=partnership,
            organisation=invitation.organisation,
            role=roles.get(
                (partnership.id, invitation.organisation_id), PartnerRole.PARTNER
            ),
        )
        for invitation in completed
    ]
    answer_sets = _answer_sets(rng, survey.items, respondents, 2, CHECK_IN_COMMENTS)
    last_day = min(today, wave.closes_on)
    owners: list[ResponseOwner] = []
    for invitation, respondent, answers in zip(
        completed, respondents, answer_sets, strict=True
    ):
        response = Response(
            id=new_response_id(),
            wave_id=wave.id,
            organisation_id=respondent.organisation.id,
            partnership_id=partnership.id,
            submitted_on=_submitted_on(rng, wave.opens_on, last_day),
            answers=[
                Answer(item_id=item_id, value=value)
                for item_id, value in answers.items()
            ],
        )
        db.session.add(response)
        owners.append(
            ResponseOwner(response_id=response.id, invitation_id=invitation.id)
        )
    db.session.flush()  # The responses exist before their owners point at them.
    db.session.add_all(owners)
    # A couple have saved the first page and will come back to it.
    first_section = [item for item in survey.items if item.section.position == 1]
    for invitation in started:
        invitation.resume_section = 1
        profile = _answer_sets(
            rng,
            first_section,
            [
                Respondent(
                    partnership=partnership,
                    organisation=invitation.organisation,
                    role=roles.get(
                        (partnership.id, invitation.organisation_id),
                        PartnerRole.PARTNER,
                    ),
                )
            ],
            2,
            (),
        )[0]
        db.session.add_all(
            DraftAnswer(invitation_id=invitation.id, item_id=item_id, value=value)
            for item_id, value in profile.items()
        )
