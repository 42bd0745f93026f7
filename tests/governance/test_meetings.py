"""Meetings: agendas, attendance and quorum, minutes and their approval, decisions,
actions arising, the audit trail (T48), sanitised Markdown (T34), iCal and the demo."""

import io
import itertools
import random
import re
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update

from governance import ical
from governance import markdown
from governance import meetings
from governance import plans
from governance import record_demo
from governance import uploads
from governance.agreements import Agreement
from governance.agreements import AgreementStatus
from governance.meetings import AttendanceStatus
from governance.meetings import BodyKind
from governance.meetings import ItemKind
from governance.meetings import Meeting
from governance.meetings import MeetingError
from governance.meetings import MeetingStatus
from governance.meetings import Minutes
from governance.meetings import MinutesEvent
from governance.meetings import MinutesLockedError
from governance.meetings import MinutesStatus
from governance.meetings import QuorumBasis
from governance.models import Action
from governance.models import ActionStatus
from portal.extensions import db
from portal.models import MemberRole
from tests.helpers import at
from tests.sample_files import make_pdf

JUNE = date(2018, 6, 12)
SEPTEMBER = date(2018, 9, 11)
DECEMBER = date(2018, 12, 11)
TODAY = date(2018, 10, 1)


@pytest.fixture(autouse=True)
def _uploads(app, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")


@pytest.fixture
def board(plan, make_user, make_person):
    """Partnership X's board, with three members, and a second coordinator."""
    second = make_user(
        "coord2-x@example.org",
        partnership=plan["x"],
        role=MemberRole.COORDINATOR,
        organisation=plan["x_lead"],
    )
    lead_person = plan["x_coordinator"].person
    partner_person = plan["x_person"]
    other_partner = make_person("Xavier Staff", "xavier@example.org", plan["x_partner"])
    body = meetings.create_body(
        plan["x"],
        name="Partnership Board",
        kind=BodyKind.BOARD,
        members=[lead_person, partner_person, other_partner],
    )
    db.session.commit()
    return {
        **plan,
        "body": body,
        "second": second,
        "lead_person": lead_person,
        "other_partner": other_partner,
    }


def new_meeting(board, day=JUNE, **overrides):
    values = {
        "held_on": day,
        "starts_at": time(10, 0),
        "place": "Room 1, Town Hall",
        "chair": board["lead_person"],
        "at": at(day.replace(day=1)),
    }
    values.update(overrides)
    meeting = meetings.create_meeting(board["body"], **values)
    db.session.commit()
    return meeting


def held_meeting(board, day=JUNE, **overrides):
    meeting = new_meeting(board, day, **overrides)
    meetings.mark_held(meeting, today=day, at=at(day))
    db.session.commit()
    return meeting


def minuted(board, day=JUNE, *, by="x_coordinator"):
    meeting = held_meeting(board, day)
    item = meetings.add_item(meeting, title="Progress report")
    minutes = meetings.start_minutes(meeting, by=board[by], at=at(day, 15))
    db.session.commit()
    return meeting, item, minutes


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# Meetings and agendas ----------------------------------------------------------------


def test_a_new_meeting_starts_with_the_standing_items(board):
    meeting = new_meeting(board)
    assert meeting.status is MeetingStatus.SCHEDULED
    assert [(i.position, i.kind, i.title) for i in meeting.items] == [
        (1, ItemKind.PREVIOUS_MINUTES, "Minutes of the last meeting"),
        (2, ItemKind.MATTERS_ARISING, "Matters arising"),
    ]
    assert meeting.title == "Partnership Board meeting"
    assert meeting.previous is None
    assert re.fullmatch(r"[0-9a-f]{32}", meeting.uid)
    later = new_meeting(board, SEPTEMBER)
    assert later.previous is meeting
    assert "12 June 2018" in later.items[0].description


def test_matters_arising_lists_open_actions_from_earlier_meetings(board):
    june, item, minutes = minuted(board)
    themes = board["themes"]
    done = meetings.add_action_arising(
        minutes,
        item,
        title="Finished before September",
        owner=board["x_person"],
        due_date=date(2018, 7, 31),
        theme=themes["Prevention"],
        opened_version=minutes.version,
        by=board["x_coordinator"],
        at=at(JUNE, 16),
    )
    still_open = meetings.add_action_arising(
        minutes,
        item,
        title="Still going",
        owner=board["x_person"],
        due_date=date(2018, 12, 31),
        theme=themes["Diversion"],
        opened_version=minutes.version,
        by=board["x_coordinator"],
        at=at(JUNE, 16),
    )
    plans.change_status(
        done,
        ActionStatus.COMPLETED,
        opened_version=done.version,
        by=board["x_person"],
        at=at(date(2018, 7, 20)),
    )
    # An action from another body's meeting is not this board's matter.
    group = meetings.create_body(board["x"], name="Delivery Group", kind=BodyKind.GROUP)
    other = held_meeting({**board, "body": group}, date(2018, 7, 1))
    other_item = meetings.add_item(other, title="Other business")
    other_minutes = meetings.start_minutes(other, by=None)
    meetings.add_action_arising(
        other_minutes,
        other_item,
        title="The group's own action",
        owner=board["x_person"],
        due_date=date(2018, 12, 31),
        theme=themes["Prevention"],
        opened_version=other_minutes.version,
        by=None,
    )
    db.session.commit()
    september = new_meeting(board, SEPTEMBER)
    assert meetings.matters_arising(september) == [still_open]
    assert meetings.open_actions_from_earlier_meetings(september) == [still_open]
    # An earlier meeting does not list actions from later ones.
    assert meetings.open_actions_from_earlier_meetings(june) == []
    # Refreshing before the meeting drops what has since been done.
    plans.change_status(
        still_open,
        ActionStatus.COMPLETED,
        opened_version=still_open.version,
        by=board["x_person"],
        at=at(date(2018, 9, 1)),
    )
    assert meetings.refresh_matters_arising(september) == []
    meetings.mark_held(september, today=SEPTEMBER)
    with pytest.raises(MeetingError, match="fixed once the meeting has been held"):
        meetings.refresh_matters_arising(september)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"place": "", "link": ""}, "a place, a link, or both"),
        ({"link": "http://meet.example/x"}, "starting with https://"),
        ({"link": "javascript:alert(1)"}, "starting with https://"),
        ({"link": "https://"}, "starting with https://"),
        ({"link": "https://meet.example/a b"}, "starting with https://"),
        ({"duration_minutes": 0}, "between 1 and 1440"),
        ({"chair": "y_person"}, "is not in Partnership X"),
        ({"place": "x" * 301}, "300 characters or fewer"),
    ],
)
def test_bad_meetings_are_refused_and_nothing_is_saved(board, overrides, message):
    if overrides.get("chair") == "y_person":
        overrides["chair"] = board["y_person"]
    with pytest.raises(MeetingError, match=message):
        new_meeting(board, **overrides)
    db.session.rollback()
    assert count(Meeting) == 0


