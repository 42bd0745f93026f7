"""Memoranda of understanding as structured, versioned records with signatories.

An ``Agreement`` is a partnership's memorandum; its content lives in numbered
``AgreementVersion`` rows, each a complete statement: purpose, scope, vision,
the protocol for decisions taken outside board meetings (RRCF 13.27), dates,
each party organisation's role and responsibilities, and funding commitments
with their caveats (RRCF 11.2, 12.44). Version 1 starts as a draft; amending an
agreed version makes a new draft N+1 and leaves the agreed one readable until
the new one is agreed, when it becomes superseded. Status moves are model
methods that refuse illegal moves.

Every change is recorded in ``AgreementEvent`` (append-only, hash-chained per
agreement, written in the same transaction as the change). Every service
touches the ``Agreement`` row, whose version counter makes the second of two
overlapping changes fail with ``EditConflictError`` instead of overwriting.

Services flush; the caller commits once.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from decimal import InvalidOperation
from typing import IO

from sqlalchemy import CheckConstraint
from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import Numeric
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy import exists
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship
from sqlalchemy.orm.exc import StaleDataError

from governance import uploads
from governance.history import ChainedEvent
from governance.history import append_event
from governance.history import first_break
from governance.history import refuse_changes
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

#: How far ahead the register looks for reviews.
REVIEW_WINDOW_DAYS = 60
MAX_TITLE = 200
MAX_ROLE = 200
MAX_PERIOD = 64
MAX_AMOUNT = Decimal("1000000000000")
CONFLICT_MESSAGE = (
    "Someone else changed this memorandum after you opened it. Your changes were "
    "not saved: reload to see theirs, then make yours again."
)


class AgreementError(PortalError):
    """A change the memorandum's rules refuse; the message says why."""

    status = 422


class AlreadySignedError(AgreementError):
    """The organisation has already signed this version."""

    status = 409


class AgreementStatus(enum.StrEnum):
    """Where a version of a memorandum stands."""

    DRAFT = "draft"
    AGREED = "agreed"
    SUPERSEDED = "superseded"
    ENDED = "ended"

    @property
    def label(self) -> str:
        """The name people read."""
        return self.value.capitalize()


#: The only moves a version's status may make.
TRANSITIONS: dict[AgreementStatus, frozenset[AgreementStatus]] = {
    AgreementStatus.DRAFT: frozenset({AgreementStatus.AGREED}),
    AgreementStatus.AGREED: frozenset(
        {AgreementStatus.SUPERSEDED, AgreementStatus.ENDED}
    ),
    AgreementStatus.SUPERSEDED: frozenset(),
    AgreementStatus.ENDED: frozenset(),
}


class Agreement(Base):
    """A partnership's memorandum of understanding, across all its versions."""

    __tablename__ = "mou_agreement"

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnership.id"), index=True
    )
    title: Mapped[str] = mapped_column(String(MAX_TITLE))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Touched by every change, so the version counter below moves with it.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    partnership: Mapped[Partnership] = relationship()
    versions: Mapped[list[AgreementVersion]] = relationship(
        back_populates="agreement",
        order_by="AgreementVersion.number",
        cascade="all, delete-orphan",
    )
    events: Mapped[list[AgreementEvent]] = relationship(
        back_populates="agreement", order_by="AgreementEvent.seq"
    )

    @property
    def current(self) -> AgreementVersion | None:
        """The agreed version in force, if any."""
        return next(
            (v for v in self.versions if v.status is AgreementStatus.AGREED), None
        )

    @property
    def draft(self) -> AgreementVersion | None:
        """The version being drafted, if any."""
        return next(
            (v for v in self.versions if v.status is AgreementStatus.DRAFT), None
        )

    @property
    def latest(self) -> AgreementVersion:
        """The highest-numbered version."""
        return self.versions[-1]


