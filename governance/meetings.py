"""Meetings of a partnership's board and groups: agenda, attendance, minutes, decisions.

A ``MeetingBody`` is the board or one of its groups. A new ``Meeting`` gets an
agenda that starts with "Minutes of the last meeting" and "Matters arising";
the latter lists the actions arising from earlier meetings of the same body
that are still open (kept as a snapshot in ``matter_arising`` and refreshed
until the meeting is held). Attendance records each person as present, giving
apologies or absent, with the organisation they represented; the quorum is a
partnership setting (a body may override it).

``Minutes`` hold Markdown text per agenda item (``governance.markdown`` renders
it sanitised), decisions and actions arising. Actions arising become actions of
the partnership's action plan through ``governance.plans.create_action`` and are
linked back through ``meeting_action``. The minutes move draft → circulated →
approved (at a later meeting that has taken place: by whom, when, where) →
locked. Approved minutes are never edited in place: a correction makes a new
``MinutesRevision``. ``MinutesEvent`` records every change with who and when;
it is append-only and hash-chained per minutes (T48).

Every change to minutes touches the ``Minutes`` row, and every change to a
meeting touches the ``Meeting`` row: their version counters turn the second of
two overlapping edits into a conflict (``MinutesConflictError`` carries both
texts, so nothing typed is lost).

Services flush; the caller commits once.
"""

from __future__ import annotations

import enum
import json
import re
import uuid
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import time
from decimal import ROUND_HALF_UP
from decimal import Decimal
from typing import IO
from urllib.parse import urlsplit

from sqlalchemy import Boolean
from sqlalchemy import CheckConstraint
from sqlalchemy import Column
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Table
from sqlalchemy import Text
from sqlalchemy import Time
from sqlalchemy import UniqueConstraint
from sqlalchemy import false
from sqlalchemy import select
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship
from sqlalchemy.orm.exc import StaleDataError

from governance import plans
from governance import uploads
from governance.history import ChainedEvent
from governance.history import append_event
from governance.history import first_break
from governance.history import refuse_changes
from governance.models import Action
from governance.models import DeliveryGroup
from governance.models import Strategy
from governance.models import Theme
from portal import clock
from portal.errors import EditConflictError
from portal.errors import PortalError
from portal.extensions import Base
from portal.extensions import db
from portal.models import Organisation
from portal.models import Participation
from portal.models import Partnership
from portal.models import Person
from portal.models import User
from portal.models import UTCDateTime
from portal.models import enum_column
from portal.models import utcnow

MAX_NAME = 200
MAX_TITLE = 300
MAX_PLACE = 300
MAX_LINK = 500
MAX_DURATION = 24 * 60
#: Longest minute text per agenda item (about 30 pages).
MAX_MINUTE_TEXT = 100_000
PREVIOUS_MINUTES_TITLE = "Minutes of the last meeting"
MATTERS_ARISING_TITLE = "Matters arising"
ACTION_REF_PREFIX = "MA"
CONFLICT_MESSAGE = (
    "Someone else changed this meeting after you opened it. Your changes were not "
    "saved: reload to see theirs, then make yours again."
)
MINUTES_CONFLICT_MESSAGE = (
    "Someone else saved these minutes after you opened them. Your text has not "
    "been saved, and it has not been lost: it is shown beside theirs so you can "
    "merge the two and save again."
)


class MeetingError(PortalError):
    """A change the meeting rules refuse; the message says why."""

    status = 422


class MinutesLockedError(MeetingError):
    """Approved minutes can only be corrected, never edited in place."""

    status = 409


class MinutesConflictError(EditConflictError):
    """Someone saved the minutes after this editor opened them; nothing was saved.

    ``theirs`` holds the saved text and ``yours`` the text that was refused, per
    agenda item id, so the editor can merge them.
    """

    def __init__(
        self, message: str, *, theirs: dict[int, str], yours: dict[int, str]
    ) -> None:
        super().__init__(message)
        self.theirs = theirs
        self.yours = yours


class BodyKind(enum.StrEnum):
    """Whether a body is the partnership's board or one of its groups."""

    BOARD = "board"
    GROUP = "group"

    @property
    def label(self) -> str:
        """The name people read."""
        return {"board": "Board", "group": "Group"}[self.value]


class QuorumBasis(enum.StrEnum):
    """What the quorum counts."""

    PEOPLE = "people"
    ORGANISATIONS = "organisations"

    @property
    def label(self) -> str:
        """The name people read."""
        return {"people": "members present", "organisations": "organisations present"}[
            self.value
        ]


class MeetingStatus(enum.StrEnum):
    """Whether a meeting is to come, has taken place, or was called off."""

    SCHEDULED = "scheduled"
    HELD = "held"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        """The name people read."""
        return self.value.capitalize()


class ItemKind(enum.StrEnum):
    """Standing agenda items, and ordinary ones."""

    ITEM = "item"
    PREVIOUS_MINUTES = "previous-minutes"
    MATTERS_ARISING = "matters-arising"


class AttendanceStatus(enum.StrEnum):
    """A member's attendance at a meeting."""

    PRESENT = "present"
    APOLOGIES = "apologies"
    ABSENT = "absent"

    @property
    def label(self) -> str:
        """The name people read."""
        return {"present": "Present", "apologies": "Apologies", "absent": "Absent"}[
            self.value
        ]


class MinutesStatus(enum.StrEnum):
    """Where a meeting's minutes are in their approval."""

    DRAFT = "draft"
    CIRCULATED = "circulated"
    APPROVED = "approved"
    LOCKED = "locked"

    @property
    def label(self) -> str:
        """The name people read."""
        return {
            "draft": "Draft",
            "circulated": "Circulated to members",
            "approved": "Approved",
            "locked": "Approved and locked",
        }[self.value]

    @property
    def is_editable(self) -> bool:
        """True while the text may still be changed in place."""
        return self in (MinutesStatus.DRAFT, MinutesStatus.CIRCULATED)


#: The only moves minutes may make.
MINUTES_TRANSITIONS: dict[MinutesStatus, frozenset[MinutesStatus]] = {
    MinutesStatus.DRAFT: frozenset({MinutesStatus.CIRCULATED}),
    MinutesStatus.CIRCULATED: frozenset({MinutesStatus.APPROVED}),
    MinutesStatus.APPROVED: frozenset({MinutesStatus.LOCKED}),
    MinutesStatus.LOCKED: frozenset(),
}


# Models ------------------------------------------------------------------------------


