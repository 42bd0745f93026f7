"""Directory pages: list, search, create, edit inline, archive, import."""

import io

import pytest
from sqlalchemy import func
from sqlalchemy import select

from portal.extensions import db
from portal.models import Membership
from portal.models import Organisation
from portal.models import Person
from tests.helpers import login
from tests.helpers import prefixed

GOOD_CSV = (
    "name,email,job_title,organisation,partnership,role\n"
    "Ann One,ann@example.org,Officer,X Partner Org,x-partnership,partner contact\n"
    "Bob Two,bob@example.org,Manager,X Lead Org,,\n"
)


@pytest.fixture
def coordinator(client, world):
    login(client, "coord-x@example.org")
    return client


def test_search_both_shapes(coordinator):
    page = coordinator.get("/organisations?q=partner")
    assert page.status_code == 200
    assert (
        "<html" in page.text
        and "X Partner Org" in page.text
        and "X Lead Org" not in page.text
    )
    fragment = coordinator.get(
        "/organisations?q=partner", headers={"HX-Request": "true"}
    )
    assert "<html" not in fragment.text
    assert 'id="organisation-rows"' in fragment.text
    assert "HX-Request" in fragment.vary and "HX-Request" in page.vary


def test_boosted_and_history_restore_requests_get_the_full_page(coordinator):
    for header in ("HX-Boosted", "HX-History-Restore-Request"):
        response = coordinator.get(
            "/people", headers={"HX-Request": "true", header: "true"}
        )
        assert "<html" in response.text


def test_search_escapes_like_wildcards(coordinator):
    assert "X Partner Org" not in coordinator.get("/organisations?q=%25").text


def test_inline_edit_organisation_htmx(coordinator, world):
    org = world["x_partner"]
    form = coordinator.get(
        f"/organisations/{org.id}/edit", headers={"HX-Request": "true"}
    )
    assert form.status_code == 200 and "<html" not in form.text
    assert f'id="organisation-{org.id}"' in form.text
    saved = coordinator.post(
        f"/organisations/{org.id}/edit",
        data=prefixed(
            f"organisation{org.id}",
            {"name": "X Partner Trust", "sector": "third", "version": "1"},
        ),
        headers={"HX-Request": "true"},
    )
    assert saved.status_code == 200
    assert (
        "X Partner Trust" in saved.text
        and "<html" not in saved.text
        and "Saved" in saved.text
    )
    assert db.session.get(Organisation, org.id).name == "X Partner Trust"


def test_edit_organisation_plain_form_redirects(coordinator, world):
    org = world["x_partner"]
    page = coordinator.get(f"/organisations/{org.id}/edit")
    assert "<html" in page.text
    response = coordinator.post(
        f"/organisations/{org.id}/edit",
        data=prefixed(
            f"organisation{org.id}",
            {"name": "Renamed", "sector": "public", "version": "1"},
        ),
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/organisations/{org.id}"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "sector": "third"}, "Enter the organisation"),
        ({"name": "Y", "sector": "nonsense"}, "Not a valid choice"),
        ({"name": "X Lead Org", "sector": "third"}, "already exists"),
        ({"name": "Z" * 201, "sector": "third"}, "200 characters"),
    ],
)
def test_edit_organisation_invalid_is_422_in_both_shapes(
    coordinator, world, data, message
):
    org = world["x_partner"]
    for headers in ({}, {"HX-Request": "true"}):
        response = coordinator.post(
            f"/organisations/{org.id}/edit",
            data=prefixed(f"organisation{org.id}", {**data, "version": "1"}),
            headers=headers,
        )
        assert response.status_code == 422
        assert message in response.text
        assert ("<html" in response.text) is (not headers)
        assert "There is a problem" in response.text
    assert db.session.get(Organisation, org.id).name == "X Partner Org"