class AgreementVersion(Base):
    """One complete, numbered statement of a memorandum."""

    __tablename__ = "mou_version"
    __table_args__ = (
        UniqueConstraint("agreement_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint(
            "ends_on IS NULL OR ends_on >= starts_on", name="end_after_start"
        ),
        CheckConstraint(
            "review_on IS NULL OR review_on >= starts_on", name="review_after_start"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("mou_agreement.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[AgreementStatus] = mapped_column(
        enum_column(AgreementStatus), default=AgreementStatus.DRAFT
    )
    purpose: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(Text, default="", server_default="")
    vision: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: How decisions outside board meetings are taken, e.g. a rotating deputy lead.
    decision_protocol: Mapped[str] = mapped_column(Text, default="", server_default="")
    starts_on: Mapped[date]
    review_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    #: What this version changes, for amendments.
    change_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    agreed_on: Mapped[date | None]
    superseded_on: Mapped[date | None]
    ended_on: Mapped[date | None]
    agreement: Mapped[Agreement] = relationship(back_populates="versions")
    created_by: Mapped[User | None] = relationship()
    parties: Mapped[list[AgreementParty]] = relationship(
        back_populates="version",
        order_by="AgreementParty.position",
        cascade="all, delete-orphan",
    )
    funding: Mapped[list[FundingCommitment]] = relationship(
        back_populates="version",
        order_by="FundingCommitment.position",
        cascade="all, delete-orphan",
    )
    signatures: Mapped[list[Signature]] = relationship(
        back_populates="version", order_by="Signature.signed_on"
    )
    documents: Mapped[list[AgreementDocument]] = relationship(
        back_populates="version", order_by="AgreementDocument.id"
    )

    def _move(self, status: AgreementStatus) -> None:
        if status not in TRANSITIONS[self.status]:
            raise AgreementError(
                f"Version {self.number} is {self.status.value} and cannot become "
                f"{status.value}"
            )
        self.status = status

    def agree(self, on: date) -> None:
        """Draft → agreed."""
        self._move(AgreementStatus.AGREED)
        self.agreed_on = on

    def supersede(self, on: date) -> None:
        """Agreed → superseded, when a later version is agreed."""
        self._move(AgreementStatus.SUPERSEDED)
        self.superseded_on = on

    def end(self, on: date) -> None:
        """Agreed → ended, when the partnership's memorandum comes to an end."""
        self._move(AgreementStatus.ENDED)
        self.ended_on = on

    @property
    def is_editable(self) -> bool:
        """Only drafts can be changed."""
        return self.status is AgreementStatus.DRAFT

    @property
    def party_organisations(self) -> list[Organisation]:
        """The organisations party to this version, in order."""
        return [party.organisation for party in self.parties]


class AgreementParty(Base):
    """An organisation party to a version, with its role and responsibilities."""

    __tablename__ = "mou_party"
    __table_args__ = (UniqueConstraint("version_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("mou_version.id", ondelete="CASCADE")
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    #: E.g. "Lead organisation", "Public sector partner", "Deputy lead (2016/17)".
    role: Mapped[str] = mapped_column(String(MAX_ROLE))
    responsibilities: Mapped[str] = mapped_column(Text, default="", server_default="")
    version: Mapped[AgreementVersion] = relationship(back_populates="parties")
    organisation: Mapped[Organisation] = relationship()


class FundingCommitment(Base):
    """A party's funding commitment: how much, for which period, on what conditions."""

    __tablename__ = "mou_funding"
    __table_args__ = (CheckConstraint("amount >= 0", name="amount_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("mou_version.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    #: E.g. "2015-17" or "per year from April 2016".
    period: Mapped[str] = mapped_column(String(MAX_PERIOD))
    #: E.g. "subject to budget approval".
    caveat: Mapped[str] = mapped_column(Text, default="", server_default="")
    version: Mapped[AgreementVersion] = relationship(back_populates="funding")
    organisation: Mapped[Organisation] = relationship()

    @property
    def text(self) -> str:
        """The commitment as people read it: £2,900,000 for 2015-17 (subject to …)."""
        caveat = f" ({self.caveat})" if self.caveat else ""
        return f"{money(self.amount)} for {self.period}{caveat}"


class Signature(Base):
    """A party organisation's signature of a version: who signed, as what, when."""

    __tablename__ = "mou_signature"
    __table_args__ = (UniqueConstraint("version_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("mou_version.id", ondelete="CASCADE")
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id"), index=True
    )
    #: The signatory in the directory, when they are in it.
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    signatory_name: Mapped[str] = mapped_column(String(200))
    signatory_role: Mapped[str] = mapped_column(String(MAX_ROLE))
    signed_on: Mapped[date]
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    version: Mapped[AgreementVersion] = relationship(back_populates="signatures")
    organisation: Mapped[Organisation] = relationship()
    person: Mapped[Person | None] = relationship()
    recorded_by: Mapped[User | None] = relationship()


class AgreementDocument(Base):
    """A document attached to a version, usually the signed copy."""

    __tablename__ = "mou_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("mou_version.id", ondelete="CASCADE"), index=True
    )
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"), unique=True)
    description: Mapped[str] = mapped_column(String(200))
    version: Mapped[AgreementVersion] = relationship(back_populates="documents")
    file: Mapped[uploads.StoredFile] = relationship()


class AgreementEvent(ChainedEvent, Base):
    """One recorded change to a memorandum. Append-only and hash-chained."""

    __tablename__ = "mou_event"
    __table_args__ = (UniqueConstraint("agreement_id", "seq"),)
    chain_column = "agreement_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("mou_agreement.id", ondelete="CASCADE")
    )
    version_number: Mapped[int] = mapped_column(Integer)
    agreement: Mapped[Agreement] = relationship(back_populates="events")

    def own_fields(self) -> dict[str, object]:
        """The memorandum and version, besides the change itself."""
        return {"agreement": self.agreement_id, "version": self.version_number}


refuse_changes(AgreementEvent, message="memorandum history cannot be changed")


# Inputs ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PartyTerms:
    """A party organisation's role and responsibilities, as entered."""

    organisation: Organisation
    role: str
    responsibilities: str = ""


@dataclass(frozen=True)
class Funding:
    """A funding commitment, as entered."""

    organisation: Organisation
    amount: Decimal | str | int
    period: str
    caveat: str = ""


@dataclass(frozen=True)
class AgreementContent:
    """Everything a version says."""

    purpose: str
    starts_on: date
    scope: str = ""
    vision: str = ""
    decision_protocol: str = ""
    review_on: date | None = None
    ends_on: date | None = None
    parties: Sequence[PartyTerms] = ()
    funding: Sequence[Funding] = ()


#: The text fields of a version, with the names people read.
TEXT_FIELDS = {
    "purpose": "Purpose",
    "scope": "Scope",
    "vision": "Vision",
    "decision_protocol": "Decisions outside board meetings",
}
DATE_FIELDS = {
    "starts_on": "Start date",
    "review_on": "Review date",
    "ends_on": "End date",
}


# Helpers ------------------------------------------------------------------------------


def money(amount: Decimal) -> str:
    """An amount in pounds: £2,900,000 or £39,070.50."""
    if amount == amount.to_integral_value():
        return f"£{amount:,.0f}"
    return f"£{amount:,.2f}"


def day_text(day: date | None) -> str:
    """A date as people read it (31 March 2018), or an empty string."""
    return f"{day.day} {day:%B %Y}" if day else ""


def _moment(at: datetime | None) -> datetime:
    moment = at or utcnow()
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment


def _flush() -> None:
    """Flush, turning a lost race on the agreement's version into a conflict."""
    try:
        db.session.flush()
    except StaleDataError as error:
        db.session.rollback()
        raise EditConflictError(CONFLICT_MESSAGE) from error


def _check_version(agreement: Agreement, opened_version: int) -> None:
    if agreement.version != opened_version:
        raise EditConflictError(CONFLICT_MESSAGE)


def _text(value: str, what: str, limit: int | None = None, *, required: bool) -> str:
    cleaned = (value or "").strip()
    if required and not cleaned:
        raise AgreementError(f"Enter the {what}")
    if limit is not None and len(cleaned) > limit:
        raise AgreementError(f"The {what} must be {limit} characters or fewer")
    return cleaned


def _takes_part(organisation: Organisation, partnership: Partnership) -> bool:
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Participation.partnership_id == partnership.id,
                    Participation.organisation_id == organisation.id,
                )
            )
        )
    )


def _amount(value: Decimal | str | int, organisation: Organisation) -> Decimal:
    try:
        amount = Decimal(str(value).replace(",", "").replace("£", "").strip())
    except InvalidOperation as error:
        raise AgreementError(
            f"Enter {organisation.name}'s funding as an amount in pounds, like 25000"
        ) from error
    if not amount.is_finite() or amount < 0:
        raise AgreementError(f"{organisation.name}'s funding cannot be negative")
    if amount >= MAX_AMOUNT:
        raise AgreementError(f"{organisation.name}'s funding is too large")
    if amount != amount.quantize(Decimal("0.01")):
        raise AgreementError(
            f"{organisation.name}'s funding must be in pounds and pence"
        )
    return amount.quantize(Decimal("0.01"))


def check_dates(starts_on: date, review_on: date | None, ends_on: date | None) -> None:
    """Refuse an end or review date before the start, or a review after the end."""
    if ends_on is not None and ends_on < starts_on:
        raise AgreementError("The end date must be on or after the start date")
    if review_on is not None and review_on < starts_on:
        raise AgreementError("The review date must be on or after the start date")
    if review_on is not None and ends_on is not None and review_on > ends_on:
        raise AgreementError("The review date must be on or before the end date")


def _checked(
    content: AgreementContent, partnership: Partnership
) -> tuple[dict[str, object], list[PartyTerms], list[tuple[Funding, Decimal]]]:
    """Validate ``content``; returns the plain fields, parties and funding."""
    values: dict[str, object] = {
        "purpose": _text(content.purpose, "purpose", required=True),
        "scope": _text(content.scope, "scope", required=False),
        "vision": _text(content.vision, "vision", required=False),
        "decision_protocol": _text(
            content.decision_protocol, "decision protocol", required=False
        ),
        "starts_on": content.starts_on,
        "review_on": content.review_on,
        "ends_on": content.ends_on,
    }
    check_dates(content.starts_on, content.review_on, content.ends_on)
    parties: list[PartyTerms] = []
    seen: set[int] = set()
    for party in content.parties:
        organisation = party.organisation
        if organisation.id in seen:
            raise AgreementError(f"{organisation.name} is listed twice")
        seen.add(organisation.id)
        if not _takes_part(organisation, partnership):
            raise AgreementError(
                f"{organisation.name} does not take part in {partnership.name}"
            )
        parties.append(
            PartyTerms(
                organisation=organisation,
                role=_text(
                    party.role, f"role of {organisation.name}", MAX_ROLE, required=True
                ),
                responsibilities=_text(
                    party.responsibilities, "responsibilities", required=False
                ),
            )
        )
    funding: list[tuple[Funding, Decimal]] = []
    for commitment in content.funding:
        organisation = commitment.organisation
        if organisation.id not in seen:
            raise AgreementError(
                f"{organisation.name} must be a party to the memorandum to commit "
                "funding"
            )
        amount = _amount(commitment.amount, organisation)
        funding.append(
            (
                Funding(
                    organisation=organisation,
                    amount=amount,
                    period=_text(
                        commitment.period,
                        f"period of {organisation.name}'s funding",
                        MAX_PERIOD,
                        required=True,
                    ),
                    caveat=_text(commitment.caveat, "caveat", required=False),
                ),
                amount,
            )
        )
    return values, parties, funding


def _parties_text(version: AgreementVersion) -> str:
    return json.dumps(
        [
            {
                "organisation": party.organisation.name,
                "role": party.role,
                "responsibilities": party.responsibilities,
            }
            for party in version.parties
        ],
        ensure_ascii=False,
    )


def _funding_text(version: AgreementVersion) -> str:
    return json.dumps(
        [
            {
                "organisation": item.organisation.name,
                "amount": str(item.amount),
                "period": item.period,
                "caveat": item.caveat,
            }
            for item in version.funding
        ],
        ensure_ascii=False,
    )


def _field_text(version: AgreementVersion, name: str) -> str | None:
    if name == "parties":
        return _parties_text(version)
    if name == "funding":
        return _funding_text(version)
    value = getattr(version, name)
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)


