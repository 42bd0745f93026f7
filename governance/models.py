"""Action-plan models: strategies, themes, delivery groups, actions and indicators.

An action's past is kept as data, not prose. ``ActionEvent`` rows are written for
every field change, in the same transaction as the change, and never updated:
the state of a plan "as at 31 March 2018" is rebuilt from them after the fact
(``governance.completion``). Each event carries the calendar day the change took
effect (``effective_on``) as well as the moment it was recorded (``changed_at``),
so an owner who records on 3 April that an action was completed on 28 March
moves the March figures, not the April ones.

Refreshing a strategy never deletes structure: a merged theme or delivery group
keeps its row, its name and a pointer to what replaced it (``merged_into``), so
reports for earlier periods still show the structure as it was.
"""

from __future__ import annotations

import enum
from datetime import date
from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlalchemy import Column
from sqlalchemy import Float
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Table
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy import event
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from portal.extensions import Base
from portal.models import Organisation
from portal.models import Partnership
from portal.models import Person
from portal.models import User
from portal.models import UTCDateTime
from portal.models import enum_column
from portal.models import utcnow


class ActionStatus(enum.StrEnum):
    """Where an action stands; the values are the action-plan CSV's words."""

    NOT_STARTED = "not started"
    IN_PROGRESS = "in progress"
    COMPLETED = "completed"
    CARRIED_FORWARD = "carried forward"
    DISCONTINUED = "discontinued"

    @property
    def label(self) -> str:
        """The name people read."""
        return self.value.capitalize()

    @property
    def is_open(self) -> bool:
        """True while the action still has work to do."""
        return self not in (ActionStatus.COMPLETED, ActionStatus.DISCONTINUED)


class Rag(enum.StrEnum):
    """A red, amber or green judgement of an action, separate from its progress."""

    RED = "red"
    AMBER = "amber"
    GREEN = "green"
    NONE = "none"

    @property
    def label(self) -> str:
        """The name people read."""
        return "Not rated" if self is Rag.NONE else self.value.capitalize()

    @property
    def meaning(self) -> str:
        """The key printed beside every RAG rating."""
        return {
            "red": "Off track: serious delay or risk; needs the board's help",
            "amber": "At risk: some delay, being managed",
            "green": "On track",
            "none": "Not yet rated",
        }[self.value]


class Direction(enum.StrEnum):
    """Whether an indicator improves by going up or down."""

    UP = "up"
    DOWN = "down"

    @property
    def label(self) -> str:
        """The name people read."""
        return "Higher is better" if self is Direction.UP else "Lower is better"


class Strategy(Base):
    """A partnership's strategy and its action plan for a period."""

    __tablename__ = "plan_strategy"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="period_in_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnership.id"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    partnership: Mapped[Partnership] = relationship()
    themes: Mapped[list[Theme]] = relationship(
        back_populates="strategy",
        order_by="(Theme.position, Theme.id)",
        cascade="all, delete-orphan",
    )
    groups: Mapped[list[DeliveryGroup]] = relationship(
        back_populates="strategy",
        order_by="DeliveryGroup.name",
        cascade="all, delete-orphan",
    )
    actions: Mapped[list[Action]] = relationship(
        back_populates="strategy", order_by="Action.id", cascade="all, delete-orphan"
    )
    indicators: Mapped[list[Indicator]] = relationship(
        back_populates="strategy",
        order_by="Indicator.position",
        cascade="all, delete-orphan",
    )

    @property
    def active_themes(self) -> list[Theme]:
        """The themes of the current structure (merged ones left out)."""
        return [theme for theme in self.themes if theme.is_active]

    @property
    def active_groups(self) -> list[DeliveryGroup]:
        """The delivery groups of the current structure (merged ones left out)."""
        return [group for group in self.groups if group.is_active]


