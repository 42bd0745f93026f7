"""Views of the governance record: meetings, attendance, minutes, decisions, iCal."""

import io
import re
from datetime import date
from datetime import time
from pathlib import Path

import pytest
from sqlalchemy import select

from governance import agreements
from governance import meetings
from governance import uploads
from governance.agreements import AgreementContent
from governance.agreements import Funding
from governance.agreements import PartyTerms
from governance.meetings import AttendanceStatus
from governance.meetings import BodyKind
from governance.meetings import Meeting
from governance.meetings import MinutesStatus
from governance.meetings import QuorumBasis
from governance.models import Action
from portal.extensions import db
from portal.models import MemberRole
from tests.access_matrices import DRAFT_DECISION
from tests.access_matrices import DRAFT_TEXT
from tests.access_matrices import add_draft_minutes
from tests.helpers import JANUARY
from tests.helpers import at
from tests.helpers import login
from tests.sample_files import _bomb_docx
from tests.sample_files import make_pdf

MARCH = date(2018, 3, 13)
FUTURE = date(2099, 1, 1)
COORD = "coord-x@example.org"


@pytest.fixture
def board(plan, make_person):
    """Partnership X's board with two members and a held January meeting with minutes."""
    other = make_person("Xavier Staff", "xavier@example.org", plan["x_partner"])
    body = meetings.create_body(
        plan["x"],
        name="Partnership Board",
        kind=BodyKind.BOARD,
        members=[plan["x_coordinator"].person, plan["x_person"], other],
    )
    meeting = meetings.create_meeting(
        body,
        held_on=JANUARY,
        starts_at=time(10),
        place="Room 1, Town Hall",
        at=at(JANUARY.replace(day=1)),
    )
    meetings.mark_held(meeting, today=JANUARY, at=at(JANUARY))
    item = meetings.add_item(meeting, title="Progress report", duration_minutes=20)
    secret = meetings.add_item(meeting, title="Budget pressures", confidential=True)
    minutes = meetings.start_minutes(meeting, by=plan["x_coordinator"], at=at(JANUARY))
    db.session.commit()
    return {
        **plan,
        "body": body,
        "meeting": meeting,
        "item": item,
        "secret": secret,
        "minutes": minutes,
        "other": other,
    }


def prefixed(prefix, **fields):
    """Form data for a form whose fields carry ``prefix`` (several share a page)."""
    return {f"{prefix}-{name}": value for name, value in fields.items()}


def url(board, meeting=None, tail=""):
    meeting = meeting or board["meeting"]
    return f"/partnerships/x-partnership/meetings/{meeting.id}{tail}"


def test_meetings_list_and_meeting_page(client, board):
    login(client, "board-x@example.org")
    listing = client.get("/partnerships/x-partnership/meetings")
    assert listing.status_code == 200
    assert "Partnership Board meeting" in listing.text
    assert "Schedule a meeting" not in listing.text
    page = client.get(url(board))
    assert page.status_code == 200
    agenda = page.text.split('id="agenda"')[1].split('id="attendance"')[0]
    titles = re.findall(r"<strong>([^<]+)</strong>", agenda)
    assert titles == [
        "Minutes of the last meeting",
        "Matters arising",
        "Progress report",
        "Budget pressures",
    ]
    assert "(20 minutes)" in agenda
    assert "Record attendance" not in page.text


def test_partner_contacts_do_not_see_confidential_items(client, board):
    minutes = board["minutes"]
    meetings.edit_minutes(
        minutes,
        {board["secret"].id: "Deficit of **£2m**"},
        opened_version=minutes.version,
        by=None,
    )
    meetings.circulate_minutes(minutes, opened_version=minutes.version, by=None)
    db.session.commit()
    login(client, "contact-x@example.org")
    page = client.get(url(board))
    assert page.status_code == 200
    assert "Progress report" in page.text
    assert "Budget pressures" not in page.text
    assert "Deficit" not in page.text
    assert client.get(url(board, tail="/minutes/history")).status_code == 403


def test_circulated_minutes_reach_board_members_t24(client, world):
    """Once circulated, the draft's minute and decision reach every reader."""
    w = add_draft_minutes(world)
    minutes = w["draft_meeting"].minutes
    meetings.circulate_minutes(minutes, opened_version=minutes.version, by=None)
    db.session.commit()
    base = f"/partnerships/x-partnership/meetings/{w['draft_meeting'].id}"
    login(client, "board-x@example.org")
    page = client.get(base).text
    assert DRAFT_TEXT in page
    assert DRAFT_DECISION in page
    assert client.get(f"{base}/minutes/history").status_code == 200
    assert DRAFT_DECISION in client.get("/partnerships/x-partnership/decisions").text
    client.post("/auth/logout")
    login(client, "contact-x@example.org")
    assert DRAFT_TEXT in client.get(base).text
    assert client.get(f"{base}/minutes/history").status_code == 403


def test_minutes_are_rendered_sanitised(client, board):
    minutes = board["minutes"]
    meetings.edit_minutes(
        minutes,
        {board["item"].id: "**On track** <script>alert(1)</script>"},
        opened_version=minutes.version,
        by=None,
    )
    meetings.circulate_minutes(minutes, opened_version=minutes.version, by=None)
    db.session.commit()
    login(client, "board-x@example.org")
    page = client.get(url(board)).text
    assert "<strong>On track</strong>" in page
    assert "<script>alert(1)" not in page


def test_other_partnership_meeting_is_404(client, board):
    login(client, "coord-y@example.org")
    for tail in ("", "/minutes", "/minutes/history", "/attendance"):
        assert client.get(url(board, tail=tail)).status_code == 404, tail
    assert client.post(url(board, tail="/decisions"), data={}).status_code == 404
    htmx = {"HX-Request": "true"}
    fragment = client.get("/partnerships/x-partnership/decisions?q=a", headers=htmx)
    assert fragment.status_code == 404
    assert "<html" not in fragment.text
    assert client.get("/partnerships/x-partnership/meetings.ics").status_code == 404
    # A Y meeting id under X's address is 404 too, even for X's coordinator.
    y_body = meetings.create_body(board["y"], name="Y Board", kind=BodyKind.BOARD)
    y_meeting = meetings.create_meeting(y_body, held_on=JANUARY, place="Y Hall")
    db.session.commit()
    client.post("/auth/logout")
    login(client, COORD)
    assert client.get(url(board, y_meeting)).status_code == 404
    assert client.get(url(board, y_meeting, "/minutes")).status_code == 404


def test_create_meeting_starts_with_standing_items(client, board):
    login(client, COORD)
    form = client.get("/partnerships/x-partnership/meetings/new")
    assert form.status_code == 200
    response = client.post(
        "/partnerships/x-partnership/meetings/new",
        data={
            "body": board["body"].id,
            "held_on": ["13", "3", "2018"],
            "starts_at": "14:00",
            "place": "Civic Centre",
            "chair": 0,
        },
    )
    assert response.status_code == 303, response.text
    created = db.session.scalars(select(Meeting).where(Meeting.held_on == MARCH)).one()
    assert [i.title for i in created.items] == [
        "Minutes of the last meeting",
        "Matters arising",
    ]
    assert created.starts_at == time(14)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"held_on": ["", "", ""], "place": "Hall"}, "Enter the date of the meeting"),
        ({"held_on": ["31", "2", "2018"], "place": "Hall"}, "must be a real date"),
        ({"held_on": ["1", "2", "2018"], "starts_at": "25:00"}, "24-hour"),
        ({"held_on": ["1", "2", "2018"], "link": "http://x.example"}, "https"),
    ],
)
def test_create_meeting_refuses_bad_input(client, board, data, message):
    login(client, COORD)
    before = db.session.scalar(select(db.func.count(Meeting.id)))
    response = client.post(
        "/partnerships/x-partnership/meetings/new",
        data={"body": board["body"].id, "chair": 0, **data},
    )
    assert response.status_code == 422
    assert message in response.text
    assert db.session.scalar(select(db.func.count(Meeting.id))) == before


