"""Survey models: questionnaire, waves, the per-wave sample, invitations and answers.

Anonymity is a property of the schema, not of a flag checked in views: a
``Response`` has a random key, a date without a time, and no column that refers
to an invitation, a person or a request. In identified surveys the link lives
in a separate table, ``ResponseOwner``, which anonymous surveys never write to.

The schema alone is not enough while an anonymous wave is open: its sample
shows who has just submitted, so a result that changed at that moment would be
that person's. ``Wave.holds_back`` says when results must leave out responses
not yet released (``surveys.release``) and row-level answers stay closed.
"""

from __future__ import annotations

import enum
import secrets
from datetime import date
from datetime import datetime

from sqlalchemy import Boolean
from sqlalchemy import CheckConstraint
from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy import false
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from portal.extensions import Base
from portal.models import Organisation
from portal.models import Partnership
from portal.models import Person
from portal.models import Programme
from portal.models import User
from portal.models import UTCDateTime
from portal.models import enum_column
from portal.models import utcnow


class SurveyMode(enum.StrEnum):
    """Whether stored answers name their respondent."""

    IDENTIFIED = "identified"
    ANONYMOUS = "anonymous"

    @property
    def label(self) -> str:
        """The name people read."""
        return {
            "identified": "Identified",
            "anonymous": "Anonymous but tracked",
        }[self.value]


class ItemType(enum.StrEnum):
    """The kinds of question a questionnaire holds."""

    LIKERT = "likert"
    SINGLE = "single"
    MULTI = "multi"
    TEXT = "text"
    NUMBER = "number"

    @property
    def label(self) -> str:
        """The name people read."""
        return {
            "likert": "Likert scale",
            "single": "Single choice",
            "multi": "Multiple choice",
            "text": "Free text",
            "number": "Number",
        }[self.value]


class WaveOverride(enum.StrEnum):
    """A coordinator's decision that beats the fieldwork dates."""

    OPEN = "open"
    CLOSED = "closed"


class MessageKind(enum.StrEnum):
    """What an email to a sampled person is for."""

    INVITATION = "invitation"
    REMINDER = "reminder"
    RECEIPT = "receipt"


