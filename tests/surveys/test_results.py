"""The results page, its htmx fragment, the report downloads and the charts.

``results_matrix`` (``tests/access_matrices.py``) must cover every results endpoint.
"""

import csv
import io
import re
import sys
import xml.etree.ElementTree as ET
from datetime import date

import pytest
from openpyxl import load_workbook

from portal.directory import services as directory
from portal.extensions import db
from surveys import charts
from surveys import report
from surveys import services
from surveys.models import ItemType
from surveys.models import Survey
from tests.access_matrices import ROLES
from tests.access_matrices import add_matrix_survey
from tests.access_matrices import results_matrix
from tests.helpers import login
from tests.results_world import OTHER_ROLES
from tests.results_world import add_published_answers
from tests.results_world import build_results_world
from tests.results_world import respond

BASE = "/surveys/x-results/results"
SVG = "{http://www.w3.org/2000/svg}"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HX = {"HX-Request": "true"}


# A survey of partnership X with three historical waves ---------------------------------


@pytest.fixture
def results_world(world):
    """X's survey with three past waves and no answers (see ``build_results_world``)."""
    return build_results_world(world)


#: The percentages on a chart's axis, the only ones a fully suppressed item shows.
AXIS_TICKS = ["100%", "50%", "50%", "100%"]


def text_of(html: str) -> str:
    """The words of an HTML page: tags dropped, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def item_section(html: str, code: str) -> str:
    """The words of one item's section of the results page."""
    match = re.search(
        rf'<section[^>]*id="item-{code}".*?</section>', html, flags=re.DOTALL
    )
    assert match, f"no section for {code}"
    return text_of(match.group(0))


def summary_table(html: str) -> str:
    match = re.search(r'id="summary".*?</table>', html, flags=re.DOTALL)
    assert match, "no summary table"
    return text_of(match.group(0))


@pytest.fixture
def board(client, results_world):
    """A client signed in as X's board member."""
    login(client, "board-x@example.org")
    return client


# The page and its numbers ------------------------------------------------------------------


def test_page_shows_the_published_figures_with_their_bases(board, results_world):
    add_published_answers(results_world)
    response = board.get(BASE)
    assert response.status_code == 200
    html = response.text
    rows = item_section(html, "other_roles")
    # Whole percentages of the scale answers, rounded once from the counts.
    assert "1 82 89% 4% 7% 0" in rows
    assert "2 66 89% 8% 3% 0 0 pp No reliable change" in rows
    assert "3 63 81% 16% 3% 0 \u22128 pp No reliable change" in rows
    summary = summary_table(html)
    assert (
        f"{OTHER_ROLES} 81% agree n = 63 \u22128 pp No reliable change "
        "\u22128 pp No reliable change" in summary
    )
    # Response counts per wave sit above everything, with no invitations recorded.
    words = text_of(html)
    assert words.index("Responses analysed") < words.index("Summary")
    assert "Wave 1 6 Jan 2014 to 28 Feb 2014 No invitations recorded 82" in words
    assert "Wave 3 1 Jun 2015 to 30 Jun 2015 No invitations recorded 63" in words


def test_an_item_nobody_answered_shows_fewer_than_5_responses(board, results_world):
    add_published_answers(results_world)
    rows = item_section(board.get(BASE).text, "vision")
    assert rows.count("fewer than 5 responses") >= 3 + 3  # chart bars and table rows
    assert re.findall(r"[0-9]+%", rows) == AXIS_TICKS


def test_response_rates_come_from_invitations_where_there_are_any(board, results_world):
    from surveys import fieldwork

    wave = results_world["waves"][2]
    fieldwork.add_person(wave, results_world["x_person"])
    db.session.commit()
    add_published_answers(results_world, waves=(3,))
    words = text_of(board.get(BASE).text)
    assert "Wave 3 1 Jun 2015 to 30 Jun 2015 1 0 0% (0 of 1) 63" in words


def test_full_page_has_a_get_form_that_htmx_enhances(board, results_world):
    add_published_answers(results_world)
    response = board.get(BASE)
    html = response.text
    assert "<html" in html
    form = re.search(r'<form[^>]*method="get"[^>]*>', html).group(0)
    assert 'method="get"' in form and f'action="{BASE}"' in form
    assert f'hx-get="{BASE}"' in form and 'hx-target="#results"' in form
    assert 'hx-push-url="true"' in form
    assert 'name="waves"' in html and 'name="by"' in html and 'name="section"' in html
    assert response.headers["Vary"] == "HX-Request" or "HX-Request" in response.vary


