"""Fixtures: one app and database per worker, a clean database per test, factories,
and signed-in clients; and partnership X's strategy (``plan``, ``make_action``), which
the governance and the browser tests share.

The suite runs on SQLite by default and on PostgreSQL when
``PORTAL_TEST_DATABASE_URL`` is set (``.ci/run`` sets it). Under pytest-xdist each
worker has its own database: a SQLite file, or ``<database>_<worker>`` on the
PostgreSQL server, created when missing. The schema is built once per worker.

Isolation per test:

* PostgreSQL: every session of the test, its own and each request's, joins one outer
  transaction through savepoints, and that transaction is rolled back afterwards.
* SQLite, and tests marked ``committing`` (live servers, migrations): real commits,
  then every table is emptied with ``DELETE`` (milliseconds for a test's few rows).
"""

import contextvars
import os
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy.session import Session
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import create_engine
from sqlalchemy import make_url
from sqlalchemy import text
from sqlalchemy.orm import scoped_session
from sqlalchemy.orm import sessionmaker

from governance import plans
from governance.models import ActionStatus
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
from portal.throttling import limiter
from surveys import fieldwork
from surveys import services as survey_services
from surveys.models import SurveyMode
from tests.access_matrices import add_matrix_programme
from tests.helpers import ANON_SLUG
from tests.helpers import LAUNCH
from tests.helpers import PASSWORD
from tests.helpers import TODAY
from tests.helpers import build_schema
from tests.helpers import build_survey

TEST_DATABASE_URL = os.environ.get("PORTAL_TEST_DATABASE_URL", "")
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
#: Apps a test built for a different configuration; their pools close after it.
_built_apps: list[Flask] = []
#: This worker's own database, set once by ``_worker_app``.
_database_url = ""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests serve the app from other threads, so they commit for real; they
    share one worker (``--dist loadgroup``) and so one Chromium."""
    for item in items:
        if item.nodeid.startswith("tests/browser/"):
            item.add_marker(pytest.mark.committing)
            item.add_marker(pytest.mark.xdist_group("browser"))


class IsolatedClient(FlaskClient):
    """A test client whose every request gets its own app context, ``g`` and session,
    as in production, even while the test itself holds an app context open."""

    def open(self, *args, **kwargs):
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if db.session.registry.has():
            db.session.expire_all()
        return response


def _worker_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """This worker's database URL; on PostgreSQL the database is created when missing."""
    if not TEST_DATABASE_URL:
        return f"sqlite:///{tmp_path_factory.getbasetemp()}/portal-{WORKER}.sqlite"
    server = make_url(TEST_DATABASE_URL)
    name = f"{server.database}_{WORKER}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        )
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


def build_app(tmp_path: Path, **overrides: object) -> Flask:
    """A testing app on this worker's database, with the outbox in ``tmp_path``.

    Only for tests that need a configuration the shared ``app`` cannot take on
    after it is built; the rest change ``app.config``, which is restored after them.
    """
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-1234",
        "SQLALCHEMY_DATABASE_URI": _database_url,
        "WTF_CSRF_ENABLED": False,
        # The world's administrator signs in with a password only; the two-factor
        # tests turn this on.
        "REQUIRE_2FA_FOR_ADMINS": False,
        "MAIL_OUTBOX": str(tmp_path / "outbox"),
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
    }
    config.update(overrides)
    application = create_app(config)
    application.test_client_class = IsolatedClient
    _built_apps.append(application)
    return application


def _empty_tables() -> None:
    """Delete every row and restart the ids, keeping the schema."""
    db.session.remove()
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())
        if connection.dialect.name == "postgresql":
            used = connection.scalars(
                text(
                    "SELECT sequencename FROM pg_sequences"
                    " WHERE schemaname = current_schema() AND last_value IS NOT NULL"
                )
            ).all()
            for sequence in used:
                connection.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))


class _JoinedSession(Session):
    """The app's session class (its mail and worker hooks listen on it), bound to the
    test's one connection instead of the engine."""

    def get_bind(self, *args: object, **kwargs: object):
        return self.bind


@contextmanager
def _rolled_back() -> Iterator[None]:
    """Join every session to one outer transaction on one connection, then roll back.

    ``db.session`` is swapped for a scoped session bound to that connection, scoped
    by app context as before, so each request still gets its own session.
    """
    connection = db.engine.connect()
    outer = connection.begin()
    original = db.session
    db.session = scoped_session(
        sessionmaker(
            class_=_JoinedSession,
            db=db,
            bind=connection,
            join_transaction_mode="create_savepoint",
            query_cls=db.Query,
        ),
        scopefunc=_app_ctx_id,
    )
    try:
        yield
    finally:
        db.session.remove()
        db.session = original
        outer.rollback()
        connection.close()