def test_record_attendance_shows_quorum(client, board):
    meetings.set_quorum(board["x"], count=2, basis=QuorumBasis.PEOPLE)
    db.session.commit()
    login(client, COORD)
    page = client.get(url(board, tail="/attendance"))
    assert page.status_code == 200
    people = board["body"].members
    data = {
        "version": board["meeting"].version,
        **{f"person-{p.id}": "present" for p in people[:2]},
        f"person-{people[2].id}": "apologies",
    }
    response = client.post(url(board, tail="/attendance"), data=data)
    assert response.status_code == 303, response.text
    statuses = {a.person_id: a.status for a in board["meeting"].attendance}
    assert statuses[people[2].id] is AttendanceStatus.APOLOGIES
    page = client.get(url(board)).text
    assert "Quorate" in page


def test_minutes_edit_conflict_keeps_the_second_editors_text(client, board):
    minutes, item = board["minutes"], board["item"]
    opened = minutes.version
    meetings.edit_minutes(
        minutes, {item.id: "First editor's text"}, opened_version=opened, by=None
    )
    db.session.commit()
    login(client, COORD)
    response = client.post(
        url(board, tail="/minutes"),
        data={"version": opened, f"item-{item.id}": "Second editor's text"},
    )
    assert response.status_code == 409
    assert "Second editor&#39;s text" in response.text
    assert "First editor&#39;s text" in response.text
    db.session.expire_all()
    assert board["minutes"].text_for(item) == "First editor's text"


def test_write_minutes_decision_and_action_arising(client, board):
    minutes, item = board["minutes"], board["item"]
    login(client, COORD)
    assert client.get(url(board, tail="/minutes")).status_code == 200
    saved = client.post(
        url(board, tail="/minutes"),
        data={"version": minutes.version, f"item-{item.id}": "Went *well*"},
    )
    assert saved.status_code == 303
    db.session.expire_all()
    decided = client.post(
        url(board, tail="/decisions"),
        data=prefixed(
            "decision", version=minutes.version, item=item.id, text="Fund phase 2"
        ),
    )
    assert decided.status_code == 303, decided.text
    db.session.expire_all()
    acted = client.post(
        url(board, tail="/actions"),
        data=prefixed(
            "action",
            version=minutes.version,
            item=item.id,
            title="Draft the phase 2 bid",
            owner=board["x_person"].id,
            theme=board["themes"]["Prevention"].id,
            due_date=["30", "3", "2018"],
        ),
    )
    assert acted.status_code == 303, acted.text
    action = db.session.scalars(
        select(Action).where(Action.title == "Draft the phase 2 bid")
    ).one()
    page = client.get(url(board)).text
    assert "Fund phase 2" in page
    assert "Draft the phase 2 bid" in page
    assert f"/plans/x-plan/actions/{action.id}" in page
    action_page = client.get(f"/plans/x-plan/actions/{action.id}").text
    assert "Arose at" in action_page
    assert f'href="{url(board)}"' in action_page
    log = client.get("/partnerships/x-partnership/decisions?q=phase")
    assert "Fund phase 2" in log.text
    assert (
        "Fund phase 2"
        not in client.get("/partnerships/x-partnership/decisions?q=nothing").text
    )
    fragment = client.get(
        "/partnerships/x-partnership/decisions?q=phase", headers={"HX-Request": "true"}
    )
    assert fragment.text.lstrip().startswith('<div id="decision-log">')
    assert "Vary" in fragment.headers


def test_action_arising_refuses_missing_due_date(client, board):
    login(client, COORD)
    response = client.post(
        url(board, tail="/actions"),
        data=prefixed(
            "action",
            version=board["minutes"].version,
            item=board["item"].id,
            title="Something",
            owner=board["x_person"].id,
            theme=0,
        ),
    )
    assert response.status_code == 422
    assert "Enter the due date" in response.text


def _circulate(client, board):
    db.session.expire_all()
    response = client.post(
        url(board, tail="/minutes/circulate"),
        data={"version": board["minutes"].version},
    )
    assert response.status_code == 303, response.text
    db.session.expire_all()


def test_approval_at_a_meeting_that_has_not_happened_is_refused(client, board):
    login(client, COORD)
    _circulate(client, board)
    march = meetings.create_meeting(board["body"], held_on=FUTURE, place="Hall")
    db.session.commit()
    response = client.post(
        url(board, tail="/minutes/approve"),
        data={"version": board["minutes"].version, "at_meeting": march.id},
    )
    assert response.status_code == 422
    assert "a meeting that has taken place" in response.text
    db.session.expire_all()
    assert board["minutes"].status is MinutesStatus.CIRCULATED


def test_approve_then_locked_minutes_take_only_a_correction(client, board):
    minutes, item = board["minutes"], board["item"]
    login(client, COORD)
    _circulate(client, board)
    march = meetings.create_meeting(board["body"], held_on=MARCH, place="Hall")
    meetings.mark_held(march, today=MARCH)
    db.session.commit()
    approved = client.post(
        url(board, tail="/minutes/approve"),
        data={"version": minutes.version, "at_meeting": march.id},
    )
    assert approved.status_code == 303, approved.text
    db.session.expire_all()
    assert minutes.status is MinutesStatus.APPROVED
    page = client.get(url(board)).text
    assert "Approved" in page and "13 March 2018" in page
    # No reason given: refused, nothing saved.
    refused = client.post(
        url(board, tail="/minutes"),
        data={"version": minutes.version, f"item-{item.id}": "Changed"},
    )
    assert refused.status_code == 422
    db.session.expire_all()
    assert minutes.text_for(item) == ""
    corrected = client.post(
        url(board, tail="/minutes"),
        data={
            "version": minutes.version,
            "reason": "Typo",
            f"item-{item.id}": "Corrected text",
        },
    )
    assert corrected.status_code == 303, corrected.text
    db.session.expire_all()
    assert minutes.revision == 2
    history = client.get(url(board, tail="/minutes/history"))
    assert history.status_code == 200
    assert "Typo" in history.text
    assert "Coordinator" in history.text or "coord" in history.text.lower()
    # Decisions are refused once approved.
    decided = client.post(
        url(board, tail="/decisions"),
        data=prefixed("decision", version=minutes.version, item=item.id, text="Late"),
    )
    assert decided.status_code in (409, 422)