class GovernanceSettings(Base):
    """A partnership's meeting rules: its quorum."""

    __tablename__ = "meeting_settings"
    __table_args__ = (
        CheckConstraint(
            "quorum_count IS NULL OR quorum_count >= 1", name="quorum_positive"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnership.id", ondelete="CASCADE"), unique=True
    )
    #: How many must be present for decisions to stand; None means no quorum set.
    quorum_count: Mapped[int | None] = mapped_column(Integer)
    quorum_basis: Mapped[QuorumBasis] = mapped_column(
        enum_column(QuorumBasis), default=QuorumBasis.ORGANISATIONS
    )
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    partnership: Mapped[Partnership] = relationship()


body_member = Table(
    "meeting_body_member",
    Base.metadata,
    Column(
        "body_id", ForeignKey("meeting_body.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("person_id", ForeignKey("person.id", ondelete="CASCADE"), primary_key=True),
)


class MeetingBody(Base):
    """A partnership's board, or one of its delivery groups or sub-groups."""

    __tablename__ = "meeting_body"
    __table_args__ = (
        UniqueConstraint("partnership_id", "name"),
        CheckConstraint(
            "quorum_count IS NULL OR quorum_count >= 1", name="quorum_positive"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnership.id"), index=True
    )
    name: Mapped[str] = mapped_column(String(MAX_NAME))
    kind: Mapped[BodyKind] = mapped_column(enum_column(BodyKind))
    #: The action plan's delivery group this body is, if any.
    delivery_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan_delivery_group.id", ondelete="SET NULL"), index=True
    )
    #: Overrides the partnership's quorum for this body.
    quorum_count: Mapped[int | None] = mapped_column(Integer)
    partnership: Mapped[Partnership] = relationship()
    delivery_group: Mapped[DeliveryGroup | None] = relationship()
    members: Mapped[list[Person]] = relationship(
        secondary=body_member, order_by="Person.name"
    )


class Meeting(Base):
    """One meeting of a body: when, where, who chairs, and whether papers are confidential."""

    __tablename__ = "meeting"
    __table_args__ = (
        CheckConstraint(
            "duration_minutes > 0 AND duration_minutes <= 1440",
            name="duration_in_range",
        ),
        Index("ix_meeting_body_held_on", "body_id", "held_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable calendar identity (the iCal UID), independent of the row id.
    uid: Mapped[str] = mapped_column(
        String(32), unique=True, default=lambda: uuid.uuid4().hex
    )
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnership.id"), index=True
    )
    body_id: Mapped[int] = mapped_column(ForeignKey("meeting_body.id"))
    title: Mapped[str] = mapped_column(String(MAX_TITLE))
    #: The calendar date, in the portal's time zone.
    held_on: Mapped[date]
    #: Local start time (portal time zone); None for a date without a time.
    starts_at: Mapped[time | None] = mapped_column(Time())
    duration_minutes: Mapped[int] = mapped_column(
        Integer, default=120, server_default="120"
    )
    place: Mapped[str] = mapped_column(String(MAX_PLACE), default="", server_default="")
    #: An online meeting link (https only).
    link: Mapped[str] = mapped_column(String(MAX_LINK), default="", server_default="")
    chair_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    #: Papers are for coordinators and board members only, not partner contacts.
    confidential: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    status: Mapped[MeetingStatus] = mapped_column(
        enum_column(MeetingStatus), default=MeetingStatus.SCHEDULED
    )
    cancelled_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: The body's meeting before this one, whose minutes this one approves.
    previous_meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    partnership: Mapped[Partnership] = relationship()
    body: Mapped[MeetingBody] = relationship()
    chair: Mapped[Person | None] = relationship()
    previous: Mapped[Meeting | None] = relationship(remote_side=[id])
    items: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting",
        order_by="(AgendaItem.position, AgendaItem.id)",
        cascade="all, delete-orphan",
    )
    attendance: Mapped[list[Attendance]] = relationship(
        back_populates="meeting",
        order_by="Attendance.id",
        cascade="all, delete-orphan",
    )
    minutes: Mapped[Minutes | None] = relationship(
        back_populates="meeting",
        foreign_keys="Minutes.meeting_id",
        cascade="all, delete-orphan",
    )

    def mark_held(self, today: date) -> None:
        """Scheduled → held; refused before the meeting's date."""
        if self.status is not MeetingStatus.SCHEDULED:
            raise MeetingError(f"The meeting is {self.status.value}, not scheduled")
        if self.held_on > today:
            raise MeetingError(
                f"The meeting on {day_text(self.held_on)} has not happened yet"
            )
        self.status = MeetingStatus.HELD

    def cancel(self, reason: str) -> None:
        """Scheduled → cancelled."""
        if self.status is not MeetingStatus.SCHEDULED:
            raise MeetingError(
                f"Only a scheduled meeting can be cancelled; this one is "
                f"{self.status.value}"
            )
        self.status = MeetingStatus.CANCELLED
        self.cancelled_reason = reason

    @property
    def has_happened(self) -> bool:
        """True once the meeting has been recorded as held."""
        return self.status is MeetingStatus.HELD

    @property
    def where(self) -> str:
        """Place and/or link, as people read it."""
        return " / ".join(part for part in (self.place, self.link) if part)


class AgendaItem(Base):
    """One item of a meeting's agenda, in order, with presenter and timing."""

    __tablename__ = "meeting_agenda_item"
    __table_args__ = (
        CheckConstraint(
            "duration_minutes IS NULL OR (duration_minutes > 0 "
            "AND duration_minutes <= 1440)",
            name="duration_in_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[ItemKind] = mapped_column(enum_column(ItemKind), default=ItemKind.ITEM)
    title: Mapped[str] = mapped_column(String(MAX_TITLE))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    presenter_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    #: Time allowed for the item, in minutes.
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    #: Hidden from partner contacts even when the meeting's papers are not.
    confidential: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    meeting: Mapped[Meeting] = relationship(back_populates="items")
    presenter: Mapped[Person | None] = relationship()
    papers: Mapped[list[AgendaPaper]] = relationship(
        back_populates="item", order_by="AgendaPaper.id", cascade="all, delete-orphan"
    )


class AgendaPaper(Base):
    """A paper for an agenda item, stored through ``governance.uploads``."""

    __tablename__ = "meeting_paper"

    id: Mapped[int] = mapped_column(primary_key=True)
    agenda_item_id: Mapped[int] = mapped_column(
        ForeignKey("meeting_agenda_item.id", ondelete="CASCADE"), index=True
    )
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"), unique=True)
    title: Mapped[str] = mapped_column(String(MAX_NAME))
    item: Mapped[AgendaItem] = relationship(back_populates="papers")
    file: Mapped[uploads.StoredFile] = relationship()


class Attendance(Base):
    """Whether a person attended, and the organisation they represented then."""

    __tablename__ = "meeting_attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE")
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    #: The person's organisation when the attendance was recorded.
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id"), index=True
    )
    status: Mapped[AttendanceStatus] = mapped_column(enum_column(AttendanceStatus))
    note: Mapped[str] = mapped_column(String(MAX_NAME), default="", server_default="")
    meeting: Mapped[Meeting] = relationship(back_populates="attendance")
    person: Mapped[Person] = relationship()
    organisation: Mapped[Organisation] = relationship()


class Minutes(Base):
    """A meeting's minutes and where they are in their approval."""

    __tablename__ = "meeting_minutes"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[MinutesStatus] = mapped_column(
        enum_column(MinutesStatus), default=MinutesStatus.DRAFT
    )
    #: 1 until the first correction after approval.
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    circulated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    circulated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    #: The later meeting at which the minutes were approved.
    approved_at_meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting.id", ondelete="SET NULL"), index=True
    )
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    meeting: Mapped[Meeting] = relationship(
        back_populates="minutes", foreign_keys=[meeting_id]
    )
    approved_at_meeting: Mapped[Meeting | None] = relationship(
        foreign_keys=[approved_at_meeting_id]
    )
    circulated_by: Mapped[User | None] = relationship(foreign_keys=[circulated_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    entries: Mapped[list[MinuteEntry]] = relationship(
        back_populates="minutes", cascade="all, delete-orphan"
    )
    decisions: Mapped[list[Decision]] = relationship(
        back_populates="minutes",
        order_by="Decision.number",
        cascade="all, delete-orphan",
    )
    revisions: Mapped[list[MinutesRevision]] = relationship(
        back_populates="minutes", order_by="MinutesRevision.number"
    )

    def move_to(self, status: MinutesStatus) -> None:
        """Change status, refusing any move the workflow does not allow."""
        if status not in MINUTES_TRANSITIONS[self.status]:
            raise MeetingError(
                f"Minutes that are {self.status.label.lower()} cannot become "
                f"{status.label.lower()}"
            )
        self.status = status

    def readable_by(self, *, editor: bool) -> bool:
        """Drafts are for editors only; members read minutes once circulated (T24)."""
        return editor or self.status is not MinutesStatus.DRAFT

    def text_for(self, item: AgendaItem) -> str:
        """The current minute text for ``item`` (empty if none)."""
        entry = next((e for e in self.entries if e.agenda_item_id == item.id), None)
        return entry.text if entry is not None else ""


class MinuteEntry(Base):
    """The minute of one agenda item: Markdown, rendered sanitised."""

    __tablename__ = "meeting_minute_entry"
    __table_args__ = (UniqueConstraint("minutes_id", "agenda_item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(
        ForeignKey("meeting_minutes.id", ondelete="CASCADE")
    )
    agenda_item_id: Mapped[int] = mapped_column(
        ForeignKey("meeting_agenda_item.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text, default="", server_default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    minutes: Mapped[Minutes] = relationship(back_populates="entries")
    agenda_item: Mapped[AgendaItem] = relationship()


class MinutesRevision(Base):
    """The approved text of the minutes: number 1 at approval, one more per correction.

    ``snapshot`` is JSON: ``{"items": {agenda item id: text}, "decisions": [...]}``.
    """

    __tablename__ = "meeting_minutes_revision"
    __table_args__ = (UniqueConstraint("minutes_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(
        ForeignKey("meeting_minutes.id", ondelete="CASCADE")
    )
    number: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    snapshot: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    minutes: Mapped[Minutes] = relationship(back_populates="revisions")
    created_by: Mapped[User | None] = relationship()

    def texts(self) -> dict[int, str]:
        """The minute text per agenda item id in this revision."""
        items: dict[str, str] = json.loads(self.snapshot)["items"]
        return {int(key): value for key, value in items.items()}


class MinutesEvent(ChainedEvent, Base):
    """One recorded change to a meeting's minutes. Append-only and hash-chained."""

    __tablename__ = "meeting_minutes_event"
    __table_args__ = (UniqueConstraint("minutes_id", "seq"),)
    chain_column = "minutes_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(
        ForeignKey("meeting_minutes.id", ondelete="CASCADE")
    )
    revision: Mapped[int] = mapped_column(Integer)
    #: No foreign key: the history outlives an agenda item removed later.
    agenda_item_id: Mapped[int | None] = mapped_column(Integer)

    def own_fields(self) -> dict[str, object]:
        """The minutes, revision and agenda item, besides the change itself."""
        return {
            "minutes": self.minutes_id,
            "revision": self.revision,
            "item": self.agenda_item_id,
        }


refuse_changes(
    MinutesEvent, MinutesRevision, message="minutes history cannot be changed"
)


class Decision(Base):
    """A decision recorded in a meeting's minutes, numbered within the meeting."""

    __tablename__ = "meeting_decision"
    __table_args__ = (UniqueConstraint("minutes_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(
        ForeignKey("meeting_minutes.id", ondelete="CASCADE")
    )
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    agenda_item_id: Mapped[int] = mapped_column(
        ForeignKey("meeting_agenda_item.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    minutes: Mapped[Minutes] = relationship(back_populates="decisions")
    meeting: Mapped[Meeting] = relationship()
    agenda_item: Mapped[AgendaItem] = relationship()


#: Actions arising from a meeting: each plan action arises from at most one.
meeting_action = Table(
    "meeting_action",
    Base.metadata,
    Column(
        "action_id", ForeignKey("plan_action.id", ondelete="CASCADE"), primary_key=True
    ),
    Column(
        "meeting_id",
        ForeignKey("meeting.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column(
        "agenda_item_id",
        ForeignKey("meeting_agenda_item.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
)

#: The open actions listed under a meeting's "Matters arising" item.
matter_arising = Table(
    "meeting_matter_arising",
    Base.metadata,
    Column(
        "agenda_item_id",
        ForeignKey("meeting_agenda_item.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "action_id",
        ForeignKey("plan_action.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


# Helpers --------------------------------------------------------------------------


def day_text(day: date) -> str:
    """A date as people read it: 12 June 2018."""
    return f"{day.day} {day:%B %Y}"


def _moment(at: datetime | None) -> datetime:
    moment = at or utcnow()
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment


def _today(today: date | None) -> date:
    return today or clock.today()


def _text(value: str, what: str, limit: int | None, *, required: bool) -> str:
    cleaned = (value or "").strip()
    if required and not cleaned:
        raise MeetingError(f"Enter the {what}")
    if limit is not None and len(cleaned) > limit:
        raise MeetingError(f"The {what} must be {limit} characters or fewer")
    return cleaned


def _duration(minutes: int | None, what: str) -> int | None:
    if minutes is not None and not 1 <= minutes <= MAX_DURATION:
        raise MeetingError(f"The {what} must be between 1 and {MAX_DURATION} minutes")
    return minutes


def _length(minutes: int) -> int:
    if not 1 <= minutes <= MAX_DURATION:
        raise MeetingError(
            f"The meeting's length must be between 1 and {MAX_DURATION} minutes"
        )
    return minutes


def check_link(link: str) -> str:
    """An online meeting link: an https URL with a host, or empty."""
    link = (link or "").strip()
    if not link:
        return ""
    if len(link) > MAX_LINK:
        raise MeetingError(f"The link must be {MAX_LINK} characters or fewer")
    parts = urlsplit(link)
    if parts.scheme != "https" or not parts.hostname or re.search(r"\s", link):
        raise MeetingError("The link must be a web address starting with https://")
    return link


def _in_partnership(person: Person, partnership: Partnership) -> None:
    if not plans.person_in_partnership(person, partnership):
        raise MeetingError(f"{person.name} is not in {partnership.name}")


def _flush_meeting() -> None:
    try:
        db.session.flush()
    except StaleDataError as error:
        db.session.rollback()
        raise EditConflictError(CONFLICT_MESSAGE) from error


def _check_meeting_version(meeting: Meeting, opened_version: int | None) -> None:
    if opened_version is not None and meeting.version != opened_version:
        raise EditConflictError(CONFLICT_MESSAGE)


def _touch(record: Meeting | Minutes, moment: datetime) -> None:
    """Move the record's version on, so a concurrent change to it conflicts."""
    record.updated_at = moment


# Settings and bodies ------------------------------------------------------------------


def settings_for(partnership: Partnership) -> GovernanceSettings:
    """The partnership's meeting settings, created on first use."""
    settings = db.session.scalar(
        select(GovernanceSettings).where(
            GovernanceSettings.partnership_id == partnership.id
        )
    )
    if settings is None:
        settings = GovernanceSettings(partnership=partnership)
        db.session.add(settings)
        db.session.flush()
    return settings


def set_quorum(
    partnership: Partnership,
    *,
    count: int | None,
    basis: QuorumBasis,
    opened_version: int | None = None,
) -> GovernanceSettings:
    """Set how many people or organisations must be present (None: no quorum)."""
    settings = settings_for(partnership)
    if opened_version is not None and settings.version != opened_version:
        raise EditConflictError(CONFLICT_MESSAGE.replace("meeting", "setting"))
    if count is not None and count < 1:
        raise MeetingError("The quorum must be at least 1")
    settings.quorum_count = count
    settings.quorum_basis = basis
    settings.version += 1
    db.session.flush()
    return settings


def create_body(
    partnership: Partnership,
    *,
    name: str,
    kind: BodyKind,
    members: Sequence[Person] = (),
    delivery_group: DeliveryGroup | None = None,
    quorum_count: int | None = None,
) -> MeetingBody:
    """Add a board or group whose meetings the portal records."""
    name = _text(name, "name of the board or group", MAX_NAME, required=True)
    if db.session.scalar(
        select(MeetingBody.id).where(
            MeetingBody.partnership_id == partnership.id, MeetingBody.name == name
        )
    ):
        raise MeetingError(f"{partnership.name} already has a body called “{name}”")
    if (
        delivery_group is not None
        and delivery_group.strategy.partnership_id != partnership.id
    ):
        raise MeetingError("That delivery group is not part of this partnership's plan")
    if quorum_count is not None and quorum_count < 1:
        raise MeetingError("The quorum must be at least 1")
    for person in members:
        _in_partnership(person, partnership)
    body = MeetingBody(
        partnership=partnership,
        name=name,
        kind=kind,
        delivery_group=delivery_group,
        quorum_count=quorum_count,
        members=list(dict.fromkeys(members)),
    )
    db.session.add(body)
    db.session.flush()
    return body


def set_members(body: MeetingBody, members: Sequence[Person]) -> None:
    """Replace a body's members (who is expected at its meetings)."""
    for person in members:
        _in_partnership(person, body.partnership)
    body.members = list(dict.fromkeys(members))
    db.session.flush()


def bodies_for(partnership: Partnership) -> list[MeetingBody]:
    """The partnership's board(s) first, then its groups, by name."""
    return sorted(
        db.session.scalars(
            select(MeetingBody).where(MeetingBody.partnership_id == partnership.id)
        ),
        key=lambda body: (body.kind is not BodyKind.BOARD, body.name.casefold()),
    )


# Meetings and agendas ---------------------------------------------------------------


def previous_meeting(body: MeetingBody, held_on: date) -> Meeting | None:
    """The body's last meeting before ``held_on`` that was not cancelled."""
    return db.session.scalar(
        select(Meeting)
        .where(
            Meeting.body_id == body.id,
            Meeting.held_on < held_on,
            Meeting.status != MeetingStatus.CANCELLED,
        )
        .order_by(Meeting.held_on.desc(), Meeting.id.desc())
        .limit(1)
    )


def open_actions_from_earlier_meetings(meeting: Meeting) -> list[Action]:
    """Open actions that arose at the body's earlier meetings, by due date."""
    actions = db.session.scalars(
        select(Action)
        .join(meeting_action, meeting_action.c.action_id == Action.id)
        .join(Meeting, Meeting.id == meeting_action.c.meeting_id)
        .where(Meeting.body_id == meeting.body_id, Meeting.held_on < meeting.held_on)
        .order_by(Action.due_date, Action.id)
    )
    return [action for action in actions if action.status.is_open]


def matters_arising(meeting: Meeting) -> list[Action]:
    """The actions listed under the meeting's "Matters arising" item."""
    item = next((i for i in meeting.items if i.kind is ItemKind.MATTERS_ARISING), None)
    if item is None:
        return []
    return list(
        db.session.scalars(
            select(Action)
            .join(matter_arising, matter_arising.c.action_id == Action.id)
            .where(matter_arising.c.agenda_item_id == item.id)
            .order_by(Action.due_date, Action.id)
        )
    )


def _snapshot_matters_arising(meeting: Meeting, item: AgendaItem) -> None:
    db.session.execute(
        matter_arising.delete().where(matter_arising.c.agenda_item_id == item.id)
    )
    actions = open_actions_from_earlier_meetings(meeting)
    if actions:
        db.session.execute(
            matter_arising.insert(),
            [{"agenda_item_id": item.id, "action_id": a.id} for a in actions],
        )


def create_meeting(
    body: MeetingBody,
    *,
    held_on: date,
    starts_at: time | None = None,
    duration_minutes: int = 120,
    place: str = "",
    link: str = "",
    chair: Person | None = None,
    confidential: bool = False,
    title: str | None = None,
    at: datetime | None = None,
) -> Meeting:
    """Schedule a meeting of ``body`` with the standing items of its agenda.

    The agenda starts with "Minutes of the last meeting" (the body's previous
    meeting) and "Matters arising" (the open actions from earlier meetings).

    :raise MeetingError: without a place or link, with a link that is not
        https, a duration out of range, or a chair from outside the partnership.
    """
    partnership = body.partnership
    place = _text(place, "place", MAX_PLACE, required=False)
    link = check_link(link)
    if not place and not link:
        raise MeetingError("Enter where the meeting is: a place, a link, or both")
    if chair is not None:
        _in_partnership(chair, partnership)
    moment = _moment(at)
    previous = previous_meeting(body, held_on)
    meeting = Meeting(
        partnership=partnership,
        body=body,
        title=_text(title or f"{body.name} meeting", "title", MAX_TITLE, required=True),
        held_on=held_on,
        starts_at=starts_at,
        duration_minutes=_length(duration_minutes),
        place=place,
        link=link,
        chair=chair,
        confidential=confidential,
        previous=previous,
        created_at=moment,
        updated_at=moment,
    )
    db.session.add(meeting)
    previous_text = (
        f"To approve the minutes of the meeting on {day_text(previous.held_on)}."
        if previous is not None
        else "This is the first recorded meeting: there are no earlier minutes."
    )
    meeting.items = [
        AgendaItem(
            position=1,
            kind=ItemKind.PREVIOUS_MINUTES,
            title=PREVIOUS_MINUTES_TITLE,
            description=previous_text,
            presenter=chair,
            duration_minutes=5,
        ),
        AgendaItem(
            position=2,
            kind=ItemKind.MATTERS_ARISING,
            title=MATTERS_ARISING_TITLE,
            description="Open actions from earlier meetings.",
            duration_minutes=10,
        ),
    ]
    _flush_meeting()
    _snapshot_matters_arising(meeting, meeting.items[1])
    db.session.flush()
    return meeting


def refresh_matters_arising(meeting: Meeting) -> list[Action]:
    """Bring the "Matters arising" list up to date before the meeting."""
    if meeting.status is not MeetingStatus.SCHEDULED:
        raise MeetingError("Matters arising are fixed once the meeting has been held")
    item = next((i for i in meeting.items if i.kind is ItemKind.MATTERS_ARISING), None)
    if item is None:
        raise MeetingError("The agenda has no “Matters arising” item")
    _snapshot_matters_arising(meeting, item)
    db.session.flush()
    return matters_arising(meeting)


def update_meeting(
    meeting: Meeting,
    *,
    opened_version: int,
    held_on: date,
    starts_at: time | None,
    duration_minutes: int,
    place: str,
    link: str,
    chair: Person | None,
    confidential: bool,
    title: str,
    at: datetime | None = None,
    today: date | None = None,
) -> None:
    """Change a meeting's details unless someone saved first."""
    _check_meeting_version(meeting, opened_version)
    if meeting.status is MeetingStatus.CANCELLED:
        raise MeetingError("A cancelled meeting cannot be changed")
    if meeting.status is MeetingStatus.HELD and held_on > _today(today):
        raise MeetingError("A meeting that has been held cannot move to a later date")
    place = _text(place, "place", MAX_PLACE, required=False)
    link = check_link(link)
    if not place and not link:
        raise MeetingError("Enter where the meeting is: a place, a link, or both")
    if chair is not None:
        _in_partnership(chair, meeting.partnership)
    meeting.title = _text(title, "title", MAX_TITLE, required=True)
    meeting.held_on = held_on
    meeting.starts_at = starts_at
    meeting.duration_minutes = _length(duration_minutes)
    meeting.place = place
    meeting.link = link
    meeting.chair = chair
    meeting.confidential = confidential
    _touch(meeting, _moment(at))
    _flush_meeting()


def mark_held(
    meeting: Meeting,
    *,
    opened_version: int | None = None,
    at: datetime | None = None,
    today: date | None = None,
) -> None:
    """Record that the meeting took place (not before its date)."""
    _check_meeting_version(meeting, opened_version)
    meeting.mark_held(_today(today))
    _touch(meeting, _moment(at))
    _flush_meeting()


def cancel_meeting(
    meeting: Meeting,
    *,
    reason: str,
    opened_version: int | None = None,
    at: datetime | None = None,
) -> None:
    """Call off a scheduled meeting, giving the reason."""
    _check_meeting_version(meeting, opened_version)
    meeting.cancel(_text(reason, "reason for cancelling", None, required=True))
    _touch(meeting, _moment(at))
    _flush_meeting()


def _refuse_if_minutes_final(meeting: Meeting) -> None:
    if meeting.minutes is not None and not meeting.minutes.status.is_editable:
        raise MinutesLockedError(
            "The minutes of this meeting have been approved, so its agenda can no "
            "longer change"
        )


def add_item(
    meeting: Meeting,
    *,
    title: str,
    presenter: Person | None = None,
    duration_minutes: int | None = None,
    description: str = "",
    confidential: bool = False,
    opened_version: int | None = None,
    at: datetime | None = None,
) -> AgendaItem:
    """Add an item at the end of the agenda."""
    _check_meeting_version(meeting, opened_version)
    _refuse_if_minutes_final(meeting)
    if meeting.status is MeetingStatus.CANCELLED:
        raise MeetingError("A cancelled meeting's agenda cannot change")
    if presenter is not None:
        _in_partnership(presenter, meeting.partnership)
    item = AgendaItem(
        position=max((i.position for i in meeting.items), default=0) + 1,
        title=_text(title, "item's title", MAX_TITLE, required=True),
        description=_text(description, "description", None, required=False),
        presenter=presenter,
        duration_minutes=_duration(duration_minutes, "time allowed"),
        confidential=confidential,
    )
    meeting.items.append(item)
    _touch(meeting, _moment(at))
    _flush_meeting()
    return item


def update_item(
    item: AgendaItem,
    *,
    opened_version: int,
    title: str,
    presenter: Person | None,
    duration_minutes: int | None,
    description: str,
    confidential: bool,
    at: datetime | None = None,
) -> None:
    """Change an agenda item unless someone saved the meeting first."""
    meeting = item.meeting
    _check_meeting_version(meeting, opened_version)
    _refuse_if_minutes_final(meeting)
    if presenter is not None:
        _in_partnership(presenter, meeting.partnership)
    item.title = _text(title, "item's title", MAX_TITLE, required=True)
    item.presenter = presenter
    item.duration_minutes = _duration(duration_minutes, "time allowed")
    item.description = _text(description, "description", None, required=False)
    item.confidential = confidential
    _touch(meeting, _moment(at))
    _flush_meeting()


def move_item(
    item: AgendaItem,
    direction: int,
    *,
    opened_version: int | None = None,
    at: datetime | None = None,
) -> None:
    """Move an item up (-1) or down (+1); the standing items stay first."""
    meeting = item.meeting
    _check_meeting_version(meeting, opened_version)
    _refuse_if_minutes_final(meeting)
    items = list(meeting.items)
    index = items.index(item)
    target = index + (1 if direction > 0 else -1)
    if item.kind is not ItemKind.ITEM or not 0 <= target < len(items):
        return
    if items[target].kind is not ItemKind.ITEM:
        return
    items[index], items[target] = items[target], items[index]
    for position, each in enumerate(items, start=1):
        each.position = position
    # Keep the loaded list in agenda order too.
    meeting.items = items
    _touch(meeting, _moment(at))
    _flush_meeting()


def remove_item(
    item: AgendaItem, *, opened_version: int | None = None, at: datetime | None = None
) -> None:
    """Take an item off the agenda; refused once it has minutes, decisions or actions."""
    meeting = item.meeting
    _check_meeting_version(meeting, opened_version)
    _refuse_if_minutes_final(meeting)
    minutes = meeting.minutes
    if item.kind is not ItemKind.ITEM:
        raise MeetingError(f"“{item.title}” is a standing item and stays on the agenda")
    if minutes is not None and (
        minutes.text_for(item)
        or any(d.agenda_item_id == item.id for d in minutes.decisions)
    ):
        raise MeetingError("The item has minutes or decisions and cannot be removed")
    if db.session.scalar(
        select(meeting_action.c.action_id).where(
            meeting_action.c.agenda_item_id == item.id
        )
    ):
        raise MeetingError("Actions arose from this item, so it cannot be removed")
    if item.papers:
        raise MeetingError("Remove the item's papers first")
    meeting.items.remove(item)
    for position, each in enumerate(meeting.items, start=1):
        each.position = position
    _touch(meeting, _moment(at))
    _flush_meeting()


def attach_paper(
    item: AgendaItem,
    stream: IO[bytes],
    filename: str,
    *,
    title: str = "",
    by: User | None,
    at: datetime | None = None,
) -> AgendaPaper:
    """Check, store and attach a paper (PDF, DOCX or ODT) to an agenda item.

    :raise uploads.UploadError: for a file that fails the checks; nothing is kept.
    """
    meeting = item.meeting
    _refuse_if_minutes_final(meeting)
    stored = uploads.store(stream, filename, partnership=meeting.partnership, by=by)
    paper = AgendaPaper(
        item=item,
        file=stored,
        title=_text(title, "paper's title", MAX_NAME, required=False)
        or stored.display_name,
    )
    db.session.add(paper)
    _touch(meeting, _moment(at))
    _flush_meeting()
    return paper


def remove_paper(paper: AgendaPaper, *, at: datetime | None = None) -> str:
    """Take a paper off its item (until the minutes are approved); returns its title.

    The stored file's row goes too, so ``uploads.sweep_orphans`` removes the file.
    """
    item = paper.item
    meeting = item.meeting
    _refuse_if_minutes_final(meeting)
    title, stored = paper.title, paper.file
    item.papers.remove(paper)
    db.session.flush()
    db.session.delete(stored)
    _touch(meeting, _moment(at))
    _flush_meeting()
    return title


def visible_items(meeting: Meeting, *, sees_confidential: bool) -> list[AgendaItem]:
    """The agenda a reader may see: partner contacts miss the confidential items."""
    return [
        item for item in meeting.items if sees_confidential or not item.confidential
    ]


def papers_visible(meeting: Meeting, *, sees_confidential: bool) -> bool:
    """Whether the reader may open the meeting's papers."""
    return sees_confidential or not meeting.confidential


def meetings_for(
    partnership: Partnership,
    *,
    body: MeetingBody | None = None,
    start: date | None = None,
    end: date | None = None,
) -> list[Meeting]:
    """The partnership's meetings, by date."""
    query = select(Meeting).where(Meeting.partnership_id == partnership.id)
    if body is not None:
        query = query.where(Meeting.body_id == body.id)
    if start is not None:
        query = query.where(Meeting.held_on >= start)
    if end is not None:
        query = query.where(Meeting.held_on <= end)
    return list(db.session.scalars(query.order_by(Meeting.held_on, Meeting.id)))


# Attendance and quorum ----------------------------------------------------------------


def record_attendance(
    meeting: Meeting,
    entries: Sequence[tuple[Person, AttendanceStatus]],
    *,
    opened_version: int | None = None,
    at: datetime | None = None,
) -> list[Attendance]:
    """Record each person's attendance (replacing what was recorded for them).

    Apologies may be given before the meeting; present and absent only once it
    has been held.
    """
    _check_meeting_version(meeting, opened_version)
    if meeting.status is MeetingStatus.CANCELLED:
        raise MeetingError("The meeting was cancelled")
    seen: set[int] = set()
    for person, status in entries:
        if person.id in seen:
            raise MeetingError(f"{person.name} is listed twice")
        seen.add(person.id)
        _in_partnership(person, meeting.partnership)
        if status is not AttendanceStatus.APOLOGIES and not meeting.has_happened:
            raise MeetingError(
                "Record who was present or absent once the meeting has been held; "
                "apologies can be recorded before"
            )
    existing = {row.person_id: row for row in meeting.attendance}
    rows = []
    for person, status in entries:
        row = existing.get(person.id)
        if row is None:
            row = Attendance(
                person=person, organisation_id=person.organisation_id, status=status
            )
            meeting.attendance.append(row)
        else:
            row.status = status
        rows.append(row)
    _touch(meeting, _moment(at))
    _flush_meeting()
    return rows


@dataclass(frozen=True)
class Quorum:
    """Whether a meeting was quorate."""

    required: int | None
    present: int
    basis: QuorumBasis

    @property
    def met(self) -> bool | None:
        """True or False, or None when no quorum is set."""
        return None if self.required is None else self.present >= self.required

    @property
    def text(self) -> str:
        """The result as people read it."""
        if self.required is None:
            return "No quorum set"
        outcome = "Quorate" if self.met else "Not quorate"
        noun = "member" if self.basis is QuorumBasis.PEOPLE else "organisation"
        plural = "" if self.present == 1 else "s"
        return (
            f"{outcome}: {self.present} {noun}{plural} present, {self.required} needed"
        )


def quorum(meeting: Meeting) -> Quorum:
    """The quorum needed at ``meeting`` and how many were present."""
    settings = settings_for(meeting.partnership)
    required = meeting.body.quorum_count or settings.quorum_count
    present = [r for r in meeting.attendance if r.status is AttendanceStatus.PRESENT]
    count = (
        len({r.organisation_id for r in present})
        if settings.quorum_basis is QuorumBasis.ORGANISATIONS
        else len({r.person_id for r in present})
    )
    return Quorum(required=required, present=count, basis=settings.quorum_basis)


@dataclass(frozen=True)
class OrganisationAttendance:
    """An organisation's attendance at the meetings held in a period."""

    organisation: Organisation
    #: Meetings held in the period.
    meetings: int
    #: Meetings at which someone from the organisation was present.
    represented: int
    #: Meetings it missed but sent apologies for.
    apologies_only: int
    #: Person-level counts.
    present: int
    apologies: int
    absent: int

    @property
    def represented_pct(self) -> Decimal | None:
        """Meetings represented as a percentage of those held, to one decimal place."""
        if not self.meetings:
            return None
        return (Decimal(self.represented * 100) / Decimal(self.meetings)).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )


def attendance_by_organisation(
    partnership: Partnership,
    *,
    start: date,
    end: date,
    body: MeetingBody | None = None,
) -> list[OrganisationAttendance]:
    """Attendance per organisation over the meetings held from ``start`` to ``end``.

    Every organisation taking part in the partnership is listed, with those
    that were never represented, so gaps show.
    """
    if end < start:
        raise MeetingError("The end of the period must be on or after its start")
    held = [
        m
        for m in meetings_for(partnership, body=body, start=start, end=end)
        if m.status is MeetingStatus.HELD
    ]
    organisations: dict[int, Organisation] = {
        p.organisation_id: p.organisation
        for p in db.session.scalars(
            select(Participation).where(Participation.partnership_id == partnership.id)
        )
    }
    counts: dict[int, dict[str, int]] = {}
    for meeting in held:
        statuses: dict[int, set[AttendanceStatus]] = {}
        for row in meeting.attendance:
            organisations.setdefault(row.organisation_id, row.organisation)
            tally = counts.setdefault(row.organisation_id, {})
            tally[row.status.value] = tally.get(row.status.value, 0) + 1
            statuses.setdefault(row.organisation_id, set()).add(row.status)
        for organisation_id, seen in statuses.items():
            tally = counts[organisation_id]
            if AttendanceStatus.PRESENT in seen:
                tally["represented"] = tally.get("represented", 0) + 1
            elif AttendanceStatus.APOLOGIES in seen:
                tally["apologies_only"] = tally.get("apologies_only", 0) + 1
    rows = []
    for organisation_id, organisation in organisations.items():
        tally = counts.get(organisation_id, {})
        rows.append(
            OrganisationAttendance(
                organisation=organisation,
                meetings=len(held),
                represented=tally.get("represented", 0),
                apologies_only=tally.get("apologies_only", 0),
                present=tally.get("present", 0),
                apologies=tally.get("apologies", 0),
                absent=tally.get("absent", 0),
            )
        )
    return sorted(rows, key=lambda row: row.organisation.name.casefold())


# Minutes ---------------------------------------------------------------------------------


def _record(
    minutes: Minutes,
    name: str,
    old: str | None,
    new: str | None,
    *,
    by: User | None,
    at: datetime,
    item: AgendaItem | None = None,
    note: str = "",
) -> None:
    append_event(
        MinutesEvent(
            minutes_id=minutes.id,
            revision=minutes.revision,
            agenda_item_id=item.id if item is not None else None,
            field=name,
            old_value=old,
            new_value=new,
            note=note,
            user_id=by.id if by is not None else None,
            changed_at=at,
        )
    )


def _flush_minutes(minutes_id: int, yours: dict[int, str]) -> None:
    """Flush; a lost race on the minutes' version becomes a conflict with both texts."""
    try:
        db.session.flush()
    except StaleDataError as error:
        db.session.rollback()
        raise MinutesConflictError(
            MINUTES_CONFLICT_MESSAGE, theirs=_saved_texts(minutes_id), yours=yours
        ) from error


def _saved_texts(minutes_id: int) -> dict[int, str]:
    return {
        entry.agenda_item_id: entry.text
        for entry in db.session.scalars(
            select(MinuteEntry).where(MinuteEntry.minutes_id == minutes_id)
        )
    }


def _check_minutes_version(
    minutes: Minutes, opened_version: int, yours: dict[int, str] | None = None
) -> None:
    if minutes.version != opened_version:
        raise MinutesConflictError(
            MINUTES_CONFLICT_MESSAGE,
            theirs={e.agenda_item_id: e.text for e in minutes.entries},
            yours=yours or {},
        )


def _refuse_if_final(minutes: Minutes) -> None:
    if not minutes.status.is_editable:
        approved = (
            f" on {day_text(minutes.approved_at_meeting.held_on)}"
            if minutes.approved_at_meeting is not None
            else ""
        )
        raise MinutesLockedError(
            f"These minutes were approved{approved} and are locked. To change them, "
            "make a correction: it is kept as a new revision with your reason."
        )


def start_minutes(
    meeting: Meeting, *, by: User | None, at: datetime | None = None
) -> Minutes:
    """Open draft minutes for a meeting that has been held.

    :raise MeetingError: if the meeting has not happened, or already has minutes.
    """
    if not meeting.has_happened:
        raise MeetingError(
            "Minutes can only be written for a meeting that has been held"
        )
    if meeting.minutes is not None:
        raise MeetingError("The meeting already has minutes")
    moment = _moment(at)
    minutes = Minutes(meeting=meeting, created_at=moment, updated_at=moment)
    db.session.add(minutes)
    db.session.flush()
    _record(
        minutes,
        "created",
        None,
        json.dumps([item.title for item in meeting.items], ensure_ascii=False),
        by=by,
        at=moment,
    )
    return minutes


def _item_of(minutes: Minutes, item: AgendaItem) -> AgendaItem:
    if item.meeting_id != minutes.meeting_id:
        raise MeetingError("That item is not on this meeting's agenda")
    return item


def _changes(
    minutes: Minutes, texts: Mapping[int, str]
) -> list[tuple[AgendaItem, str, str]]:
    """Validate ``texts``; returns (item, old text, new text) for each real change."""
    items = {item.id: item for item in minutes.meeting.items}
    current = {entry.agenda_item_id: entry.text for entry in minutes.entries}
    changes: list[tuple[AgendaItem, str, str]] = []
    for item_id, raw in texts.items():
        item = items.get(item_id)
        if item is None:
            raise MeetingError("That item is not on this meeting's agenda")
        text = (raw or "").replace("\r\n", "\n").strip()
        if len(text) > MAX_MINUTE_TEXT:
            raise MeetingError(
                f"The minute for “{item.title}” must be {MAX_MINUTE_TEXT:,} "
                "characters or fewer"
            )
        old = current.get(item_id, "")
        if old != text:
            changes.append((item, old, text))
    return changes


def _write_texts(
    minutes: Minutes,
    changes: list[tuple[AgendaItem, str, str]],
    *,
    yours: dict[int, str],
    by: User | None,
    moment: datetime,
    note: str = "",
) -> None:
    """Write checked changes, flush (conflicts surface here), then record each one."""
    entries = {entry.agenda_item_id: entry for entry in minutes.entries}
    with db.session.no_autoflush:
        for item, _, text in changes:
            entry = entries.get(item.id)
            if entry is None:
                entry = MinuteEntry(agenda_item=item)
                minutes.entries.append(entry)
            entry.text = text
            entry.updated_at = moment
            entry.updated_by_id = by.id if by is not None else None
        if changes:
            _touch(minutes, moment)
    _flush_minutes(minutes.id, yours)
    for item, old, text in changes:
        _record(minutes, "text", old, text, by=by, at=moment, item=item, note=note)


def edit_minutes(
    minutes: Minutes,
    texts: Mapping[int, str],
    *,
    opened_version: int,
    by: User | None,
    at: datetime | None = None,
) -> list[int]:
    """Save minute texts (agenda item id → Markdown); returns the items changed.

    :raise MinutesLockedError: once the minutes are approved.
    :raise MinutesConflictError: if someone saved since ``opened_version``; it
        carries their text and yours, and nothing is saved.
    """
    yours = dict(texts)
    _check_minutes_version(minutes, opened_version, yours)
    _refuse_if_final(minutes)
    changes = _changes(minutes, texts)
    _write_texts(minutes, changes, yours=yours, by=by, moment=_moment(at))
    return [item.id for item, _, _ in changes]


def edit_minute(
    minutes: Minutes,
    item: AgendaItem,
    text: str,
    *,
    opened_version: int,
    by: User | None,
    at: datetime | None = None,
) -> bool:
    """Save the minute of one agenda item; returns whether it changed."""
    _item_of(minutes, item)
    return bool(
        edit_minutes(
            minutes, {item.id: text}, opened_version=opened_version, by=by, at=at
        )
    )


def circulate_minutes(
    minutes: Minutes,
    *,
    opened_version: int,
    by: User | None,
    at: datetime | None = None,
) -> None:
    """Draft → circulated to members for comment before approval."""
    _check_minutes_version(minutes, opened_version)
    moment = _moment(at)
    old = minutes.status
    minutes.move_to(MinutesStatus.CIRCULATED)
    minutes.circulated_at = moment
    minutes.circulated_by_id = by.id if by is not None else None
    _touch(minutes, moment)
    _flush_minutes(minutes.id, {})
    _record(minutes, "status", old.value, minutes.status.value, by=by, at=moment)


def _snapshot(minutes: Minutes) -> str:
    return json.dumps(
        {
            "items": {
                str(entry.agenda_item_id): entry.text
                for entry in sorted(minutes.entries, key=lambda e: e.agenda_item_id)
            },
            "decisions": [
                {"number": d.number, "item": d.agenda_item_id, "text": d.text}
                for d in minutes.decisions
            ],
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def approve_minutes(
    minutes: Minutes,
    *,
    at_meeting: Meeting,
    opened_version: int,
    by: User | None,
    at: datetime | None = None,
    today: date | None = None,
) -> MinutesRevision:
    """Record that circulated minutes were approved at a later meeting of the body.

    :raise MeetingError: if the minutes were not circulated, or either meeting
        has not happened, or ``at_meeting`` is not a later meeting of the same body.
    """
    _check_minutes_version(minutes, opened_version)
    meeting = minutes.meeting
    if not meeting.has_happened:
        raise MeetingError(
            f"The meeting on {day_text(meeting.held_on)} has not happened, so its "
            "minutes cannot be approved"
        )
    if minutes.status is MinutesStatus.DRAFT:
        raise MeetingError("Circulate the minutes to members before they are approved")
    if at_meeting.body_id != meeting.body_id:
        raise MeetingError(
            f"Minutes are approved at a later meeting of the {meeting.body.name}"
        )
    if at_meeting.held_on <= meeting.held_on or at_meeting.id == meeting.id:
        raise MeetingError(
            f"Minutes are approved at a later meeting, after {day_text(meeting.held_on)}"
        )
    if not at_meeting.has_happened or at_meeting.held_on > _today(today):
        raise MeetingError(
            f"The meeting on {day_text(at_meeting.held_on)} has not happened yet: "
            "minutes can only be approved at a meeting that has taken place"
        )
    moment = _moment(at)
    old = minutes.status
    minutes.move_to(MinutesStatus.APPROVED)
    minutes.approved_at = moment
    minutes.approved_by_id = by.id if by is not None else None
    minutes.approved_at_meeting = at_meeting
    _touch(minutes, moment)
    revision = MinutesRevision(
        minutes=minutes,
        number=minutes.revision,
        reason=f"Approved at the meeting on {day_text(at_meeting.held_on)}",
        snapshot=_snapshot(minutes),
        created_at=moment,
        created_by_id=by.id if by is not None else None,
    )
    db.session.add(revision)
    _flush_minutes(minutes.id, {})
    _record(
        minutes,
        "status",
        old.value,
        minutes.status.value,
        by=by,
        at=moment,
        note=revision.reason,
    )
    return revision


def lock_minutes(
    minutes: Minutes,
    *,
    opened_version: int,
    by: User | None,
    at: datetime | None = None,
) -> None:
    """Approved → locked: the final record (corrections still make new revisions)."""
    _check_minutes_version(minutes, opened_version)
    moment = _moment(at)
    old = minutes.status
    minutes.move_to(MinutesStatus.LOCKED)
    minutes.locked_at = moment
    _touch(minutes, moment)
    _flush_minutes(minutes.id, {})
    _record(minutes, "status", old.value, minutes.status.value, by=by, at=moment)


def correct_minutes(
    minutes: Minutes,
    texts: Mapping[int, str],
    *,
    reason: str,
    opened_version: int,
    by: User | None,
    at: datetime | None = None,
) -> MinutesRevision:
    """Correct approved minutes: the changed text becomes a new revision with ``reason``.

    :raise MeetingError: if the minutes are not approved yet (edit them instead),
        no reason is given, or nothing changed.
    """
    yours = dict(texts)
    _check_minutes_version(minutes, opened_version, yours)
    if minutes.status.is_editable:
        raise MeetingError(
            "These minutes are not approved yet: edit them instead of correcting"
        )
    reason = _text(reason, "reason for the correction", None, required=True)
    changes = _changes(minutes, texts)
    if not changes:
        raise MeetingError("Nothing was changed, so there is nothing to correct")
    moment = _moment(at)
    minutes.revision += 1
    _write_texts(minutes, changes, yours=yours, by=by, moment=moment, note=reason)
    revision = MinutesRevision(
        minutes=minutes,
        number=minutes.revision,
        reason=reason,
        snapshot=_snapshot(minutes),
        created_at=moment,
        created_by_id=by.id if by is not None else None,
    )
    db.session.add(revision)
    _flush_minutes(minutes.id, yours)
    _record(
        minutes,
        "correction",
        str(minutes.revision - 1),
        str(minutes.revision),
        by=by,
        at=moment,
        note=reason,
    )
    return revision


def minutes_history(minutes: Minutes) -> list[MinutesEvent]:
    """Every recorded change to the minutes, oldest first."""
    return list(
        db.session.scalars(
            select(MinutesEvent)
            .where(MinutesEvent.minutes_id == minutes.id)
            .order_by(MinutesEvent.seq)
        )
    )


def verify_minutes_history(minutes: Minutes) -> int | None:
    """The ``seq`` of the first event that breaks the hash chain, or ``None`` if intact."""
    return first_break(minutes_history(minutes))


# Decisions -------------------------------------------------------------------------


def record_decision(
    minutes: Minutes,
    item: AgendaItem,
    text: str,
    *,
    opened_version: int,
    by: User | None,
    at: datetime | None = None,
) -> Decision:
    """Record a decision taken under an agenda item."""
    _check_minutes_version(minutes, opened_version)
    _refuse_if_final(minutes)
    _item_of(minutes, item)
    text = _text(text, "decision", 5000, required=True)
    moment = _moment(at)
    decision = Decision(
        minutes=minutes,
        meeting_id=minutes.meeting_id,
        agenda_item=item,
        number=max((d.number for d in minutes.decisions), default=0) + 1,
        text=text,
        created_at=moment,
        created_by_id=by.id if by is not None else None,
    )
    db.session.add(decision)
    _touch(minutes, moment)
    _flush_minutes(minutes.id, {})
    _record(minutes, "decision", None, text, by=by, at=moment, item=item)
    return decision


def update_decision(
    decision: Decision,
    text: str,
    *,
    opened_version: int,
    by: User | None,
    at: datetime | None = None,
) -> None:
    """Reword a decision while the minutes are still a draft or circulated."""
    minutes = decision.minutes
    _check_minutes_version(minutes, opened_version)
    _refuse_if_final(minutes)
    text = _text(text, "decision", 5000, required=True)
    if text == decision.text:
        return
    moment = _moment(at)
    old = decision.text
    decision.text = text
    _touch(minutes, moment)
    _flush_minutes(minutes.id, {})
    _record(minutes, "decision", old, text, by=by, at=moment, item=decision.agenda_item)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_decisions(
    partnership_ids: set[int] | None,
    query: str = "",
    *,
    body: MeetingBody | None = None,
    start: date | None = None,
    end: date | None = None,
    sees_confidential: bool = True,
    sees_drafts: bool = True,
    limit: int = 100,
) -> list[Decision]:
    """The decision log: decisions across meetings, newest first, matching ``query``.

    ``partnership_ids`` limits it to the partnerships the reader may see (``None``:
    all). Wildcards in ``query`` match literally. Without ``sees_drafts``, the
    decisions of draft minutes are left out (``Minutes.readable_by``).
    """
    statement = (
        select(Decision)
        .join(Meeting, Meeting.id == Decision.meeting_id)
        .join(AgendaItem, AgendaItem.id == Decision.agenda_item_id)
    )
    if partnership_ids is not None:
        statement = statement.where(Meeting.partnership_id.in_(partnership_ids))
    words = query.strip()
    if words:
        statement = statement.where(Decision.text.ilike(_like(words), escape="\\"))
    if body is not None:
        statement = statement.where(Meeting.body_id == body.id)
    if start is not None:
        statement = statement.where(Meeting.held_on >= start)
    if end is not None:
        statement = statement.where(Meeting.held_on <= end)
    if not sees_confidential:
        statement = statement.where(AgendaItem.confidential.is_(False))
    if not sees_drafts:
        statement = statement.join(Minutes, Minutes.id == Decision.minutes_id).where(
            Minutes.status != MinutesStatus.DRAFT
        )
    statement = statement.order_by(Meeting.held_on.desc(), Decision.number).limit(
        max(1, min(limit, 500))
    )
    return list(db.session.scalars(statement))


# Actions arising ------------------------------------------------------------------------


def plan_for(partnership: Partnership, on: date) -> Strategy | None:
    """The partnership's action plan in force on ``on`` (else its latest)."""
    strategies = list(
        db.session.scalars(
            select(Strategy)
            .where(Strategy.partnership_id == partnership.id)
            .order_by(Strategy.starts_on.desc(), Strategy.id.desc())
        )
    )
    covering = [s for s in strategies if s.starts_on <= on <= s.ends_on]
    candidates = covering or strategies
    return candidates[0] if candidates else None


def _next_ref(strategy: Strategy) -> str:
    refs = set(
        db.session.scalars(select(Action.ref).where(Action.strategy_id == strategy.id))
    )
    number = 1
    while f"{ACTION_REF_PREFIX}{number}" in refs:
        number += 1
    return f"{ACTION_REF_PREFIX}{number}"


def add_action_arising(
    minutes: Minutes,
    item: AgendaItem,
    *,
    title: str,
    owner: Person,
    due_date: date,
    opened_version: int,
    by: User | None,
    theme: Theme | None = None,
    strategy: Strategy | None = None,
    delivery_group: DeliveryGroup | None = None,
    lead_organisation: Organisation | None = None,
    description: str = "",
    ref: str | None = None,
    at: datetime | None = None,
) -> Action:
    """Create an action in the partnership's action plan and link it to the meeting.

    The plan defaults to the one in force on the meeting's date; the theme to
    that of the delivery group or body's group, or the plan's only theme.

    :raise MeetingError: if the minutes are approved, the meeting has not been
        held, there is no plan, or the theme cannot be worked out.
    :raise plans.PlanError: if the plan refuses the action (e.g. an owner from
        outside the partnership).
    """
    _check_minutes_version(minutes, opened_version)
    _refuse_if_final(minutes)
    _item_of(minutes, item)
    meeting = minutes.meeting
    partnership = meeting.partnership
    strategy = strategy or plan_for(partnership, meeting.held_on)
    if strategy is None:
        raise MeetingError(
            f"{partnership.name} has no action plan yet: create one before "
            "recording actions arising"
        )
    if strategy.partnership_id != partnership.id:
        raise MeetingError("That action plan belongs to another partnership")
    group = delivery_group or meeting.body.delivery_group
    if theme is None and group is not None and group.strategy_id == strategy.id:
        theme = group.theme
    if theme is None:
        themes = strategy.active_themes
        if len(themes) != 1:
            raise MeetingError(
                "Choose the theme of the action plan the action belongs to"
            )
        theme = themes[0]
    if (
        delivery_group is None
        and group is not None
        and group.strategy_id == strategy.id
    ):
        delivery_group = group
    if due_date < meeting.held_on:
        raise MeetingError(
            f"The due date must be on or after the meeting ({day_text(meeting.held_on)})"
        )
    if lead_organisation is None and plans.organisation_in_partnership(
        owner.organisation, partnership
    ):
        lead_organisation = owner.organisation
    moment = _moment(at)
    action = plans.create_action(
        strategy,
        ref=ref or _next_ref(strategy),
        title=title,
        theme=theme,
        due_date=due_date,
        description=description,
        delivery_group=delivery_group,
        lead_organisation=lead_organisation,
        owner=owner,
        start_date=meeting.held_on,
        origin=f"{meeting.body.name}, {day_text(meeting.held_on)}",
        by=by,
        at=moment,
    )
    db.session.execute(
        meeting_action.insert().values(
            action_id=action.id, meeting_id=meeting.id, agenda_item_id=item.id
        )
    )
    _touch(minutes, moment)
    _flush_minutes(minutes.id, {})
    _record(
        minutes,
        "action",
        None,
        f"{action.ref}: {action.title} ({owner.name}, due {due_date.isoformat()})",
        by=by,
        at=moment,
        item=item,
    )
    return action


def actions_arising(meeting: Meeting) -> list[tuple[AgendaItem, Action]]:
    """The actions that arose at ``meeting``, with the item they arose under."""
    items = {item.id: item for item in meeting.items}
    rows = db.session.execute(
        select(meeting_action.c.agenda_item_id, Action)
        .join(Action, Action.id == meeting_action.c.action_id)
        .where(meeting_action.c.meeting_id == meeting.id)
        .order_by(Action.id)
    )
    return [(items[row[0]], row[1]) for row in rows]


def meeting_of_action(action: Action) -> Meeting | None:
    """The meeting an action arose at, if any."""
    return db.session.scalar(
        select(Meeting)
        .join(meeting_action, meeting_action.c.meeting_id == Meeting.id)
        .where(meeting_action.c.action_id == action.id)
    )
