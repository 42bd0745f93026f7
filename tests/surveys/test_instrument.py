"""The instrument CSV: checks with row and column, all-or-nothing, exact round trip."""

import pytest
from sqlalchemy import func
from sqlalchemy import select

from portal.directory import services
from portal.extensions import db
from surveys.answers import SCALES
from surveys.instrument import TEMPLATE_TITLE
from surveys.instrument import InstrumentError
from surveys.instrument import check_instrument_csv
from surveys.instrument import create_survey_from_instrument
from surveys.instrument import export_instrument_csv
from surveys.instrument import template_csv
from surveys.models import Item
from surveys.models import ItemType
from surveys.models import Section
from surveys.models import Survey
from surveys.models import SurveyMode

HEADER = "code,section,preamble,text,type,scale,options,required\n"

#: Canonical form: what export writes, so it must come back byte for byte.
VALID = (
    HEADER + "role,About you,A few questions first.,What is your role?,single,,"
    "Lead organisation|Partner organisation,yes\n"
    "teams,About you,,Which teams do you work with?,multi,,North|South|East,no\n"
    'clear_vision,Vision,"Agree or disagree, please.",The partnership has a clear '
    "vision,likert,agree5,,no\n"
    "trust,Vision,,Trust between partners,likert,increase5,,no\n"
    "communication,Vision,,Communication between partners,likert,effective5,,no\n"
    "staff,Vision,,How many staff work on the service?,number,,,no\n"
    'comments,Other,,"Anything else?\nTell us ""in your own words"".",text,,,no\n'
    "formula,Other,,'=1+1 is not a formula here,text,,,no\n"
)

TEMPLATE_CODES = [
    "profile_psp",
    "profile_role",
    "profile_sector",
    "profile_involvement",
    "profile_board_meetings",
    "understand_objectives",
    "all_partners_understand_objectives",
    "clear_vision",
    "all_involved_vision",
    "understand_own_role",
    "understand_other_roles",
    "clear_roles_responsibilities",
    "lead_fulfilled_role",
    "share_info_services",
    "share_info_barriers",
    "share_info_user_needs",
    "share_info_best_practice",
    "clear_communication",
    "partners_treated_equally",
    "choose_psp_again",
    "awareness_services",
    "understanding_expertise",
    "trust_between_partners",
    "communication_effectiveness",
    "service_more_effective",
    "service_more_efficient",
    "less_duplication",
    "fewer_gaps",
    "referral_routes_more_effective",
    "confident_services_maintained",
    "psp_done_what_it_can_funding",
    "open_comments",
]


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def _nothing_saved():
    return _count(Survey) == _count(Section) == _count(Item) == 0


@pytest.fixture
def partnership(make_partnership):
    return make_partnership("tca", "Tayside")


# --- checking ---------------------------------------------------------------


def test_valid_file_has_no_problems():
    check = check_instrument_csv(VALID)
    assert check.problems == []
    assert check.is_valid
    assert [row.code for row in check.rows] == [
        "role",
        "teams",
        "clear_vision",
        "trust",
        "communication",
        "staff",
        "comments",
        "formula",
    ]
    assert check.section_count == 3
    # The export's formula guard is undone on import.
    assert check.rows[-1].text == "=1+1 is not a formula here"


def test_bom_crlf_spaces_and_case_are_accepted():
    text = (
        "\ufeffCode, Section ,preamble,text,type,scale,options,required\r\n"
        " a ,S,P, Question? ,LIKERT,Agree5,,YES\r\n"
        "b,S,P,Other?,Single,, One | Two ,No\r\n"
    )
    check = check_instrument_csv(text)
    assert check.problems == []
    first, second = check.rows
    assert (first.code, first.type, first.scale, first.required) == (
        "a",
        ItemType.LIKERT,
        "agree5",
        True,
    )
    assert first.text == "Question?"
    assert second.options == "One|Two" and second.required is False
    # A later row may repeat its section's preamble exactly.
    assert second.preamble == "P"