CONTENT_FIELDS = (*TEXT_FIELDS, *DATE_FIELDS, "parties", "funding")


def _record(
    agreement: Agreement,
    version: AgreementVersion,
    name: str,
    old: str | None,
    new: str | None,
    *,
    by: User | None,
    at: datetime,
    note: str = "",
) -> None:
    append_event(
        AgreementEvent(
            agreement_id=agreement.id,
            version_number=version.number,
            field=name,
            old_value=old,
            new_value=new,
            note=note,
            user_id=by.id if by is not None else None,
            changed_at=at,
        )
    )


def _touch(agreement: Agreement, moment: datetime) -> None:
    """Move the agreement's version on, so a concurrent change to it conflicts."""
    agreement.updated_at = moment


def _apply_content(
    version: AgreementVersion,
    values: dict[str, object],
    parties: list[PartyTerms],
    funding: list[tuple[Funding, Decimal]],
) -> None:
    for name, value in values.items():
        setattr(version, name, value)
    if version.id is not None:
        # Delete the old rows first: the unit of work would otherwise insert the
        # new ones before deleting the old and trip the unique constraints.
        version.parties.clear()
        version.funding.clear()
        db.session.flush()
    version.parties = [
        AgreementParty(
            organisation=party.organisation,
            position=index,
            role=party.role,
            responsibilities=party.responsibilities,
        )
        for index, party in enumerate(parties, start=1)
    ]
    version.funding = [
        FundingCommitment(
            organisation=commitment.organisation,
            position=index,
            amount=amount,
            period=commitment.period,
            caveat=commitment.caveat,
        )
        for index, (commitment, amount) in enumerate(funding, start=1)
    ]


