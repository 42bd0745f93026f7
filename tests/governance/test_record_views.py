"""Views of the governance record: meetings, attendance, minutes, decisions, iCal."""

import io
import re
from datetime import date
from datetime import time

import pytest
from sqlalchemy import select

from governance import agreements
from governance import meetings
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
from tests.conftest import login
from tests.governance.conftest import at
from tests.governance.test_uploads import make_pdf

JANUARY = date(2018, 1, 16)
MARCH = date(2018, 3, 13)
FUTURE = date(2099, 1, 1)
COORD = "coord-x@example.org"


def record_matrix(w: dict) -> dict[str, tuple[str, str, dict[str, int]]]:
    """endpoint -> (method, url, {role: status}) for record.*, on a held meeting of X.

    Partner contacts read meetings of their partnership but not the minutes'
    history; board members read; coordinators edit; Y's coordinator gets 404.
    """
    if "record_meeting" not in w:
        body = meetings.create_body(w["x"], name="Matrix Board", kind=BodyKind.BOARD)
        meeting = meetings.create_meeting(body, held_on=JANUARY, place="Town Hall")
        meetings.mark_held(meeting, today=JANUARY)
        meetings.start_minutes(meeting, by=None)
        w["record_agreement"] = agreements.create_agreement(
            w["x"],
            title="Matrix memorandum",
            content=AgreementContent(
                purpose="Work together",
                starts_on=JANUARY,
                parties=[PartyTerms(w["x_lead"], "Lead organisation")],
            ),
            by=None,
        )
        db.session.commit()
        w["record_meeting"] = meeting
    x = w["x"].slug
    base = f"/partnerships/{x}/meetings/{w['record_meeting'].id}"
    read_x = {
        "x_contact": 200,
        "x_board": 200,
        "x_coordinator": 200,
        "y_coordinator": 404,
        "admin": 200,
    }
    no_edit = {"x_contact": 403, "x_board": 403, "y_coordinator": 404}
    mou = f"/partnerships/{x}/memoranda/{w['record_agreement'].id}"
    return {
        "record.memoranda": ("GET", f"/partnerships/{x}/memoranda", read_x),
        "record.memorandum": ("GET", mou, read_x),
        "record.memorandum_diff": ("GET", f"{mou}/diff", read_x),
        # No such document: 404 for everyone, as another partnership's would be.
        "record.document": ("GET", f"{mou}/documents/0", dict.fromkeys(read_x, 404)),
        "record.sign": (
            "POST",
            f"{mou}/versions/1/sign",
            no_edit | {"x_coordinator": 422, "admin": 422},
        ),
        "record.index": ("GET", "/meetings", read_x | {"y_coordinator": 200}),
        "record.meetings_list": ("GET", f"/partnerships/{x}/meetings", read_x),
        "record.calendar": ("GET", f"/partnerships/{x}/meetings.ics", read_x),
        "record.decisions": ("GET", f"/partnerships/{x}/decisions", read_x),
        "record.meeting": ("GET", base, read_x),
        "record.history": (
            "GET",
            f"{base}/minutes/history",
            read_x | {"x_contact": 403},
        ),
        "record.create_meeting": (
            "GET",
            f"/partnerships/{x}/meetings/new",
            no_edit | {"x_coordinator": 200, "admin": 200},
        ),
        "record.attendance": (
            "GET",
            f"{base}/attendance",
            no_edit | {"x_coordinator": 200, "admin": 200},
        ),
        "record.edit_minutes": (
            "GET",
            f"{base}/minutes",
            no_edit | {"x_coordinator": 200, "admin": 200},
        ),
        # Empty forms: refused as invalid or out of date, never saved.
        "record.mark_held": (
            "POST",
            f"{base}/held",
            no_edit | {"x_coordinator": 422, "admin": 422},
        ),
        "record.add_decision": (
            "POST",
            f"{base}/decisions",
            no_edit | {"x_coordinator": 422, "admin": 422},
        ),
        "record.add_action": (
            "POST",
            f"{base}/actions",
            no_edit | {"x_coordinator": 422, "admin": 422},
        ),
        "record.circulate": (
            "POST",
            f"{base}/minutes/circulate",
            no_edit | {"x_coordinator": 409, "admin": 409},
        ),
        "record.approve": (
            "POST",
            f"{base}/minutes/approve",
            no_edit | {"x_coordinator": 422, "admin": 422},
        ),
    }


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
    db.session.commit()
    login(client, "contact-x@example.org")
    page = client.get(url(board))
    assert page.status_code == 200
    assert "Progress report" in page.text
    assert "Budget pressures" not in page.text
    assert "Deficit" not in page.text
    assert client.get(url(board, tail="/minutes/history")).status_code == 403


def test_minutes_are_rendered_sanitised(client, board):
    minutes = board["minutes"]
    meetings.edit_minutes(
        minutes,
        {board["item"].id: "**On track** <script>alert(1)</script>"},
        opened_version=minutes.version,
        by=None,
    )
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
        data={"version": minutes.version, "item": item.id, "text": "Fund phase 2"},
    )
    assert decided.status_code == 303, decided.text
    db.session.expire_all()
    acted = client.post(
        url(board, tail="/actions"),
        data={
            "version": minutes.version,
            "item": item.id,
            "title": "Draft the phase 2 bid",
            "owner": board["x_person"].id,
            "theme": board["themes"]["Prevention"].id,
            "due_date": ["30", "3", "2018"],
        },
    )
    assert acted.status_code == 303, acted.text
    action = db.session.scalars(
        select(Action).where(Action.title == "Draft the phase 2 bid")
    ).one()
    page = client.get(url(board)).text
    assert "Fund phase 2" in page
    assert "Draft the phase 2 bid" in page
    assert f"/plans/x-plan/actions/{action.id}" in page
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
        data={
            "version": board["minutes"].version,
            "item": board["item"].id,
            "title": "Something",
            "owner": board["x_person"].id,
            "theme": 0,
        },
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
        data={"version": minutes.version, "item": item.id, "text": "Late"},
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
            data={"item": board["item"].id, "text": "x"},
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
