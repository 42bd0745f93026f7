"""Action-plan pages: the plan and its filters, inline status with conflicts, an
action's page and history, carry-forward, strategy admin, indicators, progress,
owners' updates (signed in and by emailed link), import and export, and access.

``test_plans_matrix`` runs the plans part of the access matrix
(``tests/access_matrices.py``) on its own.
"""

import io
import re
from datetime import date
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import select

from governance import meetings
from governance import plan_tokens
from governance import plan_views
from governance import plans
from governance.models import Action
from governance.models import ActionEvent
from governance.models import ActionStatus
from governance.models import ActionUpdate
from governance.models import IndicatorValue
from governance.models import Rag
from governance.models import Strategy
from governance.models import Theme
from governance.plan_tokens import PlanUpdateToken
from portal import demo as portal_demo
from portal.extensions import db
from portal.mail import outbox
from portal.models import utcnow
from surveys import services as survey_services
from surveys.models import ItemType
from surveys.models import Survey
from surveys.models import SurveyMode
from tests.access_matrices import EMAILS
from tests.access_matrices import ROLES
from tests.access_matrices import add_matrix_plan
from tests.access_matrices import plans_matrix
from tests.helpers import add_waves
from tests.helpers import at
from tests.helpers import build_survey
from tests.helpers import login

COORD = "coord-x@example.org"
HTMX = {"HX-Request": "true"}


def _switch(client, email):
    """Sign out whoever is signed in, then sign in as ``email``."""
    client.post("/auth/logout")
    login(client, email)


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def _reload(action):
    db.session.expire_all()
    return db.session.get(Action, action.id)


def _events(action, field):
    return list(
        db.session.scalars(
            select(ActionEvent)
            .where(ActionEvent.action_id == action.id, ActionEvent.field == field)
            .order_by(ActionEvent.id)
        )
    )


def _text(response):
    """The page's text with tags and runs of white space collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.text).split())


# The matrix ---------------------------------------------------------------------------


@pytest.fixture
def matrix_plan(world):
    """X's matrix plan (see ``add_matrix_plan``)."""
    return add_matrix_plan(world)


@pytest.mark.parametrize("role", ROLES)
def test_plans_matrix(client, matrix_plan, role):
    """The same cells as in tests/portal/test_access.py, run here on their own."""
    if role != "anonymous":
        login(client, EMAILS[role])
    failures = []
    for endpoint, (method, url, expected) in plans_matrix(matrix_plan).items():
        want = 302 if role == "anonymous" and role not in expected else expected[role]
        response = client.open(url, method=method, data={})
        if response.status_code != want:
            failures.append(
                f"{endpoint} {url}: got {response.status_code}, want {want}"
            )
    assert not failures, "\n".join(failures)


# The plan page ---------------------------------------------------------------------------


@pytest.fixture
def three(plan, make_action):
    """Three actions across two themes, owners and statuses."""
    themes = plan["themes"]
    a1 = make_action(
        ref="P1",
        title="Early help hubs",
        due_date=date(2016, 3, 31),
        rag=Rag.GREEN,
    )
    a2 = make_action(
        ref="D1",
        title="Diversion scheme",
        theme=themes["Diversion"],
        delivery_group=plan["groups"]["Diversion"],
        due_date=date(2017, 3, 31),
        status=ActionStatus.IN_PROGRESS,
        rag=Rag.RED,
        owner=None,
    )
    a3 = make_action(
        ref="P10",
        title="Family support",
        due_date=date(2099, 3, 31),
        status=ActionStatus.COMPLETED,
        progress_pct=100,
    )
    return {**plan, "a1": a1, "a2": a2, "a3": a3}


def test_plan_page_lists_actions_with_a_rag_key(client, three):
    login(client, "board-x@example.org")
    response = client.get("/plans/x-plan")
    assert response.status_code == 200
    text = _text(response)
    for ref in ("P1", "D1", "P10"):
        assert ref in text
    assert "Off track: serious delay or risk" in text
    assert "Showing 3 of 3 actions" in text
    # Board members read; only coordinators get the inline status form.
    assert 'name="status"' not in response.text.split('id="plan-actions"')[1]


@pytest.mark.parametrize(
    ("query", "refs"),
    [
        ("", ["D1", "P1", "P10"]),
        ("theme={diversion}", ["D1"]),
        ("group={prevention_group}", ["P1", "P10"]),
        ("owner={xena}", ["P1", "P10"]),
        ("lead={x_lead}", ["D1", "P1", "P10"]),
        ("status=in+progress", ["D1"]),
        ("rag=red", ["D1"]),
        ("overdue=1", ["D1", "P1"]),
        ("sort=rag", ["D1", "P1", "P10"]),
        ("sort=due_date", ["P1", "D1", "P10"]),
        ("sort=overdue", ["P1", "D1", "P10"]),
        ("sort=status", ["P1", "D1", "P10"]),
        ("sort=owner", ["P1", "P10", "D1"]),
        ("sort=theme", ["P1", "P10", "D1"]),
        ("sort=group", ["D1", "P1", "P10"]),
        ("sort=progress", ["D1", "P1", "P10"]),
        ("theme={prevention}&sort=status&overdue=1", ["P1"]),
        ("theme=nonsense&rag=purple&sort=evil", ["D1", "P1", "P10"]),
    ],
)
def test_plan_filters_and_sorts_as_page_and_fragment(client, three, query, refs):
    login(client, COORD)
    url = "/plans/x-plan?" + query.format(
        diversion=three["themes"]["Diversion"].id,
        prevention=three["themes"]["Prevention"].id,
        prevention_group=three["groups"]["Prevention"].id,
        xena=three["x_person"].id,
        x_lead=three["x_lead"].id,
    )
    page = client.get(url)
    fragment = client.get(url, headers=HTMX)
    assert page.status_code == fragment.status_code == 200
    assert "<html" in page.text and "<html" not in fragment.text
    assert fragment.text.lstrip().startswith('<div id="plan-actions">')
    assert "HX-Request" in fragment.headers["Vary"]
    for response in (page, fragment):
        shown = re.findall(r'<th scope="row"[^>]*><a[^>]*>([^<]+)</a>', response.text)
        assert shown == refs


