"""The survey report from the database: counts, breakdowns, CSV/JSON and the command."""

import csv
import io
import json
from datetime import date
from itertools import cycle

import pytest

from portal.directory import services as directory
from portal.extensions import db
from portal.models import PartnerRole
from portal.models import Scope
from portal.models import Sector
from surveys import report
from surveys import services
from surveys.analysis import ALL
from surveys.analysis import percent
from surveys.models import Answer
from surveys.models import ItemType
from surveys.models import Response
from surveys.models import Survey

HEADER = (
    "item_code,item_text,breakdown,group,wave,base_n,n_positive,n_neutral,"
    "n_negative,pct_positive,pct_neutral,pct_negative,change_pp,p_value,flag"
)
OTHER_ROLES = "I understand the role of other partners in the PSP"
# Seed 002 (reference/rrcf-partner-survey.md §c): agree / neither / disagree people.
PUBLISHED = {1: (73, 3, 6), 2: (59, 5, 2), 3: (51, 10, 2)}
WAVE_DATES = (
    (date(2014, 1, 6), date(2014, 2, 28)),
    (date(2014, 10, 1), date(2014, 10, 31)),
    (date(2015, 6, 1), date(2015, 6, 30)),
)


@pytest.fixture
def rrcf(app):
    """A programme survey over a national and a local PSP, three waves, no answers."""
    programme = directory.create_programme(slug="rrcf", name="RRCF")
    north = directory.create_partnership(
        slug="north", name="North PSP", programme=programme, scope=Scope.NATIONAL
    )
    south = directory.create_partnership(
        slug="south", name="South PSP", programme=programme, scope=Scope.LOCAL
    )
    organisations = {
        "north_lead": directory.create_organisation(
            name="North Lead",
            sector=Sector.THIRD,
            partnership=north,
            role=PartnerRole.LEAD,
        ),
        "council": directory.create_organisation(
            name="North Council", sector=Sector.PUBLIC, partnership=north
        ),
        "south_lead": directory.create_organisation(
            name="South Lead",
            sector=Sector.THIRD,
            partnership=south,
            role=PartnerRole.LEAD,
        ),
        "mentors": directory.create_organisation(
            name="South Mentors",
            sector=Sector.SOCIAL_ENTERPRISE,
            partnership=south,
            role=PartnerRole.DELIVERY_PARTNER,
        ),
    }
    # The council is a partner in North and the lead in South.
    directory.set_participation(south, organisations["council"], role=PartnerRole.LEAD)
    survey = Survey(
        slug="rrcf-partners", title="RRCF partner survey", programme=programme
    )
    db.session.add(survey)
    section = services.add_section(survey, title="Working together")
    for code, text, scale in (
        ("other_roles", OTHER_ROLES, "agree5"),
        ("vision", "The partnership has a clear vision", "agree5"),
        ("trust", "Trust between partners has", "increase5"),
    ):
        services.add_item(
            section, code=code, text=text, item_type=ItemType.LIKERT, scale=scale
        )
    services.add_item(
        section, code="comments", text="Anything else?", item_type=ItemType.TEXT
    )
    db.session.flush()
    waves = [
        services.add_wave(survey, opens_on=opens, closes_on=closes)
        for opens, closes in WAVE_DATES
    ]
    db.session.commit()
    return {
        "survey": survey,
        "waves": waves,
        "north": north,
        "south": south,
        **organisations,
    }


def respond(world, wave_number, organisation=None, partnership=None, **answers):
    """Store one submitted response with the given answers (item code=value)."""
    survey = world["survey"]
    wave = world["waves"][wave_number - 1]
    item_ids = {item.code: item.id for item in survey.items}
    db.session.add(
        Response(
            wave_id=wave.id,
            organisation_id=organisation.id if organisation else None,
            partnership_id=partnership.id if partnership else None,
            submitted_on=wave.closes_on,
            answers=[
                Answer(item_id=item_ids[code], value=value)
                for code, value in answers.items()
            ],
        )
    )


