"""Summary pages: reading, links to sources, drafting, editing, publishing, the PDF,
comparing, and who may do which (``summary_matrix`` joins the access matrix)."""

import gzip
import io
import re
from datetime import date

import brotli
import pytest
from pypdf import PdfReader

from governance import meetings
from governance import plans
from governance import summary as summaries
from governance import summary_pdf
from governance.models import ActionStatus
from governance.summary import BoardSummary
from governance.summary import SummaryStatus
from portal.extensions import db
from portal.mail import outbox
from tests.helpers import YEAR_END
from tests.helpers import login
from tests.summary_world import respond

HEADLINE = "42 of 53 actions due by 31 March 2018 completed, 79%"


def _published(draft_summary, world):
    summaries.publish(
        draft_summary,
        meeting=None,
        opened_version=draft_summary.version,
        by=world["x_coordinator"],
        today=date(2018, 4, 10),
    )
    db.session.commit()
    return draft_summary


def _url(summary, suffix=""):
    return f"/partnerships/x-partnership/summaries/{summary.id}{suffix}"


def _pdf_text(response) -> str:
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    return "\n".join(page.extract_text() for page in reader.pages)


# Reading ----------------------------------------------------------------------------


def test_a_board_member_reads_the_published_summary_with_links_to_sources(
    client,
    summary_world,
    draft,
):
    _published(draft, summary_world)
    login(client, "board-x@example.org")
    page = client.get(_url(draft))
    assert page.status_code == 200
    html = page.text
    assert HEADLINE in html
    assert "Frozen as presented" in html
    assert 'href="/plans/x-plan/progress?as_of=2018-03-31#completion"' in html
    assert "/plans/x-plan/indicators#indicator-" in html
    assert "/surveys/x-survey/results?waves=1&amp;waves=2#item-clear_vision" in html
    assert (
        f"/partnerships/x-partnership/meetings/{summary_world['january'].id}#decisions"
        in html
    )
    assert f"/plans/x-plan/actions/{summary_world['arising'].id}" in html
    assert (
        f"/partnerships/x-partnership/memoranda/{summary_world['agreement'].id}" in html
    )
    # Charts have text alternatives and their numbers in tables.
    assert html.count('role="img"') == 2
    assert 'id="table-theme"' in html and 'id="table-headline"' in html
    assert "<desc" in html
    # The RAG key is beside the indicators.
    assert 'id="rag-key"' in html
    # The source pages open for a board member.
    for source in (
        "/plans/x-plan/progress?as_of=2018-03-31",
        "/surveys/x-survey/results?waves=1&waves=2",
        f"/plans/x-plan/actions/{summary_world['arising'].id}",
    ):
        assert client.get(source).status_code == 200, source
    assert client.get("/plans/x-plan/progress?as_of=2018-03-31").text.count(
        "42 of 53 actions due by 31 March 2018 completed, 79.2%"
    )


def test_drafts_are_for_coordinators(client, summary_world, draft):
    login(client, "board-x@example.org")
    assert client.get(_url(draft)).status_code == 403
    assert client.get(_url(draft, ".pdf")).status_code == 403
    listing = client.get("/partnerships/x-partnership/summaries").text
    assert draft.title not in listing
    client.post("/auth/logout")
    login(client, "coord-x@example.org")
    page = client.get(_url(draft)).text
    assert "The figures are live until the summary is published" in page
    assert "Publish to the meeting" in page
    assert draft.title in client.get("/partnerships/x-partnership/summaries").text


def test_another_partnership_gets_404_on_page_and_pdf(
    client,
    summary_world,
    draft,
    make_user,
):
    _published(draft, summary_world)
    login(client, "coord-y@example.org")
    for suffix in ("", ".pdf"):
        assert client.get(_url(draft, suffix)).status_code == 404
        # Under Y's own address too: the id is X's.
        assert (
            client.get(
                f"/partnerships/y-partnership/summaries/{draft.id}{suffix}"
            ).status_code
            == 404
        )
    assert (
        client.get(
            f"/partnerships/y-partnership/summaries/compare?a={draft.id}&b={draft.id}"
        ).status_code
        == 404
    )
    client.post("/auth/logout")
    login(client, "contact-x@example.org")
    assert client.get(_url(draft)).status_code == 403
    assert client.get(_url(draft, ".pdf")).status_code == 403