def test_calendar_download(client, board):
    login(client, "contact-x@example.org")
    response = client.get("/partnerships/x-partnership/meetings.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert "BEGIN:VCALENDAR" in response.text
    assert board["meeting"].uid in response.text


def test_meetings_nav_and_index(client, board):
    login(client, "board-x@example.org")
    page = client.get("/meetings")
    assert page.status_code == 200
    assert "Partnership X" in page.text
    assert "Partnership Y" not in page.text
    assert 'href="/meetings"' in page.text


def test_mark_held_refused_before_the_date(client, board):
    future = meetings.create_meeting(board["body"], held_on=FUTURE, place="Hall")
    db.session.commit()
    login(client, COORD)
    response = client.post(
        url(board, future, "/held"), data={"version": future.version}
    )
    assert response.status_code == 422
    assert "has not happened yet" in response.text


def test_board_member_cannot_edit(client, board):
    login(client, "board-x@example.org")
    assert client.get(url(board, tail="/minutes")).status_code == 403
    assert (
        client.post(
            url(board, tail="/decisions"),
            data=prefixed("decision", item=board["item"].id, text="x"),
        ).status_code
        == 403
    )
    _ = MemberRole


# Memoranda --------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _uploads(app, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")


@pytest.fixture
def mou(world):
    """An agreed version 1 of X's memorandum and a draft version 2 with more funding."""

    def content(amount):
        return AgreementContent(
            purpose="Reduce reoffending together",
            scope="Young men leaving prison",
            starts_on=date(2015, 10, 1),
            review_on=date(2017, 9, 30),
            ends_on=date(2018, 3, 31),
            parties=[
                PartyTerms(world["x_lead"], "Lead organisation", "Chairs the board"),
                PartyTerms(world["x_partner"], "Delivery partner", "Mentors"),
            ],
            funding=[Funding(world["x_lead"], amount, "2015-17", "subject to budget")],
        )

    agreement = agreements.create_agreement(
        world["x"], title="New Routes memorandum", content=content("25000"), by=None
    )
    first = agreement.versions[0]
    agreements.agree(
        first,
        opened_version=agreement.version,
        agreed_on=date(2015, 9, 28),
        by=None,
        today=date(2015, 10, 1),
    )
    agreements.sign(
        first,
        organisation=world["x_lead"],
        signatory_name="Lee Lead",
        signatory_role="Chief executive",
        signed_on=date(2015, 9, 29),
        by=None,
        today=date(2015, 10, 1),
    )
    document = agreements.attach_document(
        first, io.BytesIO(make_pdf()), "signed <copy>.pdf", by=None
    )
    second = agreements.amend(agreement, opened_version=agreement.version, by=None)
    agreements.update_draft(
        second, content=content("30000"), opened_version=agreement.version, by=None
    )
    db.session.commit()
    return {**world, "agreement": agreement, "document": document}


def mou_url(mou, tail=""):
    return f"/partnerships/x-partnership/memoranda/{mou['agreement'].id}{tail}"


def test_register_shows_status_unsigned_and_reviews(client, mou):
    login(client, "contact-x@example.org")
    page = client.get("/partnerships/x-partnership/memoranda")
    assert page.status_code == 200
    assert "New Routes memorandum" in page.text
    assert "Version 1: Agreed" in page.text
    assert "X Partner Org" in page.text  # has not signed version 1
    assert "Review overdue" in page.text
    assert "Past end date" in page.text


def test_memorandum_versions_and_diff(client, mou):
    login(client, "board-x@example.org")
    page = client.get(mou_url(mou))
    assert page.status_code == 200
    assert "Lee Lead, Chief executive" in page.text
    assert "Version 2 (Draft)" in page.text
    assert "Record a signature" not in page.text
    diff = client.get(mou_url(mou, "/diff?old=1&new=2"))
    assert diff.status_code == 200
    assert "£25,000" in diff.text and "£30,000" in diff.text
    assert client.get(mou_url(mou, "?v=9")).status_code == 404


def test_sign_a_version_and_signing_twice_is_refused(client, mou):
    login(client, COORD)
    assert "Record a signature" in client.get(mou_url(mou)).text
    data = {
        "organisation": mou["x_partner"].id,
        "signatory_name": "Pat Partner",
        "signatory_role": "Director",
        "signed_on": ["1", "10", "2015"],
    }
    signed = client.post(mou_url(mou, "/versions/1/sign"), data=data)
    assert signed.status_code == 303, signed.text
    again = client.post(mou_url(mou, "/versions/1/sign"), data=data)
    assert again.status_code == 422
    assert "Not a valid choice" in again.text or "signed" in again.text
    missing = client.post(
        mou_url(mou, "/versions/1/sign"),
        data={"organisation": mou["x_lead"].id, "signed_on": ["", "", ""]},
    )
    assert missing.status_code == 422
    assert "Enter who signed" in missing.text


def test_document_download_checks_access(client, mou):
    document = mou["document"]
    login(client, "contact-x@example.org")
    response = client.get(mou_url(mou, f"/documents/{document.id}"))
    assert response.status_code == 200
    assert response.data.startswith(b"%PDF")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "<" not in response.headers["Content-Disposition"]
    client.post("/auth/logout")
    login(client, "coord-y@example.org")
    assert client.get(mou_url(mou, f"/documents/{document.id}")).status_code == 404
    assert client.get(mou_url(mou)).status_code == 404
    assert client.get(mou_url(mou, "/diff")).status_code == 404


def test_another_partnerships_memorandum_under_my_address_is_404(client, mou):
    y_agreement = agreements.create_agreement(
        mou["y"],
        title="Y memorandum",
        content=AgreementContent(
            purpose="Y things",
            starts_on=date(2015, 10, 1),
            parties=[PartyTerms(mou["y_lead"], "Lead")],
        ),
        by=None,
    )
    db.session.commit()
    login(client, COORD)
    base = f"/partnerships/x-partnership/memoranda/{y_agreement.id}"
    assert client.get(base).status_code == 404
    assert client.get(f"{base}/diff").status_code == 404
    assert (
        client.post(
            f"/partnerships/x-partnership/memoranda/{mou['agreement'].id}"
            f"/documents/{mou['document'].id}"
        ).status_code
        == 405
    )


# Writing memoranda -------------------------------------------------------------------

NEW_MOU = "/partnerships/x-partnership/memoranda/new"


def mou_form(world, **changes):
    """A memorandum form as a browser posts it: three party rows, two funding rows."""
    data = {
        "title": "Shine memorandum",
        "purpose": "Reduce reoffending by women",
        "scope": "Women leaving custody",
        "vision": "Fewer victims",
        "decision_protocol": "The lead decides with one partner",
        "starts_on": ["1", "10", "2015"],
        "review_on": ["30", "9", "2017"],
        "ends_on": ["31", "3", "2018"],
        "parties-0-organisation": world["x_lead"].id,
        "parties-0-role": "Lead organisation",
        "parties-0-responsibilities": "Chairs the board",
        "parties-1-organisation": world["x_partner"].id,
        "parties-1-role": "Delivery partner",
        "parties-1-responsibilities": "Mentoring",
        "parties-2-organisation": 0,
        "parties-2-role": "",
        "parties-2-responsibilities": "",
        "funding-0-organisation": world["x_lead"].id,
        "funding-0-amount": "£25,000",
        "funding-0-period": "2015-17",
        "funding-0-caveat": "subject to budget approval",
        "funding-1-organisation": 0,
        "funding-1-amount": "",
        "funding-1-period": "",
        "funding-1-caveat": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def agreement_count():
    return db.session.scalar(select(db.func.count(agreements.Agreement.id)))


def test_create_memorandum_from_the_web(client, world):
    login(client, COORD)
    form = client.get(NEW_MOU)
    assert form.status_code == 200
    assert 'name="parties-2-organisation"' in form.text
    assert 'name="funding-1-organisation"' in form.text
    response = client.post(NEW_MOU, data=mou_form(world))
    assert response.status_code == 303, response.text
    agreement = db.session.scalars(select(agreements.Agreement)).one()
    version = agreement.versions[0]
    assert version.status is agreements.AgreementStatus.DRAFT
    assert [(p.organisation.name, p.role) for p in version.parties] == [
        ("X Lead Org", "Lead organisation"),
        ("X Partner Org", "Delivery partner"),
    ]
    assert [f.text for f in version.funding] == [
        "£25,000 for 2015-17 (subject to budget approval)"
    ]
    assert version.ends_on == date(2018, 3, 31)
    page = client.get(response.headers["Location"])
    assert "Change this draft" in page.text
    assert "Record as agreed" in page.text
    register = client.get("/partnerships/x-partnership/memoranda")
    assert "Start a memorandum" in register.text
    assert "Shine memorandum" in register.text


@pytest.mark.parametrize("which", ["party", "funding"])
def test_add_another_row_posts_back_and_saves_nothing(client, world, which):
    login(client, COORD)
    response = client.post(NEW_MOU, data=mou_form(world, add=which))
    assert response.status_code == 200
    name = "parties-3-organisation" if which == "party" else "funding-2-organisation"
    new_row = re.search(rf'<select[^>]*name="{name}"[^>]*>', response.text)
    assert new_row and "autofocus" in new_row.group(0)
    # What was typed is kept; nothing is saved.
    assert "Reduce reoffending by women" in response.text
    assert "Chairs the board" in response.text
    assert agreement_count() == 0


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"ends_on": ["30", "9", "2015"], "review_on": ["", "", ""]},
            "ends_on",
            "The end date must be on or after the start date",
        ),
        (
            {"review_on": ["1", "1", "2015"]},
            "review_on",
            "The review date must be on or after the start date",
        ),
        (
            {"review_on": ["1", "1", "2019"]},
            "review_on",
            "The review date must be on or before the end date",
        ),
        ({"ends_on": ["31", "2", "2018"]}, "ends_on", "must be a real date"),
        ({"starts_on": ["", "", ""]}, "starts_on", "Enter the start date"),
        ({"purpose": "  "}, "purpose", "Enter the purpose"),
        ({"title": ""}, "title", "Enter the memorandum&#39;s title"),
        (
            {"parties-1-role": ""},
            "parties-1-role",
            "Enter the role of X Partner Org",
        ),
        (
            {"parties-2-role": "Observer"},
            "parties-2-organisation",
            "Choose the party organisation",
        ),
        (
            {"parties-1-organisation": "{lead}"},
            "parties-1-organisation",
            "X Lead Org is already a party",
        ),
        (
            {"parties-1-organisation": "999999"},
            "parties-1-organisation",
            "Not a valid choice",
        ),
        (
            {
                "funding-1-organisation": "{partner}",
                "parties-1-organisation": 0,
                "parties-1-role": "",
                "parties-1-responsibilities": "",
                "funding-1-amount": "10",
                "funding-1-period": "2016",
            },
            "funding-1-organisation",
            "Add X Partner Org as a party before recording its funding",
        ),
        (
            {"funding-0-amount": "lots"},
            "funding-0-amount",
            "Enter the amount in pounds",
        ),
        ({"funding-0-amount": "-5"}, "funding-0-amount", "cannot be negative"),
        ({"funding-0-amount": "10.005"}, "funding-0-amount", "pounds and pence"),
        ({"funding-0-amount": ""}, "funding-0-amount", "Enter the amount in pounds"),
        ({"funding-0-period": ""}, "funding-0-period", "Enter the period"),
        (
            {"funding-1-amount": "500"},
            "funding-1-organisation",
            "Choose the organisation making the commitment",
        ),
    ],
)
def test_create_memorandum_refuses_bad_input(client, world, changes, field, message):
    ids = {"{lead}": world["x_lead"].id, "{partner}": world["x_partner"].id}
    changes = {
        k: ids.get(v, v) if isinstance(v, str) else v for k, v in changes.items()
    }
    login(client, COORD)
    response = client.post(NEW_MOU, data=mou_form(world, **changes))
    assert response.status_code == 422
    # The message is beside the field and in the summary, which links to it.
    beside = re.search(
        rf'<p id="{field}-error" class="govuk-error-message">(.*?)</p>',
        response.text,
        re.S,
    )
    assert beside and message in beside.group(1), response.text
    assert f'href="#{field}' in response.text
    assert "There is a problem" in response.text
    assert "Reduce reoffending by women" in response.text or field == "purpose"
    assert agreement_count() == 0