def test_inline_status_change_with_htmx_returns_the_row(client, three):
    login(client, COORD)
    a1 = three["a1"]
    response = client.post(
        f"/plans/x-plan/actions/{a1.id}/status",
        data={"status": "in progress", "version": a1.version, "return": "rag=green"},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith(
        f'<tr class="govuk-table__row" id="action-{a1.id}"'
    )
    assert "Saved" in response.text
    a1 = _reload(a1)
    assert a1.status is ActionStatus.IN_PROGRESS
    (event,) = _events(a1, "status")
    assert event.user.email == COORD
    # The row's form now carries the new version.
    assert f'name="version" value="{a1.version}"' in response.text


def test_inline_status_change_without_javascript_keeps_the_filters(client, three):
    login(client, COORD)
    a2 = three["a2"]
    response = client.post(
        f"/plans/x-plan/actions/{a2.id}/status",
        data={
            "status": "completed",
            "version": a2.version,
            "return": "rag=red&evil=1&sort=due_date",
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(
        f"/plans/x-plan?rag=red&sort=due_date#action-{a2.id}"
    )
    a2 = _reload(a2)
    assert a2.status is ActionStatus.COMPLETED
    assert a2.completed_on is not None and a2.progress_pct == 100


@pytest.mark.parametrize("headers", [HTMX, {}], ids=["htmx", "plain"])
def test_second_editor_gets_a_conflict_and_loses_nothing(client, three, headers):
    login(client, COORD)
    a1 = three["a1"]
    opened = a1.version
    # Someone else completes it first.
    first = client.post(
        f"/plans/x-plan/actions/{a1.id}/status",
        data={"status": "completed", "version": opened},
        headers=HTMX,
    )
    assert first.status_code == 200
    # The second person, on a page opened earlier, chooses "discontinued".
    second = client.post(
        f"/plans/x-plan/actions/{a1.id}/status",
        data={"status": "discontinued", "version": opened},
        headers=headers,
    )
    assert second.status_code == 409
    text = _text(second)
    assert "Someone else changed this action" in text
    assert "it is now “Completed”" in text
    assert "Your choice, “Discontinued”, has not been saved" in text
    # Their choice is shown back, with the current version, so saving again works.
    assert re.search(r'<option value="discontinued" selected>', second.text)
    current = _reload(a1)
    assert current.status is ActionStatus.COMPLETED
    assert f'name="version" value="{current.version}"' in second.text
    if not headers:
        assert "<html" in second.text and "There is a problem" in second.text
    again = client.post(
        f"/plans/x-plan/actions/{a1.id}/status",
        data={"status": "discontinued", "version": current.version},
        headers=HTMX,
    )
    assert again.status_code == 200
    assert _reload(a1).status is ActionStatus.DISCONTINUED


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ("finished", "Choose a status from the list"),
        ("", "Choose a status from the list"),
        ("carried forward", "Use “Carry forward”"),
    ],
)
def test_inline_status_refuses_bad_values(client, three, status, message):
    login(client, COORD)
    a1 = three["a1"]
    version = a1.version
    response = client.post(
        f"/plans/x-plan/actions/{a1.id}/status",
        data={"status": status, "version": version},
        headers=HTMX,
    )
    assert response.status_code == 422
    assert message in response.text
    a1 = _reload(a1)
    assert (a1.status, a1.version) == (ActionStatus.NOT_STARTED, version)


# An action's page ------------------------------------------------------------------------


def _carry(action, day, new_due, reason):
    plans.carry_forward(
        action,
        opened_version=action.version,
        new_due_date=new_due,
        reason=reason,
        by=None,
        at=at(day),
    )
    db.session.commit()


def test_action_page_shows_carry_forwards_updates_and_history(client, three):
    a1 = three["a1"]
    plans.record_update(
        a1,
        opened_version=a1.version,
        narrative="Two hubs open; the third is delayed by recruitment.",
        status=ActionStatus.IN_PROGRESS,
        rag=Rag.AMBER,
        progress_pct=60,
        by=three["coordinator"],
        at=at(date(2016, 3, 1)),
    )
    db.session.commit()
    _carry(a1, date(2016, 4, 20), date(2017, 3, 31), "Recruitment delayed")
    _carry(a1, date(2017, 4, 20), date(2018, 3, 31), "Funding moved to 2017/18")
    login(client, "contact-x@example.org")
    response = client.get(f"/plans/x-plan/actions/{a1.id}")
    assert response.status_code == 200
    text = _text(response)
    assert "carried forward 2x" in text
    assert "originally due 31 March 2016" in text
    assert "20 April 2016: Recruitment delayed" in text
    assert "20 April 2017: Funding moved to 2017/18" in text
    assert "Two hubs open; the third is delayed by recruitment." in text
    assert "1 March 2016, Coord-X" in text
    # History: who and when for every change, the reasons beside them.
    history = text.split("History")[-1]
    assert "Coord-X" in history and "System" in history
    assert "Due date 31 March 2016 31 March 2017 Recruitment delayed" in history
    assert "Status Not started In progress" in history
    # Partner contacts read; they neither edit nor add updates to others' actions.
    assert "Edit details" not in text and "Add a progress update" not in text


def test_the_plan_row_shows_how_often_an_action_was_carried_forward(client, three):
    a1 = three["a1"]
    _carry(a1, date(2016, 4, 20), date(2017, 3, 31), "Recruitment delayed")
    _carry(a1, date(2017, 4, 20), date(2018, 3, 31), "Funding moved to 2017/18")
    login(client, "board-x@example.org")
    for headers in ({}, HTMX):
        response = client.get("/plans/x-plan?status=carried+forward", headers=headers)
        row = re.search(
            rf'<tr class="govuk-table__row" id="action-{a1.id}".*?</tr>',
            response.text,
            re.S,
        ).group(0)
        text = " ".join(re.sub(r"<[^>]+>", " ", row).split())
        assert "carried forward 2x" in text
        assert "31 March 2018 originally 31 March 2016 Overdue" in text


def test_coordinator_adds_a_progress_update(client, three):
    login(client, COORD)
    a1 = three["a1"]
    response = client.post(
        f"/plans/x-plan/actions/{a1.id}/updates",
        data={
            "narrative": "Hub one open.",
            "status": "in progress",
            "rag": "amber",
            "progress_pct": "40%",
            "version": a1.version,
        },
    )
    assert response.status_code == 303
    a1 = _reload(a1)
    (update,) = a1.updates
    assert (update.narrative, update.progress_pct, update.rag) == (
        "Hub one open.",
        40,
        Rag.AMBER,
    )
    assert update.user.email == COORD
    assert a1.status is ActionStatus.IN_PROGRESS


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"progress_pct": "140"}, "Progress must be between 0 and 100"),
        ({"progress_pct": "lots"}, "must be a whole number between 0 and 100"),
        ({"narrative": " "}, "Describe the progress made"),
        ({"status": "finished"}, "Choose a status from the list"),
        ({"rag": "purple"}, "Choose red, amber, green or not rated"),
        ({"written_on": ["1", "1", "2099"]}, "cannot be in the future"),
        ({"written_on": ["", "3", "2018"]}, "must include a day"),
    ],
)
def test_progress_update_refuses_bad_input(client, three, changes, message):
    login(client, COORD)
    a1 = three["a1"]
    data = {
        "narrative": "Hub one open.",
        "status": "in progress",
        "rag": "amber",
        "progress_pct": "40",
        "version": a1.version,
        **changes,
    }
    response = client.post(f"/plans/x-plan/actions/{a1.id}/updates", data=data)
    assert response.status_code == 422
    assert "There is a problem" in response.text
    assert message in response.text
    assert _count(ActionUpdate) == 0
    assert _reload(a1).status is ActionStatus.NOT_STARTED