def _today(today: date | None) -> date:
    return today or clock.today()


# Services --------------------------------------------------------------------------------


def create_agreement(
    partnership: Partnership,
    *,
    title: str,
    content: AgreementContent,
    by: User | None,
    at: datetime | None = None,
) -> Agreement:
    """Start a memorandum for ``partnership`` with ``content`` as draft version 1.

    :raise AgreementError: on a missing purpose or title, dates out of order,
        an organisation outside the partnership, or a bad funding amount.
    """
    title = _text(title, "title", MAX_TITLE, required=True)
    values, parties, funding = _checked(content, partnership)
    moment = _moment(at)
    agreement = Agreement(
        partnership=partnership, title=title, created_at=moment, updated_at=moment
    )
    version = AgreementVersion(
        agreement=agreement,
        number=1,
        status=AgreementStatus.DRAFT,
        created_at=moment,
        created_by=by,
    )
    _apply_content(version, values, parties, funding)
    db.session.add(agreement)
    _flush()
    snapshot = {name: _field_text(version, name) for name in CONTENT_FIELDS}
    _record(
        agreement,
        version,
        "created",
        None,
        json.dumps({"title": title, **snapshot}, ensure_ascii=False, sort_keys=True),
        by=by,
        at=moment,
    )
    return agreement