@pytest.fixture(autouse=True, scope="session")
def _private_instance_folder(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[None]:
    """Every app the tests build uses a scratch ``instance/`` folder, never the
    developer's (where ``make run`` keeps a secret key and the demo database)."""
    folder = tmp_path_factory.mktemp("run") / "instance"
    saved = os.environ.get("PORTAL_INSTANCE_PATH")
    os.environ["PORTAL_INSTANCE_PATH"] = str(folder)
    yield
    if saved is None:
        del os.environ["PORTAL_INSTANCE_PATH"]
    else:
        os.environ["PORTAL_INSTANCE_PATH"] = saved


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing() -> Iterator[None]:
    """Cheap Argon2id parameters in tests; production keeps the library defaults."""
    from argon2 import PasswordHasher

    from portal.auth import services as auth_services

    original = auth_services._hasher
    auth_services._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    auth_services._hasher = original


@pytest.fixture(scope="session")
def _worker_app(
    tmp_path_factory: pytest.TempPathFactory, _private_instance_folder: None
) -> Iterator[Flask]:
    """The one app of this worker, on its own database with the schema built once."""
    global _database_url
    _database_url = _worker_database(tmp_path_factory)
    application = build_app(tmp_path_factory.mktemp("app"))
    _built_apps.clear()
    with application.app_context():
        build_schema()
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(
    request: pytest.FixtureRequest, _worker_app: Flask, tmp_path: Path
) -> Iterator[Flask]:
    """The worker's app with an empty database, its outbox and uploads in ``tmp_path``.

    Changes a test makes to ``app.config`` are undone after it.
    """
    saved = dict(_worker_app.config)
    _worker_app.config.update(
        MAIL_OUTBOX=str(tmp_path / "outbox"), UPLOAD_FOLDER=str(tmp_path / "uploads")
    )
    roll_back = bool(TEST_DATABASE_URL) and not request.node.get_closest_marker(
        "committing"
    )
    try:
        with _worker_app.app_context():
            if roll_back:
                with _rolled_back():
                    yield _worker_app
            else:
                try:
                    yield _worker_app
                finally:
                    _empty_tables()
    finally:
        # Rate-limit counters live in the process's memory in tests; each test
        # starts from none.
        limiter.reset()
        _worker_app.config.clear()
        _worker_app.config.update(saved)
        for built in _built_apps:
            with built.app_context():
                for engine in db.engines.values():
                    engine.dispose()
        _built_apps.clear()


@pytest.fixture(name="build_app")
def _build_app_fixture() -> Callable[..., Flask]:
    """``build_app``, for tests that need an app of their own configuration."""
    return build_app


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


@pytest.fixture
def plan(world):
    """Strategy ``x-plan`` on partnership X, 2015-18, and what its tests need."""
    strategy = plans.create_strategy(
        slug="x-plan",
        title="Reducing offending 2015-18",
        partnership=world["x"],
        starts_on=date(2015, 10, 1),
        ends_on=date(2018, 3, 31),
    )
    themes = {
        name: plans.create_theme(strategy, name=name)
        for name in ("Prevention", "Diversion", "Offender Management")
    }
    groups = {
        name: plans.create_group(
            strategy,
            name=f"{name} Group",
            theme=theme,
            chair=world["x_person"],
            members=[world["x_person"]],
        )
        for name, theme in themes.items()
    }
    db.session.commit()
    return {
        **world,
        "strategy": strategy,
        "themes": themes,
        "groups": groups,
        "coordinator": world["x_coordinator"],
    }


@pytest.fixture
def make_action(plan):
    """Create and commit an action in ``x-plan``; keyword arguments override defaults."""
    counter = iter(range(1, 1000))

    def _make(**overrides):
        values = {
            "ref": f"A{next(counter)}",
            "title": "Do something useful",
            "theme": plan["themes"]["Prevention"],
            "delivery_group": plan["groups"]["Prevention"],
            "lead_organisation": plan["x_lead"],
            "owner": plan["x_person"],
            "start_date": date(2015, 10, 1),
            "due_date": date(2018, 3, 31),
            "status": ActionStatus.NOT_STARTED,
            "by": plan["coordinator"],
            "at": LAUNCH,
        }
        values.update(overrides)
        action = plans.create_action(plan["strategy"], **values)
        db.session.commit()
        return action

    return _make


@pytest.fixture
def anon_world(world, make_person):
    """X's anonymous survey, wave 1 open, twenty people sampled from two organisations."""
    survey = build_survey(world["x"], slug=ANON_SLUG, mode=SurveyMode.ANONYMOUS)
    db.session.flush()
    wave = survey_services.add_wave(
        survey, opens_on=TODAY - timedelta(days=1), closes_on=TODAY + timedelta(days=14)
    )
    db.session.flush()
    people = [
        make_person(
            f"Person {n:02}",
            f"person{n}@example.org",
            world["x_lead"] if n % 2 else world["x_partner"],
        )
        for n in range(19)
    ]
    pat = make_person("Pat Named", "pat@example.org", world["x_partner"])
    invitations = [fieldwork.add_person(wave, person) for person in people]
    pat_invitation = fieldwork.add_person(wave, pat)
    db.session.commit()
    items = {item.code: item for item in survey.items}
    return {
        **world,
        "survey": survey,
        "wave": wave,
        "items": items,
        "others": invitations,
        "pat": pat_invitation,
    }


@pytest.fixture
def programme_world(world):
    """``world`` with X in programme prog-x, a survey and a strategy on X: an object
    for every endpoint of ``tests/access_matrices.full_matrix``."""
    return add_matrix_programme(world)