def test_progress_update_on_a_stale_page_is_a_conflict_and_keeps_the_text(
    client, three
):
    login(client, COORD)
    a1 = three["a1"]
    opened = a1.version
    plans.change_status(
        a1, ActionStatus.IN_PROGRESS, opened_version=opened, by=three["coordinator"]
    )
    db.session.commit()
    response = client.post(
        f"/plans/x-plan/actions/{a1.id}/updates",
        data={
            "narrative": "My careful words about the hubs.",
            "status": "not started",
            "rag": "red",
            "progress_pct": "5",
            "version": opened,
        },
    )
    assert response.status_code == 409
    assert "My careful words about the hubs." in response.text
    assert "Someone else changed this action while you were writing" in response.text
    assert _count(ActionUpdate) == 0
    assert _reload(a1).status is ActionStatus.IN_PROGRESS


def test_owner_updates_own_action_but_board_member_cannot(client, three):
    contact = three["x_contact"].person
    a2 = three["a2"]
    plans.update_action(
        a2,
        opened_version=a2.version,
        ref=a2.ref,
        title=a2.title,
        description="",
        theme=a2.theme,
        delivery_group=a2.delivery_group,
        lead_organisation=a2.lead_organisation,
        owner=contact,
        start_date=a2.start_date,
        due_date=a2.due_date,
        rag=a2.rag,
        progress_pct=a2.progress_pct,
        by=None,
    )
    db.session.commit()
    data = {
        "narrative": "Scheme running in two towns.",
        "status": "in progress",
        "rag": "green",
        "progress_pct": "50",
        "version": _reload(a2).version,
    }
    login(client, "board-x@example.org")
    url = f"/plans/x-plan/actions/{a2.id}/updates"
    assert client.post(url, data=data).status_code == 403
    _switch(client, "contact-x@example.org")
    page = client.get(f"/plans/x-plan/actions/{a2.id}")
    assert "Add a progress update" in page.text and "Edit details" not in page.text
    assert client.post(url, data=data).status_code == 303
    (update,) = _reload(a2).updates
    assert update.author_name == "Contact-X"


# Editing, carrying forward, adding --------------------------------------------------------


def _action_data(plan, **changes):
    data = {
        "ref": "N1",
        "title": "New action",
        "description": "",
        "theme": str(plan["themes"]["Prevention"].id),
        "delivery_group": str(plan["groups"]["Prevention"].id),
        "lead_organisation": str(plan["x_lead"].id),
        "owner": str(plan["x_person"].id),
        "start_date": ["1", "10", "2015"],
        "due_date": ["31", "3", "2018"],
        "status": "not started",
        "rag": "none",
        "progress_pct": "0",
    }
    data.update(changes)
    return data


def test_coordinator_adds_an_action(client, plan):
    login(client, COORD)
    assert client.get("/plans/x-plan/actions/new").status_code == 200
    response = client.post("/plans/x-plan/actions/new", data=_action_data(plan))
    assert response.status_code == 303
    action = db.session.scalar(select(Action).where(Action.ref == "N1"))
    assert action.owner == plan["x_person"]
    assert action.due_date == date(2018, 3, 31)
    assert _events(action, "created")[0].user.email == COORD


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"start_date": ["1", "4", "2018"]},
            "Due date must be on or after the start date",
        ),
        ({"owner": "{y_person}"}, "Choose the owner from the list"),
        ({"lead_organisation": "{y_lead}"}, "Choose a lead organisation from the list"),
        ({"status": "finished"}, "Choose a status from the list"),
        ({"status": "carried forward"}, "Choose a status from the list"),
        ({"progress_pct": "140"}, "Progress must be between 0 and 100"),
        ({"theme": ""}, "Choose a theme from the list"),
        ({"ref": ""}, "Enter a reference"),
        ({"due_date": ["", "", ""]}, "Enter the due date"),
        ({"due_date": ["31", "2", "2018"]}, "Due date must be a real date"),
        ({"ref": "TAKEN"}, "The plan already has an action TAKEN"),
    ],
)
def test_adding_an_action_refuses_bad_input_and_saves_nothing(
    client, plan, make_action, changes, message
):
    make_action(ref="TAKEN")
    login(client, COORD)
    data = _action_data(plan)
    for key, value in changes.items():
        data[key] = (
            value.format(y_person=plan["y_person"].id, y_lead=plan["y_lead"].id)
            if isinstance(value, str)
            else value
        )
    response = client.post("/plans/x-plan/actions/new", data=data)
    assert response.status_code == 422
    assert "There is a problem" in response.text
    assert message in response.text
    assert _count(Action) == 1
    assert _count(ActionEvent) == 1


def test_edit_action_and_a_conflicting_edit(client, three):
    login(client, COORD)
    a1 = three["a1"]
    url = f"/plans/x-plan/actions/{a1.id}/edit"
    page = client.get(url)
    assert page.status_code == 200 and 'value="Early help hubs"' in page.text
    opened = a1.version
    data = _action_data(three, ref="P1", title="Early help hubs in every district")
    data["version"] = opened
    data.pop("status")
    assert client.post(url, data=data).status_code == 303
    assert _reload(a1).title == "Early help hubs in every district"
    (event,) = _events(a1, "title")
    assert event.user.email == COORD
    # A second editor on the form opened at the same version.
    data["title"] = "Hubs, renamed by someone else"
    response = client.post(url, data=data)
    assert response.status_code == 409
    assert "Someone else saved this action" in response.text
    assert 'value="Hubs, renamed by someone else"' in response.text
    assert _reload(a1).title == "Early help hubs in every district"


def test_carry_forward_from_the_web(client, three):
    login(client, COORD)
    a1 = three["a1"]
    url = f"/plans/x-plan/actions/{a1.id}/carry-forward"
    assert client.get(url).status_code == 200
    bad = client.post(
        url,
        data={"new_due_date": ["1", "1", "2016"], "reason": "x", "version": a1.version},
    )
    assert bad.status_code == 422
    assert "The new due date must be after the current one" in bad.text
    missing = client.post(url, data={"version": a1.version})
    assert missing.status_code == 422
    assert "Enter the new due date" in missing.text
    assert "Give the reason for carrying the action forward" in missing.text
    opened = a1.version
    response = client.post(
        url,
        data={
            "new_due_date": ["31", "3", "2019"],
            "reason": "Partner funding ended",
            "version": opened,
        },
    )
    assert response.status_code == 303
    a1 = _reload(a1)
    assert (a1.due_date, a1.original_due_date, a1.carried_forward_count) == (
        date(2019, 3, 31),
        date(2016, 3, 31),
        1,
    )
    assert a1.status is ActionStatus.CARRIED_FORWARD
    stale = client.post(
        url,
        data={
            "new_due_date": ["31", "3", "2020"],
            "reason": "Again, from an old page",
            "version": opened,
        },
    )
    assert stale.status_code == 409
    assert "Again, from an old page" in stale.text
    assert _reload(a1).carried_forward_count == 1
    page = _text(client.get(f"/plans/x-plan/actions/{a1.id}"))
    assert "carried forward 1x" in page and "Partner funding ended" in page