def test_navigation_and_links_for_readers_only(
    client,
    summary_world,
    draft,
):
    _published(draft, summary_world)
    login(client, "board-x@example.org")
    home = client.get("/").text
    assert 'href="/summaries"' in home
    index = client.get("/summaries").text
    assert draft.title in index
    partnership = client.get("/partnerships/x-partnership").text
    assert 'href="/partnerships/x-partnership/summaries"' in partnership
    meeting = client.get(
        f"/partnerships/x-partnership/meetings/{summary_world['april'].id}"
    ).text
    assert "Board progress summary" in meeting
    assert f'href="{_url(draft)}"' in meeting
    client.post("/auth/logout")
    login(client, "contact-x@example.org")
    assert 'href="/summaries"' not in client.get("/").text
    meeting = client.get(
        f"/partnerships/x-partnership/meetings/{summary_world['april'].id}"
    ).text
    assert "Board progress summary" in meeting
    assert f'href="{_url(draft)}"' not in meeting


# Drafting, editing, publishing ---------------------------------------------------------


def test_a_coordinator_drafts_edits_and_publishes(
    client,
    summary_world,
    app,
):
    login(client, "coord-x@example.org")
    april = summary_world["april"]
    form = client.get(f"/partnerships/x-partnership/summaries/new?meeting={april.id}")
    assert form.status_code == 200
    assert f'<option selected value="{april.id}"' in form.text or (
        f'value="{april.id}" selected' in form.text
    )
    response = client.post(
        "/partnerships/x-partnership/summaries/new",
        data={"meeting": str(april.id), "title": ""},
    )
    assert response.status_code == 303
    made = db.session.scalar(db.select(BoardSummary))
    assert response.headers["Location"].endswith(_url(made))
    assert made.as_of == YEAR_END
    # The coordinator rewords the text.
    page = client.get(_url(made, "/text"))
    assert page.status_code == 200
    assert "42 of 53 actions due by 31 March 2018 were completed (79%)." in page.text
    saved = client.post(
        _url(made, "/text"),
        data={
            "version": str(made.version),
            "text": "Good progress.\r\n\r\nMore to do.",
        },
    )
    assert saved.status_code == 303
    db.session.expire_all()
    assert made.text == "Good progress.\n\nMore to do."
    stale = client.post(_url(made, "/text"), data={"version": "1", "text": "Lost race"})
    assert stale.status_code == 409
    # Publishing: frozen, on the agenda, one email per board member.
    published = client.post(
        _url(made, "/publish"),
        data={"version": str(made.version), "meeting": str(april.id)},
    )
    assert published.status_code == 303, published.text
    db.session.expire_all()
    assert made.status is SummaryStatus.PUBLISHED
    assert made.text == "Good progress.\n\nMore to do."
    assert made.agenda_item.meeting_id == april.id
    mails = outbox()
    assert [m.to for m in mails] == ["board-x@example.org"]
    assert f"http://127.0.0.1:5000{_url(made)}\n" in mails[0].body
    assert "79" not in mails[0].body and "42 of 53" not in mails[0].body
    # A second press (an impatient double click) changes and sends nothing.
    again = client.post(
        _url(made, "/publish"),
        data={"version": str(made.version), "meeting": str(april.id)},
    )
    assert again.status_code == 409
    assert len(outbox()) == 1
    page = client.get(_url(made)).text
    assert "Good progress." in page and "More to do." in page
    assert "Publish to the meeting" not in page
    assert client.get(_url(made, "/text")).status_code == 409