def test_online_meetings_and_changes(board):
    meeting = new_meeting(board, place="", link="https://meet.example/board")
    assert meeting.where == "https://meet.example/board"
    opened = meeting.version
    meetings.update_meeting(
        meeting,
        opened_version=opened,
        held_on=JUNE,
        starts_at=time(14, 0),
        duration_minutes=90,
        place="Room 2",
        link="https://meet.example/board",
        chair=None,
        confidential=True,
        title="Board (extraordinary)",
    )
    db.session.commit()
    assert meeting.where == "Room 2 / https://meet.example/board"
    with pytest.raises(meetings.EditConflictError):
        meetings.update_meeting(
            meeting,
            opened_version=opened,
            held_on=JUNE,
            starts_at=None,
            duration_minutes=60,
            place="Elsewhere",
            link="",
            chair=None,
            confidential=False,
            title="Board",
        )
    db.session.rollback()
    assert meeting.place == "Room 2"


def test_held_and_cancelled_are_guarded(board):
    meeting = new_meeting(board)
    with pytest.raises(MeetingError, match="has not happened yet"):
        meetings.mark_held(meeting, today=date(2018, 6, 11))
    meetings.mark_held(meeting, today=JUNE)
    with pytest.raises(MeetingError, match="held, not scheduled"):
        meetings.mark_held(meeting, today=JUNE)
    with pytest.raises(MeetingError, match="Only a scheduled meeting"):
        meetings.cancel_meeting(meeting, reason="Snow")
    with pytest.raises(MeetingError, match="cannot move to a later date"):
        meetings.update_meeting(
            meeting,
            opened_version=meeting.version,
            held_on=date(2018, 12, 1),
            starts_at=None,
            duration_minutes=60,
            place="Room 1",
            link="",
            chair=None,
            confidential=False,
            title="Board",
            today=TODAY,
        )
    later = new_meeting(board, DECEMBER)
    with pytest.raises(MeetingError, match="Enter the reason"):
        meetings.cancel_meeting(later, reason=" ")
    meetings.cancel_meeting(later, reason="Not quorate")
    assert later.status is MeetingStatus.CANCELLED
    # A cancelled meeting is not "the last meeting" of the next one.
    assert new_meeting(board, date(2019, 3, 1)).previous is meeting


def test_agenda_items_are_ordered_timed_and_hold_papers(board):
    meeting = new_meeting(board)
    first = meetings.add_item(
        meeting,
        title="Progress report",
        presenter=board["x_person"],
        duration_minutes=20,
    )
    second = meetings.add_item(meeting, title="Any other business", confidential=True)
    assert [i.title for i in meeting.items][2:] == [
        "Progress report",
        "Any other business",
    ]
    meetings.move_item(second, -1)
    assert [i.position for i in meeting.items] == [1, 2, 3, 4]
    assert [i.title for i in meeting.items][2:] == [
        "Any other business",
        "Progress report",
    ]
    # Standing items stay first.
    meetings.move_item(second, -1)
    assert meeting.items[2] is second
    with pytest.raises(MeetingError, match="between 1 and 1440"):
        meetings.add_item(meeting, title="Too long", duration_minutes=2000)
    with pytest.raises(MeetingError, match="is not in Partnership X"):
        meetings.add_item(meeting, title="Guest", presenter=board["y_person"])
    with pytest.raises(MeetingError, match="standing item"):
        meetings.remove_item(meeting.items[0])
    paper = meetings.attach_paper(
        first, io.BytesIO(make_pdf()), "Q1 report.pdf", by=board["x_coordinator"]
    )
    db.session.commit()
    assert paper.title == "Q1 report.pdf"
    assert paper.file.partnership_id == board["x"].id
    with pytest.raises(MeetingError, match="papers first"):
        meetings.remove_item(first)
    # Without its paper the item can go; the stored file's row goes with the paper.
    stored_id = paper.file.id
    spare = meetings.add_item(meeting, title="Spare")
    spare_paper = meetings.attach_paper(
        spare, io.BytesIO(make_pdf()), "spare.pdf", by=None
    )
    spare_file = spare_paper.file.id
    assert meetings.remove_paper(spare_paper) == "spare.pdf"
    db.session.commit()
    assert spare.papers == []
    assert db.session.get(uploads.StoredFile, spare_file) is None
    assert db.session.get(uploads.StoredFile, stored_id) is not None
    meetings.remove_item(spare)
    meetings.remove_item(second)
    assert [i.title for i in meeting.items] == [
        "Minutes of the last meeting",
        "Matters arising",
        "Progress report",
    ]
    visible = meetings.visible_items(meeting, sees_confidential=False)
    assert first in visible