def test_a_completed_action_cannot_be_carried_forward(client, three):
    login(client, COORD)
    a3 = three["a3"]
    url = f"/plans/x-plan/actions/{a3.id}/carry-forward"
    assert "cannot be carried forward" in client.get(url).text
    response = client.post(
        url,
        data={
            "new_due_date": ["31", "3", "2100"],
            "reason": "x",
            "version": a3.version,
        },
    )
    assert response.status_code == 422
    assert "cannot be carried forward" in response.text
    assert _reload(a3).carried_forward_count == 0


def test_links_to_indicators_and_survey_items(client, three, world):
    strategy = three["strategy"]
    indicator = plans.create_indicator(strategy, name="Compliance", target_pct=60)
    survey = Survey(
        slug="x-links",
        title="X survey",
        partnership=world["x"],
        mode=SurveyMode.IDENTIFIED,
    )
    db.session.add(survey)
    section = survey_services.add_section(survey, title="Working together")
    item = survey_services.add_item(
        section,
        code="clear_vision",
        text="The partnership has a clear vision",
        item_type=ItemType.LIKERT,
        scale="agree5",
    )
    y_survey = Survey(
        slug="y-links",
        title="Y survey",
        partnership=world["y"],
        mode=SurveyMode.IDENTIFIED,
    )
    db.session.add(y_survey)
    y_section = survey_services.add_section(y_survey, title="Y section")
    y_item = survey_services.add_item(
        y_section, code="y_item", text="Y?", item_type=ItemType.LIKERT, scale="agree5"
    )
    db.session.commit()
    login(client, COORD)
    a1 = three["a1"]
    base = f"/plans/x-plan/actions/{a1.id}"
    assert (
        client.post(f"{base}/indicators", data={"indicator-target": indicator.id})
    ).status_code == 303
    assert (
        client.post(f"{base}/items", data={"item-target": item.id}).status_code == 303
    )
    # Another partnership's question is not there to link.
    assert (
        client.post(f"{base}/items", data={"item-target": y_item.id}).status_code == 404
    )
    text = _text(client.get(base))
    assert "Outcome indicator: Compliance (target 60%)" in text
    assert "Survey question in X survey: “The partnership has a clear vision”" in text
    assert "how its answers changed" in text and "full results" in text
    assert client.post(f"{base}/indicators/{indicator.id}/remove").status_code == 303
    assert client.post(f"{base}/items/{item.id}/remove").status_code == 303
    assert _reload(a1).indicators == []
    assert plans.linked_items(_reload(a1)) == []


# Strategy admin ---------------------------------------------------------------------------


def test_coordinator_creates_a_strategy(client, world):
    login(client, COORD)
    assert client.get("/plans/new").status_code == 200
    data = {
        "partnership": str(world["x"].id),
        "slug": "x-strategy",
        "title": "X strategy 2015-18",
        "starts_on": ["1", "10", "2015"],
        "ends_on": ["31", "3", "2018"],
    }
    for changes, message in [
        ({"slug": "mine"}, "“mine” is taken"),
        ({"slug": "Not A Slug"}, "Use lower-case letters"),
        ({"ends_on": ["1", "1", "2015"]}, "must end on or after the day it starts"),
        ({"partnership": str(world["y"].id)}, "Choose a partnership from the list"),
    ]:
        response = client.post("/plans/new", data={**data, **changes})
        assert response.status_code == 422, changes
        assert message in response.text
    assert _count(Strategy) == 0
    response = client.post("/plans/new", data=data)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/plans/x-strategy/structure")
    strategy = plans.find_strategy("x-strategy")
    assert strategy.partnership == world["x"]
    again = client.post("/plans/new", data=data)
    assert again.status_code == 422 and "already exists" in again.text


def test_edit_strategy_with_a_conflict(client, plan):
    login(client, COORD)
    strategy = plan["strategy"]
    opened = strategy.version
    data = {
        "title": "Reducing offending 2015-19",
        "starts_on": ["1", "10", "2015"],
        "ends_on": ["31", "3", "2019"],
        "version": opened,
    }
    assert client.post("/plans/x-plan/edit", data=data).status_code == 303
    assert plans.find_strategy("x-plan").ends_on == date(2019, 3, 31)
    data["title"] = "A title from an older page"
    response = client.post("/plans/x-plan/edit", data=data)
    assert response.status_code == 409
    assert "A title from an older page" in response.text
    assert "Someone else saved this strategy" in response.text


def test_themes_and_groups_added_renamed_and_merged(client, plan, make_action):
    login(client, COORD)
    themes, groups = plan["themes"], plan["groups"]
    action = make_action(theme=themes["Diversion"], delivery_group=groups["Diversion"])
    assert (
        client.post("/plans/x-plan/themes", data={"theme-name": "Early Intervention"})
    ).status_code == 303
    duplicate = client.post("/plans/x-plan/themes", data={"theme-name": "prevention"})
    assert duplicate.status_code == 422
    assert "already has a theme called" in duplicate.text
    rename = f"/plans/x-plan/themes/{themes['Offender Management'].id}/rename"
    assert client.get(rename).status_code == 200
    assert (
        client.post(rename, data={"name": "Offender Management and Resettlement"})
    ).status_code == 303
    new_theme = db.session.scalar(
        select(Theme).where(Theme.name == "Early Intervention")
    )
    # Merging needs something to merge and somewhere to put it.
    empty = client.post("/plans/x-plan/themes/merge", data={})
    assert empty.status_code == 422 and "Choose the themes to merge" in empty.text
    into_itself = client.post(
        "/plans/x-plan/themes/merge",
        data={"mt-sources": [str(new_theme.id)], "mt-into": str(new_theme.id)},
    )
    assert into_itself.status_code == 422
    response = client.post(
        "/plans/x-plan/themes/merge",
        data={
            "mt-sources": [str(themes["Prevention"].id), str(themes["Diversion"].id)],
            "mt-into": str(new_theme.id),
        },
    )
    assert response.status_code == 303
    assert _reload(action).theme.name == "Early Intervention"
    response = client.post(
        "/plans/x-plan/groups/merge",
        data={
            "mg-sources": [str(groups["Diversion"].id)],
            "mg-into": str(groups["Prevention"].id),
        },
    )
    assert response.status_code == 303
    assert _reload(action).delivery_group.name == "Prevention Group"
    page = _text(client.get("/plans/x-plan/structure"))
    assert "Merged into “Early Intervention”" in page
    assert "Offender Management and Resettlement" in page
    assert "Merged into “Prevention Group”" in page
    # The old structure is still in the action's history.
    history = _text(client.get(f"/plans/x-plan/actions/{action.id}"))
    assert "Theme Diversion Early Intervention Theme “Diversion” merged into" in history