def test_htmx_gets_the_results_fragment_only(board, results_world):
    add_published_answers(results_world)
    full = board.get(f"{BASE}?waves=1&waves=3")
    fragment = board.get(f"{BASE}?waves=1&waves=3", headers=HX)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and "<form" not in fragment.text
    assert fragment.text.lstrip().startswith('<div id="results">')
    assert "HX-Request" in fragment.vary
    # The page includes the very same fragment.
    assert item_section(fragment.text, "other_roles") == item_section(
        full.text, "other_roles"
    )


def test_boosted_and_history_restore_requests_get_the_full_page(board, results_world):
    for headers in (
        {**HX, "HX-Boosted": "true"},
        {**HX, "HX-History-Restore-Request": "true"},
    ):
        assert "<html" in board.get(BASE, headers=headers).text


def test_the_form_works_without_javascript(board, results_world):
    add_published_answers(results_world)
    html = board.get(
        f"{BASE}?waves=1&waves=3&by=&section={results_world['together'].id}"
    ).text
    assert re.search(r'value="1" checked', html)
    assert re.search(r'value="2">', html)
    assert re.search(r'value="3" checked', html)
    assert f'<option value="{results_world["together"].id}" selected>' in html
    rows = item_section(html, "other_roles")
    assert "1 82 89%" in rows and "3 63 81%" in rows and " 66 " not in rows
    # Wave 1 against wave 3 directly: still no reliable change (seed 002).
    assert "3 63 81% 16% 3% 0 \u22128 pp No reliable change" in rows
    summary = summary_table(html)
    assert "Since wave 1" in summary and "Since wave 2" not in summary
    # The section chosen: its items only.
    assert 'id="item-delivery"' not in html
    assert 'id="item-trust"' in html


def test_section_choice_shows_only_that_sections_items(board, results_world):
    add_published_answers(results_world)
    html = board.get(f"{BASE}?section={results_world['delivery'].id}").text
    assert 'id="item-delivery"' in html and 'id="item-other_roles"' not in html


def test_one_wave_has_no_changes(board, results_world):
    add_published_answers(results_world, waves=(2,))
    html = board.get(f"{BASE}?waves=2").text
    summary = summary_table(html)
    assert "Since wave" not in summary
    assert f"{OTHER_ROLES} 89% agree n = 66" in summary


def test_reliable_changes_come_first_in_the_summary(board, results_world):
    add_published_answers(results_world, waves=(1, 2))
    for _ in range(20):
        respond(results_world, 1, trust="5")
        respond(results_world, 2, trust="1")
    db.session.commit()
    html = board.get(f"{BASE}?waves=1&waves=2").text
    summary = summary_table(html)
    assert summary.index("Trust between partners has") < summary.index(OTHER_ROLES)
    assert "Trust between partners has 100% increased n = 20 +100 pp Improved" in (
        summary
    )
    # The page's flags are the report's.
    rows = report.report_rows(results_world["survey"], [1, 2])
    trust = [row for row in rows if row["item_code"] == "trust"]
    assert trust[-1]["flag"] == "improved"


def test_change_scales_use_their_own_labels(board, results_world):
    for _ in range(6):
        respond(results_world, 1, trust="2", delivery="4")
    db.session.commit()
    html = board.get(f"{BASE}?waves=1").text
    trust = item_section(html, "trust")
    assert "Increased Stayed the same Decreased" in trust
    assert "Increased a lot" in trust and "Decreased a little" in trust
    delivery = item_section(html, "delivery")
    assert "More effective About the same Less effective" in delivery
    assert "A lot more effective" in delivery
    assert "100% increased" in summary_table(html)


def test_wording_changes_warn_beside_the_item(board, results_world):
    add_published_answers(results_world, waves=(1,))
    item = results_world["survey"].items[0]
    services.update_item(
        item,
        opened_version=item.version,
        text="I understand what other partners do",
        scale="agree5",
        options=[],
        required=False,
        by=None,
    )
    db.session.commit()
    add_published_answers(results_world, waves=(2,))
    rows = item_section(board.get(BASE).text, "other_roles")
    assert f"Compare with care: wording changed after wave 1 (was “{OTHER_ROLES}”)" in (
        rows
    )