def test_partner_contacts_do_not_see_confidential_items(board):
    meeting = new_meeting(board, confidential=True)
    secret = meetings.add_item(meeting, title="Contract performance", confidential=True)
    assert secret not in meetings.visible_items(meeting, sees_confidential=False)
    assert secret in meetings.visible_items(meeting, sees_confidential=True)
    assert not meetings.papers_visible(meeting, sees_confidential=False)
    assert meetings.papers_visible(meeting, sees_confidential=True)


# Attendance and quorum ---------------------------------------------------------------


def test_attendance_and_quorum(board):
    meeting = new_meeting(board)
    lead, partner, other = (
        board["lead_person"],
        board["x_person"],
        board["other_partner"],
    )
    # Apologies may come before the meeting; presence only after it.
    meetings.record_attendance(meeting, [(other, AttendanceStatus.APOLOGIES)])
    with pytest.raises(MeetingError, match="once the meeting has been held"):
        meetings.record_attendance(meeting, [(lead, AttendanceStatus.PRESENT)])
    meetings.mark_held(meeting, today=JUNE)
    assert meetings.quorum(meeting).text == "No quorum set"
    assert meetings.quorum(meeting).met is None
    meetings.set_quorum(board["x"], count=2, basis=QuorumBasis.ORGANISATIONS)
    meetings.record_attendance(
        meeting,
        [
            (lead, AttendanceStatus.PRESENT),
            (partner, AttendanceStatus.ABSENT),
            (other, AttendanceStatus.APOLOGIES),
        ],
    )
    result = meetings.quorum(meeting)
    assert (result.present, result.required, result.met) == (1, 2, False)
    assert result.text == "Not quorate: 1 organisation present, 2 needed"
    meetings.record_attendance(meeting, [(partner, AttendanceStatus.PRESENT)])
    assert meetings.quorum(meeting).met is True
    assert len(meeting.attendance) == 3
    assert {r.person: r.status for r in meeting.attendance}[partner] is (
        AttendanceStatus.PRESENT
    )
    meetings.set_quorum(board["x"], count=3, basis=QuorumBasis.PEOPLE)
    assert meetings.quorum(meeting).text == "Not quorate: 2 members present, 3 needed"
    board["body"].quorum_count = 2
    assert meetings.quorum(meeting).met is True


@pytest.mark.parametrize(
    ("who", "message"),
    [("y_person", "is not in Partnership X"), ("twice", "listed twice")],
)
def test_bad_attendance_is_refused(board, who, message):
    meeting = held_meeting(board)
    entries = (
        [(board["y_person"], AttendanceStatus.PRESENT)]
        if who == "y_person"
        else [
            (board["x_person"], AttendanceStatus.PRESENT),
            (board["x_person"], AttendanceStatus.ABSENT),
        ]
    )
    with pytest.raises(MeetingError, match=message):
        meetings.record_attendance(meeting, entries)
    db.session.rollback()
    assert meeting.attendance == []


def test_quorum_must_be_positive(board):
    with pytest.raises(MeetingError, match="at least 1"):
        meetings.set_quorum(board["x"], count=0, basis=QuorumBasis.PEOPLE)


def test_attendance_statistics_per_organisation(board, make_organisation):
    silent = make_organisation("X Silent Partner", partnership=board["x"])
    lead, partner, other = (
        board["lead_person"],
        board["x_person"],
        board["other_partner"],
    )
    records = {
        JUNE: [(lead, "present"), (partner, "present"), (other, "apologies")],
        SEPTEMBER: [(lead, "present"), (partner, "apologies"), (other, "apologies")],
        DECEMBER: [(lead, "apologies"), (partner, "absent"), (other, "present")],
    }
    for day, entries in records.items():
        meeting = held_meeting(board, day)
        meetings.record_attendance(
            meeting, [(p, AttendanceStatus(s)) for p, s in entries]
        )
    new_meeting(board, date(2019, 3, 1))  # not held: not counted
    rows = {
        r.organisation.name: r
        for r in meetings.attendance_by_organisation(
            board["x"], start=date(2018, 4, 1), end=date(2019, 3, 31)
        )
    }
    lead_org = rows["X Lead Org"]
    assert (lead_org.meetings, lead_org.represented, lead_org.apologies_only) == (
        3,
        2,
        1,
    )
    assert lead_org.represented_pct == Decimal("66.7")
    partners = rows["X Partner Org"]
    assert (partners.represented, partners.apologies_only) == (2, 1)
    assert (partners.present, partners.apologies, partners.absent) == (2, 3, 1)
    assert rows[silent.name].represented == 0
    assert rows[silent.name].represented_pct == Decimal("0.0")
    june_only = meetings.attendance_by_organisation(
        board["x"], start=JUNE, end=JUNE, body=board["body"]
    )
    assert {r.organisation.name: r.meetings for r in june_only}["X Lead Org"] == 1
    with pytest.raises(MeetingError, match="on or after its start"):
        meetings.attendance_by_organisation(
            board["x"], start=JUNE, end=date(2018, 1, 1)
        )


# Minutes workflow ----------------------------------------------------------------------


def test_minutes_cannot_be_written_for_a_meeting_that_has_not_happened(board):
    meeting = new_meeting(board)
    with pytest.raises(MeetingError, match="meeting that has been held"):
        meetings.start_minutes(meeting, by=board["x_coordinator"])
    db.session.rollback()
    assert count(Minutes) == 0


