"""Authorisation: every endpoint for every role, cross-partnership ids, fragments, exports."""

import pytest

from portal.extensions import db
from tests.access_matrices import EMAILS
from tests.access_matrices import ROLES
from tests.access_matrices import add_draft_minutes
from tests.access_matrices import draft_minutes_matrix
from tests.access_matrices import full_matrix
from tests.helpers import login


def test_every_endpoint_is_in_the_matrix(app, programme_world):
    endpoints = {
        rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint != "static"
    }
    assert endpoints == set(full_matrix(programme_world)), (
        "classify new endpoints in tests/access_matrices.full_matrix"
    )


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(client, programme_world, role):
    if role != "anonymous":
        login(client, EMAILS[role])
    failures = []
    for endpoint, (method, url, expected) in full_matrix(programme_world).items():
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
        login(client, EMAILS[role])
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