def update_draft(
    version: AgreementVersion,
    *,
    opened_version: int,
    content: AgreementContent,
    change_note: str | None = None,
    by: User | None,
    at: datetime | None = None,
) -> list[str]:
    """Change a draft unless someone saved first; returns the fields changed.

    :raise AgreementError: if the version is not a draft, or on bad content.
    :raise EditConflictError: if the memorandum changed since ``opened_version``.
    """
    agreement = version.agreement
    _check_version(agreement, opened_version)
    if not version.is_editable:
        raise AgreementError(
            f"Version {version.number} is {version.status.value} and cannot be "
            "changed: amend the memorandum to make a new version"
        )
    values, parties, funding = _checked(content, agreement.partnership)
    moment = _moment(at)
    before = {name: _field_text(version, name) for name in CONTENT_FIELDS}
    with db.session.no_autoflush:
        _apply_content(version, values, parties, funding)
        if change_note is not None:
            version.change_note = change_note.strip()
    _touch(agreement, moment)
    _flush()
    db.session.refresh(version)
    changed = []
    for name in CONTENT_FIELDS:
        after = _field_text(version, name)
        if after != before[name]:
            changed.append(name)
            _record(agreement, version, name, before[name], after, by=by, at=moment)
    return changed


def amend(
    agreement: Agreement,
    *,
    opened_version: int,
    change_note: str = "",
    by: User | None,
    at: datetime | None = None,
) -> AgreementVersion:
    """Start version N+1 as a draft copy of the agreed version N.

    :raise AgreementError: if nothing is agreed yet or a draft already exists.
    """
    _check_version(agreement, opened_version)
    if agreement.draft is not None:
        raise AgreementError(
            f"Version {agreement.draft.number} is already being drafted: change that "
            "draft instead"
        )
    current = agreement.current
    if current is None:
        raise AgreementError("Only an agreed memorandum can be amended")
    moment = _moment(at)
    version = AgreementVersion(
        agreement_id=agreement.id,
        number=agreement.latest.number + 1,
        status=AgreementStatus.DRAFT,
        purpose=current.purpose,
        scope=current.scope,
        vision=current.vision,
        decision_protocol=current.decision_protocol,
        starts_on=current.starts_on,
        review_on=current.review_on,
        ends_on=current.ends_on,
        change_note=change_note.strip(),
        created_at=moment,
        created_by=by,
    )
    db.session.add(version)
    version.parties = [
        AgreementParty(
            organisation=party.organisation,
            position=party.position,
            role=party.role,
            responsibilities=party.responsibilities,
        )
        for party in current.parties
    ]
    version.funding = [
        FundingCommitment(
            organisation=item.organisation,
            position=item.position,
            amount=item.amount,
            period=item.period,
            caveat=item.caveat,
        )
        for item in current.funding
    ]
    db.session.expire(agreement, ["versions"])
    _touch(agreement, moment)
    _flush()
    _record(
        agreement,
        version,
        "amended",
        str(current.number),
        str(version.number),
        by=by,
        at=moment,
        note=version.change_note,
    )
    return version