def test_draft_circulated_approved_locked(board):
    _, item, minutes = minuted(board)
    meetings.edit_minute(
        minutes,
        item,
        "Progress is **good**.",
        opened_version=minutes.version,
        by=board["x_coordinator"],
    )
    with pytest.raises(MeetingError, match="Circulate the minutes"):
        meetings.approve_minutes(
            minutes,
            at_meeting=held_meeting(board, SEPTEMBER),
            opened_version=minutes.version,
            by=None,
            today=TODAY,
        )
    db.session.rollback()
    september = db.session.scalar(select(Meeting).where(Meeting.held_on == SEPTEMBER))
    meetings.circulate_minutes(
        minutes, opened_version=minutes.version, by=board["x_coordinator"]
    )
    # Members' comments can still be taken in while circulated.
    meetings.edit_minute(
        minutes,
        item,
        "Progress is **good**; two actions are late.",
        opened_version=minutes.version,
        by=board["second"],
    )
    revision = meetings.approve_minutes(
        minutes,
        at_meeting=september,
        opened_version=minutes.version,
        by=board["x_coordinator"],
        at=at(SEPTEMBER, 11),
        today=TODAY,
    )
    db.session.commit()
    assert minutes.status is MinutesStatus.APPROVED
    assert minutes.approved_by_id == board["x_coordinator"].id
    assert minutes.approved_at == at(SEPTEMBER, 11)
    assert minutes.approved_at_meeting is september
    assert revision.number == 1
    assert revision.texts()[item.id] == "Progress is **good**; two actions are late."
    meetings.lock_minutes(minutes, opened_version=minutes.version, by=None)
    assert minutes.status is MinutesStatus.LOCKED
    with pytest.raises(MeetingError, match="cannot become"):
        meetings.circulate_minutes(minutes, opened_version=minutes.version, by=None)


def _circulated(board):
    meeting, item, minutes = minuted(board)
    meetings.edit_minute(
        minutes, item, "Agreed.", opened_version=minutes.version, by=None
    )
    meetings.circulate_minutes(minutes, opened_version=minutes.version, by=None)
    db.session.commit()
    return meeting, item, minutes


def test_approving_at_a_meeting_that_has_not_happened_is_refused(board):
    _, _, minutes = _circulated(board)
    future = new_meeting(board, DECEMBER)
    with pytest.raises(MeetingError, match="has not happened yet"):
        meetings.approve_minutes(
            minutes, at_meeting=future, opened_version=minutes.version, by=None
        )
    # Even marked as held, a date after today has not happened.
    future.status = MeetingStatus.HELD
    with pytest.raises(MeetingError, match="has not happened yet"):
        meetings.approve_minutes(
            minutes,
            at_meeting=future,
            opened_version=minutes.version,
            by=None,
            today=TODAY,
        )
    db.session.rollback()
    assert minutes.status is MinutesStatus.CIRCULATED
    assert minutes.approved_at is None


def test_minutes_of_a_meeting_that_has_not_happened_cannot_be_approved(board):
    _, _, minutes = _circulated(board)
    september = held_meeting(board, SEPTEMBER)
    minutes.meeting.status = MeetingStatus.SCHEDULED  # e.g. recorded as held by mistake
    with pytest.raises(MeetingError, match="has not happened, so its minutes"):
        meetings.approve_minutes(
            minutes,
            at_meeting=september,
            opened_version=minutes.version,
            by=None,
            today=TODAY,
        )
    db.session.rollback()


@pytest.mark.parametrize("where", ["same", "earlier", "other-body"])
def test_minutes_are_approved_at_a_later_meeting_of_the_same_body(board, where):
    june, _, minutes = _circulated(board)
    if where == "same":
        at_meeting = june
        message = "later meeting"
    elif where == "earlier":
        at_meeting = held_meeting(board, date(2018, 5, 1))
        message = "later meeting, after 12 June 2018"
    else:
        group = meetings.create_body(board["x"], name="Group", kind=BodyKind.GROUP)
        at_meeting = held_meeting({**board, "body": group}, SEPTEMBER)
        message = "later meeting of the Partnership Board"
    with pytest.raises(MeetingError, match=message):
        meetings.approve_minutes(
            minutes,
            at_meeting=at_meeting,
            opened_version=minutes.version,
            by=None,
            today=TODAY,
        )


def _approved(board):
    june, item, minutes = _circulated(board)
    september = held_meeting(board, SEPTEMBER)
    meetings.approve_minutes(
        minutes,
        at_meeting=september,
        opened_version=minutes.version,
        by=board["x_coordinator"],
        today=TODAY,
    )
    db.session.commit()
    return june, item, minutes


@pytest.mark.parametrize("lock", [False, True])
def test_approved_or_locked_minutes_cannot_be_edited(board, lock):
    june, item, minutes = _approved(board)
    if lock:
        meetings.lock_minutes(minutes, opened_version=minutes.version, by=None)
        db.session.commit()
    events = len(meetings.minutes_history(minutes))
    with pytest.raises(MinutesLockedError, match="make a correction") as caught:
        meetings.edit_minute(
            minutes, item, "Rewritten", opened_version=minutes.version, by=None
        )
    assert caught.value.status == 409
    with pytest.raises(MinutesLockedError):
        meetings.record_decision(
            minutes, item, "Late decision", opened_version=minutes.version, by=None
        )
    with pytest.raises(MinutesLockedError):
        meetings.add_item(june, title="Late item")
    db.session.rollback()
    assert minutes.text_for(item) == "Agreed."
    assert len(meetings.minutes_history(minutes)) == events