# Suppression (T32) ---------------------------------------------------------------------------


@pytest.fixture
def small_groups(results_world):
    """Wave 1 by sector: third 12 (all strongly agree), public 7 (5 agree, 2
    disagree), social enterprise 3 (agree, neither, disagree), k = 5."""
    w = results_world
    for _ in range(12):
        respond(w, 1, w["x_lead"], vision="1")
    for value in ["2"] * 5 + ["4"] * 2:
        respond(w, 1, w["council"], vision=value)
    for value in ("2", "3", "4"):
        respond(w, 1, w["mentors"], vision=value)
    db.session.commit()
    return w


# Shares the hidden groups would show: public 71% / 29%, social enterprise 33%.
HIDDEN = ("71%", "29%", "33%", "71.4", "28.6", "33.3", "n = 7", "n = 3")


def test_breakdown_hides_small_groups_and_a_complement_on_the_page(board, small_groups):
    for headers in ({}, HX):
        response = board.get(f"{BASE}?waves=1&by=sector", headers=headers)
        assert response.status_code == 200
        html = response.text
        rows = item_section(html, "vision")
        assert "Third sector 1 12 100% 0% 0% 0" in rows
        assert "Public sector 1 fewer than 5 responses" in rows
        assert "Social enterprise 1 fewer than 5 responses" in rows
        words = text_of(html)
        for hidden in HIDDEN:
            assert hidden not in words, hidden
    chart = text_of(board.get(f"{BASE}/charts/vision.svg?waves=1&by=sector").text)
    assert "Public sector, wave 1: fewer than 5 responses" in chart
    for hidden in HIDDEN:
        assert hidden not in chart, hidden


def test_breakdown_hides_small_groups_in_the_csv_and_xlsx(board, small_groups):
    text = board.get(f"{BASE}/report.csv?waves=1&by=sector").text
    assert text == report.report_csv(small_groups["survey"], [1], "sector")
    vision = [
        row for row in csv.DictReader(io.StringIO(text)) if row["item_code"] == "vision"
    ]
    by_group = {row["group"]: row for row in vision}
    assert by_group["Third sector"]["base_n"] == "12"
    for hidden in ("Public sector", "Social enterprise"):
        assert by_group[hidden]["flag"] == "suppressed"
        assert by_group[hidden]["base_n"] == by_group[hidden]["pct_positive"] == ""
    for hidden in ("71.4", "28.6", "33.3"):
        assert hidden not in text

    response = board.get(f"{BASE}/report.xlsx?waves=1&by=sector")
    assert response.headers["Content-Type"] == XLSX
    sheet = load_workbook(io.BytesIO(response.data))["Report"]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert list(header) == list(report.REPORT_COLUMNS)
    records = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    for record in records:
        if record["item_code"] == "vision" and record["group"] != "Third sector":
            assert record["flag"] == "suppressed"
            assert record["base_n"] is record["pct_positive"] is None
    values = {value for row in rows for value in row}
    assert not values & {71.4, 28.6, 33.3, 7, 3}
    third = next(
        r
        for r in records
        if r["item_code"] == "vision" and r["group"] == "Third sector"
    )
    assert third["base_n"] == 12 and third["pct_positive"] == 100.0


def test_one_respondent_is_suppressed_everywhere(board, results_world):
    respond(results_world, 1, other_roles="1", vision="5")
    db.session.commit()
    response = board.get(f"{BASE}?waves=1")
    assert response.status_code == 200
    html = response.text
    assert "fewer than 5 responses" in summary_table(html)
    for code in ("other_roles", "vision"):
        rows = item_section(html, code)
        assert "fewer than 5 responses" in rows and "n = 1" not in rows
    assert "100%" not in summary_table(html)


def test_min_base_is_configurable(app, board, results_world):
    for _ in range(6):
        respond(results_world, 1, other_roles="1")
    db.session.commit()
    assert "6 100%" in item_section(board.get(f"{BASE}?waves=1").text, "other_roles")
    app.config["RESULTS_MIN_BASE"] = 10
    rows = item_section(board.get(f"{BASE}?waves=1").text, "other_roles")
    assert "fewer than 10 responses" in rows
    assert re.findall(r"[0-9]+%", rows) == AXIS_TICKS