def agree(
    version: AgreementVersion,
    *,
    opened_version: int,
    agreed_on: date,
    by: User | None,
    at: datetime | None = None,
    today: date | None = None,
) -> None:
    """Record that the partners agreed a draft; the version it replaces is superseded.

    :raise AgreementError: if it is not the latest draft, has no parties, or the
        date is in the future or before the previous version was agreed.
    """
    agreement = version.agreement
    _check_version(agreement, opened_version)
    if version is not agreement.latest:
        raise AgreementError("Only the latest version can be agreed")
    if version.status is not AgreementStatus.DRAFT:
        raise AgreementError(
            f"Version {version.number} is {version.status.value}, not a draft"
        )
    if not version.parties:
        raise AgreementError("Add the party organisations before agreeing")
    if agreed_on > _today(today):
        raise AgreementError("The date agreed cannot be in the future")
    previous = agreement.current
    if previous is not None and previous.agreed_on and agreed_on < previous.agreed_on:
        raise AgreementError(
            f"The date agreed must be on or after {day_text(previous.agreed_on)}, "
            f"when version {previous.number} was agreed"
        )
    moment = _moment(at)
    if previous is not None:
        previous.supersede(agreed_on)
        _record(
            agreement,
            previous,
            "status",
            AgreementStatus.AGREED.value,
            AgreementStatus.SUPERSEDED.value,
            by=by,
            at=moment,
            note=f"Replaced by version {version.number}",
        )
    version.agree(agreed_on)
    _touch(agreement, moment)
    _flush()
    _record(
        agreement,
        version,
        "status",
        AgreementStatus.DRAFT.value,
        AgreementStatus.AGREED.value,
        by=by,
        at=moment,
        note=f"Agreed on {agreed_on.isoformat()}",
    )


def end_agreement(
    version: AgreementVersion,
    *,
    opened_version: int,
    ended_on: date,
    reason: str,
    by: User | None,
    at: datetime | None = None,
) -> None:
    """Bring the agreed version, and so the memorandum, to an end."""
    agreement = version.agreement
    _check_version(agreement, opened_version)
    reason = _text(reason, "reason for ending the memorandum", required=True)
    if version.agreed_on is not None and ended_on < version.agreed_on:
        raise AgreementError(
            f"The end date must be on or after {day_text(version.agreed_on)}, "
            "when the version was agreed"
        )
    moment = _moment(at)
    version.end(ended_on)
    _touch(agreement, moment)
    _flush()
    _record(
        agreement,
        version,
        "status",
        AgreementStatus.AGREED.value,
        AgreementStatus.ENDED.value,
        by=by,
        at=moment,
        note=reason,
    )


def sign(
    version: AgreementVersion,
    *,
    organisation: Organisation,
    signatory_name: str,
    signatory_role: str,
    signed_on: date,
    person: Person | None = None,
    by: User | None,
    at: datetime | None = None,
    today: date | None = None,
) -> Signature:
    """Record that a party organisation signed ``version``.

    :raise AlreadySignedError: if the organisation has signed this version.
    :raise AgreementError: if it is not a party, the version is superseded or
        ended, the date is in the future, or the signatory is missing.
    """
    agreement = version.agreement
    if version.status not in (AgreementStatus.DRAFT, AgreementStatus.AGREED):
        raise AgreementError(
            f"Version {version.number} is {version.status.value}: only the current "
            "version or a draft can be signed"
        )
    if organisation.id not in {party.organisation_id for party in version.parties}:
        raise AgreementError(
            f"{organisation.name} is not a party to version {version.number}"
        )
    if any(s.organisation_id == organisation.id for s in version.signatures):
        raise AlreadySignedError(
            f"{organisation.name} has already signed version {version.number}"
        )
    name = _text(signatory_name, "name of the person who signed", 200, required=True)
    role = _text(
        signatory_role, "role of the person who signed", MAX_ROLE, required=True
    )
    if signed_on > _today(today):
        raise AgreementError("The date signed cannot be in the future")
    if person is not None and person.organisation_id != organisation.id:
        raise AgreementError(f"{person.name} does not work for {organisation.name}")
    moment = _moment(at)
    signature = Signature(
        version_id=version.id,
        organisation_id=organisation.id,
        person_id=person.id if person is not None else None,
        signatory_name=name,
        signatory_role=role,
        signed_on=signed_on,
        recorded_at=moment,
        recorded_by_id=by.id if by is not None else None,
    )
    # Flush the caller's pending work first, then insert inside a savepoint:
    # losing a race to the unique constraint must undo only this signature.
    db.session.flush()
    try:
        with db.session.begin_nested():
            db.session.add(signature)
            db.session.flush()
    except IntegrityError as error:
        raise AlreadySignedError(
            f"{organisation.name} has already signed version {version.number}"
        ) from error
    db.session.expire(version, ["signatures"])
    _touch(agreement, moment)
    _flush()
    _record(
        agreement,
        version,
        "signature",
        None,
        f"{organisation.name}: {name}, {role}, {signed_on.isoformat()}",
        by=by,
        at=moment,
    )
    return signature


