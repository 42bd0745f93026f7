"""The ``plans`` commands (a contract: see DESIGN.md). Bad input changes nothing."""

from pathlib import Path

import click
from flask import Flask
from sqlalchemy import select

from governance import completion
from governance import models  # noqa: F401 - registers the tables with the metadata
from governance import plan_csv
from governance import plans
from portal import clock
from portal.cli import fail
from portal.extensions import db
from portal.models import Partnership

plans_cli = click.Group("plans", help="Strategy action plans: import, completion.")


def _read(file: Path) -> str:
    try:
        # Bytes, so the csv module sees line endings inside quoted cells as written.
        return file.read_bytes().decode("utf-8")
    except OSError as error:
        fail(f"{file}: {error.strerror or 'cannot be read'}")
    except UnicodeDecodeError:
        fail(f"{file}: not UTF-8 text")
    return ""  # not reached: fail() raises


@plans_cli.command("import")
@click.argument("slug")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--title", required=True, help="The strategy's title.")
@click.option("--partnership", "partnership_slug", required=True)
def import_command(slug: str, file: Path, title: str, partnership_slug: str) -> None:
    """Create a strategy from an action-plan CSV: every action or none."""
    partnership = db.session.scalar(
        select(Partnership).where(Partnership.slug == partnership_slug)
    )
    if partnership is None:
        fail(f"no partnership {partnership_slug!r}")
        return
    if plans.find_strategy(slug) is not None:
        fail(f"a strategy {slug!r} already exists")
    text = _read(file)
    check = plan_csv.check_plan_csv(text, partnership=partnership)
    if not check.is_valid:
        fail(f"{file}: {check.summary()}; nothing imported")
    starts_on, ends_on = check.period()
    try:
        strategy = plans.create_strategy(
            slug=slug,
            title=title,
            partnership=partnership,
            starts_on=starts_on,
            ends_on=ends_on,
        )
        actions = plan_csv.import_plan(strategy, check)
    except plans.PlanError as error:
        fail(error.message)
        return
    db.session.commit()
    click.echo(
        f"Strategy {slug} created with {len(actions)} actions "
        f"in {len(strategy.themes)} themes."
    )


@plans_cli.command("export")
@click.argument("slug")
def export_command(slug: str) -> None:
    """Print a strategy's action plan as an action-plan CSV."""
    strategy = plans.find_strategy(slug)
    if strategy is None:
        fail(f"no strategy {slug!r}")
        return
    click.echo(plan_csv.export_plan_csv(strategy), nl=False)


@plans_cli.command("completion")
@click.argument("slug")
@click.option("--as-of", "as_of", default=None, help="YYYY-MM-DD (default: today).")
@click.option(
    "--by",
    type=click.Choice([breakdown.value for breakdown in completion.Breakdown]),
    default=None,
    help="Add a row per theme, delivery group or lead organisation.",
)
@click.option(
    "--format", "output_format", type=click.Choice(["csv", "json"]), default="csv"
)
def completion_command(
    slug: str, as_of: str | None, by: str | None, output_format: str
) -> None:
    """Print completion rates as at a date, from the history of status changes."""
    strategy = plans.find_strategy(slug)
    if strategy is None:
        fail(f"no strategy {slug!r}")
        return
    day = clock.today()
    if as_of is not None:
        parsed = plan_csv.parse_date(as_of)
        if parsed is None:
            fail(f"--as-of {as_of!r} is not a date written YYYY-MM-DD")
            return
        day = parsed
    rows = completion.completion(
        strategy, as_of=day, by=completion.Breakdown(by) if by else None
    )
    if output_format == "json":
        click.echo(completion.completion_json(rows), nl=False)
    else:
        click.echo(completion.completion_csv(rows), nl=False)


def init_app(app: Flask) -> None:
    """Register the ``plans`` command group."""
    app.cli.add_command(plans_cli)