def test_delivery_group_with_chair_and_members(client, plan, make_person):
    login(client, COORD)
    lena = make_person("Lena Lead", "lena@example.org", plan["x_lead"])
    data = {
        "name": "Reducing Reoffending Board",
        "theme": str(plan["themes"]["Prevention"].id),
        "chair": str(lena.id),
        "members": [str(plan["x_person"].id)],
    }
    assert client.get("/plans/x-plan/groups/new").status_code == 200
    outsider = client.post(
        "/plans/x-plan/groups/new",
        data={**data, "members": [str(plan["y_person"].id)]},
    )
    assert outsider.status_code == 422
    assert "Choose members from the list" in outsider.text
    assert client.post("/plans/x-plan/groups/new", data=data).status_code == 303
    group = next(g for g in plans.find_strategy("x-plan").groups if g.chair == lena)
    assert {p.name for p in group.members} == {"Lena Lead", "Xena Staff"}
    edit = f"/plans/x-plan/groups/{group.id}/edit"
    assert 'value="Reducing Reoffending Board"' in client.get(edit).text
    assert client.post(edit, data={**data, "chair": ""}).status_code == 303
    db.session.expire_all()
    assert group.chair is None


# Indicators -------------------------------------------------------------------------------


def test_indicators_with_values_against_target(client, plan):
    login(client, COORD)
    response = client.post(
        "/plans/x-plan/indicators",
        data={
            "new-name": "Increased compliance with helping agencies",
            "new-target_pct": "60",
            "new-direction": "up",
            "new-amber_margin_pp": "5",
        },
    )
    assert response.status_code == 303
    (indicator,) = plans.find_strategy("x-plan").indicators
    url = f"/plans/x-plan/indicators/{indicator.id}/values"
    prefix = f"ind{indicator.id}"
    value = {
        f"{prefix}-period_label": "Q4 2017/18",
        f"{prefix}-period_end": ["31", "3", "2018"],
        f"{prefix}-numerator": "141",
        f"{prefix}-denominator": "228",
    }
    assert client.post(url, data=value).status_code == 303
    too_many = client.post(url, data={**value, f"{prefix}-numerator": "229"})
    assert too_many.status_code == 422
    assert "cannot be more than the number counted" in too_many.text
    zero = client.post(url, data={**value, f"{prefix}-denominator": "0"})
    assert zero.status_code == 422 and "Number counted must be 1 or more" in zero.text
    assert _count(IndicatorValue) == 1
    bad_target = client.post(
        "/plans/x-plan/indicators",
        data={"new-name": "Other", "new-target_pct": "140", "new-direction": "up"},
    )
    assert bad_target.status_code == 422
    assert "Target (%) must be between 0 and 100" in bad_target.text
    _switch(client, "board-x@example.org")
    text = _text(client.get("/plans/x-plan/indicators"))
    assert "Target: 60% (higher is better" in text
    assert "141 of 228 61.8% Green" in text
    assert "Record a value" not in text


# Progress ---------------------------------------------------------------------------------


def test_progress_page_shows_42_of_53_as_79_point_2(client, staffordshire):
    login(client, "board-x@example.org")
    response = client.get("/plans/x-plan/progress?as_of=2018-03-31")
    assert response.status_code == 200
    text = _text(response)
    assert "42 of 53 actions due by 31 March 2018 completed, 79.2%" in text
    assert "11 in progress, 0 not started, 0 carried forward" in text
    # The chart has its text alternatives, and the same numbers are in a table.
    svg = re.search(r"<svg.*?</svg>", response.text, re.S).group(0)
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert "Prevention: 18 due; 14 completed, 4 in progress" in svg
    assert "style=" not in svg and "<script" not in svg
    table = text.split("The numbers in the chart")[1]
    assert re.search(r"Prevention 77\.8% 14 of 18 4 in progress; \d+ overdue", table)
    # The same date typed into the three boxes.
    boxes = client.get("/plans/x-plan/progress?as_of=31&as_of=3&as_of=2018")
    assert "42 of 53 actions due by 31 March 2018 completed, 79.2%" in _text(boxes)
    # The trend, from the history, links to each quarter.
    trend = text.split("Trend over reporting periods")[1]
    assert "31 March 2018 42 of 53 79.2%" in trend
    assert "30 June 2016" in trend
    assert 'href="/plans/x-plan/progress?as_of=2018-03-31"' in response.text


def test_progress_page_refuses_a_bad_date(client, plan):
    login(client, COORD)
    response = client.get("/plans/x-plan/progress?as_of=31&as_of=2&as_of=2018")
    assert response.status_code == 400
    assert "As at must be a real date" in response.text
    assert client.get("/plans/x-plan/completion.csv?as_of=soon").status_code == 400
    assert client.get("/plans/x-plan/completion.csv?by=colour").status_code == 400


def test_completion_csv_download(client, staffordshire):
    login(client, "contact-x@example.org")
    response = client.get("/plans/x-plan/completion.csv?as_of=2018-03-31&by=theme")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    lines = response.text.splitlines()
    assert lines[0] == (
        "group,scheduled,completed,in_progress,not_started,carried_forward,"
        "overdue,completion_pct"
    )
    assert lines[1].startswith("all,53,42,11,0,0,") and lines[1].endswith(",79.2")


def test_progress_changes_when_an_action_is_completed(client, three):
    login(client, COORD)
    today = plan_views.today()
    before = _text(client.get("/plans/x-plan/progress"))
    assert f"0 of 2 actions due by {plans.day_text(today)} completed, 0.0%" in before
    a1 = three["a1"]
    client.post(
        f"/plans/x-plan/actions/{a1.id}/status",
        data={"status": "completed", "version": a1.version},
    )
    after = _text(client.get("/plans/x-plan/progress"))
    assert f"1 of 2 actions due by {plans.day_text(today)} completed, 50.0%" in after


# Owners: "My actions" and reminders -------------------------------------------------------


@pytest.fixture
def owned(three):
    """A1 and D1 owned by the partner contact (who has an account); P10 is completed."""
    contact = three["x_contact"].person
    for key in ("a1", "a2"):
        action = three[key]
        plans.update_action(
            action,
            opened_version=action.version,
            ref=action.ref,
            title=action.title,
            description="",
            theme=action.theme,
            delivery_group=action.delivery_group,
            lead_organisation=action.lead_organisation,
            owner=contact,
            start_date=action.start_date,
            due_date=action.due_date,
            rag=action.rag,
            progress_pct=action.progress_pct,
            by=None,
        )
    db.session.commit()
    return three


def _update_data(action, **changes):
    prefix = f"a{action.id}"
    data = {
        f"{prefix}-narrative": "Going well.",
        f"{prefix}-status": "in progress",
        f"{prefix}-rag": "green",
        f"{prefix}-progress_pct": "50",
        f"{prefix}-version": action.version,
    }
    data.update({f"{prefix}-{key}": value for key, value in changes.items()})
    return data