def row(
    code="a",
    section="S",
    preamble="",
    text="Question?",
    type="likert",
    scale="agree5",
    options="",
    required="no",
):
    return ",".join([code, section, preamble, text, type, scale, options, required]) + (
        "\n"
    )


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        (
            [row(), row(code="b"), row(code="c", type="scale")],
            "Row 4, column type: “scale” is not a type "
            "(likert, single, multi, text, number)",
        ),
        ([row(type="")], "Row 2, column type: missing"),
        ([row(code="")], "Row 2, column code: missing"),
        ([row(code="Bad-Code")], "Row 2, column code: “Bad-Code” is not a valid code"),
        ([row(code="1st")], "Row 2, column code: “1st” is not a valid code"),
        ([row(code="a" * 65)], "Row 2, column code: "),
        ([row(), row()], "Row 3, column code: “a” is also on row 2"),
        ([row(section="")], "Row 2, column section: missing"),
        ([row(section="S" * 201)], "Row 2, column section: is 201 characters long"),
        (
            [
                row(section="S1"),
                row(code="b", section="S2"),
                row(code="c", section="S1"),
            ],
            "Row 4, column section: “S1” started on row 2",
        ),
        (
            [row(preamble="Read this"), row(code="b", preamble="Read that")],
            "Row 3, column preamble: differs from the preamble of section “S” on row 2",
        ),
        (
            [row(), row(code="b", preamble="Late")],
            "Row 3, column preamble: a section's preamble goes on its first row (row 2",
        ),
        ([row(text="")], "Row 2, column text: missing"),
        ([row(text="x" * 2001)], "Row 2, column text: is 2001 characters long"),
        ([row(scale="")], "Row 2, column scale: a likert item needs a scale"),
        ([row(scale="agree7")], "Row 2, column scale: “agree7” is not a scale"),
        (
            [row(type="text", scale="agree5")],
            "Row 2, column scale: must be blank for a text item",
        ),
        (
            [row(type="single", scale="")],
            "Row 2, column options: a single item needs at least 2 choices",
        ),
        (
            [row(type="multi", scale="", options="Only one")],
            "Row 2, column options: a multi item needs at least 2 choices",
        ),
        (
            [row(type="single", scale="", options="A||B")],
            "Row 2, column options: has an empty choice",
        ),
        (
            [row(type="single", scale="", options="Yes|No|yes")],
            "Row 2, column options: “yes” is listed twice",
        ),
        (
            [row(options="A|B")],
            "Row 2, column options: must be blank for a likert item",
        ),
        ([row(required="maybe")], "Row 2, column required: “maybe” is not yes or no"),
        ([row(required="")], "Row 2, column required: missing"),
        (
            [row() + "b,S,,Q?,text,,,no,extra\n"],
            "Row 3: has 9 cells but the header has 8",
        ),
    ],
)
def test_each_problem_names_row_and_column(rows, problem):
    check = check_instrument_csv(HEADER + "".join(rows))
    assert not check.is_valid
    assert any(found.startswith(problem) for found in check.problems), check.problems


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "The file is empty"),
        ("\ufeff \n", "The file is empty"),
        (HEADER, "The file has a header but no questions"),
        (
            "code,section,preamble,text,type,scale,required\n",
            "Row 1: column options is missing",
        ),
        (
            HEADER.strip() + ",colour\n",
            "Row 1: “colour” is not a column (the columns are code,section,",
        ),
        (
            "code,code,section,preamble,text,type,scale,options,required\n",
            "Row 1: column code appears 2 times",
        ),
        ("a,b\0,c\n", "The file is not a CSV file: it has NUL bytes"),
    ],
)
def test_file_level_problems(text, problem):
    check = check_instrument_csv(text)
    assert any(found.startswith(problem) for found in check.problems), check.problems