def test_a_correction_after_approval_is_a_new_revision(board):
    _, item, minutes = _approved(board)
    meetings.lock_minutes(minutes, opened_version=minutes.version, by=None)
    with pytest.raises(MeetingError, match="reason for the correction"):
        meetings.correct_minutes(
            minutes,
            {item.id: "Agreed unanimously."},
            reason=" ",
            opened_version=minutes.version,
            by=board["second"],
        )
    with pytest.raises(MeetingError, match="Nothing was changed"):
        meetings.correct_minutes(
            minutes,
            {item.id: "Agreed."},
            reason="Typo",
            opened_version=minutes.version,
            by=board["second"],
        )
    revision = meetings.correct_minutes(
        minutes,
        {item.id: "Agreed unanimously."},
        reason="The vote was recorded wrongly",
        opened_version=minutes.version,
        by=board["second"],
        at=at(date(2018, 9, 20)),
    )
    db.session.commit()
    assert (revision.number, minutes.revision) == (2, 2)
    assert [r.number for r in minutes.revisions] == [1, 2]
    assert minutes.revisions[0].texts()[item.id] == "Agreed."
    assert minutes.revisions[1].texts()[item.id] == "Agreed unanimously."
    assert minutes.text_for(item) == "Agreed unanimously."
    assert minutes.status is MinutesStatus.LOCKED
    last_two = meetings.minutes_history(minutes)[-2:]
    assert [(e.field, e.revision, e.user) for e in last_two] == [
        ("text", 2, board["second"]),
        ("correction", 2, board["second"]),
    ]
    assert last_two[0].old_value == "Agreed."
    assert last_two[0].note == "The vote was recorded wrongly"


def test_unapproved_minutes_are_edited_not_corrected(board):
    _, item, minutes = minuted(board)
    with pytest.raises(MeetingError, match="edit them instead"):
        meetings.correct_minutes(
            minutes,
            {item.id: "x"},
            reason="r",
            opened_version=minutes.version,
            by=None,
        )


def test_minute_text_limits_and_foreign_items(board):
    _, item, minutes = minuted(board)
    other = new_meeting(board, SEPTEMBER)
    with pytest.raises(MeetingError, match="not on this meeting's agenda"):
        meetings.edit_minute(
            minutes, other.items[0], "x", opened_version=minutes.version, by=None
        )
    with pytest.raises(MeetingError, match="characters or fewer"):
        meetings.edit_minute(
            minutes, item, "x" * 100_001, opened_version=minutes.version, by=None
        )
    with pytest.raises(MeetingError, match="already has minutes"):
        meetings.start_minutes(minutes.meeting, by=None)


# Two editors and the audit trail -------------------------------------------------------


def test_two_coordinators_editing_the_same_minutes_lose_nothing(board):
    _, item, minutes = minuted(board)
    opened = minutes.version  # both coordinators open the form now
    meetings.edit_minute(
        minutes,
        item,
        "A's account of the discussion.",
        opened_version=opened,
        by=board["x_coordinator"],
    )
    db.session.commit()
    with pytest.raises(meetings.MinutesConflictError, match="not been lost") as caught:
        meetings.edit_minutes(
            minutes,
            {item.id: "B's account, typed for twenty minutes."},
            opened_version=opened,
            by=board["second"],
        )
    assert caught.value.status == 409
    assert caught.value.theirs[item.id] == "A's account of the discussion."
    assert caught.value.yours[item.id] == "B's account, typed for twenty minutes."
    db.session.rollback()
    assert minutes.text_for(item) == "A's account of the discussion."
    # B merges and saves against the current version.
    meetings.edit_minute(
        minutes,
        item,
        "A's account of the discussion. B's addition.",
        opened_version=minutes.version,
        by=board["second"],
    )
    db.session.commit()
    assert minutes.text_for(item).endswith("B's addition.")


def test_a_lost_race_on_the_minutes_is_a_conflict_that_keeps_both_texts(board):
    _, item, minutes = minuted(board)
    meetings.edit_minute(
        minutes, item, "Saved first.", opened_version=minutes.version, by=None
    )
    db.session.commit()
    # Another worker saves between our read and our write.
    db.session.execute(
        update(Minutes)
        .where(Minutes.id == minutes.id)
        .values(version=Minutes.version + 1)
        .execution_options(synchronize_session=False)
    )
    with pytest.raises(meetings.MinutesConflictError) as caught:
        meetings.edit_minute(
            minutes, item, "Mine.", opened_version=minutes.version, by=None
        )
    assert caught.value.theirs == {item.id: "Saved first."}
    assert caught.value.yours == {item.id: "Mine."}
    db.session.rollback()
    assert db.session.get(Minutes, minutes.id).text_for(item) == "Saved first."


def test_the_history_shows_every_change_with_who_and_when(board):
    _, item, minutes = minuted(board)
    a, b = board["x_coordinator"], board["second"]
    for number, (who, text) in enumerate(
        [(a, "First draft."), (b, "Second draft."), (a, "Third draft.")], start=1
    ):
        meetings.edit_minute(
            minutes,
            item,
            text,
            opened_version=minutes.version,
            by=who,
            at=datetime(2018, 6, 13, 9, number, tzinfo=UTC),
        )
    # Saving the same text again is not a change.
    assert not meetings.edit_minute(
        minutes, item, "Third draft.", opened_version=minutes.version, by=b
    )
    db.session.commit()
    history = meetings.minutes_history(minutes)
    assert [e.field for e in history] == ["created", "text", "text", "text"]
    assert [(e.user, e.old_value, e.new_value) for e in history[1:]] == [
        (a, "", "First draft."),
        (b, "First draft.", "Second draft."),
        (a, "Second draft.", "Third draft."),
    ]
    assert [e.changed_at.minute for e in history[1:]] == [1, 2, 3]
    assert all(e.agenda_item_id == item.id for e in history[1:])
    assert history[1].author_name == a.name
    assert meetings.verify_minutes_history(minutes) is None


