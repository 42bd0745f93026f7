"""Authorisation: every endpoint for every role, cross-partnership ids, fragments, exports."""

import pytest

from portal.directory import services
from portal.extensions import db
from tests.access_matrices import ROLES
from tests.access_matrices import add_draft_minutes
from tests.access_matrices import add_matrix_plan
from tests.access_matrices import add_matrix_survey
from tests.access_matrices import draft_minutes_matrix
from tests.access_matrices import plans_matrix
from tests.access_matrices import record_matrix
from tests.access_matrices import results_matrix
from tests.access_matrices import summary_matrix
from tests.access_matrices import survey_matrix
from tests.helpers import login


def _matrix(w):
    """endpoint -> (method, url, {role: status}); POSTs send an empty form.

    Survey and respondent endpoints come from ``survey_matrix``, between the
    directory's reads and its state changes (archiving X would hide the survey).
    """
    x, org, person = w["x"].slug, w["x_partner"].id, w["x_person"].id
    ok_all = dict.fromkeys(ROLES[1:], 200)
    edit_x = {
        "x_contact": 403,
        "x_board": 403,
        "x_coordinator": 200,
        "y_coordinator": 404,
        "admin": 200,
    }
    read_x = {
        "x_contact": 200,
        "x_board": 200,
        "x_coordinator": 200,
        "y_coordinator": 404,
        "admin": 200,
    }
    coordinators = {
        "x_contact": 403,
        "x_board": 403,
        "x_coordinator": 200,
        "y_coordinator": 200,
        "admin": 200,
    }
    admin_only_403 = {**dict.fromkeys(ROLES[1:-1], 403), "admin": 200}
    admin_area = {**dict.fromkeys(ROLES[1:-1], 404), "admin": 200}
    archive_x = {
        "x_contact": 403,
        "x_board": 403,
        "x_coordinator": 303,
        "y_coordinator": 404,
        "admin": 303,
    }
    reads = {
        "portal.index": ("GET", "/", ok_all),
        "auth.login": (
            "GET",
            "/auth/login",
            {**dict.fromkeys(ROLES[1:], 303), "anonymous": 200},
        ),
        "auth.forgot": ("GET", "/auth/forgot", {**ok_all, "anonymous": 200}),
        "auth.reset": (
            "GET",
            "/auth/reset/not-a-token",
            {**dict.fromkeys(ROLES[1:], 400), "anonymous": 400},
        ),
        "auth.accept_invitation": (
            "GET",
            "/auth/invitation/nope",
            {**dict.fromkeys(ROLES[1:], 400), "anonymous": 400},
        ),
        "admin.users": ("GET", "/admin/users", admin_area),
        "admin.invite": ("GET", "/admin/users/invite", admin_area),
        "admin.outbox_list": ("GET", "/admin/outbox", admin_area),
        "admin.outbox_message": (
            "GET",
            "/admin/outbox/none.eml",
            {**admin_area, "admin": 404},
        ),
        "directory.programmes": ("GET", "/programmes", ok_all),
        "directory.create_programme": ("GET", "/programmes/new", admin_only_403),
        "directory.programme": ("GET", "/programmes/prog-x", read_x),
        "directory.edit_programme": (
            "GET",
            "/programmes/prog-x/edit",
            {**admin_only_403, "y_coordinator": 404},
        ),
        "directory.partnerships": ("GET", "/partnerships", ok_all),
        "directory.create_partnership": ("GET", "/partnerships/new", admin_only_403),
        "directory.partnership": ("GET", f"/partnerships/{x}", read_x),
        "directory.edit_partnership": ("GET", f"/partnerships/{x}/edit", edit_x),
        "directory.add_participation": (
            "POST",
            f"/partnerships/{x}/organisations/add",
            {**edit_x, "x_coordinator": 422, "admin": 422},
        ),
        "directory.add_member": (
            "POST",
            f"/partnerships/{x}/members/add",
            {**edit_x, "x_coordinator": 422, "admin": 422},
        ),
        "directory.export_people": ("GET", f"/partnerships/{x}/people.csv", read_x),
        "directory.organisations": ("GET", "/organisations", ok_all),
        "directory.create_organisation": ("GET", "/organisations/new", coordinators),
        "directory.organisation": ("GET", f"/organisations/{org}", read_x),
        "directory.organisation_row": ("GET", f"/organisations/{org}/row", read_x),
        "directory.edit_organisation": ("GET", f"/organisations/{org}/edit", edit_x),
        "directory.people": ("GET", "/people", ok_all),
        "directory.create_person": ("GET", "/people/new", coordinators),
        "directory.person": ("GET", f"/people/{person}", read_x),
        "directory.person_row": ("GET", f"/people/{person}/row", read_x),
        "directory.edit_person": ("GET", f"/people/{person}/edit", edit_x),
        "directory.import_people": ("GET", "/people/import", coordinators),
        "directory.confirm_import_people": (
            "POST",
            "/people/import/confirm",
            {**coordinators, "x_coordinator": 400, "y_coordinator": 400, "admin": 400},
        ),
    }
    # State changes last, so they do not disturb the cells above.
    changes = {
        "directory.archive_programme": (
            "POST",
            "/programmes/prog-x/archive",
            {**archive_x, "x_coordinator": 403},
        ),
        "directory.archive_person": ("POST", f"/people/{person}/archive", archive_x),
        "directory.archive_organisation": (
            "POST",
            f"/organisations/{org}/archive",
            archive_x,
        ),
        "directory.archive_partnership": (
            "POST",
            f"/partnerships/{x}/archive",
            {**archive_x, "x_coordinator": 403},
        ),
        "auth.stay_signed_in": ("POST", "/auth/session", dict.fromkeys(ROLES[1:], 204)),
        "auth.logout": ("POST", "/auth/logout", dict.fromkeys(ROLES[1:], 303)),
    }
    # Results before the survey's own changes, which delete the matrix item.
    return {
        **reads,
        **results_matrix(w),
        **plans_matrix(w),
        **record_matrix(w),
        **summary_matrix(w),
        **survey_matrix(w),
        **changes,
    }