def test_my_actions_lists_and_updates_own_actions(client, owned):
    login(client, "contact-x@example.org")
    text = _text(client.get("/plans/mine"))
    assert "P1: Early help hubs" in text and "D1: Diversion scheme" in text
    a1 = owned["a1"]
    bad = client.post(f"/plans/mine/{a1.id}", data=_update_data(a1, progress_pct="140"))
    assert bad.status_code == 422
    assert "Progress must be between 0 and 100" in bad.text
    assert _count(ActionUpdate) == 0
    assert client.post(f"/plans/mine/{a1.id}", data=_update_data(a1)).status_code == 303
    (update,) = _reload(a1).updates
    assert update.user.email == "contact-x@example.org"
    # Someone else's action: as if it did not exist.
    p10 = owned["a3"]
    assert (
        client.post(f"/plans/mine/{p10.id}", data=_update_data(p10)).status_code == 404
    )
    _switch(client, COORD)
    assert "You have no open actions" in client.get("/plans/mine").text


def test_who_has_updated_and_remind_by_email(client, owned, monkeypatch):
    monkeypatch.setattr(plan_views, "today", lambda: date(2018, 4, 10))
    a1 = owned["a1"]
    plans.record_update(
        a1,
        opened_version=a1.version,
        narrative="Recent news.",
        status=ActionStatus.IN_PROGRESS,
        rag=Rag.GREEN,
        progress_pct=30,
        by=None,
        at=at(date(2018, 4, 5)),
    )
    db.session.commit()
    login(client, COORD)
    page = client.get("/plans/x-plan/updates")
    assert page.status_code == 200
    text = _text(page)
    # Since the start of the quarter by default; P1 has an update since, D1 not.
    assert "a progress update dated 1 April 2018 or later" in text
    assert "1 of 1 owner still has actions to update" in text
    assert "Contact-X X Partner Org D1 P1 Never" in text
    response = client.post(
        "/plans/x-plan/updates/remind",
        data={"person": str(owned["x_contact"].person.id), "since": "2018-04-01"},
    )
    assert response.status_code == 303
    (mail,) = outbox()
    assert mail.to == "contact-x@example.org"
    assert "D1: Diversion scheme" in mail.body
    token = re.search(r"/plans/link/([A-Za-z0-9_\-]+)", mail.body).group(1)
    (row,) = db.session.scalars(select(PlanUpdateToken))
    assert row.token_hash != token and len(row.token_hash) == 64
    assert row.sent_by.email == COORD
    assert "Last reminded" in client.get("/plans/x-plan/updates").text
    # Nobody outside the plan's owners can be reminded; a bad form is a 400.
    assert (
        client.post(
            "/plans/x-plan/updates/remind",
            data={"person": str(owned["y_person"].id), "since": "2018-04-01"},
        ).status_code
        == 404
    )
    assert (
        client.post("/plans/x-plan/updates/remind", data={"person": "1"}).status_code
        == 400
    )


def test_a_rolled_back_reminder_sends_nothing(app, owned):
    plan_tokens.queue_reminder(
        owned["strategy"], owned["x_contact"].person, since=date(2018, 4, 1), by=None
    )
    db.session.rollback()
    assert outbox() == []
    assert _count(PlanUpdateToken) == 0


def _emailed_link(client, owned):
    login(client, COORD)
    client.post(
        "/plans/x-plan/updates/remind",
        data={"person": str(owned["x_contact"].person.id), "since": "2018-04-01"},
    )
    client.post("/auth/logout")
    (mail,) = outbox()
    return re.search(r"(/plans/link/[A-Za-z0-9_\-]+)", mail.body).group(1)


def test_emailed_link_updates_without_signing_in_once(app, client, owned):
    link = _emailed_link(client, owned)
    landed = client.get(link)
    assert landed.status_code == 303
    assert landed.headers["Location"].endswith("/plans/link")
    assert landed.headers["Referrer-Policy"] == "no-referrer"
    page = client.get("/plans/link")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    text = _text(page)
    assert "P1: Early help hubs" in text and "D1: Diversion scheme" in text
    assert "P10" not in text
    a2 = owned["a2"]
    bad = client.post(f"/plans/link/actions/{a2.id}", data=_update_data(a2, rag="pink"))
    assert bad.status_code == 422
    saved = client.post(f"/plans/link/actions/{a2.id}", data=_update_data(a2))
    assert saved.status_code == 303
    (update,) = _reload(a2).updates
    assert update.person == owned["x_contact"].person and update.user is None
    # Only the owner's open actions of this plan.
    p10 = owned["a3"]
    assert (
        client.post(f"/plans/link/actions/{p10.id}", data=_update_data(p10))
    ).status_code == 404
    # The link is spent: a second opening, anywhere, is the invalid-link page.
    other = app.test_client()
    again = other.get(link)
    assert again.status_code == 404
    assert "This link is not valid" in again.text
    assert other.get("/plans/link").status_code == 404


def test_an_expired_grant_or_link_is_not_valid(app, client, owned, monkeypatch):
    link = _emailed_link(client, owned)
    assert client.get(link).status_code == 303
    later = utcnow() + plan_tokens.UPDATE_GRANT + timedelta(minutes=1)
    monkeypatch.setattr(plan_views, "utcnow", lambda: later)
    assert client.get("/plans/link").status_code == 404
    a2 = owned["a2"]
    assert (
        client.post(f"/plans/link/actions/{a2.id}", data=_update_data(a2))
    ).status_code == 404
    # An unopened link past its lifetime.
    row = db.session.scalar(select(PlanUpdateToken))
    row.used_at = None
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert app.test_client().get(link).status_code == 404


def test_bad_links_are_uniform_and_throttled(app, client, owned):
    app.config["LINK_MAX_FAILURES"] = 3
    first = client.get("/plans/link/" + "x" * 43)
    short = client.get("/plans/link/abc")
    assert first.status_code == short.status_code == 404
    assert _text(first) == _text(short)
    client.get("/plans/link/" + "y" * 43)
    assert client.get("/plans/link/" + "z" * 43).status_code == 429


# Import and export ------------------------------------------------------------------------

HEADER = (
    "ref,title,theme,delivery_group,lead_organisation,owner_email,start_date,"
    "due_date,status,rag,progress_pct,last_update\n"
)


def _upload(client, text, name="plan.csv"):
    return client.post(
        "/plans/x-plan/import",
        data={"file": (io.BytesIO(text.encode()), name)},
        content_type="multipart/form-data",
    )


def test_import_previews_then_imports_all(client, plan):
    login(client, COORD)
    csv_text = HEADER + (
        "I1,First,Prevention,Prevention Group,X Lead Org,xena@example.org,"
        "2015-10-01,2017-03-31,in progress,amber,40,Going\n"
        "I2,Second,Resettlement,,,,,2018-03-31,not started,,0,\n"
    )
    preview = _upload(client, csv_text)
    assert preview.status_code == 200
    text = _text(preview)
    assert "2 actions" in text and "Import 2 actions" in text
    assert _count(Action) == 0
    content = re.search(r'name="content" type="hidden" value="([^"]*)"', preview.text)
    assert content
    response = client.post("/plans/x-plan/import/confirm", data={"content": csv_text})
    assert response.status_code == 303
    assert _count(Action) == 2
    exported = client.get("/plans/x-plan/plan.csv")
    assert exported.status_code == 200
    assert exported.text.startswith(HEADER)
    assert "I1,First,Prevention,Prevention Group,X Lead Org,xena@example.org" in (
        exported.text
    )


