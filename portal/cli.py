"""Command-line interface (a contract: see DESIGN.md). Bad input changes nothing."""

import os
from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask.cli import ScriptInfo
from sqlalchemy import func
from sqlalchemy import select

from portal import ROOT
from portal.directory import services
from portal.extensions import db
from portal.models import PartnerRole
from portal.models import Partnership
from portal.models import Programme
from portal.models import Scope
from portal.models import Sector
from portal.models import User

demo_cli = click.Group("demo", help="Demo data.")
users_cli = click.Group("users", help="Accounts.")
programmes_cli = click.Group("programmes", help="Programmes.")
partnerships_cli = click.Group("partnerships", help="Partnerships.")
organisations_cli = click.Group("organisations", help="Organisations.")
people_cli = click.Group("people", help="People.")


def init_migrations(app: Flask) -> None:
    """Set up Flask-Migrate (and so Alembic) for ``app``, as ``flask db`` needs it."""
    from flask_migrate import Migrate

    Migrate(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)


class MigrationGroup(click.Group):
    """``flask db``: Flask-Migrate's commands, set up only when one of them runs.

    Flask-Migrate imports Alembic, about 0.1 s that every other CLI call and every
    worker start would pay for nothing.
    """

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        """Hand the command line to Flask-Migrate's own ``db`` group."""
        from flask_migrate.cli import db as commands

        info = parent.ensure_object(ScriptInfo) if parent else ScriptInfo()
        init_migrations(info.load_app())
        context: click.Context = commands.make_context(
            info_name, args, parent=parent, **extra
        )
        return context


def fail(message: str) -> None:
    """Roll back and stop with a one-line reason and a non-zero exit."""
    db.session.rollback()
    raise click.ClickException(message)


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing if any account exists.")
def demo_load(if_empty: bool) -> None:
    """Create the demo data set (idempotent) and print the demo logins."""
    from portal import demo

    if if_empty and db.session.scalar(select(func.count(User.id))):
        click.echo("Demo data not loaded: the database already has accounts.")
        return
    demo.load()
    db.session.commit()
    click.echo("Demo data loaded.")


@demo_cli.command("logins")
def demo_logins() -> None:
    """Print the demo accounts and their shared password."""
    from portal import demo

    click.echo("Sign in at http://127.0.0.1:5000 with any of these demo accounts:")
    for login in demo.DEMO_LOGINS:
        click.echo(f"  {login.email:<28} {login.description}")
    click.echo(f"Password for every demo account: {demo.DEMO_PASSWORD}")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin"]), required=True)
@click.option("--name", default="", help="Display name (default: the email address).")
def users_create(email: str, role: str, name: str) -> None:
    """Create an account; the password comes from PORTAL_PASSWORD or a prompt."""
    from portal.admin.services import create_user
    from portal.auth.services import password_problem

    password = os.environ.get("PORTAL_PASSWORD") or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    problem = password_problem(password, context=[email, name])
    if problem:
        fail(problem)
    if "@" not in email:
        fail(f"{email!r} is not an email address")
    try:
        create_user(
            email=email, name=name or email, password=password, is_admin=role == "admin"
        )
    except services.DuplicateError as error:
        fail(error.message)
    db.session.commit()
    click.echo(f"Created {role} {email.lower()}")


def _check_slug(slug: str) -> None:
    from portal.directory.forms import SLUG_RULE

    if not SLUG_RULE.regex.match(slug):
        fail(
            f"{slug!r} is not a valid slug: use lower-case letters, numbers and hyphens"
        )


@programmes_cli.command("create")
@click.argument("slug")
@click.option("--name", required=True)
def programmes_create(slug: str, name: str) -> None:
    """Create a programme."""
    _check_slug(slug)
    try:
        services.create_programme(slug=slug, name=name)
    except services.DuplicateError as error:
        fail(error.message)
    db.session.commit()
    click.echo(f"Created programme {slug}")


@partnerships_cli.command("create")
@click.argument("slug")
@click.option("--name", required=True)
@click.option("--programme", "programme_slug", default=None)
@click.option("--scope", type=click.Choice(["national", "local"]), default="local")
def partnerships_create(
    slug: str, name: str, programme_slug: str | None, scope: str
) -> None:
    """Create a partnership, optionally in a programme."""
    _check_slug(slug)
    programme = None
    if programme_slug:
        programme = db.session.scalar(
            select(Programme).where(Programme.slug == programme_slug)
        )
        if programme is None:
            fail(f"no programme {programme_slug!r}")
    try:
        services.create_partnership(
            slug=slug, name=name, programme=programme, scope=Scope(scope)
        )
    except services.DuplicateError as error:
        fail(error.message)
    db.session.commit()
    click.echo(f"Created partnership {slug}")


@organisations_cli.command("create")
@click.argument("name")
@click.option("--sector", type=click.Choice([s.value for s in Sector]), required=True)
@click.option("--partnership", "partnership_slug", default=None)
@click.option("--role", type=click.Choice([r.value for r in PartnerRole]), default=None)
def organisations_create(
    name: str, sector: str, partnership_slug: str | None, role: str | None
) -> None:
    """Create an organisation, optionally taking part in a partnership."""
    if not name.strip():
        fail("the organisation needs a name")
    if role and not partnership_slug:
        fail("--role needs --partnership")
    partnership = None
    if partnership_slug:
        partnership = db.session.scalar(
            select(Partnership).where(Partnership.slug == partnership_slug)
        )
        if partnership is None:
            fail(f"no partnership {partnership_slug!r}")
    try:
        services.create_organisation(
            name=name,
            sector=Sector(sector),
            partnership=partnership,
            role=PartnerRole(role or PartnerRole.PARTNER.value),
        )
    except services.DuplicateError as error:
        fail(error.message)
    db.session.commit()
    click.echo(f"Created organisation {name.strip()}")


@people_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def people_import(file: Path) -> None:
    """Import people from CSV: all rows or none."""
    try:
        content = file.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        fail(f"{file}: no such file")
    except UnicodeDecodeError:
        fail(f"{file}: not UTF-8 text")
    result = services.import_people(content)
    if not result.is_valid:
        problems = result.all_problems()
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        fail(f"{file}: {problems[0]}{more}; nothing imported")
    db.session.commit()
    click.echo(f"Imported {len(result.rows)} people")


def init_app(app: Flask) -> None:
    """Register the command groups."""
    for group in (
        demo_cli,
        users_cli,
        programmes_cli,
        partnerships_cli,
        organisations_cli,
        people_cli,
        MigrationGroup("db", help="Perform database migrations."),
    ):
        app.cli.add_command(group)
