"""Configuration refusals, headers on every response class, CSRF everywhere, SQLite settings."""

import re

import pytest
from sqlalchemy import text

from portal import create_app
from portal.extensions import db
from tests.helpers import csrf_token_from
from tests.helpers import login


@pytest.mark.parametrize(
    "overrides",
    [
        {"SECRET_KEY": "dev-only-change-me"},
        {"SECRET_KEY": "too-short"},
        {"SECRET_KEY": "x" * 40, "WTF_CSRF_ENABLED": False},
    ],
)
def test_production_refuses_unsafe_settings(overrides, tmp_path):
    with pytest.raises(RuntimeError):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", **overrides})


def test_production_starts_with_a_real_key():
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "k" * 40})
    assert not app.debug


def _check_headers(response):
    csp = response.headers["Content-Security-Policy"]
    for part in (
        "default-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ):
        assert part in csp
    script_src = re.search(r"script-src ([^;]+)", csp).group(1)
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    return re.search(r"'nonce-([^']+)'", csp).group(1)


def test_headers_on_pages_fragments_errors_and_files(client, world):
    assert _check_headers(client.get("/auth/login")) != _check_headers(
        client.get("/auth/login")
    )
    _check_headers(client.get("/no-such-page"))
    static = client.get("/static/src/portal.js")
    _check_headers(static)
    static.close()
    login(client, "coord-x@example.org")
    page = client.get("/people")
    _check_headers(page)
    assert page.headers["Cache-Control"] == "no-store"
    fragment = client.get("/people", headers={"HX-Request": "true"})
    _check_headers(fragment)
    assert fragment.headers["Cache-Control"] == "no-store"
    _check_headers(client.get("/partnerships/x-partnership/people.csv"))


def test_htmx_configured_safely(client):
    page = client.get("/auth/login").text
    config = re.search(r"name=\"htmx-config\" content='([^']+)'", page).group(1)
    for setting in (
        '"selfRequestsOnly":true',
        '"allowEval":false',
        '"allowScriptTags":false',
        '"historyCacheSize":0',
    ):
        assert setting in config
    assert "cdn" not in page.lower() and "https://" not in page


def test_no_inline_scripts(client, world):
    login(client, "admin@example.org")
    for url in ("/", "/people", "/admin/users"):
        html = client.get(url).text
        for tag in re.findall(r"<script[^>]*>", html):
            assert "src=" in tag, tag


def test_error_fragment_for_htmx(client, world):
    login(client, "coord-y@example.org")
    response = client.get(
        f"/people/{world['x_person'].id}/row", headers={"HX-Request": "true"}
    )
    assert response.status_code == 404 and "<html" not in response.text


def test_oversized_upload_is_413(tmp_path, world, build_app):
    app = build_app(tmp_path, MAX_CONTENT_LENGTH=1000)
    client = app.test_client()
    login(client, "coord-x@example.org")
    response = client.post(
        "/people/import",
        data={"file": (__import__("io").BytesIO(b"x" * 5000), "p.csv")},
    )
    assert response.status_code == 413


@pytest.fixture
def csrf_client(tmp_path, world, build_app):
    app = build_app(tmp_path, WTF_CSRF_ENABLED=True)
    return app.test_client()


def test_login_needs_csrf_token(csrf_client):
    response = csrf_client.post(
        "/auth/login", data={"email": "admin@example.org", "password": "x"}
    )
    assert response.status_code == 400
    assert "The form had expired" in response.text


def _csrf_login(client):
    token = csrf_token_from(client.get("/auth/login").text)
    from tests.helpers import PASSWORD

    response = client.post(
        "/auth/login",
        data={"email": "admin@example.org", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 303


def test_every_state_changing_route_needs_csrf(csrf_client, world):
    app = csrf_client.application
    _csrf_login(csrf_client)
    token = csrf_token_from(csrf_client.get("/").text)
    ids = {
        "organisation_id": world["x_partner"].id,
        "person_id": world["x_person"].id,
        "slug": "x-partnership",
        "token": "t",
        "name": "n",
        # Survey and respondent routes: CSRF is refused before any lookup.
        "section_id": 1,
        "item_id": 1,
        "number": 1,
        "invitation_id": 1,
        "kind": "invitation",
        "fmt": "csv",
        # Governance record routes: CSRF is refused before any lookup.
        "meeting_id": 1,
        "agreement_id": 1,
        "body_id": 1,
        # Action-plan routes, likewise.
        "action_id": 1,
        "theme_id": 1,
        "group_id": 1,
        "indicator_id": 1,
        # Progress summaries, likewise.
        "summary_id": 1,
    }
    checked = 0
    with app.test_request_context():
        from flask import url_for

        rules = [
            r
            for r in app.url_map.iter_rules()
            if r.methods & {"POST", "PUT", "PATCH", "DELETE"}
        ]
        urls = [
            (r.endpoint, url_for(r.endpoint, **{a: ids[a] for a in r.arguments}))
            for r in rules
        ]
    for endpoint, url in urls:
        if endpoint == "auth.logout":
            continue
        missing = csrf_client.post(url, data={})
        assert missing.status_code == 400, endpoint
        forged = csrf_client.post(url, data={"csrf_token": "forged"})
        assert forged.status_code == 400, endpoint
        with_header = csrf_client.post(url, data={}, headers={"X-CSRFToken": token})
        assert (
            with_header.status_code != 400
            or "The form had expired" not in with_header.text
        ), endpoint
        checked += 1
    assert checked >= 10
    assert csrf_client.post("/auth/logout").status_code == 400


def test_get_requests_do_not_write(client, world):
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    login(client, "admin@example.org")
    writes = []

    def on_flush(session, context, instances):
        writes.extend(session.dirty | session.new | session.deleted)

    event.listen(Session, "before_flush", on_flush)
    try:
        for url in (
            "/",
            "/people",
            "/organisations",
            "/partnerships",
            "/programmes",
            "/admin/users",
            "/admin/outbox",
            "/partnerships/x-partnership/people.csv",
        ):
            client.get(url)
    finally:
        event.remove(Session, "before_flush", on_flush)
    assert writes == []


def test_sqlite_file_uses_wal_and_busy_timeout(tmp_path):
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/t.sqlite"}
    )
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 5000
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_default_database_is_sqlite_in_instance(monkeypatch):
    monkeypatch.delenv("PORTAL_DATABASE_URL", raising=False)
    app = create_app({"TESTING": True})
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/portal.sqlite")


def test_postgres_url_uses_psycopg3():
    app = create_app({"TESTING": True, "DATABASE_URL": "postgresql://u@h/db"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"