def attach_document(
    version: AgreementVersion,
    stream: IO[bytes],
    filename: str,
    *,
    description: str = "Signed copy",
    by: User | None,
    at: datetime | None = None,
) -> AgreementDocument:
    """Check, store and attach a document (PDF, DOCX or ODT) to ``version``.

    :raise uploads.UploadError: for a file that fails the checks; nothing is kept.
    """
    agreement = version.agreement
    description = _text(description, "description", 200, required=True)
    stored = uploads.store(stream, filename, partnership=agreement.partnership, by=by)
    document = AgreementDocument(version=version, file=stored, description=description)
    db.session.add(document)
    moment = _moment(at)
    _touch(agreement, moment)
    _flush()
    _record(
        agreement,
        version,
        "document",
        None,
        f"{stored.display_name} ({stored.sha256})",
        by=by,
        at=moment,
        note=description,
    )
    return document


# Queries ----------------------------------------------------------------------------


def agreements_for(partnership: Partnership) -> list[Agreement]:
    """The partnership's memoranda, oldest first."""
    return list(
        db.session.scalars(
            select(Agreement)
            .where(Agreement.partnership_id == partnership.id)
            .order_by(Agreement.created_at, Agreement.id)
        )
    )


def unsigned_parties(version: AgreementVersion) -> list[Organisation]:
    """The party organisations that have not signed ``version``."""
    signed = {signature.organisation_id for signature in version.signatures}
    return [p.organisation for p in version.parties if p.organisation_id not in signed]


@dataclass(frozen=True)
class RegisterEntry:
    """One memorandum's line in the register."""

    agreement: Agreement
    #: The agreed version in force, or None.
    current: AgreementVersion | None
    draft: AgreementVersion | None
    #: Parties that have not signed the current version (or the draft, if none agreed).
    unsigned: list[Organisation]
    review_on: date | None
    review_due: bool
    review_overdue: bool
    past_end: bool

    @property
    def needs_attention(self) -> bool:
        """True when a review is due or overdue, the end date has passed, or signatures are missing."""
        return (
            self.review_due
            or self.review_overdue
            or self.past_end
            or bool(self.unsigned)
        )


def register_entry(
    agreement: Agreement, today: date, within_days: int = REVIEW_WINDOW_DAYS
) -> RegisterEntry:
    """The register line for ``agreement`` on ``today``."""
    current = agreement.current
    draft = agreement.draft
    shown = current or draft
    review_on = shown.review_on if shown is not None else None
    ends_on = current.ends_on if current is not None else None
    return RegisterEntry(
        agreement=agreement,
        current=current,
        draft=draft,
        unsigned=unsigned_parties(shown) if shown is not None else [],
        review_on=review_on,
        review_due=current is not None
        and review_on is not None
        and today <= review_on <= today + timedelta(days=within_days),
        review_overdue=current is not None
        and review_on is not None
        and review_on < today,
        past_end=ends_on is not None and ends_on < today,
    )


def register(
    partnership_ids: set[int] | None,
    today: date,
    *,
    within_days: int = REVIEW_WINDOW_DAYS,
) -> list[RegisterEntry]:
    """The memoranda register for the given partnerships (``None``: all)."""
    query = select(Agreement).order_by(Agreement.partnership_id, Agreement.id)
    if partnership_ids is not None:
        query = query.where(Agreement.partnership_id.in_(partnership_ids))
    return [
        register_entry(agreement, today, within_days)
        for agreement in db.session.scalars(query)
        if not any(v.status is AgreementStatus.ENDED for v in agreement.versions)
    ]


def due_for_review(
    partnership_ids: set[int] | None,
    today: date,
    *,
    within_days: int = REVIEW_WINDOW_DAYS,
) -> list[RegisterEntry]:
    """Memoranda in force whose review falls in the next ``within_days`` days or has passed, or past their end date."""
    return [
        entry
        for entry in register(partnership_ids, today, within_days=within_days)
        if entry.review_due or entry.review_overdue or entry.past_end
    ]