def test_an_import_with_bad_rows_names_every_problem_and_saves_nothing(client, plan):
    login(client, COORD)
    csv_text = HEADER + (
        "I1,First,Prevention,,,,,2017-03-31,in progress,,40,\n"
        "I2,Second,Prevention,,Y Lead Org,yuri@example.org,2018-04-01,2018-03-31,"
        "finished,purple,140,\n"
    )
    preview = _upload(client, csv_text)
    assert preview.status_code == 422
    text = _text(preview)
    assert "nothing has been imported" in text
    for problem in (
        "Row 3, column lead_organisation",
        "Row 3, column owner_email",
        "Row 3, column due_date: Due date must be on or after the start date",
        "Row 3, column status",
        "Row 3, column rag",
        "Row 3, column progress_pct: Progress must be between 0 and 100",
    ):
        assert problem in text
    assert "Import 2 actions" not in text
    confirmed = client.post("/plans/x-plan/import/confirm", data={"content": csv_text})
    assert confirmed.status_code == 422
    assert _count(Action) == 0
    not_utf8 = client.post(
        "/plans/x-plan/import",
        data={"file": (io.BytesIO("é".encode("latin-1")), "p.csv")},
        content_type="multipart/form-data",
    )
    assert not_utf8.status_code == 422 and "saved as UTF-8" in not_utf8.text


# Other partnerships ------------------------------------------------------------------------


def _x_urls(w):
    base = "/plans/x-plan"
    action = f"{base}/actions/{w['a1'].id}"
    return [
        base,
        f"{base}?theme={w['themes']['Prevention'].id}",
        f"{base}/edit",
        f"{base}/structure",
        f"{base}/themes/{w['themes']['Prevention'].id}/rename",
        f"{base}/groups/new",
        f"{base}/groups/{w['groups']['Prevention'].id}/edit",
        f"{base}/actions/new",
        action,
        f"{action}/edit",
        f"{action}/carry-forward",
        f"{base}/indicators",
        f"{base}/progress",
        f"{base}/progress?as_of=2018-03-31",
        f"{base}/completion.csv",
        f"{base}/plan.csv",
        f"{base}/import",
        f"{base}/updates",
    ]


def test_another_partnership_gets_404_on_every_page_fragment_and_export(client, three):
    login(client, "coord-y@example.org")
    for url in _x_urls(three):
        for headers in ({}, HTMX):
            response = client.get(url, headers=headers)
            assert response.status_code == 404, (url, headers)
            assert "Reducing offending" not in response.text
            assert "Early help hubs" not in response.text
    assert "Reducing offending" not in client.get("/plans").text


def test_another_partnership_cannot_change_anything(client, three):
    a1 = three["a1"]
    version = a1.version
    login(client, "coord-y@example.org")
    base = "/plans/x-plan"
    action = f"{base}/actions/{a1.id}"
    for url, data in [
        (f"{action}/status", {"status": "completed", "version": version}),
        (
            f"{action}/updates",
            {
                "narrative": "Hijack",
                "status": "completed",
                "rag": "green",
                "progress_pct": "100",
                "version": version,
            },
        ),
        (
            f"{action}/carry-forward",
            {"new_due_date": ["1", "1", "2030"], "reason": "x", "version": version},
        ),
        (f"{base}/themes", {"theme-name": "Hijacked"}),
        (f"{base}/updates/remind", {"person": "all", "since": "2018-01-01"}),
        (f"/plans/mine/{a1.id}", _update_data(a1)),
    ]:
        assert client.post(url, data=data).status_code == 404, url
    a1 = _reload(a1)
    assert (a1.version, a1.status) == (version, ActionStatus.NOT_STARTED)
    assert _count(ActionUpdate) == 0 and outbox() == []


def test_an_action_of_another_plan_is_404_under_this_plan(client, three, world):
    y_plan = plans.create_strategy(
        slug="y-plan",
        title="Y plan",
        partnership=world["y"],
        starts_on=date(2015, 1, 1),
        ends_on=date(2018, 1, 1),
    )
    db.session.commit()
    login(client, "coord-y@example.org")
    x_action = three["a1"].id
    assert client.get(f"/plans/y-plan/actions/{x_action}").status_code == 404
    assert (
        client.post(
            f"/plans/y-plan/actions/{x_action}/status",
            data={"status": "completed", "version": three["a1"].version},
        ).status_code
        == 404
    )
    assert client.get("/plans/y-plan").status_code == 200
    assert y_plan.title in client.get("/plans").text
    assert _reload(three["a1"]).status is ActionStatus.NOT_STARTED


# The RAG key where ratings are chosen ------------------------------------------------------


def test_every_form_that_asks_for_a_rag_rating_shows_the_key(client, owned):
    def hints(response):
        return re.findall(r'govuk-radios__hint">\s*([^<]+?)\s*</div>', response.text)

    key = [
        "Off track: serious delay or risk; needs the board&#39;s help",
        "At risk: some delay, being managed",
        "On track",
        "Not yet rated",
    ]
    login(client, "contact-x@example.org")
    mine = client.get("/plans/mine")
    # Once per owned action's form, and the key itself on the page.
    assert hints(mine) == key * 2
    assert "Red Off track: serious delay or risk" in _text(mine)
    _switch(client, COORD)
    for url in (
        "/plans/x-plan/actions/new",
        f"/plans/x-plan/actions/{owned['a1'].id}",
        f"/plans/x-plan/actions/{owned['a1'].id}/edit",
    ):
        assert hints(client.get(url)) == key, url


def test_the_history_shows_a_progress_update_with_who_and_when(client, three):
    a1 = three["a1"]
    plans.record_update(
        a1,
        opened_version=a1.version,
        narrative="Nothing new: waiting for the venue.",
        status=ActionStatus.NOT_STARTED,
        rag=Rag.GREEN,
        progress_pct=0,
        by=three["x_person"],
        written_on=date(2016, 2, 26),
        at=at(date(2016, 3, 1)),
    )
    db.session.commit()
    login(client, "board-x@example.org")
    history = _text(client.get(f"/plans/x-plan/actions/{a1.id}")).split("History")[-1]
    assert (
        "1 March 2016, 12:00 26 February 2016 Xena Staff Progress update "
        "Nothing new: waiting for the venue." in history
    )


# Progress after a refresh -------------------------------------------------------------------