def _agree(mou, number, day=date(2016, 4, 1)):
    version = next(v for v in mou["agreement"].versions if v.number == number)
    agreements.agree(
        version,
        opened_version=mou["agreement"].version,
        agreed_on=day,
        by=None,
        today=date(2016, 4, 2),
    )
    db.session.commit()


def test_edit_draft_and_a_stale_edit_keeps_the_users_text(client, mou):
    agreement = mou["agreement"]
    login(client, COORD)
    page = client.get(mou_url(mou, "/draft"))
    assert page.status_code == 200
    assert 'value="30000"' in page.text  # pre-filled from draft version 2
    opened = agreement.version
    # Someone else saves the draft after this form was opened.
    draft = agreement.draft
    agreements.update_draft(
        draft,
        content=AgreementContent(
            purpose="Their purpose",
            starts_on=date(2015, 10, 1),
            parties=[PartyTerms(mou["x_lead"], "Lead organisation")],
        ),
        opened_version=opened,
        by=None,
    )
    db.session.commit()
    data = mou_form(mou, title=None, version=opened, purpose="My purpose")
    stale = client.post(mou_url(mou, "/draft"), data=data)
    assert stale.status_code == 409
    assert "Someone else changed this memorandum" in stale.text
    assert "My purpose" in stale.text
    db.session.expire_all()
    assert agreement.draft.purpose == "Their purpose"
    # Saving again from the kept text (now at the current version) replaces theirs.
    fresh = re.search(r'name="version" type="hidden" value="(\d+)"', stale.text)
    assert fresh and int(fresh.group(1)) == agreement.version
    saved = client.post(
        mou_url(mou, "/draft"),
        data=mou_form(mou, title=None, version=fresh.group(1), purpose="My purpose"),
    )
    assert saved.status_code == 303, saved.text
    db.session.expire_all()
    assert agreement.draft.purpose == "My purpose"
    assert agreement.draft.number == 2


def test_edit_draft_refuses_end_before_start_and_saves_nothing(client, mou):
    login(client, COORD)
    agreement = mou["agreement"]
    before = agreements.history(agreement)
    response = client.post(
        mou_url(mou, "/draft"),
        data=mou_form(
            mou,
            title=None,
            version=agreement.version,
            ends_on=["1", "1", "2015"],
            review_on=["", "", ""],
        ),
    )
    assert response.status_code == 422
    assert 'id="ends_on-error"' in response.text
    db.session.expire_all()
    assert agreements.history(agreement) == before
    assert agreement.draft.ends_on == date(2018, 3, 31)


