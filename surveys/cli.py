"""The ``surveys`` commands (a contract: see DESIGN.md). Bad input changes nothing."""

from datetime import date
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import select

from portal.cli import fail
from portal.errors import PortalError
from portal.extensions import db
from portal.models import Partnership
from portal.models import Programme
from surveys import fieldwork
from surveys import instrument
from surveys import release
from surveys import services
from surveys.models import Survey
from surveys.models import SurveyMode

surveys_cli = click.Group("surveys", help="Surveys: instruments, waves, responses.")


@surveys_cli.command("import-instrument")
@click.argument("slug")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--title", required=True, help="The survey's title.")
@click.option("--partnership", "partnership_slug", default=None)
@click.option("--programme", "programme_slug", default=None)
@click.option(
    "--mode",
    type=click.Choice([mode.value for mode in SurveyMode]),
    default=SurveyMode.IDENTIFIED.value,
    show_default=True,
)
def import_instrument(
    slug: str,
    file: Path,
    title: str,
    partnership_slug: str | None,
    programme_slug: str | None,
    mode: str,
) -> None:
    """Create a survey from an instrument CSV: all items or none."""
    if bool(partnership_slug) == bool(programme_slug):
        fail("give exactly one of --partnership and --programme")
    partnership = programme = None
    if partnership_slug:
        partnership = db.session.scalar(
            select(Partnership).where(Partnership.slug == partnership_slug)
        )
        if partnership is None:
            fail(f"no partnership {partnership_slug!r}")
    if programme_slug:
        programme = db.session.scalar(
            select(Programme).where(Programme.slug == programme_slug)
        )
        if programme is None:
            fail(f"no programme {programme_slug!r}")
    try:
        content = file.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        fail(f"{file}: no such file")
    except UnicodeDecodeError:
        fail(f"{file}: not UTF-8 text")
    check = instrument.check_instrument_csv(content)
    if not check.is_valid:
        count = len(check.problems)
        more = f" ({count} problems)" if count > 1 else ""
        fail(f"{file}: {check.problems[0]}{more}; nothing imported")
    try:
        survey = instrument.create_survey_from_instrument(
            check,
            slug=slug,
            title=title,
            partnership=partnership,
            programme=programme,
            mode=SurveyMode(mode),
        )
    except instrument.InstrumentError as error:
        fail(error.message)
    db.session.commit()
    click.echo(
        f"Survey {survey.slug} created with {len(survey.items)} items "
        f"in {len(survey.sections)} sections."
    )


@surveys_cli.command("export-instrument")
@click.argument("slug")
def export_instrument(slug: str) -> None:
    """Print a survey's questionnaire as an instrument CSV."""
    survey = db.session.scalar(select(Survey).where(Survey.slug == slug))
    if survey is None:
        fail(f"no survey {slug!r}")
        return
    click.echo(instrument.export_instrument_csv(survey), nl=False)


@surveys_cli.command("import-responses")
@click.argument("slug")
@click.option(
    "--wave", "wave_number", type=int, required=True, help="The wave's number."
)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def import_responses_command(slug: str, wave_number: int, file: Path) -> None:
    """Import a historical wave's responses from a CSV: every row or none."""
    from portal.errors import PortalError
    from surveys import transfer
    from surveys.models import Wave

    survey = db.session.scalar(select(Survey).where(Survey.slug == slug))
    if survey is None:
        fail(f"no survey {slug!r}")
        return
    wave = db.session.scalar(
        select(Wave).where(Wave.survey_id == survey.id, Wave.number == wave_number)
    )
    if wave is None:
        fail(f"survey {slug!r} has no wave {wave_number}")
        return
    try:
        # Bytes, so the csv module sees line endings inside quoted cells as written.
        text = file.read_bytes().decode("utf-8")
    except OSError as error:
        fail(f"{file}: {error.strerror or 'cannot be read'}")
        return
    except UnicodeDecodeError:
        fail(f"{file}: not UTF-8 text")
        return
    check = transfer.check_responses_csv(wave, text)
    if not check.is_valid:
        fail(check.summary())
        return
    try:
        count = transfer.import_responses(wave, check)
    except PortalError as error:
        fail(error.message)
        return
    db.session.commit()
    click.echo(f"Imported {count} responses into wave {wave.number} of {slug}.")


