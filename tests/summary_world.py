"""The world of a board progress summary (``build_summary_world``).

Partnership X's plan with 53 actions due by 31 March 2018, 42 of them completed
(seed 004's figures, 79% rather than its misprinted 85%); four outcome indicators;
a survey of X with two waves where one question improves and one declines
reliably; a board meeting in January 2018 with a decision and an action arising,
and the April meeting the summary is for; a memorandum due for review and not
signed by every party.
"""

from datetime import date

from governance import agreements
from governance import meetings
from governance import plans
from governance.agreements import AgreementContent
from governance.agreements import PartyTerms
from governance.meetings import BodyKind
from governance.models import ActionStatus
from governance.models import Direction
from portal.directory import services as directory
from portal.extensions import db
from surveys import services as survey_services
from surveys.models import Answer
from surveys.models import Invitation
from surveys.models import ItemType
from surveys.models import Response
from surveys.models import Survey
from tests.helpers import JANUARY
from tests.helpers import LAUNCH
from tests.helpers import YEAR_END
from tests.helpers import at

APRIL = date(2018, 4, 17)
#: Theme: (actions due by 31 March 2018, of them completed).
THEMES = {
    "Prevention": (20, 17),
    "Diversion": (15, 12),
    "Offender Management": (18, 13),
}


def add_53_actions(plan):
    """53 actions due by 31 March 2018, 42 completed; 4 overdue, 1 carried forward.

    Also one discontinued (never counted) and one due later (not yet due).
    """
    counter = iter(range(1, 100))

    def make_action(**overrides):
        values = {
            "ref": f"S{next(counter)}",
            "theme": plan["themes"]["Prevention"],
            "delivery_group": plan["groups"]["Prevention"],
            "lead_organisation": plan["x_lead"],
            "owner": plan["x_person"],
            "start_date": date(2015, 10, 1),
            "status": ActionStatus.NOT_STARTED,
            "by": plan["coordinator"],
            "at": LAUNCH,
            **overrides,
        }
        return plans.create_action(plan["strategy"], **values)

    made = []
    open_kinds = iter(
        [("carried", date(2018, 1, 31))]
        + [("not started", date(2017, 12, 31))] * 3
        + [("in progress", YEAR_END)] * 7
    )
    for name, (due, done) in THEMES.items():
        for index in range(due):
            extra = {
                "theme": plan["themes"][name],
                "delivery_group": plan["groups"][name],
                "title": f"{name} action {index + 1}",
            }
            if index < done:
                extra.update(
                    status=ActionStatus.COMPLETED,
                    progress_pct=100,
                    due_date=date(2017, 3, 31) if index % 2 else YEAR_END,
                )
            else:
                kind, due_on = next(open_kinds)
                extra["due_date"] = due_on
                if kind == "carried":
                    extra.update(
                        status=ActionStatus.CARRIED_FORWARD, carried_forward_count=1
                    )
                elif kind == "in progress":
                    extra["status"] = ActionStatus.IN_PROGRESS
            made.append(make_action(**extra))
    make_action(
        title="Dropped", status=ActionStatus.DISCONTINUED, due_date=date(2017, 6, 30)
    )
    make_action(title="Next year", due_date=date(2019, 3, 31))
    db.session.commit()
    return made


def add_indicators(strategy):
    """Green, amber, red and no value (as at 31 March 2018); a later value is ignored."""
    green = plans.create_indicator(
        strategy, name="Engagement with helping agencies", target_pct=60
    )
    plans.record_indicator_value(
        green,
        period_label="2017/18 Q4",
        period_end=YEAR_END,
        numerator=141,
        denominator=228,
    )
    plans.record_indicator_value(
        green,
        period_label="2018/19 Q1",
        period_end=date(2018, 6, 30),
        numerator=10,
        denominator=228,
    )
    amber = plans.create_indicator(strategy, name="Confidence", target_pct=60)
    plans.record_indicator_value(
        amber,
        period_label="2017/18 Q4",
        period_end=YEAR_END,
        numerator=130,
        denominator=228,
    )
    red = plans.create_indicator(
        strategy, name="Reoffending", target_pct=25, direction=Direction.DOWN
    )
    plans.record_indicator_value(
        red,
        period_label="2017/18",
        period_end=YEAR_END,
        numerator=100,
        denominator=228,
    )
    plans.create_indicator(strategy, name="Housing on release", target_pct=50)


def respond(wave, survey, **answers):
    """One stored response; ``answers`` are item code = list of values per respondent."""
    ids = {item.code: item.id for item in survey.items}
    db.session.add(
        Response(
            wave_id=wave.id,
            submitted_on=wave.closes_on,
            answers=[Answer(item_id=ids[code], value=v) for code, v in answers.items()],
        )
    )


