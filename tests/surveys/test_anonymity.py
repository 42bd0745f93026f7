"""Anonymous waves: no response can be singled out while the wave is open (T30-T32).

The attack: the wave page shows each sampled person's status, so a viewer takes
every result, breakdown, report, chart and export, waits for one named person's
status to flip to Submitted, and takes them again. Whatever changed would be
that person's answers. While an anonymous wave is open nothing may change until
at least the minimum base of new responses has arrived, and row-level answers
(free text included) are refused until the wave closes.
"""

import csv
import io
import re
from datetime import UTC
from datetime import datetime
from datetime import time

import pytest
from openpyxl import load_workbook
from sqlalchemy import func
from sqlalchemy import select

from portal.extensions import db
from surveys import fieldwork
from surveys import release
from surveys import responding
from surveys import services
from surveys.models import DraftAnswer
from surveys.models import MessageKind
from surveys.models import OutgoingMessage
from surveys.models import Response
from surveys.models import WaveOverride
from tests.helpers import ANON_SLUG
from tests.helpers import TODAY
from tests.helpers import login
from tests.helpers import submit_answers
from tests.helpers import submit_others

SLUG = ANON_SLUG
HX = {"HX-Request": "true"}
#: Everyone who can see the wave's results and answers (``surveys.access``).
VIEWERS = {
    "admin": "admin@example.org",
    "x_coordinator": "coord-x@example.org",
    "x_board": "board-x@example.org",
}
SECRET = "Only Pat would write this about the lead"


def _results_part(text: str) -> str:
    """The results fragment from its summary on: every number drawn from answers."""
    start = text.find('id="summary"')
    return text[start:] if start >= 0 else ""


def _export_text(data: bytes, fmt: str) -> str:
    """A downloaded export's cells as text."""
    if fmt == "csv":
        return data.decode("utf-8")
    sheet = load_workbook(io.BytesIO(data)).active
    return "\n".join(",".join(str(cell or "") for cell in row) for row in sheet.values)


def snapshot(client) -> dict[str, tuple[int, str]]:
    """Everything a viewer can read about the wave's answers: status and body."""
    base = f"/surveys/{SLUG}/results"
    seen: dict[str, tuple[int, str]] = {}
    for by in ("", "partnership", "sector", "role", "scope"):
        query = f"?waves=1&by={by}" if by else "?waves=1"
        page = client.get(base + query, headers=HX)
        seen[f"results{query}"] = (page.status_code, _results_part(page.text))
        report = client.get(f"{base}/report.csv{query}")
        seen[f"report.csv{query}"] = (report.status_code, report.text)
        chart = client.get(f"{base}/charts/clear_vision.svg{query}")
        seen[f"chart{query}"] = (chart.status_code, chart.text)
    for fmt in ("csv", "xlsx"):
        export = client.get(f"/surveys/{SLUG}/waves/1/responses.{fmt}")
        # A refusal is an error page (its CSRF token differs); a download is data.
        data = _export_text(export.data, fmt) if export.status_code == 200 else ""
        seen[f"responses.{fmt}"] = (export.status_code, data)
    return seen


def report_base(client, by: str = "") -> int:
    """The base of clear_vision in wave 1 of the report CSV (0 when blank)."""
    query = f"?waves=1&by={by}" if by else "?waves=1"
    rows = csv.DictReader(
        io.StringIO(client.get(f"/surveys/{SLUG}/results/report.csv{query}").text)
    )
    row = next(row for row in rows if row["item_code"] == "clear_vision")
    return int(row["base_n"] or 0)


@pytest.mark.parametrize("role", sorted(VIEWERS))
def test_differencing_attack_ties_no_answer_to_a_person_t30(client, anon_world, role):
    """T30/T32: results, breakdowns, report, charts, exports and free text, taken
    before and after one named person's status flips, are the same."""
    w = anon_world
    submit_others(w, 10)  # the first release: five counted, five held back
    login(client, VIEWERS[role])
    before = snapshot(client)
    assert report_base(client) == release.min_base()

    submit_answers(w, w["pat"], "5", SECRET)
    # The attacker can see whose status just changed ...
    wave_page = client.get(f"/surveys/{SLUG}/waves/1").text
    pat_row = wave_page[wave_page.index("Pat Named") :][:600]
    assert "Submitted" in pat_row
    # ... and learns nothing from anything else.
    after = snapshot(client)
    changed = [name for name in before if before[name] != after[name]]
    assert not changed, f"{role} can difference {changed}"
    for name, (status, body) in after.items():
        assert SECRET not in body, name
        if name.startswith("responses."):
            assert status == 409, name
    refused = client.get(f"/surveys/{SLUG}/waves/1/responses.csv")
    assert "once the wave closes" in refused.text
    # Titled as what it is, not as a failed save.
    assert "These answers are not available yet" in refused.text
    assert "could not be saved" not in refused.text
    assert "Ordinary view" not in refused.text