# Charts ------------------------------------------------------------------------------------


def test_chart_svg_has_a_title_description_and_no_pyplot(board, results_world):
    add_published_answers(results_world)
    response = board.get(f"{BASE}/charts/other_roles.svg?waves=1&waves=2&waves=3")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("image/svg+xml")
    assert "attachment" in response.headers["Content-Disposition"]
    root = ET.fromstring(response.data)  # noqa: S314 - the portal's own chart
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and desc is not None
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert OTHER_ROLES in title.text
    assert (
        "Wave 1 (n = 82): 89% agree, 4% neither agree nor disagree, 7% disagree."
        in (desc.text)
    )
    # n on every bar, and nothing a strict CSP or a sanitiser would refuse.
    texts = ["".join(node.itertext()) for node in root.iter(f"{SVG}text")]
    assert {"n = 82", "n = 66", "n = 63"} <= set(texts)
    assert "style=" not in response.text and "<script" not in response.text
    assert "<style" not in response.text
    assert "matplotlib.pyplot" not in sys.modules


def test_chart_is_inline_on_the_page_with_unique_ids(board, results_world):
    add_published_answers(results_world)
    html = board.get(BASE).text
    assert html.count('role="img"') == 4  # one chart per likert item
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    assert 'aria-labelledby="chart-other_roles-title chart-other_roles-desc"' in html
    assert f'href="{BASE}/charts/other_roles.svg?waves=1&amp;waves=2&amp;waves=3"' in (
        html
    )


def test_chart_png_is_a_png(board, results_world):
    add_published_answers(results_world)
    response = board.get(f"{BASE}/charts/other_roles.png?by=sector")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    assert response.data.startswith(PNG_SIGNATURE)
    assert "matplotlib.pyplot" not in sys.modules


def test_suppressed_wave_is_an_empty_bar(results_world):
    data = charts.ChartData(
        item_code="x",
        title="A question",
        scale="agree5",
        labels=charts.point_labels("agree5"),
        bars=(charts.Bar("Wave 1", (1, 2, 3, 4, 5)), charts.Bar("Wave 2", None)),
    )
    svg = charts.chart_svg(data)
    assert "fewer than 5 responses" in svg
    assert "Wave 2: fewer than 5 responses." in charts.chart_description(data)


def test_charts_are_cached_by_the_data_they_show(board, results_world):
    add_published_answers(results_world)
    charts.cache_clear()
    board.get(BASE)
    first = charts.chart_svg.cache_info()
    assert first.misses == 4 and first.hits == 0
    board.get(BASE, headers=HX)
    board.get(f"{BASE}/charts/other_roles.svg")
    second = charts.chart_svg.cache_info()
    assert second.misses == 4 and second.hits == 5
    # New answers are new data, so a new chart.
    respond(results_world, 3, other_roles="1")
    db.session.commit()
    board.get(f"{BASE}/charts/other_roles.svg")
    assert charts.chart_svg.cache_info().misses == 5


def test_chart_text_with_markup_and_dollars_is_escaped(results_world):
    data = charts.ChartData(
        item_code='a"b<c',
        title="Costs $5 & <script>alert(1)</script>\x0b",
        scale="agree5",
        labels=charts.point_labels("agree5"),
        bars=(charts.Bar("<b>Wave 1</b>", (5, 0, 0, 0, 0)),),
    )
    svg = charts.chart_svg(data)
    assert "<script" not in svg and "<b>" not in svg
    assert "&lt;script&gt;" in svg
    root = ET.fromstring(svg)  # noqa: S314 - the portal's own chart
    assert root.get("id") == "chart-a-b-c"


# Downloads ---------------------------------------------------------------------------------


def test_report_csv_is_the_design_report(board, results_world):
    add_published_answers(results_world)
    response = board.get(f"{BASE}/report.csv?waves=1&waves=3")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert (
        'filename="x-results-results-waves-1-3.csv"'
        in response.headers["Content-Disposition"]
    )
    assert response.text == report.report_csv(results_world["survey"], [1, 3])