def add_survey(world):
    """A survey of X: wave 1 (2017, imported, 30 responses) and wave 2 (2018, 30 of
    36 invited). ``clear_vision`` improves reliably, ``trust`` declines reliably,
    ``sharing`` does not change."""
    survey = Survey(slug="x-survey", title="X partner survey", partnership=world["x"])
    db.session.add(survey)
    section = survey_services.add_section(survey, title="Working together")
    for code, text in (
        ("clear_vision", "The partnership has a clear vision"),
        ("trust", "Partners trust each other"),
        ("sharing", "Partners share information"),
    ):
        survey_services.add_item(
            section, code=code, text=text, item_type=ItemType.LIKERT, scale="agree5"
        )
    db.session.flush()
    first = survey_services.add_wave(
        survey, opens_on=date(2017, 1, 10), closes_on=date(2017, 2, 10)
    )
    second = survey_services.add_wave(
        survey, opens_on=date(2018, 1, 10), closes_on=date(2018, 2, 10)
    )
    db.session.flush()
    waves = {
        # (clear_vision, trust, sharing) per respondent, 30 each.
        first: ["2"] * 10 + ["3"] * 10 + ["4"] * 10,
        second: ["1"] * 12 + ["2"] * 14 + ["3"] * 2 + ["4"] * 2,
    }
    trust = {first: ["2"] * 25 + ["4"] * 5, second: ["2"] * 8 + ["4"] * 22}
    for wave, vision in waves.items():
        for index, value in enumerate(vision):
            respond(
                wave,
                survey,
                clear_vision=value,
                trust=trust[wave][index],
                sharing="2" if index % 2 else "4",
            )
    for index in range(36):
        person = directory.create_person(
            name=f"Sampled {index}",
            email=f"sampled{index}@example.org",
            job_title="Officer",
            organisation=world["x_partner"],
        )
        db.session.add(
            Invitation(
                wave=second,
                person=person,
                organisation_id=person.organisation_id,
                partnership=world["x"],
                started=index < 31,
                completed=index < 30,
            )
        )
    db.session.commit()
    return survey


def add_record(plan):
    """X's board: a held January meeting with a decision and an action arising, the
    April meeting ahead, a group meeting in between; a memorandum to review."""
    x = plan["x"]
    board_member = plan["x_board"].person
    body = meetings.create_body(
        x,
        name="Partnership Board",
        kind=BodyKind.BOARD,
        members=[plan["x_coordinator"].person, board_member],
    )
    january = meetings.create_meeting(
        body, held_on=JANUARY, place="Town Hall", at=at(date(2018, 1, 2))
    )
    meetings.mark_held(january, today=JANUARY, at=at(JANUARY))
    item = meetings.add_item(january, title="Progress report", at=at(JANUARY))
    minutes = meetings.start_minutes(january, by=None, at=at(JANUARY))
    meetings.record_decision(
        minutes,
        item,
        "The board agreed the prevention delivery plan.",
        opened_version=minutes.version,
        by=None,
        at=at(JANUARY),
    )
    arising = meetings.add_action_arising(
        minutes,
        item,
        title="Report on diversion numbers",
        owner=plan["x_person"],
        due_date=date(2018, 6, 30),
        theme=plan["themes"]["Diversion"],
        opened_version=minutes.version,
        by=None,
        at=at(JANUARY),
    )
    april = meetings.create_meeting(
        body, held_on=APRIL, place="Town Hall", at=at(date(2018, 3, 1))
    )
    agreement = agreements.create_agreement(
        x,
        title="X memorandum",
        content=AgreementContent(
            purpose="Work together",
            starts_on=date(2017, 4, 1),
            review_on=date(2018, 5, 1),
            parties=[
                PartyTerms(plan["x_lead"], "Lead organisation"),
                PartyTerms(plan["x_partner"], "Partner"),
            ],
        ),
        by=None,
        at=at(date(2017, 3, 1)),
    )
    version = agreement.versions[0]
    agreements.agree(
        version,
        opened_version=agreement.version,
        agreed_on=date(2017, 4, 1),
        by=None,
        at=at(date(2017, 4, 1)),
        today=date(2017, 4, 1),
    )
    agreements.sign(
        version,
        organisation=plan["x_lead"],
        signatory_name="Lee Lead",
        signatory_role="Chief executive",
        signed_on=date(2017, 4, 2),
        by=None,
        at=at(date(2017, 4, 2)),
        today=date(2017, 4, 2),
    )
    db.session.commit()
    return {
        "body": body,
        "january": january,
        "april": april,
        "arising": arising,
        "agreement": agreement,
    }


def build_summary_world(plan):
    """Everything a summary for X's April 2018 board meeting draws on."""
    actions = add_53_actions(plan)
    add_indicators(plan["strategy"])
    db.session.commit()
    survey = add_survey(plan)
    record = add_record(plan)
    return {**plan, **record, "actions": actions, "survey": survey}