def test_invalid_draft_forms_say_what_is_wrong(client, summary_world):
    login(client, "coord-x@example.org")
    response = client.post(
        "/partnerships/x-partnership/summaries/new",
        data={"meeting": "999999", "as_of": ["31", "13", "2018"]},
    )
    assert response.status_code == 422
    assert "Choose a meeting from the list" in response.text
    assert "must be a real date" in response.text
    response = client.post(
        "/partnerships/x-partnership/summaries/new",
        data={
            "meeting": str(summary_world["april"].id),
            "since": ["1", "5", "2018"],
        },
    )
    assert response.status_code == 422
    assert "must start before the meeting" in response.text
    assert db.session.scalar(db.select(BoardSummary)) is None


def test_publishing_stale_text_is_refused_with_the_reason(
    client,
    summary_world,
    draft,
):
    summaries.edit_text(
        draft,
        "Written earlier.",
        figures=summaries.live_figures(draft),
        opened_version=draft.version,
    )
    db.session.commit()
    action = next(
        a for a in summary_world["actions"] if a.status is ActionStatus.IN_PROGRESS
    )
    plans.change_status(
        action,
        ActionStatus.COMPLETED,
        opened_version=action.version,
        by=None,
        completed_on=date(2018, 3, 30),
    )
    db.session.commit()
    login(client, "coord-x@example.org")
    page = client.get(_url(draft)).text
    assert "The figures have changed since this text was edited" in page
    response = client.post(
        _url(draft, "/publish"),
        data={"version": str(draft.version), "meeting": str(summary_world["april"].id)},
    )
    assert response.status_code == 422
    assert "The figures have changed since the summary text was edited" in response.text
    db.session.expire_all()
    assert draft.status is SummaryStatus.DRAFT
    assert draft.agenda_item_id is None
    assert outbox() == []


def test_a_coordinator_discards_a_draft(client, summary_world, draft):
    login(client, "coord-x@example.org")
    response = client.post(
        _url(draft, "/discard"), data={"version": str(draft.version)}
    )
    assert response.status_code == 303
    assert db.session.scalar(db.select(BoardSummary)) is None


# The PDF ----------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_the_page_is_compressed_and_the_pdf_is_not(
    client, summary_world, draft, encoding
):
    _published(draft, summary_world)
    login(client, "board-x@example.org")
    headers = {"Accept-Encoding": encoding}
    page = client.get(_url(draft), headers=headers)
    assert page.headers["Content-Encoding"] == encoding
    html = (brotli.decompress if encoding == "br" else gzip.decompress)(page.data)
    assert HEADLINE in html.decode()
    # A PDF is compressed already: a second pass would only cost time.
    pdf = client.get(_url(draft, ".pdf"), headers=headers)
    assert "Content-Encoding" not in pdf.headers
    assert _pdf_text(pdf)


def _refuse_to_build(*_, **__):
    raise AssertionError("the PDF was built again")


def test_a_published_summary_is_downloaded_as_built_when_it_was_published(
    client, summary_world, draft, monkeypatch
):
    login(client, "coord-x@example.org")
    published = client.post(
        _url(draft, "/publish"),
        data={"version": str(draft.version), "meeting": str(summary_world["april"].id)},
    )
    assert published.status_code == 303, published.text
    db.session.expire_all()
    assert draft.pdf is not None
    monkeypatch.setattr(summary_pdf, "render", _refuse_to_build)
    response = client.get(_url(draft, ".pdf"))
    assert response.status_code == 200
    assert response.data == draft.pdf
    assert HEADLINE in re.sub(r"\s+", " ", _pdf_text(response))


def test_a_summary_published_without_a_pdf_gets_one_on_first_download(
    client, summary_world, draft, monkeypatch
):
    # As one published before PDFs were kept.
    _published(draft, summary_world)
    assert draft.pdf is None
    login(client, "board-x@example.org")
    first = client.get(_url(draft, ".pdf"))
    assert HEADLINE in re.sub(r"\s+", " ", _pdf_text(first))
    db.session.expire_all()
    assert draft.pdf == first.data
    monkeypatch.setattr(summary_pdf, "render", _refuse_to_build)
    assert client.get(_url(draft, ".pdf")).data == first.data