def test_the_xlsx_report_is_sent_uncompressed(board, results_world):
    add_published_answers(results_world)
    response = board.get(
        f"{BASE}/report.xlsx?waves=1&waves=3", headers={"Accept-Encoding": "br, gzip"}
    )
    assert response.headers["Content-Type"] == XLSX
    # An XLSX file is a zip archive already.
    assert "Content-Encoding" not in response.headers
    assert load_workbook(io.BytesIO(response.data))["Report"]


def test_report_csv_of_a_section_has_its_items_only(board, results_world):
    add_published_answers(results_world)
    text = board.get(f"{BASE}/report.csv?section={results_world['delivery'].id}").text
    codes = {row["item_code"] for row in csv.DictReader(io.StringIO(text))}
    assert codes == {"delivery"}


def test_report_xlsx_has_numbers_and_guarded_text(board, results_world):
    add_published_answers(results_world)
    item = results_world["survey"].items[1]
    item.text = "=HYPERLINK(1)"
    db.session.commit()
    response = board.get(f"{BASE}/report.xlsx?waves=1&waves=3")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    rows = list(book["Report"].iter_rows(values_only=True))
    records = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    last = next(
        r for r in records if r["item_code"] == "other_roles" and r["wave"] == 3
    )
    assert last["base_n"] == 63 and last["pct_positive"] == 81.0
    assert last["change_pp"] == -8.1 and last["flag"] == "no reliable change"
    vision = next(r for r in records if r["item_code"] == "vision")
    assert vision["item_text"] == "'=HYPERLINK(1)"
    assert all(
        not (isinstance(v, str) and v.startswith("=")) for row in rows for v in row
    )
    about = dict(book["About"].iter_rows(values_only=True))
    assert about["Waves"] == "waves 1 and 3"


# Bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("waves=4", 404, "This survey has no wave 4. Its waves are 1, 2 and 3."),
        ("waves=1&waves=9", 404, "This survey has no wave 9."),
        ("waves=one", 400, "Wave numbers must be whole numbers, like 1 or 3."),
        ("waves=-1", 400, "Wave numbers must be whole numbers"),
        ("waves=99999999999999999999", 400, "Wave numbers must be whole numbers"),
        ("by=colour", 400, "Choose a breakdown from the list"),
        ("by=organisation", 400, "Choose a breakdown from the list"),
        ("section=abc", 400, "Choose a section from the list."),
        ("section=999999", 404, "This survey has no such section."),
    ],
)
def test_bad_choices_get_a_clear_message(board, results_world, query, status, message):
    add_published_answers(results_world, waves=(1,))
    page = board.get(f"{BASE}?{query}")
    assert page.status_code == status
    assert message in text_of(page.text)
    assert "There is a problem" in page.text and "Traceback" not in page.text
    assert "<form" in page.text  # so the choice can be put right
    fragment = board.get(f"{BASE}?{query}", headers=HX)
    assert fragment.status_code == status
    assert "<html" not in fragment.text and message in text_of(fragment.text)
    for download in ("report.csv", "report.xlsx", "charts/vision.svg"):
        response = board.get(f"{BASE}/{download}?{query}")
        assert response.status_code == status, download
        assert message in text_of(response.text)


@pytest.mark.parametrize(
    "url",
    [
        f"{BASE}/charts/nope.svg",
        f"{BASE}/charts/comments.svg",  # a text question has no chart
        f"{BASE}/charts/vision.pdf",
        f"{BASE}/report.pdf",
        "/surveys/no-such-survey/results",
        "/surveys/no-such-survey/results/report.csv",
    ],
)
def test_unknown_things_are_404(board, results_world, url):
    assert board.get(url).status_code == 404


def test_a_survey_without_responses_says_so(board, results_world):
    response = board.get(BASE)
    assert response.status_code == 200
    assert "There are no responses in waves 1, 2 or 3 yet" in text_of(response.text)
    assert 'id="summary"' not in response.text
    # The downloads still work: every cell is suppressed.
    text = board.get(f"{BASE}/report.csv").text
    assert {row["flag"] for row in csv.DictReader(io.StringIO(text))} == {"suppressed"}
    assert board.get(f"{BASE}/charts/vision.png").data.startswith(PNG_SIGNATURE)
    empty_breakdown = board.get(f"{BASE}/charts/vision.svg?by=sector")
    assert empty_breakdown.status_code == 200