def test_every_problem_is_reported_with_spreadsheet_row_numbers():
    text = (
        HEADER + 'a,S,,"A question\nover two lines",likert,agree5,,no\n'
        "\n"  # A blank row still counts as a spreadsheet row.
        "b,S,,Q?,likert,,,no\n"
        "c,S,,Q?,nonsense,,,perhaps\n"
    )
    check = check_instrument_csv(text)
    assert check.problems == [
        "Row 4, column scale: a likert item needs a scale "
        "(agree5, increase5, effective5)",
        "Row 5, column type: “nonsense” is not a type "
        "(likert, single, multi, text, number)",
        "Row 5, column required: “perhaps” is not yes or no",
    ]


# --- creating and exporting --------------------------------------------------


def test_create_survey_from_instrument(partnership):
    check = check_instrument_csv(VALID)
    survey = create_survey_from_instrument(
        check,
        slug="partner-survey",
        title="Partner survey",
        partnership=partnership,
        programme=None,
        mode=SurveyMode.ANONYMOUS,
    )
    db.session.commit()
    db.session.expire_all()
    survey = db.session.scalar(select(Survey))
    assert (survey.slug, survey.title, survey.mode) == (
        "partner-survey",
        "Partner survey",
        SurveyMode.ANONYMOUS,
    )
    assert survey.partnership_id == partnership.id and survey.programme_id is None
    assert [(s.position, s.title, s.preamble) for s in survey.sections] == [
        (1, "About you", "A few questions first."),
        (2, "Vision", "Agree or disagree, please."),
        (3, "Other", ""),
    ]
    assert [item.position for item in survey.items] == list(range(1, 9))
    role, teams, vision, trust, communication, staff, comments, _ = survey.items
    assert role.section.title == "About you" and role.required is True
    assert role.type is ItemType.SINGLE
    assert role.option_labels == ["Lead organisation", "Partner organisation"]
    assert teams.type is ItemType.MULTI and teams.required is False
    assert (vision.scale, trust.scale, communication.scale) == (
        "agree5",
        "increase5",
        "effective5",
    )
    assert vision.section.title == "Vision" and vision.options == ""
    assert staff.type is ItemType.NUMBER and staff.scale == ""
    assert comments.text == 'Anything else?\nTell us "in your own words".'


def test_create_for_a_programme(app):
    programme = services.create_programme(slug="rrcf", name="RRCF")
    survey = create_survey_from_instrument(
        check_instrument_csv(VALID),
        slug="rrcf-partners",
        title="RRCF partners",
        partnership=None,
        programme=programme,
    )
    db.session.commit()
    assert survey.programme_id == programme.id and survey.partnership_id is None
    assert survey.mode is SurveyMode.IDENTIFIED


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"slug": "Bad Slug"}, "not a valid survey slug"),
        ({"slug": "x"}, "not a valid survey slug"),
        ({"slug": "-x"}, "not a valid survey slug"),
        ({"title": "  "}, "needs a title"),
        ({"partnership": None}, "either a partnership or a programme"),
    ],
)
def test_create_refuses_bad_arguments(partnership, kwargs, message):
    arguments = {
        "slug": "ok",
        "title": "Title",
        "partnership": partnership,
        "programme": None,
    } | kwargs
    with pytest.raises(InstrumentError, match=message):
        create_survey_from_instrument(check_instrument_csv(VALID), **arguments)
    db.session.rollback()
    assert _nothing_saved()


def test_create_refuses_a_taken_slug(partnership):
    check = check_instrument_csv(VALID)
    create_survey_from_instrument(
        check, slug="dup", title="First", partnership=partnership, programme=None
    )
    db.session.commit()
    with pytest.raises(InstrumentError, match="already exists"):
        create_survey_from_instrument(
            check, slug="dup", title="Second", partnership=partnership, programme=None
        )
    db.session.rollback()
    assert _count(Survey) == 1 and _count(Item) == 8


