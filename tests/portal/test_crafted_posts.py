"""Crafted POSTs to every form route: missing, garbage and duplicated fields never
give a 500 (T36, T23)."""

import re

import pytest
from werkzeug.datastructures import MultiDict

from tests.access_matrices import EMAILS
from tests.access_matrices import full_matrix
from tests.helpers import login

#: Values no form accepts as they stand: blank, junk, out of range, oversized numbers,
#: a NUL byte, markup.
_GARBAGE = ["", "garbage", "-1", "99999999999999999999", "31 02 20x6", "\x00", "<b>"]


def _field_names(html: str) -> list[str]:
    """The names of the inputs, selects and text areas on a page."""
    names = re.findall(r'<(?:input|select|textarea)[^>]*\sname="([^"]+)"', html)
    return sorted(set(names) - {"csrf_token"})


def _payloads(names: list[str]) -> list[MultiDict]:
    """An empty post, each garbage value in every field, and one field in three
    copies (a date's day, month and year boxes sent once too often)."""
    payloads = [MultiDict()]
    for value in _GARBAGE:
        payloads.append(MultiDict([(name, value) for name in names]))
    payloads.append(MultiDict([(name, "1") for name in names for _ in range(4)]))
    return payloads


@pytest.mark.parametrize("role", ["anonymous", "x_coordinator", "admin"])
def test_crafted_posts_never_give_a_500_t36(app, client, programme_world, role):
    """Every POST route, with the ids of real objects, so the form code really runs;
    signed out too, for the sign-in, password and respondent forms."""
    matrix = full_matrix(programme_world)
    post_endpoints = {
        rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods
    }
    assert post_endpoints <= set(matrix)
    if role != "anonymous":
        login(client, EMAILS[role])
    failures = []
    checked = 0
    # In the matrix's order, whose state changes come last.
    for endpoint, (_method, url, _expected) in matrix.items():
        if endpoint not in post_endpoints or endpoint == "auth.logout":
            continue
        page = client.get(url)
        names = _field_names(page.text) if page.status_code == 200 else []
        for data in _payloads(names):
            # The testing app re-raises what would be a 500, so both count.
            try:
                status = client.post(url, data=data).status_code
            except Exception as error:
                status = f"{type(error).__name__}: {error}"
            if not isinstance(status, int) or status >= 500:
                failures.append(f"{endpoint} {url} {dict(data.lists())} -> {status}")
                break
        checked += 1
    assert checked >= 90
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("POST", "/auth/login", {"email": "\x00", "password": "x"}),
        ("POST", "/plans/x-matrix-plan/themes/1/rename", {"name": "a\x00b"}),
        ("GET", "/people?q=%00", None),
        ("GET", "/s/abc%00def", None),
    ],
)
def test_nul_bytes_are_refused_before_the_database_t36(
    client, programme_world, method, url, data
):
    """PostgreSQL cannot store a NUL byte and raised a 500 for one in any text field."""
    login(client, EMAILS["x_coordinator"])
    response = client.open(url, method=method, data=data)
    assert response.status_code == 400
    assert "not allowed" in response.text