def add_published_answers(world, waves=(1, 2, 3)):
    """Seed 002's other_roles answers, spread over both PSPs and all organisations."""
    places = cycle(
        [
            (world["north_lead"], world["north"]),
            (world["council"], world["north"]),
            (world["south_lead"], world["south"]),
            (world["mentors"], world["south"]),
            (world["council"], world["south"]),
        ]
    )
    for wave in waves:
        agree, neither, disagree = PUBLISHED[wave]
        values = (
            ["1"] * (agree // 3)
            + ["2"] * (agree - agree // 3)
            + ["3"] * neither
            + ["4"] * (disagree - 1)
            + ["5"]
        )
        for value in values:
            organisation, partnership = next(places)
            respond(world, wave, organisation, partnership, other_roles=value)
    db.session.commit()


def rows_for(rows, **where):
    return [
        row for row in rows if all(row[key] == value for key, value in where.items())
    ]


def counts_of(frame):
    """{(item, wave, group, answer): n} from a count frame."""
    return {
        (item, int(wave), group, answer): int(n)
        for item, wave, group, answer, n in frame.itertuples(index=False)
    }


# --- the published table, through the database -------------------------------------


def test_seed_002_figures_come_out_of_the_database(rrcf):
    add_published_answers(rrcf)
    rows = rows_for(report.report_rows(rrcf["survey"]), item_code="other_roles")
    assert [row["wave"] for row in rows] == [1, 2, 3]
    assert [row["base_n"] for row in rows] == [82, 66, 63]
    assert [row["item_text"] for row in rows] == [OTHER_ROLES] * 3
    shown = [
        (
            percent(row["n_positive"], row["base_n"], 0),
            percent(row["n_neutral"], row["base_n"], 0),
        )
        for row in rows
    ]
    assert shown == [(89, 4), (89, 8), (81, 16)]
    assert [row["pct_positive"] for row in rows] == [89.0, 89.4, 81.0]
    assert [row["pct_neutral"] for row in rows] == [3.7, 7.6, 15.9]
    assert [row["flag"] for row in rows] == [
        "",
        "no reliable change",
        "no reliable change",
    ]


def test_seed_002_wave_1_to_wave_3_is_no_reliable_change(rrcf):
    add_published_answers(rrcf)
    rows = rows_for(report.report_rows(rrcf["survey"], [1, 3]), item_code="other_roles")
    last = rows[-1]
    assert (last["wave"], last["change_pp"]) == (3, -8.1)
    assert last["flag"] == "no reliable change"
    assert last["p_value"] > 0.05


# --- counting in the database --------------------------------------------------------


def test_count_frame_counts_answers_dont_know_and_blanks(rrcf):
    respond(rrcf, 1, other_roles="1", vision="DK", comments="Fine")
    respond(rrcf, 1, other_roles="2")
    respond(rrcf, 1, comments="Only a comment")
    respond(rrcf, 2, other_roles="5", vision="3", trust="1")
    db.session.commit()
    frame = report.count_frame(rrcf["survey"], rrcf["waves"][:1])
    assert counts_of(frame) == {
        ("other_roles", 1, ALL, "1"): 1,
        ("other_roles", 1, ALL, "2"): 1,
        ("other_roles", 1, ALL, ""): 1,
        ("vision", 1, ALL, "DK"): 1,
        ("vision", 1, ALL, ""): 2,
        ("trust", 1, ALL, ""): 3,
    }


def test_count_frame_of_a_survey_without_answers_is_empty(rrcf):
    frame = report.count_frame(rrcf["survey"], rrcf["waves"], "sector")
    assert frame.empty
    assert list(frame.columns) == ["item_code", "wave", "group", "answer", "n"]


@pytest.mark.parametrize(
    ("by", "expected"),
    [
        ("partnership", {"North PSP": 2, "South PSP": 3, "Not known": 1}),
        (
            "sector",
            {
                "Third sector": 2,
                "Public sector": 2,
                "Social enterprise": 1,
                "Not known": 1,
            },
        ),
        # Role is the organisation's role in the response's partnership: the
        # council is a partner in North and the lead in South; a delivery
        # partner counts as a partner.
        ("role", {"Lead organisation": 3, "Partner organisation": 2, "Not known": 1}),
        ("scope", {"National": 2, "Local": 3, "Not known": 1}),
    ],
)
def test_count_frame_breakdowns(rrcf, by, expected):
    for organisation, partnership in (
        (rrcf["north_lead"], rrcf["north"]),
        (rrcf["council"], rrcf["north"]),
        (rrcf["south_lead"], rrcf["south"]),
        (rrcf["council"], rrcf["south"]),
        (rrcf["mentors"], rrcf["south"]),
        (None, None),
    ):
        respond(rrcf, 1, organisation, partnership, vision="2")
    db.session.commit()
    frame = report.count_frame(rrcf["survey"], rrcf["waves"], by)
    vision = frame[(frame["item_code"] == "vision") & (frame["answer"] == "2")]
    assert dict(zip(vision["group"], vision["n"].astype(int), strict=True)) == expected
    blanks = frame[(frame["item_code"] == "trust") & (frame["answer"] == "")]
    assert dict(zip(blanks["group"], blanks["n"].astype(int), strict=True)) == expected


def north_survey(rrcf, slug):
    """A survey of the North partnership alone: one likert item, one wave."""
    survey = Survey(slug=slug, title="North survey", partnership=rrcf["north"])
    db.session.add(survey)
    section = services.add_section(survey, title="Only")
    services.add_item(
        section, code="vision", text="Vision", item_type=ItemType.LIKERT, scale="agree5"
    )
    db.session.flush()
    wave = services.add_wave(
        survey, opens_on=date(2015, 1, 1), closes_on=date(2015, 1, 31)
    )
    db.session.flush()
    return survey, wave


def test_a_partnership_survey_uses_its_partnership_when_a_response_has_none(rrcf):
    survey, wave = north_survey(rrcf, "north-only")
    db.session.add(
        Response(
            wave_id=wave.id,
            organisation_id=rrcf["north_lead"].id,
            partnership_id=None,
            submitted_on=wave.closes_on,
            answers=[Answer(item_id=survey.items[0].id, value="1")],
        )
    )
    db.session.commit()
    assert counts_of(report.count_frame(survey, [wave], "role")) == {
        ("vision", 1, "Lead organisation", "1"): 1
    }
    assert counts_of(report.count_frame(survey, [wave], "partnership")) == {
        ("vision", 1, "North PSP", "1"): 1
    }


def test_a_partnership_survey_reads_roles_in_its_own_partnership(rrcf):
    # Grouped by organisation alone: the council leads South but is a partner in
    # North, and the mentors are no part of North at all.
    survey, wave = north_survey(rrcf, "north-roles")
    for organisation in (rrcf["north_lead"], rrcf["council"], rrcf["mentors"]):
        db.session.add(
            Response(
                wave_id=wave.id,
                organisation_id=organisation.id,
                partnership_id=rrcf["north"].id,
                submitted_on=wave.closes_on,
                answers=[Answer(item_id=survey.items[0].id, value="1")],
            )
        )
    db.session.commit()
    assert counts_of(report.count_frame(survey, [wave], "role")) == {
        ("vision", 1, "Lead organisation", "1"): 1,
        ("vision", 1, "Partner organisation", "1"): 1,
        ("vision", 1, "Not known", "1"): 1,
    }


# --- the report ----------------------------------------------------------------------


def test_breakdown_suppresses_the_small_group_and_a_complement(rrcf):
    # T32: 12 / 7 / 3 respondents by sector, k = 5.
    for organisation, partnership, count in (
        (rrcf["north_lead"], rrcf["north"], 12),
        (rrcf["council"], rrcf["north"], 7),
        (rrcf["mentors"], rrcf["south"], 3),
    ):
        for _ in range(count):
            respond(rrcf, 1, organisation, partnership, vision="2")
    db.session.commit()
    rows = rows_for(
        report.report_rows(rrcf["survey"], [1], "sector"), item_code="vision"
    )
    by_group = {row["group"]: row for row in rows}
    assert set(by_group) == {"Public sector", "Social enterprise", "Third sector"}
    assert by_group["Third sector"]["base_n"] == 12
    for hidden in ("Public sector", "Social enterprise"):
        assert by_group[hidden]["flag"] == "suppressed"
        assert by_group[hidden]["base_n"] is None
        assert by_group[hidden]["pct_positive"] is None
    assert all(row["breakdown"] == "sector" for row in rows)


def test_min_base_is_configurable(rrcf):
    for _ in range(6):
        respond(rrcf, 1, vision="1")
    db.session.commit()
    (default,) = rows_for(report.report_rows(rrcf["survey"], [1]), item_code="vision")
    (strict,) = rows_for(
        report.report_rows(rrcf["survey"], [1], min_base=10), item_code="vision"
    )
    assert default["base_n"] == 6
    assert strict["flag"] == "suppressed"


def test_a_survey_without_answers_reports_suppressed_rows(rrcf):
    rows = report.report_rows(rrcf["survey"])
    assert len(rows) == 3 * 3  # three likert items (not the text item) x three waves
    assert {row["flag"] for row in rows} == {"suppressed"}


def test_report_csv_has_the_design_columns_and_blank_cells(rrcf):
    add_published_answers(rrcf, waves=(1, 3))
    text = report.report_csv(rrcf["survey"], [1, 3])
    lines = text.split("\n")
    assert lines[0] == HEADER
    assert text.endswith("\n") and "\r" not in text
    rows = list(csv.DictReader(io.StringIO(text)))
    first, last = rows_for(rows, item_code="other_roles")
    assert first["wave"] == "1"
    assert (first["pct_positive"], first["pct_neutral"], first["pct_negative"]) == (
        "89.0",
        "3.7",
        "7.3",
    )
    assert (first["change_pp"], first["p_value"], first["flag"]) == ("", "", "")
    assert last["change_pp"] == "-8.1"
    assert last["p_value"].startswith("0.") and len(last["p_value"]) == 6
    vision = rows_for(rows, item_code="vision")
    assert {row["flag"] for row in vision} == {"suppressed"}
    assert all(row["base_n"] == row["pct_positive"] == "" for row in vision)


def test_report_csv_guards_cells_against_formulas(rrcf):
    item = rrcf["survey"].items[0]
    item.text = "=HYPERLINK(1)"
    db.session.commit()
    text = report.report_csv(rrcf["survey"], [1])
    assert "'=HYPERLINK(1)" in text


def test_report_json_has_the_same_rows_with_nulls(rrcf):
    add_published_answers(rrcf, waves=(1, 2))
    data = json.loads(report.report_json(rrcf["survey"], [1, 2], "partnership"))
    assert list(data[0]) == HEADER.split(",")
    north = rows_for(data, item_code="other_roles", group="North PSP", wave=2)[0]
    assert isinstance(north["base_n"], int)
    assert isinstance(north["pct_positive"], float)
    assert north["breakdown"] == "partnership"
    suppressed = rows_for(data, item_code="vision")[0]
    assert suppressed["base_n"] is None and suppressed["flag"] == "suppressed"


def test_unknown_waves_and_breakdowns_are_refused(rrcf):
    with pytest.raises(report.ReportError, match="no wave 4"):
        report.report_rows(rrcf["survey"], [1, 4])
    with pytest.raises(report.ReportError, match="colour"):
        report.report_rows(rrcf["survey"], by="colour")
    with pytest.raises(report.ReportError, match="colour"):
        report.count_frame(rrcf["survey"], rrcf["waves"], "colour")


def test_a_survey_without_waves_is_refused(rrcf):
    survey = Survey(slug="empty", title="Empty", partnership=rrcf["north"])
    db.session.add(survey)
    db.session.commit()
    with pytest.raises(report.ReportError, match="no waves"):
        report.select_waves(survey)


def test_waves_are_sorted_and_deduplicated(rrcf):
    chosen = report.select_waves(rrcf["survey"], [3, 1, 3])
    assert [wave.number for wave in chosen] == [1, 3]


# --- wording warnings ------------------------------------------------------------------


def test_wording_and_scale_changes_between_compared_waves_warn(rrcf):
    respond(rrcf, 1, other_roles="1", vision="2")
    db.session.commit()
    other_roles, vision = rrcf["survey"].items[0], rrcf["survey"].items[1]
    services.update_item(
        other_roles,
        opened_version=other_roles.version,
        text="I understand what other partners do",
        scale="agree5",
        options=[],
        required=False,
        by=None,
    )
    services.update_item(
        vision,
        opened_version=vision.version,
        text=vision.text,
        scale="increase5",
        options=[],
        required=False,
        by=None,
    )
    db.session.commit()
    waves = rrcf["waves"]
    warnings = report.wording_warnings(rrcf["survey"], waves)
    assert warnings == {
        "other_roles": f"wording changed after wave 1 (was “{OTHER_ROLES}”)",
        "vision": "scale changed after wave 1 from agree5 to increase5",
    }
    assert report.wording_warnings(rrcf["survey"], waves[1:]) == {}
    assert report.wording_warnings(rrcf["survey"], waves[:1]) == {}


# --- the command -------------------------------------------------------------------------


@pytest.fixture
def run(app):
    runner = app.test_cli_runner()

    def _run(*args):
        return runner.invoke(args=["surveys", "report", *args])

    return _run


def test_command_prints_the_csv(rrcf, run):
    add_published_answers(rrcf)
    result = run("rrcf-partners", "--waves", "1,3")
    assert result.exit_code == 0, result.output
    assert result.stdout.split("\n")[0] == HEADER
    assert result.stdout == report.report_csv(rrcf["survey"], [1, 3])


def test_command_prints_json_with_a_breakdown(rrcf, run):
    add_published_answers(rrcf)
    result = run("rrcf-partners", "--by", "role", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {row["group"] for row in data} == {
        "Lead organisation",
        "Partner organisation",
    }
    assert {row["breakdown"] for row in data} == {"role"}


def test_command_warns_about_wording_changes_on_stderr(rrcf, run):
    respond(rrcf, 1, other_roles="1")
    db.session.commit()
    item = rrcf["survey"].items[0]
    services.update_item(
        item,
        opened_version=item.version,
        text="Changed wording",
        scale="agree5",
        options=[],
        required=False,
        by=None,
    )
    respond(rrcf, 2, other_roles="1")
    db.session.commit()
    result = run("rrcf-partners")
    assert result.exit_code == 0, result.output
    assert "Warning: other_roles: wording changed after wave 1" in result.stderr
    assert result.stdout.startswith(HEADER)


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["nope"], "no survey 'nope'"),
        (["rrcf-partners", "--waves", "1,4"], "has no wave 4"),
        (["rrcf-partners", "--waves", "one"], "--waves must be wave numbers"),
        (["rrcf-partners", "--waves", ","], "--waves must be wave numbers"),
        (
            ["rrcf-partners", "--by", "colour"],
            "--by must be partnership, sector or role",
        ),
        (
            ["rrcf-partners", "--by", "scope"],
            "--by must be partnership, sector or role",
        ),
        (["rrcf-partners", "--format", "xml"], "--format must be csv or json"),
    ],
)
def test_command_refuses_bad_input_in_one_line(rrcf, run, args, reason):
    respond(rrcf, 1, other_roles="1")
    db.session.commit()
    result = run(*args)
    assert result.exit_code != 0
    assert result.stdout == ""
    assert len(result.output.strip().splitlines()) == 1
    assert reason in result.output
    assert "Traceback" not in result.output


def test_command_says_so_when_there_are_no_responses(rrcf, run):
    result = run("rrcf-partners", "--waves", "2")
    assert result.exit_code != 0
    assert "no responses in wave 2" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_command_says_so_when_there_are_no_likert_questions(rrcf, run):
    survey = Survey(slug="text-only", title="Text only", partnership=rrcf["north"])
    db.session.add(survey)
    section = services.add_section(survey, title="Only")
    services.add_item(section, code="comments", text="Say", item_type=ItemType.TEXT)
    db.session.flush()
    services.add_wave(survey, opens_on=date(2015, 1, 1), closes_on=date(2015, 1, 31))
    db.session.commit()
    result = run("text-only")
    assert result.exit_code != 0
    assert "no likert questions" in result.output