def test_progress_for_an_earlier_date_shows_the_structure_before_the_refresh(
    client, plan, make_action
):
    themes, groups = plan["themes"], plan["groups"]
    make_action(ref="P1", due_date=date(2018, 3, 31), status=ActionStatus.COMPLETED)
    make_action(
        ref="D1",
        theme=themes["Diversion"],
        delivery_group=groups["Diversion"],
        due_date=date(2018, 3, 31),
    )
    make_action(
        ref="O1",
        theme=themes["Offender Management"],
        delivery_group=groups["Offender Management"],
        due_date=date(2018, 3, 31),
    )
    strategy = plan["strategy"]
    merged = plans.create_theme(strategy, name="Prevention/Early Intervention")
    refresh = at(date(2018, 4, 20))
    plans.merge_themes(
        [themes["Prevention"], themes["Diversion"]], merged, by=None, at=refresh
    )
    plans.merge_groups([groups["Diversion"]], groups["Prevention"], by=None, at=refresh)
    db.session.commit()
    login(client, "board-x@example.org")

    before = client.get("/plans/x-plan/progress?as_of=2018-03-31")
    text = _text(before)
    assert (
        "20 April 2018: the themes “Prevention” and “Diversion” were merged into "
        "“Prevention/Early Intervention”." in text
    )
    by_theme = text.split("By theme")[1].split("By delivery group")[0]
    assert re.search(
        r"Prevention Merged into “Prevention/Early Intervention” on 20 April 2018 "
        r"100\.0% 1 of 1 None",
        by_theme,
    )
    assert "Diversion Merged into “Prevention/Early Intervention”" in by_theme
    assert "Offender Management 0.0% 0 of 1 1 not started" in by_theme
    assert "Early Intervention 50.0%" not in by_theme
    svg = re.search(r"<svg.*?</svg>", before.text, re.S).group(0)
    assert "Prevention: 1 due" in svg and "Diversion: 1 due" in svg
    by_group = text.split("By delivery group")[1].split("By lead organisation")[0]
    assert "Diversion Group Merged into “Prevention Group” on 20 April 2018" in by_group

    after = _text(client.get("/plans/x-plan/progress?as_of=2018-06-30"))
    by_theme = after.split("By theme")[1].split("By delivery group")[0]
    # "/<wbr>": the name may break after its slash on a phone.
    assert "Prevention/ Early Intervention 50.0% 1 of 2 1 not started" in by_theme
    assert "Merged into" not in by_theme


def test_the_progress_tables_fit_in_three_columns(client, three):
    login(client, COORD)
    response = client.get("/plans/x-plan/progress")
    for table in re.findall(
        r'<table class="govuk-table[^"]*" id="table-(?:theme|group|lead)".*?</table>',
        response.text,
        re.S,
    ):
        header = re.search(r"<thead.*?</thead>", table, re.S).group(0)
        assert header.count("<th ") == 3


# Who has updated, before a board meeting ------------------------------------------------------


def test_who_has_updated_counts_from_the_last_board_meeting_and_names_the_next(
    client, owned, monkeypatch
):
    monkeypatch.setattr(plan_views, "today", lambda: date(2018, 3, 1))
    board = meetings.create_body(
        owned["x"], name="X Board", kind=meetings.BodyKind.BOARD
    )
    meetings.create_meeting(board, held_on=date(2017, 12, 12), place="Town hall")
    meetings.create_meeting(
        board, held_on=date(2018, 3, 13), place="Town hall", title="Spring board"
    )
    a1 = owned["a1"]
    plans.record_update(
        a1,
        opened_version=a1.version,
        narrative="Since the December board.",
        status=ActionStatus.IN_PROGRESS,
        rag=Rag.GREEN,
        progress_pct=30,
        by=None,
        at=at(date(2018, 1, 8)),
    )
    db.session.commit()
    login(client, COORD)
    text = _text(client.get("/plans/x-plan/updates"))
    assert "Next board meeting: Spring board, 13 March 2018" in text
    assert "Last board meeting: X Board meeting, 12 December 2017" in text
    assert "a progress update dated 13 December 2017 or later" in text
    assert "Contact-X X Partner Org D1 P1 Never" in text
    response = client.post(
        "/plans/x-plan/updates/remind",
        data={"person": str(owned["x_contact"].person.id), "since": "2017-12-13"},
    )
    assert response.status_code == 303
    (mail,) = outbox()
    assert "before the board meets on 13 March 2018" in mail.body
    assert "since 13 December 2017" in mail.body


# Survey questions beside the actions meant to move them ---------------------------------------


@pytest.fixture
def surveyed(three):
    """X's partner survey in three waves; P1 and D1 are meant to move "clear vision"."""
    survey = build_survey(three["x"], slug="x-survey")
    db.session.flush()
    item, _ = add_waves(survey, three["x"], ["2223334445", "1122233345", "1111111223"])
    plans.link_survey_item(three["a1"], item)
    plans.link_survey_item(three["a2"], item)
    db.session.commit()
    return {**three, "item": item}


def test_a_question_is_shown_with_its_change_beside_the_actions(client, surveyed):
    login(client, "board-x@example.org")
    response = client.get("/plans/x-plan/questions")
    assert response.status_code == 200
    text = _text(response)
    assert "“The partnership has a clear vision” X partner survey" in text
    assert "1 January 2016 30.0% of 10" in text
    assert "2 January 2017 50.0% of 10 +20.0 pp" in text
    assert "3 January 2018 90.0% of 10 +40.0 pp" in text
    assert "Since wave 1: +60.0 pp, improved." in text
    actions = text.split("Actions meant to move it")[1]
    assert (
        "P1 : Early help hubs Not started Green due 31 March 2016, overdue" in actions
    )
    assert "D1 : Diversion scheme In progress Red" in actions
    assert "P10" not in actions
    # From the action's page, a link to it.
    page = client.get(f"/plans/x-plan/actions/{surveyed['a1'].id}")
    assert f"/plans/x-plan/questions#item-{surveyed['item'].id}" in page.text


def test_a_reader_who_cannot_see_results_gets_the_questions_without_figures(
    client, surveyed
):
    login(client, "contact-x@example.org")
    text = _text(client.get("/plans/x-plan/questions"))
    assert "“The partnership has a clear vision”" in text
    assert "You cannot see this survey's results" in text
    assert "90.0%" not in text and "of 10" not in text
    assert "Early help hubs" in text
    _switch(client, "coord-y@example.org")
    assert client.get("/plans/x-plan/questions").status_code == 404


def test_no_linked_question_says_how_to_link_one(client, three):
    login(client, COORD)
    text = _text(client.get("/plans/x-plan/questions"))
    assert "No action of this plan is linked to a survey question yet" in text
    assert "under “What it is meant to change”" in text


def test_the_demo_links_a_psp_plan_to_the_partner_survey(client):
    portal_demo.load()
    db.session.commit()
    login(client, "admin@portal.example", portal_demo.DEMO_PASSWORD)
    response = client.get("/plans/new-routes-development-2014-15/questions")
    assert response.status_code == 200
    text = _text(response)
    assert (
        "“Our PSP has set out clear roles and responsibilities for our partners”"
        in text
    )
    assert "Respondents from New Routes" in text
    assert "NR1 : Agree a partnership agreement" in text
    assert re.search(r"1 January 2014 \d+\.\d% of \d+", text)
    assert "Since wave 1:" in text
    # The coordinator reads the plan; the programme survey's results are the
    # programme team's, so its figures are not shown to them.
    client.post("/auth/logout")
    login(client, "coordinator@portal.example", portal_demo.DEMO_PASSWORD)
    coordinator = _text(client.get("/plans/new-routes-development-2014-15/questions"))
    assert "You cannot see this survey's results" in coordinator