def history(agreement: Agreement) -> list[AgreementEvent]:
    """Every recorded change, oldest first."""
    return list(
        db.session.scalars(
            select(AgreementEvent)
            .where(AgreementEvent.agreement_id == agreement.id)
            .order_by(AgreementEvent.seq)
        )
    )


def verify_history(agreement: Agreement) -> int | None:
    """The ``seq`` of the first event that breaks the hash chain, or ``None`` if intact."""
    return first_break(history(agreement))


# Comparing versions ------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    """One field of two versions side by side."""

    field: str
    label: str
    old: str
    new: str

    @property
    def changed(self) -> bool:
        """True if the field differs."""
        return self.old != self.new


class PartyChange(enum.StrEnum):
    """How an organisation's part changed between two versions."""

    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class OrganisationChange:
    """One organisation's role, responsibilities and funding in two versions."""

    organisation: str
    change: PartyChange
    old_role: str = ""
    new_role: str = ""
    old_responsibilities: str = ""
    new_responsibilities: str = ""
    old_funding: tuple[str, ...] = ()
    new_funding: tuple[str, ...] = ()

    @property
    def changed_parts(self) -> list[str]:
        """Which of role, responsibilities and funding differ."""
        parts = []
        if self.old_role != self.new_role:
            parts.append("role")
        if self.old_responsibilities != self.new_responsibilities:
            parts.append("responsibilities")
        if self.old_funding != self.new_funding:
            parts.append("funding")
        return parts


@dataclass(frozen=True)
class VersionDiff:
    """What changed from one version to another, field by field and per organisation."""

    old_number: int
    new_number: int
    fields: list[FieldChange] = field(default_factory=list)
    organisations: list[OrganisationChange] = field(default_factory=list)

    @property
    def changed_fields(self) -> list[FieldChange]:
        """Only the fields that differ."""
        return [item for item in self.fields if item.changed]

    @property
    def changed_organisations(self) -> list[OrganisationChange]:
        """Only the organisations whose part differs."""
        return [o for o in self.organisations if o.change is not PartyChange.UNCHANGED]

    @property
    def has_changes(self) -> bool:
        """True if anything differs."""
        return bool(self.changed_fields or self.changed_organisations)


def _organisation_terms(
    version: AgreementVersion,
) -> dict[int, tuple[str, str, str, tuple[str, ...]]]:
    terms: dict[int, tuple[str, str, str, tuple[str, ...]]] = {}
    for party in version.parties:
        funding = tuple(
            item.text
            for item in version.funding
            if item.organisation_id == party.organisation_id
        )
        terms[party.organisation_id] = (
            party.organisation.name,
            party.role,
            party.responsibilities,
            funding,
        )
    return terms


def diff_versions(old: AgreementVersion, new: AgreementVersion) -> VersionDiff:
    """Compare two versions of the same memorandum."""
    if old.agreement_id != new.agreement_id:
        raise AgreementError("Only versions of the same memorandum can be compared")
    fields = [
        FieldChange(name, label, getattr(old, name), getattr(new, name))
        for name, label in TEXT_FIELDS.items()
    ] + [
        FieldChange(
            name, label, day_text(getattr(old, name)), day_text(getattr(new, name))
        )
        for name, label in DATE_FIELDS.items()
    ]
    before, after = _organisation_terms(old), _organisation_terms(new)
    organisations = []
    for organisation_id in [*before, *(k for k in after if k not in before)]:
        if organisation_id not in after:
            name, role, duties, funding = before[organisation_id]
            organisations.append(
                OrganisationChange(
                    name,
                    PartyChange.REMOVED,
                    old_role=role,
                    old_responsibilities=duties,
                    old_funding=funding,
                )
            )
            continue
        if organisation_id not in before:
            name, role, duties, funding = after[organisation_id]
            organisations.append(
                OrganisationChange(
                    name,
                    PartyChange.ADDED,
                    new_role=role,
                    new_responsibilities=duties,
                    new_funding=funding,
                )
            )
            continue
        name, old_role, old_duties, old_funding = before[organisation_id]
        _, new_role, new_duties, new_funding = after[organisation_id]
        same = (old_role, old_duties, old_funding) == (
            new_role,
            new_duties,
            new_funding,
        )
        organisations.append(
            OrganisationChange(
                name,
                PartyChange.UNCHANGED if same else PartyChange.CHANGED,
                old_role=old_role,
                new_role=new_role,
                old_responsibilities=old_duties,
                new_responsibilities=new_duties,
                old_funding=old_funding,
                new_funding=new_funding,
            )
        )
    return VersionDiff(old.number, new.number, fields, organisations)