class DeliveryStatus(enum.StrEnum):
    """Where a queued email is in its life."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    #: The server refused the address; retrying would not help.
    BOUNCED = "bounced"
    #: Skipped at send time, e.g. a reminder to someone who has since submitted.
    SKIPPED = "skipped"
    #: Gave up after the maximum number of attempts.
    FAILED = "failed"


class Survey(Base):
    """A questionnaire run over one partnership or a whole programme, wave by wave."""

    __tablename__ = "survey"
    __table_args__ = (
        CheckConstraint(
            "(partnership_id IS NULL) <> (programme_id IS NULL)", name="one_scope"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    introduction: Mapped[str] = mapped_column(Text, default="", server_default="")
    mode: Mapped[SurveyMode] = mapped_column(
        enum_column(SurveyMode), default=SurveyMode.IDENTIFIED
    )
    partnership_id: Mapped[int | None] = mapped_column(
        ForeignKey("partnership.id"), index=True
    )
    programme_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme.id"), index=True
    )
    #: Most people a sample takes from one organisation unless changed per wave.
    max_per_organisation: Mapped[int] = mapped_column(
        Integer, default=3, server_default="3"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    partnership: Mapped[Partnership | None] = relationship()
    programme: Mapped[Programme | None] = relationship()
    sections: Mapped[list[Section]] = relationship(
        back_populates="survey", order_by="Section.position", cascade="all"
    )
    items: Mapped[list[Item]] = relationship(
        back_populates="survey", order_by="Item.position", cascade="all"
    )
    waves: Mapped[list[Wave]] = relationship(
        back_populates="survey", order_by="Wave.number", cascade="all"
    )
    templates: Mapped[list[MessageTemplate]] = relationship(cascade="all")


class Section(Base):
    """A page of the questionnaire, with a preamble shared by its items."""

    __tablename__ = "survey_section"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(
        ForeignKey("survey.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    preamble: Mapped[str] = mapped_column(Text, default="", server_default="")
    survey: Mapped[Survey] = relationship(back_populates="sections")
    items: Mapped[list[Item]] = relationship(
        back_populates="section", order_by="Item.position"
    )


class Item(Base):
    """A question, known by a code that never changes across waves."""

    __tablename__ = "survey_item"
    __table_args__ = (UniqueConstraint("survey_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(
        ForeignKey("survey.id", ondelete="CASCADE"), index=True
    )
    section_id: Mapped[int] = mapped_column(ForeignKey("survey_section.id"), index=True)
    #: Order across the whole questionnaire (sections are ordered separately).
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    type: Mapped[ItemType] = mapped_column(enum_column(ItemType))
    #: agree5, increase5 or effective5 for likert items; empty otherwise.
    scale: Mapped[str] = mapped_column(String(16), default="", server_default="")
    #: Choice labels separated by "|" for single and multi items.
    options: Mapped[str] = mapped_column(Text, default="", server_default="")
    required: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    survey: Mapped[Survey] = relationship(back_populates="items")
    section: Mapped[Section] = relationship(back_populates="items")
    revisions: Mapped[list[ItemRevision]] = relationship(
        back_populates="item", order_by="ItemRevision.id", cascade="all"
    )

    @property
    def option_labels(self) -> list[str]:
        """The choices of a single or multi item."""
        return [label for label in self.options.split("|") if label]


class ItemRevision(Base):
    """Wording an item had before an edit, and the last wave that saw it."""

    __tablename__ = "survey_item_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("survey_item.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    scale: Mapped[str] = mapped_column(String(16), default="", server_default="")
    #: The highest wave number answered with this wording (0: no wave had answers).
    last_wave: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    item: Mapped[Item] = relationship(back_populates="revisions")
    changed_by: Mapped[User | None] = relationship()


class Wave(Base):
    """One round of fieldwork: dates, context notes and its own sample."""

    __tablename__ = "survey_wave"
    __table_args__ = (
        UniqueConstraint("survey_id", "number"),
        CheckConstraint("closes_on >= opens_on", name="dates_in_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(
        ForeignKey("survey.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    opens_on: Mapped[date]
    closes_on: Mapped[date]
    context_notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: Set when a coordinator opens or closes the wave by hand.
    override: Mapped[WaveOverride | None] = mapped_column(enum_column(WaveOverride))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    survey: Mapped[Survey] = relationship(back_populates="waves")
    invitations: Mapped[list[Invitation]] = relationship(
        back_populates="wave", cascade="all"
    )

    def is_open(self, today: date) -> bool:
        """Open by hand, or within its fieldwork dates unless closed by hand."""
        if self.override is not None:
            return self.override is WaveOverride.OPEN
        return self.opens_on <= today <= self.closes_on

    def holds_back(self, today: date) -> bool:
        """An open anonymous wave: results leave out unreleased responses, and
        row-level answers (free text included) wait until it closes."""
        return self.survey.mode is SurveyMode.ANONYMOUS and self.is_open(today)


class Invitation(Base):
    """A sampled person in one wave. Completion is a flag with no time attached."""

    __tablename__ = "survey_invitation"
    __table_args__ = (UniqueConstraint("wave_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(
        ForeignKey("survey_wave.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    #: The organisation the person worked for when sampled (people move on).
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id"), index=True
    )
    #: The partnership the person was sampled for (a programme survey spans several).
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnership.id"), index=True
    )
    started: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    completed: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    #: Taken out of the sample (left, changed role); kept so its history stays.
    withdrawn: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    invitations_sent: Mapped[int] = mapped_column(
        Integer, default=0, server_default="0"
    )
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    bounces: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: The section the respondent last saved, so a return resumes there.
    resume_section: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    wave: Mapped[Wave] = relationship(back_populates="invitations")
    person: Mapped[Person] = relationship()
    organisation: Mapped[Organisation] = relationship()
    partnership: Mapped[Partnership] = relationship()
    draft_answers: Mapped[list[DraftAnswer]] = relationship(
        cascade="all, delete-orphan"
    )


class InvitationToken(Base):
    """The hash of one emailed link. Each send makes a new link; all stay valid."""

    __tablename__ = "survey_invitation_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("survey_invitation.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    revoked: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    invitation: Mapped[Invitation] = relationship()


class DraftAnswer(Base):
    """An answer saved before submission; deleted when the response is submitted."""

    __tablename__ = "survey_draft_answer"

    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("survey_invitation.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(
        ForeignKey("survey_item.id", ondelete="CASCADE"), primary_key=True
    )
    value: Mapped[str] = mapped_column(Text)


def new_response_id() -> str:
    """A random key: it reveals neither order nor time."""
    return secrets.token_hex(16)


class Response(Base):
    """A submitted questionnaire. Holds no link to an invitation, person or time."""

    __tablename__ = "survey_response"

    id: Mapped[str] = mapped_column(
        String(32), primary_key=True, default=new_response_id
    )
    wave_id: Mapped[int] = mapped_column(
        ForeignKey("survey_wave.id", ondelete="CASCADE"), index=True
    )
    #: For breakdowns by organisation, partnership, sector and role.
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id"), index=True
    )
    #: The partnership the answers are about (a programme survey spans several).
    partnership_id: Mapped[int | None] = mapped_column(
        ForeignKey("partnership.id"), index=True
    )
    #: A date, never a time of day, so it cannot be matched to logs; in an
    #: anonymous survey the wave's closing date, so not even the day is kept.
    submitted_on: Mapped[date]
    #: An anonymous response not yet released into results (``surveys.release``).
    held_back: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    #: From an imported CSV: its respondent_id and row, so an export round-trips.
    external_id: Mapped[str | None] = mapped_column(String(64))
    import_row: Mapped[int | None] = mapped_column(Integer)
    wave: Mapped[Wave] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    partnership: Mapped[Partnership | None] = relationship()
    answers: Mapped[list[Answer]] = relationship(cascade="all, delete-orphan")


class ResponseOwner(Base):
    """Who gave a response, for identified surveys only."""

    __tablename__ = "survey_response_owner"

    response_id: Mapped[str] = mapped_column(
        ForeignKey("survey_response.id", ondelete="CASCADE"), primary_key=True
    )
    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("survey_invitation.id", ondelete="CASCADE"), unique=True
    )


class Answer(Base):
    """One answer: a likert position 1-5 or DK, a label, labels joined by |, text."""

    __tablename__ = "survey_answer"

    response_id: Mapped[str] = mapped_column(
        ForeignKey("survey_response.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(
        ForeignKey("survey_item.id", ondelete="CASCADE"), primary_key=True
    )
    value: Mapped[str] = mapped_column(Text)
    item: Mapped[Item] = relationship()


class MessageTemplate(Base):
    """The editable subject and body of a survey's invitation or reminder."""

    __tablename__ = "survey_message_template"
    __table_args__ = (UniqueConstraint("survey_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(
        ForeignKey("survey.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[MessageKind] = mapped_column(enum_column(MessageKind))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class OutgoingMessage(Base):
    """An email waiting to go, or the record of one that went (or could not)."""

    __tablename__ = "survey_outgoing_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("survey_invitation.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[MessageKind] = mapped_column(enum_column(MessageKind))
    status: Mapped[DeliveryStatus] = mapped_column(
        enum_column(DeliveryStatus), default=DeliveryStatus.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str] = mapped_column(Text, default="", server_default="")
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: When a worker claimed it or may next retry it.
    not_before: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    invitation: Mapped[Invitation] = relationship()