@pytest.fixture
def programme_world(world):
    """X in programme prog-x, with a survey on X (section, item, wave, invitation)
    and a strategy on X (theme, group, action, indicator)."""
    programme = services.create_programme(slug="prog-x", name="Programme X")
    world["x"].programme = programme
    db.session.commit()
    return add_matrix_plan(add_matrix_survey(world))


def test_every_endpoint_is_in_the_matrix(app, programme_world):
    endpoints = {
        rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint != "static"
    }
    assert endpoints == set(_matrix(programme_world)), (
        "classify new endpoints in test_access._matrix"
    )


_EMAILS = {
    "x_contact": "contact-x@example.org",
    "x_board": "board-x@example.org",
    "x_coordinator": "coord-x@example.org",
    "y_coordinator": "coord-y@example.org",
    "admin": "admin@example.org",
}


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(client, programme_world, role):
    if role != "anonymous":
        login(client, _EMAILS[role])
    failures = []
    for endpoint, (method, url, expected) in _matrix(programme_world).items():
        want = 302 if role == "anonymous" and role not in expected else expected[role]
        response = client.open(url, method=method, data={})
        if response.status_code != want:
            failures.append(
                f"{endpoint} {method} {url}: got {response.status_code}, want {want}"
            )
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", ROLES)
def test_draft_minutes_matrix_t24(client, world, role):
    """Draft minutes, their decisions and history reach editors only, for every role."""
    w = add_draft_minutes(world)
    if role != "anonymous":
        login(client, _EMAILS[role])
    failures = []
    for case, (url, marker, expected) in draft_minutes_matrix(w).items():
        want = (302, False) if role == "anonymous" else expected[role]
        response = client.get(url)
        got = (response.status_code, marker in response.text)
        if got != want:
            failures.append(f"{case} {url}: got {got}, want {want}")
    assert not failures, "\n".join(failures)


def test_other_partnership_fragments_and_exports_are_404(client, world):
    login(client, "coord-y@example.org")
    x_org, x_person = world["x_partner"].id, world["x_person"].id
    for url in (
        f"/organisations/{x_org}/row",
        f"/organisations/{x_org}/edit",
        f"/people/{x_person}/row",
        f"/people/{x_person}/edit",
        "/partnerships/x-partnership/people.csv",
    ):
        for headers in ({}, {"HX-Request": "true"}):
            assert client.get(url, headers=headers).status_code == 404, url
    assert (
        client.post(
            f"/organisations/{x_org}/edit",
            data={"name": "Hijacked", "sector": "public", "version": "1"},
        ).status_code
        == 404
    )
    assert db.session.get(type(world["x_partner"]), x_org).name == "X Partner Org"


def test_nonexistent_ids_answer_like_forbidden_ones(client, world):
    login(client, "coord-y@example.org")
    assert client.get("/organisations/99999").status_code == 404
    assert client.get(f"/organisations/{world['x_partner'].id}").status_code == 404


def test_lists_and_search_hide_other_partnerships(client, world):
    login(client, "coord-y@example.org")
    for url in ("/partnerships?q=", "/organisations?q=org", "/people?q=staff"):
        text = client.get(url).text
        assert (
            "Partnership X" not in text
            and "X Partner Org" not in text
            and "Xena" not in text
        )
    assert "Yuri Staff" in client.get("/people?q=staff").text


def test_partner_contact_sees_only_own_organisations_people(client, world, make_person):
    lena = make_person("Lena Lead", "lena@example.org", world["x_lead"])
    login(client, "contact-x@example.org")
    assert client.get(f"/people/{lena.id}").status_code == 404
    assert client.get(f"/people/{world['x_person'].id}").status_code == 200
    assert "Lena Lead" not in client.get("/people").text
    assert "Lena Lead" not in client.get("/partnerships/x-partnership/people.csv").text


def test_removed_member_loses_access_on_next_request(client, world):
    login(client, "board-x@example.org")
    assert client.get("/partnerships/x-partnership").status_code == 200
    for membership in list(world["x"].memberships):
        if membership.person.email == "board-x@example.org":
            db.session.delete(membership)
    db.session.commit()
    assert client.get("/partnerships/x-partnership").status_code == 404