def test_second_editor_gets_conflict_and_keeps_first_change(coordinator, world):
    org = world["x_partner"]
    first = coordinator.post(
        f"/organisations/{org.id}/edit",
        data=prefixed(
            f"organisation{org.id}",
            {"name": "First", "sector": "third", "version": "1"},
        ),
    )
    assert first.status_code == 303
    second = coordinator.post(
        f"/organisations/{org.id}/edit",
        data=prefixed(
            f"organisation{org.id}",
            {"name": "Second", "sector": "third", "version": "1"},
        ),
        headers={"HX-Request": "true"},
    )
    assert second.status_code == 409
    assert "Someone else changed this record" in second.text
    assert db.session.get(Organisation, org.id).name == "First"


def test_inline_edit_cancel_returns_row(coordinator, world):
    response = coordinator.get(
        f"/people/{world['x_person'].id}/row", headers={"HX-Request": "true"}
    )
    assert (
        response.status_code == 200
        and "<html" not in response.text
        and "Xena Staff" in response.text
    )


def test_edit_person_inline_and_duplicate_email(coordinator, world):
    person = world["x_person"]
    data = {
        "name": "Xena Smith",
        "email": "xena.smith@example.org",
        "job_title": "Lead",
        "organisation": str(world["x_partner"].id),
        "version": "1",
    }
    ok = coordinator.post(
        f"/people/{person.id}/edit",
        data=prefixed(f"person{person.id}", data),
        headers={"HX-Request": "true"},
    )
    assert ok.status_code == 200 and "Xena Smith" in ok.text
    dup = coordinator.post(
        f"/people/{person.id}/edit",
        data=prefixed(
            f"person{person.id}",
            {**data, "email": "COORD-X@example.org", "version": "2"},
        ),
    )
    assert dup.status_code == 422 and "already exists" in dup.text


def test_cannot_move_person_to_organisation_outside_own_partnerships(
    coordinator, world
):
    person = world["x_person"]
    response = coordinator.post(
        f"/people/{person.id}/edit",
        data=prefixed(
            f"person{person.id}",
            {
                "name": "Xena",
                "email": "xena@example.org",
                "job_title": "",
                "organisation": str(world["y_lead"].id),
                "version": "1",
            },
        ),
    )
    assert response.status_code == 422
    assert db.session.get(Person, person.id).organisation_id == world["x_partner"].id


def test_create_organisation_in_partnership(coordinator, world):
    response = coordinator.post(
        "/organisations/new",
        data={
            "name": "New Charity",
            "sector": "third",
            "partnership": str(world["x"].id),
            "role": "delivery-partner",
        },
    )
    assert response.status_code == 303
    page = coordinator.get("/partnerships/x-partnership").text
    assert "New Charity" in page and "Delivery partner" in page


def test_coordinator_cannot_create_organisation_in_other_partnership(
    coordinator, world
):
    response = coordinator.post(
        "/organisations/new",
        data={
            "name": "Sneaky",
            "sector": "third",
            "partnership": str(world["y"].id),
            "role": "partner",
        },
    )
    assert response.status_code == 422
    assert (
        db.session.scalar(select(Organisation).where(Organisation.name == "Sneaky"))
        is None
    )


def test_create_person_and_archive_restore(coordinator, world):
    response = coordinator.post(
        "/people/new",
        data={
            "name": "Nina New",
            "email": "nina@example.org",
            "job_title": "Officer",
            "organisation": str(world["x_lead"].id),
        },
    )
    assert response.status_code == 303
    person = db.session.scalar(select(Person).where(Person.email == "nina@example.org"))
    row = f'id="person-{person.id}"'
    coordinator.post(f"/people/{person.id}/archive")
    assert row not in coordinator.get("/people").text
    assert row in coordinator.get("/people?archived=1").text
    coordinator.post(f"/people/{person.id}/archive")
    assert row in coordinator.get("/people").text