def test_agree_the_draft_supersedes_the_agreed_version(client, mou):
    login(client, COORD)
    agreement = mou["agreement"]
    url = mou_url(mou, "/versions/2/agree")
    future = client.post(
        url, data={"version": agreement.version, "agreed_on": ["1", "1", "2099"]}
    )
    assert future.status_code == 422
    assert "cannot be in the future" in future.text
    missing = client.post(url, data={"version": agreement.version})
    assert missing.status_code == 422
    assert "Enter the date the memorandum was agreed" in missing.text
    stale = client.post(
        url, data={"version": agreement.version - 1, "agreed_on": ["1", "4", "2016"]}
    )
    assert stale.status_code == 409
    agreed = client.post(
        url, data={"version": agreement.version, "agreed_on": ["1", "4", "2016"]}
    )
    assert agreed.status_code == 303, agreed.text
    db.session.expire_all()
    statuses = [v.status.value for v in agreement.versions]
    assert statuses == ["superseded", "agreed"]
    again = client.post(
        url, data={"version": agreement.version, "agreed_on": ["1", "4", "2016"]}
    )
    assert again.status_code == 422


def test_amend_an_agreed_memorandum_starts_from_the_current_version(client, mou):
    _agree(mou, 2)
    agreement = mou["agreement"]
    login(client, COORD)
    page = client.get(mou_url(mou, "/amend"))
    assert page.status_code == 200
    assert "Amend the memorandum: version 3" in page.text
    assert 'value="30000"' in page.text
    assert "Reduce reoffending together" in page.text
    assert "What this version changes" in page.text
    data = mou_form(
        mou,
        title=None,
        version=agreement.version,
        purpose="Reduce reoffending together",
        change_note="Funding for 2018-19",
        **{"funding-0-amount": "40000", "funding-0-period": "2018-19"},
    )
    made = client.post(mou_url(mou, "/amend"), data=data)
    assert made.status_code == 303, made.text
    db.session.expire_all()
    third = agreement.draft
    assert third.number == 3
    assert third.change_note == "Funding for 2018-19"
    assert [f.text for f in third.funding] == [
        "£40,000 for 2018-19 (subject to budget approval)"
    ]
    assert agreement.current.number == 2  # still in force until 3 is agreed
    # A draft exists now: amending again leads to it.
    again = client.get(mou_url(mou, "/amend"))
    assert again.status_code == 302
    assert again.headers["Location"].endswith(mou_url(mou, "/draft"))
    diff = client.get(mou_url(mou, "/diff?old=2&new=3"))
    assert "£40,000" in diff.text


def test_amend_refuses_bad_input_and_makes_no_version(client, mou):
    _agree(mou, 2)
    agreement = mou["agreement"]
    login(client, COORD)
    response = client.post(
        mou_url(mou, "/amend"),
        data=mou_form(
            mou,
            title=None,
            version=agreement.version,
            starts_on=["1", "10", "2015"],
            ends_on=["1", "1", "2014"],
            review_on=["", "", ""],
        ),
    )
    assert response.status_code == 422
    assert "The end date must be on or after the start date" in response.text
    db.session.expire_all()
    assert [v.number for v in agreement.versions] == [1, 2]


def test_end_a_memorandum(client, mou):
    _agree(mou, 2)
    agreement = mou["agreement"]
    login(client, COORD)
    url = mou_url(mou, "/versions/2/end")
    missing = client.post(
        url, data={"version": agreement.version, "ended_on": ["31", "3", "2018"]}
    )
    assert missing.status_code == 422
    assert "Enter why the memorandum ended" in missing.text
    future = client.post(
        url,
        data={
            "version": agreement.version,
            "ended_on": ["1", "1", "2099"],
            "reason": "Programme closed",
        },
    )
    assert future.status_code == 422
    assert "cannot be in the future" in future.text
    ended = client.post(
        url,
        data={
            "version": agreement.version,
            "ended_on": ["31", "3", "2018"],
            "reason": "Programme closed",
        },
    )
    assert ended.status_code == 303, ended.text
    db.session.expire_all()
    assert agreement.versions[-1].status is agreements.AgreementStatus.ENDED
    register = client.get("/partnerships/x-partnership/memoranda").text
    assert "Ended" in register and "New Routes memorandum" in register
    # An ended memorandum cannot be ended again or amended.
    assert client.post(url, data={"version": agreement.version}).status_code == 422
    amend = client.get(mou_url(mou, "/amend"))
    assert amend.status_code == 302


def test_other_partnerships_memorandum_cannot_be_changed(client, mou):
    y_agreement = agreements.create_agreement(
        mou["y"],
        title="Y memorandum",
        content=AgreementContent(
            purpose="Y things",
            starts_on=date(2015, 10, 1),
            parties=[PartyTerms(mou["y_lead"], "Lead")],
        ),
        by=None,
    )
    db.session.commit()
    login(client, COORD)
    base = f"/partnerships/x-partnership/memoranda/{y_agreement.id}"
    assert client.get(f"{base}/draft").status_code == 404
    assert client.get(f"{base}/amend").status_code == 404
    for tail in ("/agree", "/end", "/documents"):
        response = client.post(f"{base}/versions/1{tail}", data={})
        assert response.status_code == 404, tail
    # Y's organisation is not offered in X's form, and is refused if sent.
    form = client.get(NEW_MOU).text
    assert "Y Lead Org" not in form
    refused = client.post(
        NEW_MOU, data=mou_form(mou, **{"parties-1-organisation": mou["y_lead"].id})
    )
    assert refused.status_code == 422


# Attaching the signed document -------------------------------------------------------


def zip_bomb():
    """A DOCX that inflates to 200 MB (built when a test runs, not at collection)."""
    return _bomb_docx(200 * 1024 * 1024)


def _files_kept(app):
    root = Path(app.instance_path) / app.config["UPLOAD_FOLDER"]
    return sorted(p.name for p in root.iterdir()) if root.is_dir() else []


def _upload(client, mou, data, filename, number=1, description="Signed copy"):
    return client.post(
        mou_url(mou, f"/versions/{number}/documents"),
        data={"file": (io.BytesIO(data), filename), "description": description},
        content_type="multipart/form-data",
    )


def test_attach_the_signed_document(client, app, mou):
    login(client, COORD)
    page = client.get(mou_url(mou, "?v=2")).text
    assert 'enctype="multipart/form-data"' in page
    response = _upload(client, mou, make_pdf(), "../../Signed\u202eMoU.pdf", number=2)
    assert response.status_code == 303, response.text
    db.session.expire_all()
    version = mou["agreement"].versions[1]
    [attached] = version.documents
    assert attached.description == "Signed copy"
    stored = attached.file
    assert stored.display_name == "SignedMoU.pdf"
    assert stored.storage_name != stored.display_name
    assert "Signed" not in stored.storage_name
    shown = client.get(mou_url(mou, "?v=2")).text
    assert "SignedMoU.pdf" in shown
    download = client.get(mou_url(mou, f"/documents/{attached.id}"))
    assert download.status_code == 200
    assert download.data == make_pdf()