def test_results_move_only_after_the_minimum_base_of_new_responses(client, anon_world):
    """A release needs at least the minimum base of new responses; closing counts all."""
    w = anon_world
    login(client, VIEWERS["x_coordinator"])
    submit_others(w, 9)
    assert report_base(client) == 0
    page = client.get(f"/surveys/{SLUG}/results?waves=1")
    assert "released into the results yet" in page.text
    submit_others(w, 1)
    assert report_base(client) == 5
    submit_others(w, 4)
    assert report_base(client) == 5
    page = client.get(f"/surveys/{SLUG}/results?waves=1")
    assert re.search(r"include 5 of the 14 responses", page.text)
    submit_answers(w, w["pat"], "5", SECRET)  # the fifth new response since the release
    assert report_base(client) == 10
    held = db.session.scalar(
        select(func.count()).select_from(Response).where(Response.held_back.is_(True))
    )
    assert held == release.min_base()

    services.set_wave_override(w["wave"], WaveOverride.CLOSED)
    db.session.commit()
    assert report_base(client) == 15


def test_after_close_rows_come_in_random_order_dated_only_by_wave_t31(
    client, anon_world
):
    """T31: once closed, every row and free text, in no order of arrival, no date."""
    w = anon_world
    submitted = []
    for invitation in w["others"][:15]:
        submit_answers(w, invitation, "2", f"View number {len(submitted)}")
        submitted.append(f"View number {len(submitted)}")
    services.set_wave_override(w["wave"], WaveOverride.CLOSED)
    db.session.commit()
    login(client, VIEWERS["x_board"])
    export = client.get(f"/surveys/{SLUG}/waves/1/responses.csv")
    assert export.status_code == 200
    rows = list(csv.DictReader(io.StringIO(export.text)))
    comments = [row["comments"] for row in rows]
    assert sorted(comments) == sorted(submitted)
    assert comments != submitted  # 1 in 15! that a random order is arrival order
    assert not any("date" in name or "submitted" in name for name in rows[0])
    stored = set(db.session.scalars(select(Response.submitted_on)))
    assert stored == {w["wave"].closes_on}
    xlsx = client.get(f"/surveys/{SLUG}/waves/1/responses.xlsx")
    assert xlsx.status_code == 200


def test_cli_report_and_export_hold_back_too(app, anon_world):
    """``surveys report`` moves only with a release; ``export-responses`` refuses."""
    w = anon_world
    runner = app.test_cli_runner()
    submit_others(w, 10)
    before = runner.invoke(args=["surveys", "report", SLUG, "--by", "sector"])
    assert before.exit_code == 0, before.output
    submit_answers(w, w["pat"], "5", SECRET)
    after = runner.invoke(args=["surveys", "report", SLUG, "--by", "sector"])
    assert after.stdout == before.stdout
    assert "6 responses wait" in after.stderr
    export = runner.invoke(args=["surveys", "export-responses", SLUG])
    assert export.exit_code != 0
    assert SECRET not in export.output
    assert len(export.stderr.strip().splitlines()) == 1
    assert "once the wave closes" in export.stderr


def test_anonymous_drafts_are_deleted_on_submit(anon_world):
    """Autosaved answers sit beside the invitation only until the submit."""
    w = anon_world
    pat = w["pat"]
    responding.save_answer(pat, w["items"]["comments"], SECRET, TODAY)
    responding.save_answer(pat, w["items"]["clear_vision"], "4", TODAY)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(DraftAnswer)) == 2
    responding.submit(pat, TODAY)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(DraftAnswer)) == 0


def test_receipt_keeps_whole_days_beside_the_invitation_t30(anon_world, monkeypatch):
    """The receipt's row dates nothing more precisely than the day."""
    w = anon_world
    moment = datetime.combine(TODAY, time(14, 37, 12, 345678), tzinfo=UTC)
    monkeypatch.setattr(fieldwork, "utcnow", lambda: moment)
    submit_answers(w, w["pat"], "3", "Fine")
    fieldwork.queue_receipt(w["pat"])
    db.session.commit()
    assert fieldwork.send_due(moment).sent == 1
    receipt = db.session.scalar(
        select(OutgoingMessage).where(OutgoingMessage.kind == MessageKind.RECEIPT)
    )
    midnight = datetime.combine(TODAY, time(), tzinfo=UTC)
    assert receipt.queued_at == midnight
    assert receipt.not_before == midnight
    assert receipt.sent_at == midnight


def test_identified_waves_count_and_export_at_once(client, survey_world):
    """Identified surveys keep today's behaviour: nothing held back, export while open."""
    survey = survey_world["survey"]
    invitation = survey_world["wave"].invitations[0]
    items = {item.code: item for item in survey.items}
    responding.save_answer(invitation, items["clear_vision"], "1", TODAY)
    responding.submit(invitation, TODAY)
    db.session.commit()
    assert db.session.scalar(select(Response.held_back)) is False
    assert db.session.scalar(select(Response.submitted_on)) == TODAY
    login(client, "coord-x@example.org")
    url = f"/surveys/{survey.slug}/waves/1/responses.csv"
    assert client.get(url).status_code == 200