@surveys_cli.command("export-responses")
@click.argument("slug")
@click.option(
    "--wave",
    "wave_numbers",
    type=int,
    multiple=True,
    help="A wave's number; repeat for several (default: every wave).",
)
@click.option(
    "--format", "file_format", type=click.Choice(["csv", "xlsx"]), default="csv"
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write (default: standard output).",
)
def export_responses_command(
    slug: str, wave_numbers: tuple[int, ...], file_format: str, output: Path | None
) -> None:
    """Export responses, answers as labels, as CSV or XLSX."""
    from surveys import transfer

    survey = db.session.scalar(select(Survey).where(Survey.slug == slug))
    if survey is None:
        fail(f"no survey {slug!r}")
        return
    by_number = {wave.number: wave for wave in survey.waves}
    missing = [number for number in wave_numbers if number not in by_number]
    if missing:
        fail(f"survey {slug!r} has no wave {missing[0]}")
        return
    waves = [by_number[number] for number in wave_numbers] or list(survey.waves)
    if not waves:
        fail(f"survey {slug!r} has no waves")
        return
    try:
        if file_format == "xlsx":
            data = transfer.export_xlsx(survey, waves)
        else:
            data = transfer.export_csv(survey, waves).encode("utf-8")
    except PortalError as error:
        fail(error.message)
        return
    if output is None:
        click.echo(data, nl=False)
        return
    try:
        output.write_bytes(data)
    except OSError as error:
        fail(f"{output}: {error.strerror or 'cannot be written'}")
        return
    click.echo(f"Wrote {output}")


@surveys_cli.command("add-wave")
@click.argument("slug")
@click.option("--opens", required=True, help="First day of fieldwork, YYYY-MM-DD.")
@click.option("--closes", required=True, help="Last day of fieldwork, YYYY-MM-DD.")
@click.option("--notes", default="", help="Context notes for reading the results.")
def add_wave_command(slug: str, opens: str, closes: str, notes: str) -> None:
    """Add the next wave and print its number."""
    survey = db.session.scalar(select(Survey).where(Survey.slug == slug))
    if survey is None:
        fail(f"no survey '{slug}'")
        return
    try:
        opens_on = date.fromisoformat(opens)
        closes_on = date.fromisoformat(closes)
    except ValueError:
        fail("dates must be YYYY-MM-DD")
        return
    try:
        wave = services.add_wave(
            survey, opens_on=opens_on, closes_on=closes_on, context_notes=notes
        )
    except PortalError as error:
        fail(error.message)
        return
    db.session.commit()
    click.echo(wave.number)


@surveys_cli.command("send-due")
def send_due_command() -> None:
    """Send queued invitations, reminders and receipts that are due (for cron)."""
    report = fieldwork.send_due()
    click.echo(
        f"Sent {report.sent}, bounced {report.bounced}, skipped {report.skipped}, "
        f"retrying {report.retrying}, failed {report.failed}."
    )


@surveys_cli.command("report")
@click.argument("slug")
@click.option("--waves", "wave_list", default=None, help="Waves to compare, like 1,3.")
@click.option("--by", "breakdown", default=None, help="partnership, sector or role.")
@click.option("--format", "output_format", default="csv", help="csv (default) or json.")
def report_command(
    slug: str, wave_list: str | None, breakdown: str | None, output_format: str
) -> None:
    """Print the likert results, wave on wave, as the report CSV or JSON."""
    from surveys import report as results

    survey = db.session.scalar(select(Survey).where(Survey.slug == slug))
    if survey is None:
        fail(f"no survey {slug!r}")
        return
    if output_format not in ("csv", "json"):
        fail(f"--format must be csv or json, not {output_format!r}")
        return
    if breakdown is not None and breakdown not in ("partnership", "sector", "role"):
        fail(f"--by must be partnership, sector or role, not {breakdown!r}")
        return
    numbers = None
    if wave_list is not None:
        try:
            numbers = [int(part) for part in wave_list.split(",") if part.strip()]
        except ValueError:
            numbers = []
        if not numbers:
            fail("--waves must be wave numbers separated by commas, like 1,3")
            return
    try:
        waves = results.select_waves(survey, numbers)
    except PortalError as error:
        fail(error.message)
        return
    if not results.likert_items(survey):
        fail(f"survey {slug!r} has no likert questions to report")
        return
    held = {wave.number: release.tally(wave).held for wave in waves}
    if not results.response_count(waves):
        listed = ", ".join(str(wave.number) for wave in waves)
        waiting = sum(held.values())
        why = f" released yet ({waiting} wait)" if waiting else ""
        fail(
            f"survey {slug!r} has no responses{why} in wave {listed}; nothing to report"
        )
        return
    rows = results.report_rows(survey, [wave.number for wave in waves], breakdown)
    for code, warning in results.wording_warnings(survey, waves).items():
        click.echo(f"Warning: {code}: {warning}", err=True)
    for number, waiting in held.items():
        if waiting:
            click.echo(
                f"Note: wave {number} is anonymous and open; {waiting} responses "
                "wait for the next release",
                err=True,
            )
    if output_format == "json":
        click.echo(results.rows_json(rows), nl=False)
    else:
        click.echo(results.rows_csv(rows), nl=False)


def init_app(app: Flask) -> None:
    """Register the ``surveys`` command group."""
    app.cli.add_command(surveys_cli)
