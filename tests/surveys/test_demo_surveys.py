"""The demo surveys: the RRCF partner survey's published sizes and an open check-in."""

from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func
from sqlalchemy import select

from governance import summary_demo
from portal import clock
from portal import demo
from portal.extensions import db
from portal.models import Person
from surveys import demo as survey_demo
from surveys import fieldwork
from surveys.answers import normalise_answer
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
from tests.helpers import login


@pytest.fixture
def loaded(app):
    demo.load()
    db.session.commit()
    return app


def _survey(slug: str) -> Survey:
    survey = db.session.scalar(select(Survey).where(Survey.slug == slug))
    assert survey is not None
    return survey


def _counts():
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (
            Survey,
            Item,
            Wave,
            Invitation,
            Response,
            Answer,
            ResponseOwner,
            DraftAnswer,
            Person,
        )
    )


def test_the_plan_adds_up():
    assert (
        sum(sum(plan.values()) for plan in survey_demo.WAVE_ONE_SAMPLE.values()) == 95
    )
    assert all(
        count <= 3
        for plan in survey_demo.WAVE_ONE_SAMPLE.values()
        for count in plan.values()
    )
    assert len(survey_demo.LEAVERS) == 7
    assert [
        sum(counts) for counts in survey_demo.EXACT_COUNTS["understand_other_roles"]
    ] == [
        82,
        66,
        63,
    ]
    emails = [extra.person.email for extra in survey_demo.EXTRA_STAFF]
    assert len(emails) == len(set(emails))
    assert not set(emails) & {person.email for person in demo.demo_data.PEOPLE}


def test_rrcf_survey_has_the_published_waves(loaded):
    survey = _survey("rrcf-partner-survey")
    assert survey.title == "RRCF partner survey"
    assert survey.mode is SurveyMode.ANONYMOUS
    assert survey.partnership is None
    assert survey.programme.slug == "rrcf"
    assert [item.code for item in survey.items][:2] == ["profile_psp", "profile_role"]
    today = clock.today()
    rows = []
    for wave in survey.waves:
        invited = [inv for inv in wave.invitations if not inv.withdrawn]
        completed = [inv for inv in invited if inv.completed]
        responses = db.session.scalar(
            select(func.count(Response.id)).where(Response.wave_id == wave.id)
        )
        rows.append((wave.number, len(invited), len(completed), responses))
        assert not wave.is_open(today)
        assert all(inv.invitations_sent == 1 for inv in invited)
        assert all(inv.started for inv in completed)
        assert all(0 <= inv.reminders_sent <= 2 for inv in invited)
        for response in db.session.scalars(
            select(Response).where(Response.wave_id == wave.id)
        ):
            assert wave.opens_on <= response.submitted_on <= wave.closes_on
    assert rows == [(1, 95, 82, 82), (2, 88, 66, 66), (3, 88, 63, 63)]
    assert [(w.opens_on, w.closes_on) for w in survey.waves] == [
        (date(2014, 1, 6), date(2014, 2, 28)),
        (date(2014, 10, 1), date(2014, 10, 31)),
        (date(2015, 6, 1), date(2015, 6, 30)),
    ]
    assert survey.waves[1].context_notes == (
        "RRCF funding extension announced in June 2014"
    )
    assert "32 Community Planning Partnerships" in survey.waves[2].context_notes


def test_at_most_three_per_organisation_and_partnership(loaded):
    survey = _survey("rrcf-partner-survey")
    for wave in survey.waves:
        per_org = Counter(
            (inv.partnership_id, inv.organisation_id) for inv in wave.invitations
        )
        assert max(per_org.values()) <= 3
        assert {inv.partnership.slug for inv in wave.invitations} == set(
            survey_demo.WAVE_ONE_SAMPLE
        )


def test_seven_people_left_or_moved_after_wave_one(loaded):
    first, second, third = _survey("rrcf-partner-survey").waves
    gone = {inv.person_id: inv for inv in first.invitations}
    for inv in second.invitations:
        gone.pop(inv.person_id)
    assert len(gone) == 7
    for inv in gone.values():
        assert inv.person.is_archived or inv.person.organisation_id != (
            inv.organisation_id
        )
    assert {inv.person_id for inv in second.invitations} == {
        inv.person_id for inv in third.invitations
    }