def test_the_history_cannot_be_edited_and_tampering_shows(board):
    _, item, minutes = minuted(board)
    meetings.edit_minute(
        minutes, item, "True.", opened_version=minutes.version, by=None
    )
    db.session.commit()
    entry = meetings.minutes_history(minutes)[1]
    entry.new_value = "False."
    with pytest.raises(ValueError, match="cannot be changed"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(meetings.minutes_history(minutes)[1])
    with pytest.raises(ValueError, match="cannot be changed"):
        db.session.flush()
    db.session.rollback()
    db.session.execute(
        update(MinutesEvent)
        .where(MinutesEvent.id == entry.id)
        .values(new_value="False.")
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()
    assert meetings.verify_minutes_history(minutes) == entry.seq
    db.session.rollback()


def test_a_failure_writing_the_audit_row_saves_nothing(board, monkeypatch):
    _, item, minutes = minuted(board)

    def broken(*args, **kwargs):
        raise RuntimeError("audit unavailable")

    monkeypatch.setattr(meetings, "_record", broken)
    with pytest.raises(RuntimeError):
        meetings.edit_minute(
            minutes, item, "Unaudited", opened_version=minutes.version, by=None
        )
    db.session.rollback()
    assert minutes.text_for(item) == ""


# Decisions -----------------------------------------------------------------------------


def test_decisions_are_numbered_and_searchable_across_meetings(board):
    _, june_item, june_minutes = minuted(board)
    meetings.record_decision(
        june_minutes,
        june_item,
        "Fund the housing pathway for 100% of referrals",
        opened_version=june_minutes.version,
        by=board["x_coordinator"],
    )
    meetings.record_decision(
        june_minutes,
        june_item,
        "Review the mentoring contract",
        opened_version=june_minutes.version,
        by=None,
    )
    september = held_meeting(board, SEPTEMBER)
    secret = meetings.add_item(september, title="Contract", confidential=True)
    sept_minutes = meetings.start_minutes(september, by=None)
    meetings.record_decision(
        sept_minutes,
        secret,
        "Extend the housing contract_2018 by a year",
        opened_version=sept_minutes.version,
        by=None,
    )
    db.session.commit()
    assert [d.number for d in june_minutes.decisions] == [1, 2]
    found = meetings.search_decisions({board["x"].id}, "HOUSING")
    assert [d.text for d in found] == [
        "Extend the housing contract_2018 by a year",
        "Fund the housing pathway for 100% of referrals",
    ]
    assert [d.text for d in meetings.search_decisions(None, "100%")] == [
        "Fund the housing pathway for 100% of referrals"
    ]
    # Wildcards are literal.
    assert meetings.search_decisions(None, "%") == [found[1]]
    assert meetings.search_decisions(None, "contract_2") == [found[0]]
    assert meetings.search_decisions(None, "contract_") == [found[0]]
    assert meetings.search_decisions(None, "_") == [found[0]]
    assert meetings.search_decisions({board["y"].id}, "housing") == []
    assert meetings.search_decisions(set(), "") == []
    assert meetings.search_decisions(
        {board["x"].id}, "housing", sees_confidential=False
    ) == [found[1]]
    assert len(meetings.search_decisions(None, "", start=SEPTEMBER)) == 1
    assert len(meetings.search_decisions(None, "", end=JUNE, body=board["body"])) == 2
    decision = found[1]
    meetings.update_decision(
        decision,
        "Fund the housing pathway",
        opened_version=june_minutes.version,
        by=None,
    )
    assert meetings.minutes_history(june_minutes)[-1].old_value == (
        "Fund the housing pathway for 100% of referrals"
    )
    with pytest.raises(MeetingError, match="Enter the decision"):
        meetings.record_decision(
            june_minutes, june_item, " ", opened_version=june_minutes.version, by=None
        )


# Actions arising -------------------------------------------------------------------------


def test_an_action_arising_goes_into_the_plan_and_links_back(board):
    june, item, minutes = minuted(board)
    action = meetings.add_action_arising(
        minutes,
        item,
        title="Write to the Ministry about funding",
        owner=board["x_person"],
        due_date=date(2018, 9, 30),
        theme=board["themes"]["Diversion"],
        opened_version=minutes.version,
        by=board["x_coordinator"],
        at=at(date(2018, 6, 14)),
    )
    db.session.commit()
    assert action.strategy is board["strategy"]
    assert action.ref == "MA1"
    assert action.owner is board["x_person"]
    assert action.lead_organisation is board["x_partner"]
    assert action.start_date == JUNE
    assert action.origin == "Partnership Board, 12 June 2018"
    assert action.events[0].field == "created"
    assert meetings.meeting_of_action(action) is june
    assert meetings.actions_arising(june) == [(item, action)]
    assert action in board["strategy"].actions
    assert meetings.minutes_history(minutes)[-1].field == "action"
    second = meetings.add_action_arising(
        minutes,
        item,
        title="Another",
        owner=board["x_person"],
        due_date=date(2018, 9, 30),
        theme=board["themes"]["Diversion"],
        opened_version=minutes.version,
        by=None,
    )
    assert second.ref == "MA2"


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        ({"theme": None}, MeetingError, "Choose the theme"),
        ({"owner": "y_person"}, plans.PlanError, "is not in Partnership X"),
        ({"due_date": date(2018, 6, 1)}, MeetingError, "on or after the meeting"),
        ({"title": " "}, plans.PlanError, "Enter the title"),
    ],
)
def test_bad_actions_arising_are_refused_and_nothing_is_linked(
    board, overrides, error, message
):
    _, item, minutes = minuted(board)
    values = {
        "title": "Do it",
        "owner": board["x_person"],
        "due_date": date(2018, 9, 30),
        "theme": board["themes"]["Prevention"],
    }
    values.update(overrides)
    if values["owner"] == "y_person":
        values["owner"] = board["y_person"]
    with pytest.raises(error, match=message):
        meetings.add_action_arising(
            minutes, item, opened_version=minutes.version, by=None, **values
        )
    db.session.rollback()
    assert count(Action) == 0
    assert (
        db.session.scalar(select(func.count()).select_from(meetings.meeting_action))
        == 0
    )