@pytest.mark.parametrize(
    ("data", "filename", "status", "message"),
    [
        (b"MZ\x90\x00 not a pdf", "report.pdf", 422, "must be a PDF, a Word document"),
        (b"<html><script>alert(1)</script>", "report.pdf", 422, "must be a PDF"),
        (zip_bomb, "bomb.docx", 422, ""),
        (b"", "empty.pdf", 422, "The selected file is empty"),
    ],
)
def test_a_bad_document_is_refused_and_nothing_is_kept(
    client, app, mou, data, filename, status, message
):
    login(client, COORD)
    documents = db.session.scalar(
        select(db.func.count(agreements.AgreementDocument.id))
    )
    kept = _files_kept(app)
    response = _upload(client, mou, data() if callable(data) else data, filename, 2)
    assert response.status_code == status
    assert "There is a problem" in response.text
    assert 'href="#file"' in response.text
    assert message in response.text
    db.session.expire_all()
    assert (
        db.session.scalar(select(db.func.count(agreements.AgreementDocument.id)))
        == documents
    )
    assert _files_kept(app) == kept


def test_a_document_over_the_size_limit_is_refused(client, app, mou):
    app.config["UPLOAD_MAX_BYTES"] = 2048
    login(client, COORD)
    response = _upload(client, mou, make_pdf(b"%" + b"x" * 4096), "big.pdf", number=2)
    assert response.status_code == 413
    assert "The file must be smaller than" in response.text
    assert "There is a problem" in response.text
    db.session.expire_all()
    assert mou["agreement"].versions[1].documents == []


def test_the_request_limit_leaves_room_for_the_largest_upload(app):
    """A file just over the upload limit must reach the form, which explains the
    refusal (as above), rather than meet the generic 413 page first."""
    assert app.config["MAX_CONTENT_LENGTH"] > uploads.max_upload_bytes() + 64 * 1024


def test_no_document_without_a_file_or_a_description(client, mou):
    login(client, COORD)
    response = _upload(client, mou, make_pdf(), "signed.pdf", description="")
    assert response.status_code == 422
    assert "Enter a description" in response.text
    nothing = client.post(
        mou_url(mou, "/versions/1/documents"),
        data={"description": "Signed copy"},
        content_type="multipart/form-data",
    )
    assert nothing.status_code == 422
    assert "Choose the document to attach" in nothing.text
    db.session.expire_all()
    assert len(mou["agreement"].versions[0].documents) == 1


# The agenda ---------------------------------------------------------------------------


def _agenda_titles(html):
    agenda = html.split('id="agenda-list"')[1].split("</ol>")[0]
    return re.findall(r"<strong>([^<]+)</strong>", agenda)


def _add_item(client, board, title, **extra):
    return client.post(
        url(board, tail="/items"),
        data=prefixed(
            "agenda", **{"title": title, "presenter": 0, "duration_minutes": ""} | extra
        ),
    )


def test_add_edit_move_and_remove_agenda_items(client, board):
    login(client, COORD)
    page = client.get(url(board)).text
    assert "Add an agenda item" in page
    added = _add_item(
        client,
        board,
        "Funding bid",
        presenter=board["x_person"].id,
        duration_minutes="15",
    )
    assert added.status_code == 303, added.text
    item = db.session.scalars(
        select(meetings.AgendaItem).where(meetings.AgendaItem.title == "Funding bid")
    ).one()
    page = client.get(url(board)).text
    assert _agenda_titles(page)[-1] == "Funding bid"
    assert "Xena Staff" in page and "(15 minutes)" in page

    # Move up without JavaScript: a plain post and a redirect back to the item.
    moved = client.post(
        url(board, tail=f"/items/{item.id}/move"), data={"direction": "up"}
    )
    assert moved.status_code == 303
    assert moved.headers["Location"].endswith(f"#item-{item.id}")
    assert _agenda_titles(client.get(url(board)).text)[2:] == [
        "Progress report",
        "Funding bid",
        "Budget pressures",
    ]
    # With htmx: only the agenda comes back.
    fragment = client.post(
        url(board, tail=f"/items/{item.id}/move"),
        data={"direction": "up"},
        headers={"HX-Request": "true"},
    )
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<div id="agenda-list">')
    assert "<html" not in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]
    assert _agenda_titles(fragment.text)[2:] == [
        "Funding bid",
        "Progress report",
        "Budget pressures",
    ]
    # Focus follows the moved item: its Up button is gone, so its Down button.
    down = re.search(rf'<button[^>]*id="move-down-{item.id}"[^>]*>', fragment.text)
    assert down and "autofocus" in down.group(0)
    assert fragment.text.count("autofocus") == 1
    assert 'id="held-version"' not in fragment.text  # the meeting was held
    # The first movable item cannot go above the standing items.
    assert f'id="move-up-{item.id}"' not in fragment.text
    client.post(url(board, tail=f"/items/{item.id}/move"), data={"direction": "up"})
    assert _agenda_titles(client.get(url(board)).text)[:3] == [
        "Minutes of the last meeting",
        "Matters arising",
        "Funding bid",
    ]

    # Edit: the form starts from what is saved.
    edit = client.get(url(board, tail=f"/items/{item.id}"))
    assert edit.status_code == 200
    assert 'value="Funding bid"' in edit.text and 'value="15"' in edit.text
    saved = client.post(
        url(board, tail=f"/items/{item.id}"),
        data=prefixed(
            "agenda",
            version=board["meeting"].version,
            title="Funding bid for 2018-19",
            presenter=0,
            duration_minutes="20 minutes",
        ),
    )
    assert saved.status_code == 303, saved.text
    db.session.expire_all()
    assert (item.title, item.presenter, item.duration_minutes) == (
        "Funding bid for 2018-19",
        None,
        20,
    )

    removed = client.post(url(board, tail=f"/items/{item.id}/remove"))
    assert removed.status_code == 303
    assert "Funding bid for 2018-19" not in _agenda_titles(client.get(url(board)).text)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": ""}, "Enter the item&#39;s title"),
        ({"title": "x" * 301}, "300 characters"),
        ({"title": "Item", "duration_minutes": "soon"}, "whole number of minutes"),
        ({"title": "Item", "duration_minutes": "2000"}, "from 1 to 1440 minutes"),
        ({"title": "Item", "duration_minutes": "0"}, "from 1 to 1440 minutes"),
        ({"title": "Item", "presenter": "999999"}, "Not a valid choice"),
    ],
)
def test_add_item_refuses_bad_input(client, board, data, message):
    login(client, COORD)
    before = len(board["meeting"].items)
    response = client.post(
        url(board, tail="/items"), data=prefixed("agenda", **{"presenter": 0} | data)
    )
    assert response.status_code == 422
    assert message in response.text
    db.session.expire_all()
    assert len(board["meeting"].items) == before