def test_bad_file_saves_nothing(partnership):
    check = check_instrument_csv(VALID + row(code="role"))
    assert check.problems == ["Row 10, column code: “role” is also on row 2"]
    with pytest.raises(InstrumentError, match="problem"):
        create_survey_from_instrument(
            check, slug="bad", title="Bad", partnership=partnership, programme=None
        )
    db.session.commit()
    assert _nothing_saved()


def test_round_trip_is_byte_exact(partnership):
    survey = create_survey_from_instrument(
        check_instrument_csv(VALID),
        slug="round",
        title="Round",
        partnership=partnership,
        programme=None,
    )
    db.session.commit()
    db.session.expire_all()
    assert export_instrument_csv(survey) == VALID
    formula = db.session.scalar(select(Item).where(Item.code == "formula"))
    assert formula.text == "=1+1 is not a formula here"


def test_export_guards_against_formulas(partnership):
    survey = create_survey_from_instrument(
        check_instrument_csv(VALID),
        slug="guard",
        title="Guard",
        partnership=partnership,
        programme=None,
    )
    survey.sections[2].title = "@Other"
    survey.items[0].options = "-Lead|+Partner"
    exported = export_instrument_csv(survey)
    assert "\n'@Other" not in exported  # the cell is guarded, not the line
    assert ",'@Other," in exported and ",'-Lead|+Partner," in exported
    assert check_instrument_csv(exported).rows[0].options == "-Lead|+Partner"


# --- the shipped template ----------------------------------------------------


def test_template_parses_with_32_items():
    check = check_instrument_csv(template_csv())
    assert check.problems == []
    assert [row.code for row in check.rows] == TEMPLATE_CODES
    by_code = {row.code: row for row in check.rows}
    profile = [code for code in TEMPLATE_CODES if code.startswith("profile_")]
    assert all(
        by_code[code].type is ItemType.SINGLE and by_code[code].required
        for code in profile
    )
    assert by_code["profile_psp"].options.split("|") == [
        "New Routes (The Wise Group)",
        "Shine (SACRO)",
        "Tayside Council on Alcohol",
        "Moving On (Barnado's Action for Children)",
        "Includem",
        "Chance to Change (Voluntary Action South Lanarkshire)",
    ]
    assert by_code["open_comments"].type is ItemType.TEXT
    likert = [row for row in check.rows if row.type is ItemType.LIKERT]
    assert len(likert) == 26 and not any(row.required for row in likert)
    assert {row.scale for row in likert} == set(SCALES)
    assert by_code["trust_between_partners"].scale == "increase5"
    assert by_code["communication_effectiveness"].scale == "effective5"
    assert by_code["service_more_effective"].section == "Compared with a single agency"
    assert by_code["fewer_gaps"].preamble.startswith(
        "The next question is about how much difference, if any, being a PSP"
    )


def test_template_round_trips(partnership):
    assert TEMPLATE_TITLE == "Partnership working survey"
    survey = create_survey_from_instrument(
        check_instrument_csv(template_csv()),
        slug="partnership-working",
        title=TEMPLATE_TITLE,
        partnership=partnership,
        programme=None,
    )
    db.session.commit()
    db.session.expire_all()
    assert len(survey.items) == 32
    assert export_instrument_csv(survey) == template_csv()


# --- the commands -------------------------------------------------------------


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args, **kwargs):
        result = runner.invoke(args=list(args), **kwargs)
        db.session.expire_all()
        return result

    return invoke


@pytest.fixture
def valid_file(tmp_path):
    path = tmp_path / "instrument.csv"
    path.write_text(VALID, encoding="utf-8")
    return path


