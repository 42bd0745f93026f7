"""Fixtures: a fresh app and database per test, factories, and signed-in clients.

The suite runs on SQLite by default and on PostgreSQL when
``PORTAL_TEST_DATABASE_URL`` is set (``.ci/run`` sets it).
"""

import contextvars
import os
import re
from collections.abc import Callable
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from portal import create_app
from portal.admin.services import create_user
from portal.directory import services
from portal.extensions import db
from portal.models import MemberRole
from portal.models import Organisation
from portal.models import PartnerRole
from portal.models import Partnership
from portal.models import Person
from portal.models import Sector
from portal.models import User

PASSWORD = "correct horse battery staple"
TEST_DATABASE_URL = os.environ.get("PORTAL_TEST_DATABASE_URL", "")
_schema_ready = False
#: Apps built during the current test; their connection pools are closed after it.
_built_apps: list[Flask] = []


def _reset_postgres() -> None:
    """Empty every table and restart its ids (the schema is created once per run)."""
    global _schema_ready
    if not _schema_ready:
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.create_all()
        _schema_ready = True
        return
    # DELETE rather than TRUNCATE: truncating sixty tables makes new files for each
    # and took over a second per test; deleting a test's few rows takes milliseconds.
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())
        used = connection.scalars(
            text(
                "SELECT sequencename FROM pg_sequences"
                " WHERE schemaname = current_schema() AND last_value IS NOT NULL"
            )
        ).all()
        for sequence in used:
            connection.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))


def mark_schema_dirty() -> None:
    """Tell the fixtures that a test dropped or rebuilt the schema."""
    global _schema_ready
    _schema_ready = False


class IsolatedClient(FlaskClient):
    """A test client whose every request gets its own app context, ``g`` and session,
    as in production, even while the test itself holds an app context open."""

    def open(self, *args, **kwargs):
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if db.session.registry.has():
            db.session.expire_all()
        return response


def build_app(tmp_path: object, **overrides: object) -> Flask:
    """A testing app on the test database, with the outbox in ``tmp_path``."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-1234",
        "SQLALCHEMY_DATABASE_URI": TEST_DATABASE_URL
        or f"sqlite:///{tmp_path}/test.sqlite",
        "WTF_CSRF_ENABLED": False,
        "MAIL_OUTBOX": str(tmp_path) + "/outbox",
    }
    config.update(overrides)
    application = create_app(config)
    application.test_client_class = IsolatedClient
    _built_apps.append(application)
    return application


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing() -> Iterator[None]:
    """Cheap Argon2id parameters in tests; production keeps the library defaults."""
    from argon2 import PasswordHasher

    from portal.auth import services as auth_services

    original = auth_services._hasher
    auth_services._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    auth_services._hasher = original


@pytest.fixture
def app(tmp_path) -> Iterator[Flask]:
    """A fresh app with an empty database."""
    application = build_app(tmp_path)
    with application.app_context():
        if TEST_DATABASE_URL:
            _reset_postgres()
        else:
            db.create_all()
        yield application
        db.session.remove()
        if not TEST_DATABASE_URL:
            db.drop_all()
    for built in _built_apps:
        with built.app_context():
            for engine in db.engines.values():
                engine.dispose()
    _built_apps.clear()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client (CSRF off unless a test turns it on)."""
    return app.test_client()


@pytest.fixture
def make_partnership(app: Flask) -> Callable[..., Partnership]:
    """Create and commit a partnership."""

    def _make(slug: str = "alpha", name: str | None = None) -> Partnership:
        partnership = services.create_partnership(slug=slug, name=name or slug.title())
        db.session.commit()
        return partnership

    return _make


@pytest.fixture
def make_organisation(app: Flask) -> Callable[..., Organisation]:
    """Create an organisation, optionally in a partnership, and commit."""

    def _make(
        name: str = "Org",
        *,
        partnership: Partnership | None = None,
        sector: Sector = Sector.THIRD,
        role: PartnerRole = PartnerRole.PARTNER,
    ) -> Organisation:
        organisation = services.create_organisation(
            name=name, sector=sector, partnership=partnership, role=role
        )
        db.session.commit()
        return organisation

    return _make


@pytest.fixture
def make_person(app: Flask) -> Callable[..., Person]:
    """Create a person in an organisation and commit."""

    def _make(name: str, email: str, organisation: Organisation) -> Person:
        person = services.create_person(
            name=name, email=email, job_title="Officer", organisation=organisation
        )
        db.session.commit()
        return person

    return _make


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    """Create an account with a person, organisation and partnership role."""

    def _make(
        email: str = "member@example.org",
        *,
        partnership: Partnership | None = None,
        role: MemberRole | None = None,
        organisation: Organisation | None = None,
        is_admin: bool = False,
    ) -> User:
        person = None
        if partnership is not None or organisation is not None:
            if organisation is None:
                organisation = services.create_organisation(
                    name=f"Org of {email}",
                    sector=Sector.PUBLIC,
                    partnership=partnership,
                )
            person = services.create_person(
                name=email.split("@")[0].title(),
                email=email,
                job_title="",
                organisation=organisation,
            )
            if partnership is not None and role is not None:
                services.set_membership(partnership, person, role)
        account = create_user(
            email=email,
            name=email.split("@")[0].title(),
            password=PASSWORD,
            is_admin=is_admin,
            person=person,
        )
        db.session.commit()
        return account

    return _make


def login(client: FlaskClient, email: str, password: str = PASSWORD) -> None:
    """Sign in through the real form."""
    response = client.post("/auth/login", data={"email": email, "password": password})
    assert response.status_code == 303, response.text


def csrf_token_from(html: str) -> str:
    """The CSRF token embedded in a page."""
    match = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', html
    ) or re.search(r'"X-CSRFToken": "([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture
def world(make_partnership, make_organisation, make_user, make_person):
    """Two partnerships, X and Y, each with a coordinator, board member and partner contact."""
    x = make_partnership("x-partnership", "Partnership X")
    y = make_partnership("y-partnership", "Partnership Y")
    x_lead = make_organisation("X Lead Org", partnership=x, role=PartnerRole.LEAD)
    x_partner = make_organisation("X Partner Org", partnership=x)
    y_lead = make_organisation("Y Lead Org", partnership=y, role=PartnerRole.LEAD)
    people = {
        "x_coordinator": make_user(
            "coord-x@example.org",
            partnership=x,
            role=MemberRole.COORDINATOR,
            organisation=x_lead,
        ),
        "x_board": make_user(
            "board-x@example.org",
            partnership=x,
            role=MemberRole.BOARD_MEMBER,
            organisation=x_lead,
        ),
        "x_contact": make_user(
            "contact-x@example.org",
            partnership=x,
            role=MemberRole.PARTNER_CONTACT,
            organisation=x_partner,
        ),
        "y_coordinator": make_user(
            "coord-y@example.org",
            partnership=y,
            role=MemberRole.COORDINATOR,
            organisation=y_lead,
        ),
        "admin": make_user("admin@example.org", is_admin=True),
    }
    x_person = make_person("Xena Staff", "xena@example.org", x_partner)
    y_person = make_person("Yuri Staff", "yuri@example.org", y_lead)
    return {
        "x": x,
        "y": y,
        "x_lead": x_lead,
        "x_partner": x_partner,
        "y_lead": y_lead,
        "x_person": x_person,
        "y_person": y_person,
        **people,
    }