def test_agenda_changes_refused_where_the_rules_say_no(client, board):
    login(client, COORD)
    standing = board["meeting"].items[0]
    removed = client.post(url(board, tail=f"/items/{standing.id}/remove"))
    assert removed.status_code == 422
    assert "standing item" in removed.text
    assert (
        client.post(
            url(board, tail=f"/items/{standing.id}/move"),
            data={"direction": "sideways"},
        ).status_code
        == 400
    )
    # A stale edit of an item keeps the text typed and says why.
    item = board["item"]
    opened = board["meeting"].version
    meetings.update_item(
        item,
        opened_version=opened,
        title="Their title",
        presenter=None,
        duration_minutes=None,
        description="",
        confidential=False,
    )
    db.session.commit()
    stale = client.post(
        url(board, tail=f"/items/{item.id}"),
        data=prefixed("agenda", version=opened, title="My title", presenter=0),
    )
    assert stale.status_code == 409
    assert "Someone else changed this meeting" in stale.text
    assert 'value="My title"' in stale.text
    db.session.expire_all()
    assert item.title == "Their title"
    # Once the minutes are approved the agenda is fixed.
    _circulate(client, board)
    march = meetings.create_meeting(board["body"], held_on=MARCH, place="Hall")
    meetings.mark_held(march, today=MARCH)
    meetings.approve_minutes(
        board["minutes"],
        at_meeting=march,
        opened_version=board["minutes"].version,
        by=None,
        today=MARCH,
    )
    db.session.commit()
    assert "Add an agenda item" not in client.get(url(board)).text
    locked = _add_item(client, board, "Too late")
    assert locked.status_code == 409
    assert "can no longer change" in locked.text
    htmx = client.post(
        url(board, tail=f"/items/{item.id}/move"),
        data={"direction": "down"},
        headers={"HX-Request": "true"},
    )
    assert htmx.status_code == 409
    assert htmx.text.lstrip().startswith('<div id="agenda-list">')
    assert "can no longer change" in htmx.text


def test_other_partnerships_agenda_is_404(client, board):
    item = board["item"]
    login(client, "coord-y@example.org")
    assert client.get(url(board, tail=f"/items/{item.id}")).status_code == 404
    for tail in ("/move", "/remove", "/papers"):
        response = client.post(
            url(board, tail=f"/items/{item.id}{tail}"),
            data={"direction": "up"},
            headers={"HX-Request": "true"},
        )
        assert response.status_code == 404, tail
        assert "<html" not in response.text
    client.post("/auth/logout")
    # An item of another meeting under this meeting's address is 404 too.
    other = meetings.create_meeting(board["body"], held_on=MARCH, place="Hall")
    db.session.commit()
    login(client, COORD)
    assert client.get(url(board, other, f"/items/{item.id}")).status_code == 404


# Papers -------------------------------------------------------------------------------


def _attach_paper(client, board, item, data=None, filename="paper.pdf", title=""):
    return client.post(
        url(board, tail=f"/items/{item.id}/papers"),
        data={"file": (io.BytesIO(data or make_pdf()), filename), "title": title},
        content_type="multipart/form-data",
    )


def test_papers_are_attached_and_downloaded_with_access_checks(client, board):
    login(client, COORD)
    edit = client.get(url(board, tail=f"/items/{board['item'].id}")).text
    assert 'enctype="multipart/form-data"' in edit
    open_paper = _attach_paper(client, board, board["item"], title="Progress paper")
    assert open_paper.status_code == 303, open_paper.text
    secret_paper = _attach_paper(client, board, board["secret"], filename="deficit.pdf")
    assert secret_paper.status_code == 303
    db.session.expire_all()
    [public] = board["item"].papers
    [secret] = board["secret"].papers
    assert secret.title == "deficit.pdf"
    page = client.get(url(board)).text
    assert "Progress paper" in page
    paper_url = url(board, tail=f"/papers/{public.id}")
    secret_url = url(board, tail=f"/papers/{secret.id}")
    download = client.get(paper_url)
    assert download.status_code == 200
    assert download.data == make_pdf()
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    client.post("/auth/logout")

    login(client, "contact-x@example.org")
    page = client.get(url(board)).text
    assert "Progress paper" in page and "deficit" not in page
    assert client.get(paper_url).status_code == 200
    assert client.get(secret_url).status_code == 404
    # A meeting whose papers are confidential hides them all from partner contacts.
    board["meeting"].confidential = True
    db.session.commit()
    assert client.get(paper_url).status_code == 404
    assert "Progress paper" not in client.get(url(board)).text
    client.post("/auth/logout")

    login(client, "board-x@example.org")
    assert client.get(secret_url).status_code == 200
    client.post("/auth/logout")

    login(client, "coord-y@example.org")
    assert client.get(paper_url).status_code == 404
    client.post("/auth/logout")
    # Under another meeting's address: 404.
    other = meetings.create_meeting(board["body"], held_on=MARCH, place="Hall")
    db.session.commit()
    login(client, COORD)
    assert client.get(url(board, other, f"/papers/{public.id}")).status_code == 404
    item_id = board["item"].id
    for elsewhere in (
        url(board, other, f"/items/{item_id}/papers/remove"),
        url(board, tail=f"/items/{board['secret'].id}/papers/remove"),
    ):
        response = client.post(elsewhere, data={"paper": public.id})
        assert response.status_code == 404, elsewhere
    # A paper comes off its item; then the item itself can go.
    item_page = url(board, tail=f"/items/{board['item'].id}")
    assert "Remove<span" in client.get(item_page).text
    refused = client.post(url(board, tail=f"/items/{board['item'].id}/remove"))
    assert refused.status_code == 422
    assert "Remove the item&#39;s papers first" in refused.text
    removed = client.post(
        url(board, tail=f"/items/{item_id}/papers/remove"), data={"paper": public.id}
    )
    assert removed.status_code == 303
    assert removed.headers["Location"].endswith("#papers")
    db.session.expire_all()
    assert board["item"].papers == []
    assert client.get(paper_url).status_code == 404


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"MZ\x90\x00 not a pdf", "agenda.pdf", "must be a PDF, a Word document"),
        (zip_bomb, "paper.docx", ""),
    ],
)
def test_a_bad_paper_is_refused_and_nothing_is_kept(
    client, app, board, data, filename, message
):
    login(client, COORD)
    kept = _files_kept(app)
    data = data() if callable(data) else data
    response = _attach_paper(client, board, board["item"], data, filename)
    assert response.status_code == 422
    assert "There is a problem" in response.text
    assert message in response.text
    db.session.expire_all()
    assert board["item"].papers == []
    assert _files_kept(app) == kept
    missing = client.post(
        url(board, tail=f"/items/{board['item'].id}/papers"),
        data={"title": "No file"},
        content_type="multipart/form-data",
    )
    assert missing.status_code == 422
    assert "Choose the paper to attach" in missing.text


# Cancelling ---------------------------------------------------------------------------


def test_cancel_a_meeting_with_a_reason(client, board):
    future = meetings.create_meeting(board["body"], held_on=FUTURE, place="Hall")
    db.session.commit()
    login(client, COORD)
    assert "Cancel the meeting" in client.get(url(board, future)).text
    missing = client.post(url(board, future, "/cancel"), data={"reason": " "})
    assert missing.status_code == 422
    assert "Enter why the meeting is cancelled" in missing.text
    db.session.expire_all()
    assert future.status is meetings.MeetingStatus.SCHEDULED
    cancelled = client.post(
        url(board, future, "/cancel"), data={"reason": "Not quorate: chair unwell"}
    )
    assert cancelled.status_code == 303, cancelled.text
    db.session.expire_all()
    assert future.status is meetings.MeetingStatus.CANCELLED
    page = client.get(url(board, future)).text
    assert "This meeting was cancelled: Not quorate: chair unwell" in page
    assert "Cancel the meeting" not in page
    assert "Add an agenda item" not in page
    again = client.post(url(board, future, "/cancel"), data={"reason": "Again"})
    assert again.status_code == 422
    assert "Only a scheduled meeting can be cancelled" in again.text
    # A meeting that was held cannot be cancelled.
    held = client.post(url(board, tail="/cancel"), data={"reason": "Oops"})
    assert held.status_code == 422


