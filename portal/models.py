"""Shared models: accounts, the directory of partnerships, organisations and people."""

from __future__ import annotations

import enum
from datetime import UTC
from datetime import date
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean
from sqlalchemy import DateTime
from sqlalchemy import Enum
from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy import false
from sqlalchemy import true
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship
from sqlalchemy.types import TypeDecorator

from portal.extensions import Base


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(
        self, value: datetime | None, dialect: object
    ) -> datetime | None:
        """Store UTC; refuse naive datetimes, which would be ambiguous."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC)

    def process_result_value(
        self, value: datetime | None, dialect: object
    ) -> datetime | None:
        """Read back as aware UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_column(enum_class: type[enum.Enum]) -> Enum:
    """A portable enum column that stores the values, checked by a named constraint."""
    return Enum(
        enum_class,
        values_callable=lambda members: [member.value for member in members],
        native_enum=False,
        create_constraint=True,
        length=32,
        name=enum_class.__name__.lower(),
    )


class Scope(enum.StrEnum):
    """Whether a partnership works nationally or in one area."""

    NATIONAL = "national"
    LOCAL = "local"


class Sector(enum.StrEnum):
    """The sector an organisation belongs to."""

    PUBLIC = "public"
    THIRD = "third"
    PRIVATE = "private"
    SOCIAL_ENTERPRISE = "social-enterprise"
    OTHER = "other"

    @property
    def label(self) -> str:
        """The name people read."""
        return {
            "public": "Public sector",
            "third": "Third sector",
            "private": "Private sector",
            "social-enterprise": "Social enterprise",
            "other": "Other",
        }[self.value]


class PartnerRole(enum.StrEnum):
    """An organisation's role in a partnership."""

    LEAD = "lead"
    PARTNER = "partner"
    DELIVERY_PARTNER = "delivery-partner"

    @property
    def label(self) -> str:
        """The name people read."""
        return self.value.replace("-", " ").capitalize()


class MemberRole(enum.StrEnum):
    """A person's role in the portal for one partnership."""

    COORDINATOR = "coordinator"
    BOARD_MEMBER = "board-member"
    PARTNER_CONTACT = "partner-contact"

    @property
    def label(self) -> str:
        """The name people read."""
        return self.value.replace("-", " ").capitalize()


class Archivable:
    """Soft deletion: archived records leave lists but keep their history."""

    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def is_archived(self) -> bool:
        """True once archived."""
        return self.archived_at is not None

    def archive(self) -> None:
        """Archive the record; archiving twice is harmless."""
        if self.archived_at is None:
            self.archived_at = utcnow()

    def restore(self) -> None:
        """Bring an archived record back."""
        self.archived_at = None


class Programme(Archivable, Base):
    """A funding programme that groups partnerships (e.g. the RRCF)."""

    __tablename__ = "programme"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    partnerships: Mapped[list[Partnership]] = relationship(
        back_populates="programme", order_by="Partnership.name"
    )


class Partnership(Archivable, Base):
    """A multi-agency partnership: the unit of access control."""

    __tablename__ = "partnership"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    scope: Mapped[Scope] = mapped_column(enum_column(Scope), default=Scope.LOCAL)
    programme_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme.id", ondelete="SET NULL"), index=True
    )
    #: Bumped on every edit; a stale form is refused instead of overwriting.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    programme: Mapped[Programme | None] = relationship(back_populates="partnerships")
    participations: Mapped[list[Participation]] = relationship(
        back_populates="partnership", cascade="all, delete-orphan"
    )
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="partnership", cascade="all, delete-orphan"
    )


class Organisation(Archivable, Base):
    """A council, police force, health board, charity or company."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    sector: Mapped[Sector] = mapped_column(enum_column(Sector))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    participations: Mapped[list[Participation]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )
    people: Mapped[list[Person]] = relationship(
        back_populates="organisation", order_by="Person.name"
    )


class Participation(Base):
    """An organisation's role in a partnership, with when it joined and left."""

    __tablename__ = "participation"
    __table_args__ = (UniqueConstraint("partnership_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnership.id", ondelete="CASCADE")
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[PartnerRole] = mapped_column(enum_column(PartnerRole))
    joined_on: Mapped[date | None]
    left_on: Mapped[date | None]
    partnership: Mapped[Partnership] = relationship(back_populates="participations")
    organisation: Mapped[Organisation] = relationship(back_populates="participations")

    @property
    def is_current(self) -> bool:
        """True while the organisation has not left."""
        return self.left_on is None


class Person(Archivable, Base):
    """A member of staff at an organisation; may or may not have an account."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: Stored lower-case so uniqueness ignores case.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    job_title: Mapped[str] = mapped_column(String(200), default="", server_default="")
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id"), index=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    organisation: Mapped[Organisation] = relationship(back_populates="people")
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )
    user: Mapped[User | None] = relationship(back_populates="person")


class Membership(Base):
    """A person's portal role in one partnership."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("partnership_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnership.id", ondelete="CASCADE")
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[MemberRole] = mapped_column(enum_column(MemberRole))
    partnership: Mapped[Partnership] = relationship(back_populates="memberships")
    person: Mapped[Person] = relationship(back_populates="memberships")


class User(UserMixin, Base):  # type: ignore[misc]
    """An account that can sign in; its partnership roles come from its person."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: None until an invited user sets a password.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    is_enabled: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default=true()
    )
    #: Part of the session cookie's user id; changing it ends every session at once.
    session_token: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Base32 TOTP secret once two-factor sign-in is set up; None until then.
    totp_secret: Mapped[str | None] = mapped_column(String(32))
    #: The last 30-second TOTP step accepted, so a code cannot be used twice.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    person: Mapped[Person | None] = relationship(back_populates="user")
    recovery_codes: Mapped[list[RecoveryCode]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def get_id(self) -> str:
        """Flask-Login's id: the row id plus the session token (see ``session_token``)."""
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        """Disabled accounts cannot sign in and lose their sessions."""
        return self.is_enabled


class TokenPurpose(enum.StrEnum):
    """What a single-use emailed link lets its holder do."""

    RESET = "reset"
    INVITE = "invite"


class AuthToken(Base):
    """A single-use link for a password reset or an invitation; only its hash is kept."""

    __tablename__ = "auth_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[TokenPurpose] = mapped_column(enum_column(TokenPurpose))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    user: Mapped[User] = relationship()


class RecoveryCode(Base):
    """A single-use code that stands in for the authenticator app; only its hash is kept."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    #: SHA-256 of the code: it is random enough (100 bits) that a slow hash adds nothing.
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    user: Mapped[User] = relationship(back_populates="recovery_codes")