@pytest.mark.parametrize(
    ("joined_on", "message"),
    [
        (["", "", "2013"], "Joined must include a day and month"),
        (["", "4", "2013"], "Joined must include a day"),
        (["1", "4", "13"], "Joined must be a real date"),
        (["31", "2", "2013"], "Joined must be a real date"),
    ],
)
def test_participation_dates_missing_parts_are_field_errors(
    coordinator, world, joined_on, message
):
    """A date sent without its day, month or year boxes is a 422 with the box named,
    not a 500 from the widget showing it back (T36)."""
    response = coordinator.post(
        "/partnerships/x-partnership/organisations/add",
        data={
            "organisation": str(world["x_partner"].id),
            "role": "partner",
            "joined_on": joined_on,
        },
    )
    assert response.status_code == 422
    assert message in response.text


def test_partnership_edit_participation_and_membership(coordinator, world):
    response = coordinator.post(
        "/partnerships/x-partnership/organisations/add",
        data={
            "organisation": str(world["x_partner"].id),
            "role": "delivery-partner",
            "joined_on": ["1", "4", "2013"],
        },
    )
    assert response.status_code == 303
    assert "1 April 2013" in coordinator.get("/partnerships/x-partnership").text
    bad = coordinator.post(
        "/partnerships/x-partnership/organisations/add",
        data={
            "organisation": str(world["x_partner"].id),
            "role": "partner",
            "joined_on": ["1", "4", "2015"],
            "left_on": ["1", "4", "2014"],
        },
    )
    assert bad.status_code == 422 and "on or after the date it joined" in bad.text
    member = coordinator.post(
        "/partnerships/x-partnership/members/add",
        data={"person": str(world["x_person"].id), "role": "board-member"},
    )
    assert member.status_code == 303
    assert (
        db.session.scalar(
            select(func.count(Membership.id)).where(
                Membership.person_id == world["x_person"].id
            )
        )
        == 1
    )


def test_edit_partnership_conflict(coordinator, world):
    data = {
        "slug": "x-partnership",
        "name": "X renamed",
        "description": "",
        "programme": "",
        "scope": "local",
        "version": "1",
    }
    assert (
        coordinator.post("/partnerships/x-partnership/edit", data=data).status_code
        == 303
    )
    assert (
        coordinator.post(
            "/partnerships/x-partnership/edit", data={**data, "name": "Again"}
        ).status_code
        == 409
    )


def test_export_people_is_safe_against_formulas(coordinator, world, make_person):
    make_person('=HYPERLINK("http://evil")', "formula@example.org", world["x_partner"])
    text = coordinator.get("/partnerships/x-partnership/people.csv").text
    assert "'=HYPERLINK" in text
    assert text.splitlines()[0] == "name,email,job_title,organisation,partnership,role"


def _upload(client, content: str, name: str = "people.csv"):
    return client.post(
        "/people/import",
        data={"file": (io.BytesIO(content.encode()), name)},
        content_type="multipart/form-data",
    )


def test_import_preview_then_confirm(coordinator, world):
    preview = _upload(coordinator, GOOD_CSV)
    assert preview.status_code == 200
    assert "Ann One" in preview.text and "Import 2 people" in preview.text
    assert (
        db.session.scalar(select(Person).where(Person.email == "ann@example.org"))
        is None
    )
    content = GOOD_CSV
    confirmed = coordinator.post("/people/import/confirm", data={"content": content})
    assert confirmed.status_code == 303
    ann = db.session.scalar(select(Person).where(Person.email == "ann@example.org"))
    assert ann is not None and ann.memberships[0].role.value == "partner-contact"


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("Bad Email,not-an-email,,X Lead Org,,", "is not a valid address"),
        (
            "Unknown Org,u@example.org,,Nowhere Ltd,,",
            "organisation 'Nowhere Ltd' is not known",
        ),
        ("Dup,xena@example.org,,X Lead Org,,", "already in the directory"),
        ("Other,o@example.org,,Y Lead Org,,", "organisation 'Y Lead Org' is not known"),
        ("Role,r@example.org,,X Lead Org,x-partnership,chief", "role 'chief' must be"),
        (
            "Part,p@example.org,,X Lead Org,y-partnership,coordinator",
            "partnership 'y-partnership' is not known",
        ),
        (",n@example.org,,X Lead Org,,", "name is missing"),
    ],
)
def test_import_names_every_problem_and_saves_nothing(coordinator, world, row, problem):
    content = GOOD_CSV + row + "\n"
    before = db.session.scalar(select(func.count(Person.id)))
    preview = _upload(coordinator, content)
    assert preview.status_code == 422
    assert "Row 4" in preview.text and problem in preview.text.replace("&#39;", "'")
    forced = coordinator.post("/people/import/confirm", data={"content": content})
    assert forced.status_code == 422
    assert db.session.scalar(select(func.count(Person.id))) == before