@pytest.mark.parametrize(
    ("number", "expected"),
    [(1, (73, 3, 6)), (2, (59, 5, 2)), (3, (51, 10, 2))],
)
def test_understand_other_roles_matches_the_published_figures(loaded, number, expected):
    survey = _survey("rrcf-partner-survey")
    wave = survey.waves[number - 1]
    values = list(
        db.session.scalars(
            select(Answer.value)
            .join(Response, Response.id == Answer.response_id)
            .join(Item, Item.id == Answer.item_id)
            .where(Response.wave_id == wave.id)
            .where(Item.code == "understand_other_roles")
        )
    )
    counts = Counter(values)
    agree = counts["1"] + counts["2"]
    disagree = counts["4"] + counts["5"]
    assert (agree, counts["3"], disagree) == expected
    assert len(values) == sum(expected)


def test_answers_are_valid_and_consistent_with_the_respondent(loaded):
    survey = _survey("rrcf-partner-survey")
    items = {item.id: item for item in survey.items}
    psp = next(item for item in survey.items if item.code == "profile_psp")
    likert = [item for item in survey.items if item.type is ItemType.LIKERT]
    wave_ids = [wave.id for wave in survey.waves]
    responses = list(
        db.session.scalars(select(Response).where(Response.wave_id.in_(wave_ids)))
    )
    dont_know = blank = comments = 0
    for response in responses:
        answers = {answer.item_id: answer.value for answer in response.answers}
        for item_id, value in answers.items():
            assert normalise_answer(items[item_id], value) == value
        assert response.organisation_id is not None
        assert response.partnership is not None
        label = answers[psp.id]
        short = survey_demo.PSP_OPTION[response.partnership.slug]
        assert label.startswith(short)
        dont_know += sum(answers.get(item.id) == "DK" for item in likert)
        blank += sum(item.id not in answers for item in likert)
        comments += any(items[i].code == "open_comments" for i in answers)
    assert 0 < dont_know < len(responses) * len(likert) * 0.1
    assert 0 < blank < len(responses) * len(likert) * 0.05
    assert 10 <= comments <= 30
    positive = Counter(
        answer.value in ("1", "2")
        for response in responses
        for answer in response.answers
        if items[answer.item_id].type is ItemType.LIKERT
    )
    assert positive[True] > 2 * positive[False]


def test_anonymous_responses_have_no_owner(loaded):
    survey = _survey("rrcf-partner-survey")
    owned = db.session.scalar(
        select(func.count())
        .select_from(ResponseOwner)
        .join(Response, Response.id == ResponseOwner.response_id)
        .join(Wave, Wave.id == Response.wave_id)
        .where(Wave.survey_id == survey.id)
    )
    assert owned == 0


def test_check_in_is_open_for_the_demo_partner(loaded, client):
    survey = _survey("new-routes-partner-check-in")
    assert survey.mode is SurveyMode.IDENTIFIED
    assert survey.partnership.slug == "new-routes"
    (wave,) = survey.waves
    assert wave.is_open(clock.today())
    person = db.session.scalar(
        select(Person).where(Person.email == "partner@portal.example")
    )
    open_now = fieldwork.open_invitations(person.id, clock.today())
    assert [inv.wave.survey.slug for inv in open_now] == ["new-routes-partner-check-in"]
    invitations = wave.invitations
    completed = [inv for inv in invitations if inv.completed]
    assert all(inv.invitations_sent == 1 for inv in invitations)
    assert len(invitations) // 4 <= len(completed) <= len(invitations) // 2
    assert sum(inv.started and not inv.completed for inv in invitations) == 2
    owners = db.session.scalars(
        select(ResponseOwner)
        .join(Invitation, Invitation.id == ResponseOwner.invitation_id)
        .where(Invitation.wave_id == wave.id)
    ).all()
    assert sorted(owner.invitation_id for owner in owners) == sorted(
        inv.id for inv in completed
    )
    login(client, "partner@portal.example", demo.DEMO_PASSWORD)
    page = client.get("/my-surveys")
    assert page.status_code == 200
    assert "New Routes partner check-in" in page.text


def test_demo_surveys_are_idempotent(loaded):
    before = _counts()
    demo.load()
    db.session.commit()
    assert _counts() == before
    assert before[4] == 82 + 66 + 63 + sum(
        inv.completed
        for inv in _survey("new-routes-partner-check-in").waves[0].invitations
    ) + sum(summary_demo.SURVEY_RESPONSES)
