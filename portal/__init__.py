"""The Partnership Portal application factory."""

import os
from pathlib import Path
from typing import Any

from flask import Flask
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader
from jinja2 import FileSystemLoader
from jinja2 import PackageLoader
from jinja2 import PrefixLoader
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.config import PLACEHOLDER_SECRET_KEY
from portal.config import Config
from portal.extensions import compress
from portal.extensions import csrf
from portal.extensions import db
from portal.extensions import login_manager

ROOT = Path(__file__).resolve().parent.parent


def create_app(config_overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then ``PORTAL_*`` environment, then ``config_overrides``.

    The instance folder is ``instance/`` in the checkout unless ``PORTAL_INSTANCE_PATH``
    names another (the tests use a scratch one).
    """
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        instance_path=os.environ.get("PORTAL_INSTANCE_PATH") or str(ROOT / "instance"),
    )
    app.config.from_object(Config)
    app.config.from_prefixed_env("PORTAL")
    if config_overrides:
        app.config.update(config_overrides)
    _load_instance_secret_key(app)
    _configure_database(app)
    _check_production_settings(app)

    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(ROOT / "templates")),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    WTFormsHelpers(app)
    if app.config["PROXY_HOPS"]:
        hops = int(app.config["PROXY_HOPS"])
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=0
        )

    db.init_app(app)
    csrf.init_app(app)
    compress.init_app(app)
    login_manager.init_app(app)

    from governance import cli as governance_cli
    from governance import plan_views
    from governance import record_views
    from governance import summary_views
    from portal import auth
    from portal import cli
    from portal import errors
    from portal import mail
    from portal import security
    from portal import throttling
    from portal import views
    from portal.admin import views as admin_views
    from portal.directory import views as directory_views
    from surveys import cli as survey_cli
    from surveys import fieldwork
    from surveys import respond_views
    from surveys import results_views
    from surveys import views as survey_views

    security.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    throttling.init_app(app)
    mail.init_app(app)
    cli.init_app(app)
    survey_cli.init_app(app)
    governance_cli.init_app(app)
    fieldwork.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(admin_views.bp)
    app.register_blueprint(directory_views.bp)
    app.register_blueprint(survey_views.bp)
    app.register_blueprint(respond_views.respond_bp)
    app.register_blueprint(results_views.bp)
    app.register_blueprint(plan_views.bp)
    app.register_blueprint(record_views.bp)
    app.register_blueprint(summary_views.bp)
    return app


def _configure_database(app: Flask) -> None:
    """Default to a SQLite file in ``instance/``; accept ``PORTAL_DATABASE_URL``."""
    url = app.config.get("SQLALCHEMY_DATABASE_URI") or app.config["DATABASE_URL"]
    if not url:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{Path(app.instance_path) / 'portal.sqlite'}"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    app.config["SQLALCHEMY_DATABASE_URI"] = url


def _load_instance_secret_key(app: Flask) -> None:
    """Use ``instance/secret_key`` (written by ``make run``) when no key is configured."""
    if app.config["SECRET_KEY"] != PLACEHOLDER_SECRET_KEY:
        return
    key_file = Path(app.instance_path) / "secret_key"
    if key_file.is_file():
        app.config["SECRET_KEY"] = key_file.read_text().strip()


def _check_production_settings(app: Flask) -> None:
    """Refuse to start outside debug and tests with settings that are unsafe in production."""
    if app.debug or app.testing:
        return
    key = app.config.get("SECRET_KEY") or ""
    if key == PLACEHOLDER_SECRET_KEY or len(key) < 32:
        raise RuntimeError(
            "PORTAL_SECRET_KEY is missing, the placeholder or shorter than 32 characters"
        )
    if not app.config.get("WTF_CSRF_ENABLED", True):
        raise RuntimeError("WTF_CSRF_ENABLED must not be turned off in production")


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """WAL, a busy timeout and enforced foreign keys for SQLite connections."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