def test_import_duplicate_within_file(coordinator, world):
    content = GOOD_CSV + "Ann Again,ANN@example.org,,X Lead Org,,\n"
    preview = _upload(coordinator, content)
    assert preview.status_code == 422 and "also on row 2" in preview.text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("wrong,header\n1,2\n", "The first line must be the column names"),
        ("name,email,job_title,organisation,partnership,role\n", "no rows of people"),
        (
            "name,email,job_title,organisation,partnership,role\na,b@example.org,c,X Lead Org,,,extra\n",
            "more cells than there are columns",
        ),
    ],
)
def test_import_malformed_csv(coordinator, world, content, message):
    response = _upload(coordinator, content)
    assert response.status_code == 422 and message in response.text


def test_import_rejects_non_csv_and_non_utf8(coordinator, world):
    assert _upload(coordinator, GOOD_CSV, name="people.xlsx").status_code == 422
    response = coordinator.post(
        "/people/import",
        data={"file": (io.BytesIO("name\xff".encode("latin-1")), "p.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "CSV UTF-8" in response.text


def test_admin_creates_programme_and_partnership(client, world):
    login(client, "admin@example.org")
    assert (
        client.post(
            "/programmes/new", data={"slug": "rrcf", "name": "RRCF", "description": ""}
        ).status_code
        == 303
    )
    assert (
        client.post(
            "/programmes/new", data={"slug": "rrcf", "name": "Again", "description": ""}
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/programmes/new", data={"slug": "Bad Slug", "name": "X", "description": ""}
        ).status_code
        == 422
    )
    response = client.post(
        "/partnerships/new",
        data={
            "slug": "tca",
            "name": "Tayside",
            "description": "",
            "programme": "",
            "scope": "local",
        },
    )
    assert response.status_code == 303
    assert "Tayside" in client.get("/partnerships?q=tay").text


def test_admin_outbox_lists_messages(client, world):
    client.post("/auth/forgot", data={"email": "coord-x@example.org"})
    login(client, "admin@example.org")
    page = client.get("/admin/outbox")
    assert "Reset your Partnership Portal password" in page.text
    assert "coord-x@example.org" in page.text


def test_programme_search_archive_and_restore(client, world):
    login(client, "admin@example.org")
    client.post(
        "/programmes/new",
        data={"slug": "rrcf", "name": "Change Fund", "description": ""},
    )
    assert (
        "Change Fund"
        in client.get("/programmes?q=change", headers={"HX-Request": "true"}).text
    )
    assert (
        "Change Fund"
        not in client.get("/programmes?q=zzz", headers={"HX-Request": "true"}).text
    )
    assert client.post("/programmes/rrcf/archive").status_code == 303
    assert 'href="/programmes/rrcf"' not in client.get("/programmes").text
    assert 'href="/programmes/rrcf"' in client.get("/programmes?archived=1").text
    client.post("/programmes/rrcf/archive")
    assert 'href="/programmes/rrcf"' in client.get("/programmes").text


def test_navigation_marks_the_current_section(coordinator, world):
    html = coordinator.get(f"/people/{world['x_person'].id}").text
    assert (
        'aria-current="page">\n                <strong class="govuk-service-navigation__active-fallback">People'
        in html
    )