def test_import_and_export_commands(cli, partnership, valid_file):
    result = cli(
        "surveys",
        "import-instrument",
        "partner-survey",
        str(valid_file),
        "--title",
        "Partner survey",
        "--partnership",
        "tca",
    )
    assert result.exit_code == 0, result.output
    assert (
        result.output == "Survey partner-survey created with 8 items in 3 sections.\n"
    )
    survey = db.session.scalar(select(Survey))
    assert (
        survey.mode is SurveyMode.IDENTIFIED and survey.partnership_id == partnership.id
    )
    exported = cli("surveys", "export-instrument", "partner-survey")
    assert exported.exit_code == 0, exported.output
    assert exported.output == VALID


def test_import_command_for_a_programme_in_anonymous_mode(cli, valid_file):
    services.create_programme(slug="rrcf", name="RRCF")
    db.session.commit()
    result = cli(
        "surveys",
        "import-instrument",
        "rrcf-partners",
        str(valid_file),
        "--title",
        "RRCF partners",
        "--programme",
        "rrcf",
        "--mode",
        "anonymous",
    )
    assert result.exit_code == 0, result.output
    survey = db.session.scalar(select(Survey))
    assert survey.mode is SurveyMode.ANONYMOUS and survey.programme is not None


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ((), "give exactly one of --partnership and --programme"),
        (
            ("--partnership", "tca", "--programme", "rrcf"),
            "give exactly one of --partnership and --programme",
        ),
        (("--partnership", "nope"), "no partnership 'nope'"),
        (("--programme", "nope"), "no programme 'nope'"),
        (("--partnership", "tca", "--mode", "secret"), "Invalid value"),
    ],
)
def test_import_command_refuses_bad_options(
    cli, partnership, valid_file, extra, reason
):
    result = cli(
        "surveys", "import-instrument", "s1", str(valid_file), "--title", "T", *extra
    )
    assert result.exit_code != 0
    assert reason in result.output
    assert _nothing_saved()


def test_import_command_bad_file_changes_nothing(cli, partnership, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        VALID + row(code="role") + row(code="new", type="scale"), encoding="utf-8"
    )
    result = cli(
        "surveys",
        "import-instrument",
        "s1",
        str(bad),
        "--title",
        "T",
        "--partnership",
        "tca",
    )
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {bad}: Row 10, column code: “role” is also on row 2 (2 problems); "
        "nothing imported\n"
    )
    assert _nothing_saved()


def test_import_command_single_problem_has_no_count(cli, partnership, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + row(type="scale"), encoding="utf-8")
    result = cli(
        "surveys",
        "import-instrument",
        "s1",
        str(bad),
        "--title",
        "T",
        "--partnership",
        "tca",
    )
    assert result.exit_code == 1
    assert "problems" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert _nothing_saved()


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("missing.csv", None, "no such file"),
        ("latin1.csv", "code,section\n\xe9".encode("latin-1"), "not UTF-8 text"),
        ("empty.csv", b"", "The file is empty"),
    ],
)
def test_import_command_unreadable_file(
    cli, partnership, tmp_path, name, content, reason
):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    result = cli(
        "surveys",
        "import-instrument",
        "s1",
        str(path),
        "--title",
        "T",
        "--partnership",
        "tca",
    )
    assert result.exit_code == 1 and reason in result.output
    assert _nothing_saved()


def test_import_command_taken_or_bad_slug_changes_nothing(cli, partnership, valid_file):
    args = [str(valid_file), "--title", "T", "--partnership", "tca"]
    assert cli("surveys", "import-instrument", "dup", *args).exit_code == 0
    again = cli("surveys", "import-instrument", "dup", *args)
    assert again.exit_code == 1 and "already exists" in again.output
    bad = cli("surveys", "import-instrument", "Bad Slug", *args)
    assert bad.exit_code == 1 and "not a valid survey slug" in bad.output
    assert _count(Survey) == 1 and _count(Section) == 3 and _count(Item) == 8


def test_export_command_unknown_survey(cli):
    result = cli("surveys", "export-instrument", "nope")
    assert result.exit_code == 1 and "no survey 'nope'" in result.output