class Theme(Base):
    """A strand of a strategy. Merged themes stay, pointing at their successor."""

    __tablename__ = "plan_theme"
    __table_args__ = (UniqueConstraint("strategy_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    strategy_id: Mapped[int] = mapped_column(
        ForeignKey("plan_strategy.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan_theme.id", ondelete="SET NULL")
    )
    #: The day the theme left the structure (merged at a refresh); None while active.
    retired_on: Mapped[date | None]
    strategy: Mapped[Strategy] = relationship(back_populates="themes")
    merged_into: Mapped[Theme | None] = relationship(remote_side=[id])

    @property
    def is_active(self) -> bool:
        """True while the theme is part of the current structure."""
        return self.retired_on is None


delivery_group_member = Table(
    "plan_delivery_group_member",
    Base.metadata,
    Column(
        "group_id",
        ForeignKey("plan_delivery_group.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("person_id", ForeignKey("person.id", ondelete="CASCADE"), primary_key=True),
)


class DeliveryGroup(Base):
    """A multi-agency group that oversees the actions of (usually) one theme."""

    __tablename__ = "plan_delivery_group"
    __table_args__ = (UniqueConstraint("strategy_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    strategy_id: Mapped[int] = mapped_column(
        ForeignKey("plan_strategy.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    theme_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan_theme.id", ondelete="SET NULL"), index=True
    )
    chair_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan_delivery_group.id", ondelete="SET NULL")
    )
    retired_on: Mapped[date | None]
    strategy: Mapped[Strategy] = relationship(back_populates="groups")
    theme: Mapped[Theme | None] = relationship()
    chair: Mapped[Person | None] = relationship()
    members: Mapped[list[Person]] = relationship(
        secondary=delivery_group_member, order_by="Person.name"
    )
    merged_into: Mapped[DeliveryGroup | None] = relationship(remote_side=[id])

    @property
    def is_active(self) -> bool:
        """True while the group is part of the current structure."""
        return self.retired_on is None


class Action(Base):
    """One action of a plan: who leads it, by when, and how it is going.

    Change it only through ``governance.plans``, which checks the version the
    editor opened and writes an ``ActionEvent`` for every field it changes.
    """

    __tablename__ = "plan_action"
    __table_args__ = (
        UniqueConstraint("strategy_id", "ref"),
        CheckConstraint(
            "start_date IS NULL OR due_date >= start_date", name="due_after_start"
        ),
        CheckConstraint(
            "progress_pct >= 0 AND progress_pct <= 100", name="progress_in_range"
        ),
        CheckConstraint("carried_forward_count >= 0", name="carried_count_positive"),
        CheckConstraint(
            "completed_on IS NULL OR status = 'completed'",
            name="completed_on_only_when_completed",
        ),
        Index("ix_plan_action_strategy_due", "strategy_id", "due_date"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    strategy_id: Mapped[int] = mapped_column(
        ForeignKey("plan_strategy.id", ondelete="CASCADE")
    )
    ref: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    theme_id: Mapped[int] = mapped_column(ForeignKey("plan_theme.id"), index=True)
    delivery_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan_delivery_group.id", ondelete="SET NULL"), index=True
    )
    lead_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id"), index=True
    )
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    start_date: Mapped[date | None]
    due_date: Mapped[date]
    #: The due date the action first had; carrying forward never changes it.
    original_due_date: Mapped[date]
    status: Mapped[ActionStatus] = mapped_column(
        enum_column(ActionStatus), default=ActionStatus.NOT_STARTED
    )
    rag: Mapped[Rag] = mapped_column(enum_column(Rag), default=Rag.NONE)
    progress_pct: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    carried_forward_count: Mapped[int] = mapped_column(
        Integer, default=0, server_default="0"
    )
    #: Why it was last carried forward (every reason is in the history).
    carry_forward_reason: Mapped[str] = mapped_column(
        Text, default="", server_default=""
    )
    #: Set when completed through the portal; None for imported completed actions.
    completed_on: Mapped[date | None]
    #: Where the action came from, e.g. "Board meeting, 12 March 2018" (issue 5).
    origin: Mapped[str] = mapped_column(String(200), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    #: Every flush bumps ``version`` and checks it in the UPDATE's WHERE clause, so
    #: of two requests that loaded the same version, the second to write fails.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    strategy: Mapped[Strategy] = relationship(back_populates="actions")
    theme: Mapped[Theme] = relationship()
    delivery_group: Mapped[DeliveryGroup | None] = relationship()
    lead_organisation: Mapped[Organisation | None] = relationship()
    owner: Mapped[Person | None] = relationship()
    updates: Mapped[list[ActionUpdate]] = relationship(
        back_populates="action",
        order_by="(ActionUpdate.written_on, ActionUpdate.id)",
        cascade="all, delete-orphan",
    )
    events: Mapped[list[ActionEvent]] = relationship(
        back_populates="action",
        order_by="ActionEvent.id",
        cascade="all, delete-orphan",
    )
    indicators: Mapped[list[Indicator]] = relationship(
        secondary="plan_action_indicator", order_by="Indicator.position"
    )

    def is_overdue(self, today: date) -> bool:
        """Due before ``today`` and neither completed nor discontinued."""
        return self.due_date < today and self.status.is_open

    @property
    def carried_forward_text(self) -> str:
        """The text "carried forward 2x", or empty if never carried forward."""
        if not self.carried_forward_count:
            return ""
        return f"carried forward {self.carried_forward_count}x"


class ActionUpdate(Base):
    """A dated progress report on an action: narrative, status, RAG and progress."""

    __tablename__ = "plan_action_update"
    __table_args__ = (
        CheckConstraint(
            "progress_pct >= 0 AND progress_pct <= 100", name="progress_in_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(
        ForeignKey("plan_action.id", ondelete="CASCADE"), index=True
    )
    #: The day the update describes (owners often write a few days late).
    written_on: Mapped[date]
    narrative: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[ActionStatus] = mapped_column(enum_column(ActionStatus))
    rag: Mapped[Rag] = mapped_column(enum_column(Rag))
    progress_pct: Mapped[int] = mapped_column(Integer)
    #: The account that wrote it, if signed in.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    #: The person who wrote it (an owner using an emailed link has no account).
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    action: Mapped[Action] = relationship(back_populates="updates")
    user: Mapped[User | None] = relationship()
    person: Mapped[Person | None] = relationship()

    @property
    def author_name(self) -> str:
        """Who wrote the update, as people read it."""
        if self.person is not None:
            return self.person.name
        return self.user.name if self.user is not None else "Unknown"


class ActionEvent(Base):
    """One change to one field of an action. Append-only.

    Values are stored as text a machine can read back: ISO dates, status and RAG
    values, and row ids for the theme, delivery group, lead organisation and
    owner. ``field == "created"`` holds the whole starting state as JSON.
    """

    __tablename__ = "plan_action_event"
    __table_args__ = (
        Index("ix_plan_action_event_action_effective", "action_id", "effective_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(
        ForeignKey("plan_action.id", ondelete="CASCADE")
    )
    field: Mapped[str] = mapped_column(String(32))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    #: Why, where the change has a reason (carrying forward, a refresh).
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: The calendar day the change took effect; as-of reports read this.
    effective_on: Mapped[date]
    #: When the change was recorded.
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL")
    )
    action: Mapped[Action] = relationship(back_populates="events")
    user: Mapped[User | None] = relationship()
    person: Mapped[Person | None] = relationship()

    @property
    def author_name(self) -> str:
        """Who made the change, as people read it."""
        if self.user is not None:
            return self.user.name
        return self.person.name if self.person is not None else "System"


@event.listens_for(ActionEvent, "before_update")
def _refuse_event_update(*_: object) -> None:
    """History is append-only: an event is never rewritten."""
    raise ValueError("action events cannot be changed")


class Indicator(Base):
    """An outcome measured as a percentage (numerator of denominator) against a target."""

    __tablename__ = "plan_indicator"
    __table_args__ = (
        UniqueConstraint("strategy_id", "name"),
        CheckConstraint(
            "target_pct >= 0 AND target_pct <= 100", name="target_in_range"
        ),
        CheckConstraint("amber_margin_pp >= 0", name="margin_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    strategy_id: Mapped[int] = mapped_column(
        ForeignKey("plan_strategy.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    target_pct: Mapped[float] = mapped_column(Float)
    direction: Mapped[Direction] = mapped_column(
        enum_column(Direction), default=Direction.UP
    )
    #: How far short of target (percentage points) is still amber, not red.
    amber_margin_pp: Mapped[float] = mapped_column(
        Float, default=5.0, server_default="5"
    )
    strategy: Mapped[Strategy] = relationship(back_populates="indicators")
    values: Mapped[list[IndicatorValue]] = relationship(
        back_populates="indicator",
        order_by="IndicatorValue.period_end",
        cascade="all, delete-orphan",
    )


class IndicatorValue(Base):
    """An indicator's actual value for one reporting period, e.g. 141 of 228."""

    __tablename__ = "plan_indicator_value"
    __table_args__ = (
        UniqueConstraint("indicator_id", "period_end"),
        CheckConstraint("denominator > 0", name="denominator_positive"),
        CheckConstraint(
            "numerator >= 0 AND numerator <= denominator", name="numerator_in_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(
        ForeignKey("plan_indicator.id", ondelete="CASCADE")
    )
    period_label: Mapped[str] = mapped_column(String(64))
    period_end: Mapped[date]
    numerator: Mapped[int] = mapped_column(Integer)
    denominator: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    indicator: Mapped[Indicator] = relationship(back_populates="values")

    @property
    def pct(self) -> float:
        """The value as a percentage."""
        return self.numerator * 100 / self.denominator


action_indicator = Table(
    "plan_action_indicator",
    Base.metadata,
    Column(
        "action_id", ForeignKey("plan_action.id", ondelete="CASCADE"), primary_key=True
    ),
    Column(
        "indicator_id",
        ForeignKey("plan_indicator.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)

#: Survey questions an action is meant to move (``surveys.models.Item``).
action_survey_item = Table(
    "plan_action_survey_item",
    Base.metadata,
    Column(
        "action_id", ForeignKey("plan_action.id", ondelete="CASCADE"), primary_key=True
    ),
    Column(
        "item_id", ForeignKey("survey_item.id", ondelete="CASCADE"), primary_key=True
    ),
)