def test_the_pdf_has_the_same_content_as_selectable_text(
    client,
    summary_world,
    draft,
):
    _published(draft, summary_world)
    login(client, "board-x@example.org")
    response = client.get(_url(draft, ".pdf"))
    text = _pdf_text(response)
    flat = re.sub(r"\s+", " ", text)
    assert HEADLINE in flat
    assert draft.title in flat
    assert "Published" in flat and "frozen as presented" in flat
    assert "Engagement with helping agencies" in flat and "141 of 228" in flat
    assert "30 of 36 people invited responded (83%)" in flat
    assert "The board agreed the prevention delivery plan." in flat
    assert "X Partner Org" in flat  # has not signed the memorandum
    assert "Page 1 of" in flat
    for paragraph in summaries.paragraphs(draft.text):
        assert paragraph[:60] in flat
    reader = PdfReader(io.BytesIO(response.data))
    assert reader.metadata.title == draft.title
    links = [
        annotation.get_object()["/A"]["/URI"]
        for page in reader.pages
        for annotation in page.get("/Annots", [])
        if "/A" in annotation.get_object()
    ]
    assert any("/plans/x-plan/progress?as_of=2018-03-31#completion" in u for u in links)


def test_the_published_pdf_does_not_move_either(
    client,
    summary_world,
    draft,
):
    _published(draft, summary_world)
    action = next(
        a for a in summary_world["actions"] if a.status is ActionStatus.IN_PROGRESS
    )
    plans.change_status(
        action,
        ActionStatus.COMPLETED,
        opened_version=action.version,
        by=None,
        completed_on=date(2018, 3, 30),
    )
    db.session.commit()
    login(client, "board-x@example.org")
    flat = re.sub(r"\s+", " ", _pdf_text(client.get(_url(draft, ".pdf"))))
    assert HEADLINE in flat
    assert HEADLINE in client.get(_url(draft)).text


def test_a_draft_pdf_is_live_and_says_so(client, summary_world, draft):
    login(client, "coord-x@example.org")
    flat = re.sub(r"\s+", " ", _pdf_text(client.get(_url(draft, ".pdf"))))
    assert "Draft: the figures are live" in flat
    assert HEADLINE in flat


# Comparing ---------------------------------------------------------------------------------


def test_two_summaries_side_by_side(client, summary_world, draft):
    _published(draft, summary_world)
    later = meetings.create_meeting(
        summary_world["body"], held_on=date(2018, 7, 17), place="Town Hall"
    )
    second = summaries.create_draft(summary_world["x"], meeting=later, by=None)
    db.session.commit()
    login(client, "coord-x@example.org")
    page = client.get(
        f"/partnerships/x-partnership/summaries/compare?a={second.id}&b={draft.id}"
    )
    assert page.status_code == 200
    html = page.text
    assert 'id="comparison"' in html
    # The earlier reporting date comes first whichever order was asked for.
    assert html.index("31 March 2018") < html.index("30 June 2018")
    assert "79.2%" in html
    # Board members compare published summaries only: the draft is not offered.
    client.post("/auth/logout")
    login(client, "board-x@example.org")
    page = client.get("/partnerships/x-partnership/summaries/compare")
    assert "There is only one summary to compare so far." in page.text
    assert (
        client.get(
            f"/partnerships/x-partnership/summaries/compare?a={second.id}&b={draft.id}"
        ).status_code
        == 403
    )


def test_the_page_of_a_published_summary_is_frozen(
    client,
    summary_world,
    draft,
):
    _published(draft, summary_world)
    login(client, "board-x@example.org")
    before = client.get(_url(draft)).text
    survey = summary_world["survey"]
    for _ in range(5):
        respond(survey.waves[1], survey, clear_vision="5", trust="5", sharing="5")
    db.session.commit()
    after = client.get(_url(draft)).text
    strip = re.compile(r'name="csrf_token"[^>]*>|"X-CSRFToken": "[^"]*"')
    assert strip.sub("", before) == strip.sub("", after)