def test_a_survey_without_waves_says_so(board, results_world):
    survey = Survey(slug="x-empty", title="Empty", partnership=results_world["x"])
    db.session.add(survey)
    section = services.add_section(survey, title="Only")
    services.add_item(
        section, code="vision", text="Vision", item_type=ItemType.LIKERT, scale="agree5"
    )
    db.session.commit()
    response = board.get("/surveys/x-empty/results?waves=1")
    assert response.status_code == 200
    assert "This survey has no waves yet" in response.text
    assert board.get("/surveys/x-empty/results/report.csv").status_code == 404
    assert board.get("/surveys/x-empty/results/charts/vision.svg").status_code == 404


def test_a_survey_without_likert_questions_says_so(board, results_world):
    survey = Survey(slug="x-text", title="Text only", partnership=results_world["x"])
    db.session.add(survey)
    section = services.add_section(survey, title="Only")
    services.add_item(section, code="say", text="Say", item_type=ItemType.TEXT)
    db.session.flush()
    services.add_wave(survey, opens_on=date(2015, 1, 1), closes_on=date(2015, 1, 31))
    db.session.commit()
    response = board.get("/surveys/x-text/results")
    assert response.status_code == 200
    assert "This survey has no rating-scale questions" in response.text


# Access ------------------------------------------------------------------------------------


def _urls() -> list[str]:
    return [
        BASE,
        f"{BASE}?waves=1&by=sector",
        f"{BASE}/report.csv",
        f"{BASE}/report.xlsx",
        f"{BASE}/charts/other_roles.svg",
        f"{BASE}/charts/other_roles.png",
    ]


@pytest.mark.parametrize(
    ("email", "status"),
    [
        ("coord-y@example.org", 404),
        ("contact-x@example.org", 404),
        ("board-x@example.org", 200),
        ("coord-x@example.org", 200),
        ("admin@example.org", 200),
    ],
)
def test_who_may_see_results(client, results_world, email, status):
    add_published_answers(results_world, waves=(1,))
    login(client, email)
    for url in _urls():
        for headers in ({}, HX):
            response = client.get(url, headers=headers)
            assert response.status_code == status, (url, headers)
            if status == 404:
                assert OTHER_ROLES not in response.text
                assert "X results survey" not in response.text


def test_signed_out_people_are_sent_to_sign_in(client, results_world):
    for url in _urls():
        assert client.get(url).status_code == 302


def test_programme_survey_results_are_for_administrators_only(client, world):
    programme = directory.create_programme(slug="prog-p", name="Programme P")
    world["x"].programme = programme
    survey = Survey(slug="p-survey", title="Programme survey", programme=programme)
    db.session.add(survey)
    section = services.add_section(survey, title="Only")
    services.add_item(
        section, code="vision", text="Vision", item_type=ItemType.LIKERT, scale="agree5"
    )
    db.session.flush()
    services.add_wave(survey, opens_on=date(2015, 1, 1), closes_on=date(2015, 1, 31))
    db.session.commit()
    urls = [
        "/surveys/p-survey/results",
        "/surveys/p-survey/results/report.xlsx",
        "/surveys/p-survey/results/charts/vision.png",
    ]
    for email, status in (
        ("coord-x@example.org", 403),
        ("board-x@example.org", 403),
        ("contact-x@example.org", 404),
        ("admin@example.org", 200),
    ):
        login(client, email)
        for url in urls:
            assert client.get(url).status_code == status, (email, url)
        page = client.get("/surveys/p-survey")
        if page.status_code == 200:
            assert ("/surveys/p-survey/results" in page.text) == (status == 200)
        client.post("/auth/logout")


def test_survey_page_links_to_results_for_those_who_may_see_them(client, results_world):
    login(client, "board-x@example.org")
    assert f'href="{BASE}"' in client.get("/surveys/x-results").text


def test_results_matrix_covers_every_results_endpoint(app, world):
    matrix = results_matrix(add_matrix_survey(world))
    endpoints = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("results.")
    }
    assert set(matrix) == endpoints
    assert all(set(expected) == set(ROLES[1:]) for _, _, expected in matrix.values())