def test_the_delivery_groups_theme_is_used_and_a_plan_is_needed(board, world_y_board):
    group = meetings.create_body(
        board["x"],
        name="Prevention Group",
        kind=BodyKind.GROUP,
        delivery_group=board["groups"]["Prevention"],
    )
    meeting = held_meeting({**board, "body": group})
    item = meetings.add_item(meeting, title="Report")
    minutes = meetings.start_minutes(meeting, by=None)
    action = meetings.add_action_arising(
        minutes,
        item,
        title="From the group",
        owner=board["x_person"],
        due_date=date(2018, 9, 30),
        opened_version=minutes.version,
        by=None,
    )
    assert action.theme is board["themes"]["Prevention"]
    assert action.delivery_group is board["groups"]["Prevention"]
    y_minutes, y_item = world_y_board
    with pytest.raises(MeetingError, match="has no action plan yet"):
        meetings.add_action_arising(
            y_minutes,
            y_item,
            title="Nowhere to go",
            owner=board["y_person"],
            due_date=date(2018, 9, 30),
            opened_version=y_minutes.version,
            by=None,
        )


@pytest.fixture
def world_y_board(world):
    body = meetings.create_body(world["y"], name="Y Board", kind=BodyKind.BOARD)
    meeting = meetings.create_meeting(body, held_on=JUNE, place="Y House")
    meetings.mark_held(meeting, today=JUNE)
    item = meetings.add_item(meeting, title="Business")
    minutes = meetings.start_minutes(meeting, by=None)
    db.session.commit()
    return minutes, item


def test_bodies_are_unique_and_keep_to_their_partnership(board):
    with pytest.raises(MeetingError, match="already has a body"):
        meetings.create_body(board["x"], name="Partnership Board", kind=BodyKind.BOARD)
    with pytest.raises(MeetingError, match="is not in Partnership X"):
        meetings.create_body(
            board["x"], name="Mixed", kind=BodyKind.GROUP, members=[board["y_person"]]
        )
    with pytest.raises(MeetingError, match="not part of this partnership's plan"):
        meetings.create_body(
            board["y"],
            name="Stolen",
            kind=BodyKind.GROUP,
            delivery_group=board["groups"]["Prevention"],
        )
    group = meetings.create_body(board["x"], name="A group", kind=BodyKind.GROUP)
    assert meetings.bodies_for(board["x"]) == [board["body"], group]
    meetings.set_members(group, [board["x_person"]])
    assert group.members == [board["x_person"]]


# Markdown is sanitised on output (T34) ---------------------------------------------------

T34_PAYLOADS = [
    '<div hx-get="/admin/users/2/delete" hx-trigger="load">x</div>',
    "<button hx-on:click=\"fetch('/admin')\">go</button>",
    '<p data-hx-post="/x" data-hx-trigger="load">p</p>',
    '<a href="javascript:window.__x=1">click</a>',
    '<a href="data:text/html,<script>window.__x=1</script>">data</a>',
    "<img src=x onerror=window.__x=1>",
    "<style>body{display:none}</style>",
    '<iframe src="https://evil.example"></iframe>',
    '<form action="/admin/users/2/delete"><button>ok</button></form>',
    "<svg><script>window.__x=1</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__x=1>",
    "[click](javascript:window.__x=1)",
    "[click](JaVaScRiPt:window.__x=1)",
    "[click](data:text/html;base64,PHNjcmlwdD4=)",
    "[click](vbscript:msgbox)",
    "[relative](/admin/users/2/delete)",
    "![x](https://evil.example/pixel.gif)",
    "{{ config.items() }} <script>window.__x=1</script>",
    '"><img src=x onerror=window.__x=1>',
    "</title><script>window.__x=1</script>",
    "\u202etxt.exe",
]


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def _check_safe(html: str) -> None:
    collector = _Collector()
    collector.feed(html)
    for tag, attrs in collector.tags:
        assert tag in markdown.ALLOWED_TAGS, tag
        for name, value in attrs:
            assert name in markdown.ALLOWED_ATTRIBUTES.get(tag, set()) or (
                tag == "a" and name == "rel"
            ), (tag, name)
            assert not name.startswith(("hx-", "data-", "on")), name
            if name == "href":
                assert value.startswith(("https:", "mailto:")), value
            if tag == "a" and name == "rel":
                assert value == "noopener noreferrer"


@pytest.mark.parametrize("payload", T34_PAYLOADS)
def test_markdown_output_keeps_only_allowlisted_html(payload):
    for html in (markdown.to_html(payload), markdown.sanitise(payload)):
        _check_safe(html)
        assert "<script" not in html.lower()
        assert markdown.sanitise(html) == html
    assert markdown.sanitise(markdown.sanitise(payload)) == markdown.sanitise(payload)


def test_markdown_keeps_ordinary_formatting_and_safe_links():
    html = markdown.to_html(
        "# Decisions\n\n**Agreed** the [plan](https://example.org/plan) and "
        "[mail](mailto:lead@example.org).\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    )
    assert "<h3>Decisions</h3>" in html
    assert "<strong>Agreed</strong>" in html
    assert (
        '<a href="https://example.org/plan" rel="noopener noreferrer">plan</a>' in html
    )
    assert 'href="mailto:lead@example.org"' in html
    assert "<li>one</li>" in html
    assert "<td>1</td>" in html
    assert "[image: x]" in markdown.to_html("![x](https://example.org/x.png)")


def test_rendered_minutes_sit_in_an_hx_disable_block():
    rendered = markdown.render('<div hx-get="/x" hx-trigger="load">x</div>')
    assert str(rendered).startswith('<div class="portal-prose" hx-disable>')
    assert rendered.__html__() == str(rendered)
    assert "&lt;div hx-get" in str(rendered)
    _check_safe(str(rendered).removeprefix('<div class="portal-prose" hx-disable>'))


def test_sanitising_random_text_is_safe_and_idempotent():
    pieces = [
        "<",
        ">",
        "/",
        '"',
        "'",
        "=",
        " ",
        "a",
        "script",
        "hx-get",
        "data-hx-post",
        "onerror",
        "javascript:",
        "href",
        "img",
        "style",
        "[",
        "](",
        ")",
        "\n",
        "&",
        "#",
        "*",
        "`",
        "<!--",
        "-->",
        "<math>",
        "<svg>",
        "\u202e",
    ]
    rng = random.Random(34)
    for _ in range(400):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 40)))
        once = markdown.sanitise(text)
        _check_safe(once)
        assert markdown.sanitise(once) == once
        _check_safe(markdown.to_html(text))