# Attendance statistics ----------------------------------------------------------------

STATS = "/partnerships/x-partnership/attendance"


def test_attendance_statistics_per_organisation(client, board):
    coordinator, xena, xavier = (
        board["x_coordinator"].person,
        board["x_person"],
        board["other"],
    )
    meetings.record_attendance(
        board["meeting"],
        [
            (coordinator, AttendanceStatus.PRESENT),
            (xena, AttendanceStatus.PRESENT),
            (xavier, AttendanceStatus.APOLOGIES),
        ],
    )
    march = meetings.create_meeting(board["body"], held_on=MARCH, place="Hall")
    meetings.mark_held(march, today=MARCH)
    meetings.record_attendance(
        march,
        [
            (coordinator, AttendanceStatus.PRESENT),
            (xena, AttendanceStatus.ABSENT),
            (xavier, AttendanceStatus.APOLOGIES),
        ],
    )
    db.session.commit()
    login(client, "board-x@example.org")
    assert (
        "Attendance by organisation"
        in client.get("/partnerships/x-partnership/meetings").text
    )
    page = client.get(f"{STATS}?start=2018-01-01&end=2018-03-31")
    assert page.status_code == 200
    assert "2 meetings held from 1 January 2018 to 31 March 2018" in page.text
    rows = {
        cells[0]: cells[1:]
        for cells in (
            [
                re.sub(r"<[^>]+>", "", c).strip()
                for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
            ]
            for row in re.findall(
                r"<tr class=\"govuk-table__row\">(.*?)</tr>",
                page.text.split('id="attendance-table"')[1],
                re.S,
            )
        )
        if cells and cells[0] != "Organisation"
    }
    assert rows["X Lead Org"] == ["2", "2", "0", "0", "100.0% (2 of 2)"]
    assert rows["X Partner Org"] == ["2", "1", "2", "1", "50.0% (1 of 2)"]
    # The boxes of the date fields can be used instead of ISO dates; a body filter.
    boxes = client.get(
        STATS,
        query_string=[
            ("start", "1"),
            ("start", "2"),
            ("start", "2018"),
            ("end", "31"),
            ("end", "3"),
            ("end", "2018"),
            ("body", str(board["body"].id)),
        ],
    )
    assert boxes.status_code == 200
    assert "1 meeting held of the Partnership Board from 1 February 2018" in boxes.text
    # Without a period: the last year up to today.
    assert client.get(STATS).status_code == 200


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "start=2018-03-31&end=2018-01-01",
            "The end of the period must be on or after",
        ),
        ("start=31&start=2&start=2018", "must be a real date"),
        ("end=1&end=&end=2018", "must include a month"),
        ("body=999999", "Not a valid choice"),
    ],
)
def test_attendance_statistics_refuse_a_bad_period(client, board, query, message):
    login(client, COORD)
    response = client.get(f"{STATS}?{query}")
    assert response.status_code == 400
    assert message in response.text
    assert "There is a problem" in response.text


def test_attendance_statistics_are_not_for_partner_contacts(client, board):
    login(client, "contact-x@example.org")
    assert client.get(STATS).status_code == 403
    assert (
        "Attendance by organisation"
        not in client.get("/partnerships/x-partnership/meetings").text
    )
    client.post("/auth/logout")
    login(client, "coord-y@example.org")
    assert client.get(STATS).status_code == 404


# Boards, groups and quorum ------------------------------------------------------------


def test_a_new_partnership_sets_up_its_board_members_and_quorum(client, plan):
    login(client, COORD)
    page = client.get("/partnerships/x-partnership/boards")
    assert page.status_code == 200
    assert "No board or group yet" in page.text
    person = plan["x_person"]
    added = client.post(
        "/partnerships/x-partnership/boards",
        data={
            "name": "Partnership Board",
            "kind": "board",
            "members": [str(person.id)],
        },
    )
    assert added.status_code == 303, added.text
    [body] = meetings.bodies_for(plan["x"])
    assert body.kind is BodyKind.BOARD
    assert body.members == [person]
    assert client.get("/partnerships/x-partnership/meetings/new").status_code == 200
    version = meetings.settings_for(plan["x"]).version
    saved = client.post(
        "/partnerships/x-partnership/boards/quorum",
        data={"count": "3", "basis": "organisations", "version": version},
    )
    assert saved.status_code == 303, saved.text
    db.session.expire_all()
    assert meetings.settings_for(plan["x"]).quorum_count == 3
    shown = client.get("/partnerships/x-partnership/boards").text
    assert "Quorum: 3 organisations present" in shown
    coordinator = plan["x_coordinator"].person
    changed = client.post(
        f"/partnerships/x-partnership/boards/{body.id}/members",
        data={f"body-{body.id}-members": [str(person.id), str(coordinator.id)]},
    )
    assert changed.status_code == 303
    db.session.expire_all()
    assert {p.id for p in body.members} == {person.id, coordinator.id}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "kind": "board"}, "Enter the name of the board or group"),
        (
            {"name": "Board", "kind": "board", "quorum_count": "0"},
            "The quorum must be at least 1",
        ),
        ({"name": "Board", "kind": "committee"}, "Not a valid choice"),
        (
            {"name": "Board", "kind": "board", "members": ["999999"]},
            "Choose members from the list",
        ),
    ],
)
def test_a_bad_board_is_refused_and_nothing_is_saved(client, plan, data, message):
    login(client, COORD)
    response = client.post("/partnerships/x-partnership/boards", data=data)
    assert response.status_code == 422
    assert "There is a problem" in response.text
    assert message in response.text
    assert meetings.bodies_for(plan["x"]) == []


def test_two_boards_cannot_share_a_name(client, board):
    login(client, COORD)
    response = client.post(
        "/partnerships/x-partnership/boards",
        data={"name": "Partnership Board", "kind": "group"},
    )
    assert response.status_code == 422
    assert "already has a body called" in response.text
    assert len(meetings.bodies_for(board["x"])) == 1


def test_a_stale_quorum_edit_is_a_conflict(client, board):
    login(client, COORD)
    version = meetings.settings_for(board["x"]).version
    meetings.set_quorum(board["x"], count=2, basis=meetings.QuorumBasis.PEOPLE)
    db.session.commit()
    response = client.post(
        "/partnerships/x-partnership/boards/quorum",
        data={"count": "5", "basis": "people", "version": version},
    )
    assert response.status_code == 409
    assert "There is a problem" in response.text
    db.session.expire_all()
    assert meetings.settings_for(board["x"]).quorum_count == 2


def test_another_partnerships_board_is_not_found(client, board):
    """Y's coordinator cannot reach X's board, even under Y's own address."""
    login(client, "coord-y@example.org")
    response = client.post(
        f"/partnerships/y-partnership/boards/{board['body'].id}/members", data={}
    )
    assert response.status_code == 404
    db.session.expire_all()
    assert len(board["body"].members) == 3