# iCal --------------------------------------------------------------------------------------


def _unfold(calendar: str) -> list[str]:
    return calendar.replace("\r\n ", "").split("\r\n")


def test_ical_holds_the_partnerships_meetings(board, world_y_board):
    summer = new_meeting(
        board,
        JUNE,
        place="Room 1; Town Hall, Main St\\North\nSecond line",
        title="Board, with a comma; and a semicolon",
    )
    winter = new_meeting(board, DECEMBER, starts_at=time(10, 0), duration_minutes=90)
    all_day = new_meeting(
        board,
        date(2019, 1, 15),
        starts_at=None,
        place="",
        link="https://meet.example/x",
    )
    meetings.cancel_meeting(all_day, reason="Snow")
    y_meeting = world_y_board[0].meeting
    calendar = ical.ical(
        board["x"],
        [winter, summer, all_day, y_meeting],
        now=datetime(2018, 5, 1, 8, 30, tzinfo=UTC),
    )
    assert calendar.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:")
    assert calendar.endswith("END:VCALENDAR\r\n")
    assert "\n" not in calendar.replace("\r\n", "")
    for line in calendar.split("\r\n"):
        assert len(line.encode()) <= 75, line
    lines = _unfold(calendar)
    assert lines.count("BEGIN:VEVENT") == 3  # Y's meeting is left out
    assert f"UID:{summer.uid}@partnership-portal" in lines
    assert "DTSTAMP:20180501T083000Z" in lines
    # 10:00 in London is 09:00 UTC in summer and 10:00 UTC in winter.
    assert "DTSTART:20180612T090000Z" in lines
    assert "DTEND:20180612T110000Z" in lines
    assert "DTSTART:20181211T100000Z" in lines
    assert "DTEND:20181211T113000Z" in lines
    assert "DTSTART;VALUE=DATE:20190115" in lines
    assert "STATUS:CANCELLED" in lines
    assert "LOCATION:Room 1\\; Town Hall\\, Main St\\\\North\\nSecond line" in lines
    assert (
        "SUMMARY:Board\\, with a comma\\; and a semicolon (Partnership Board)" in lines
    )
    assert "URL:https://meet.example/x" in lines
    assert "X-WR-CALNAME:Partnership X meetings" in lines


def test_ical_folds_multibyte_text_without_splitting_characters():
    line = "SUMMARY:" + "é" * 100 + "🗂" * 20
    folded = ical.fold(line)
    for part in folded.split("\r\n"):
        assert len(part.encode()) <= 75
        part.encode().decode()  # whole characters only
    assert folded.replace("\r\n ", "") == line
    assert ical.escape_text("a\\b;c,d\r\ne\x00f") == "a\\\\b\\;c\\,d\\ne" + "f"


# The demo ------------------------------------------------------------------------------------


def _demo_counts():
    return {
        name: db.session.scalar(select(func.count()).select_from(model))
        for name, model in {
            "agreements": Agreement,
            "meetings": Meeting,
            "minutes": Minutes,
            "events": MinutesEvent,
            "decisions": meetings.Decision,
            "attendance": meetings.Attendance,
            "actions": Action,
        }.items()
    }


def test_the_demo_record_is_idempotent_and_complete(app):
    record_demo.load(date(2026, 1, 15))
    db.session.commit()
    before = _demo_counts()
    record_demo.load(date(2026, 1, 15))
    db.session.commit()
    assert _demo_counts() == before
    (agreement,) = db.session.scalars(select(Agreement))
    first, second = agreement.versions
    assert (first.status, second.status) == (
        AgreementStatus.AGREED,
        AgreementStatus.DRAFT,
    )
    assert any(f.caveat == "subject to budget approval" for f in second.funding)
    assert len(first.signatures) == 8 and len(second.signatures) == 2
    (entry,) = record_demo.agreements.register(None, date(2026, 1, 15))
    assert entry.past_end and len(entry.unsigned) == 2
    held = db.session.scalars(select(Meeting).order_by(Meeting.held_on)).all()
    assert [m.held_on for m in held] == list(record_demo.MEETING_DAYS)
    assert all(m.status is MeetingStatus.HELD for m in held)
    statuses = [m.minutes.status for m in held]
    assert statuses == [MinutesStatus.LOCKED] * 4 + [MinutesStatus.DRAFT]
    for earlier, later in itertools.pairwise(held):
        assert earlier.minutes.approved_at_meeting is later
        assert later.previous is earlier
        assert meetings.verify_minutes_history(earlier.minutes) is None
    assert all(m.attendance and meetings.quorum(m).met for m in held)
    corrected = held[record_demo.CORRECTED_MEETING].minutes
    assert [r.number for r in corrected.revisions] == [1, 2]
    assert corrected.revisions[1].reason == record_demo.CORRECTION_REASON
    arising = [a for m in held for _, a in meetings.actions_arising(m)]
    assert len(arising) == 6
    assert all(a.origin.startswith(record_demo.BOARD_NAME) for a in arising)
    assert any(meetings.matters_arising(m) for m in held[1:])
    assert len(meetings.search_decisions(None, "progress report")) == 4


def test_the_demo_record_leaves_out_the_future(app):
    record_demo.load(TODAY)
    db.session.commit()
    held = db.session.scalars(select(Meeting).order_by(Meeting.held_on)).all()
    assert [m.held_on for m in held] == [JUNE, SEPTEMBER]
    assert held[0].minutes.status is MinutesStatus.LOCKED
    assert held[1].minutes.status is MinutesStatus.CIRCULATED
