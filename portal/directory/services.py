"""Changes to the directory. Services flush; the caller commits once."""

import csv
import io
from dataclasses import dataclass
from dataclasses import field
from datetime import date

from sqlalchemy import func
from sqlalchemy import select

from portal.errors import EditConflictError
from portal.errors import PortalError
from portal.extensions import db
from portal.models import MemberRole
from portal.models import Membership
from portal.models import Organisation
from portal.models import Participation
from portal.models import PartnerRole
from portal.models import Partnership
from portal.models import Person
from portal.models import Programme
from portal.models import Scope
from portal.models import Sector

PEOPLE_COLUMNS = ("name", "email", "job_title", "organisation", "partnership", "role")


class DuplicateError(PortalError):
    """A record with that unique name, slug or email already exists."""

    status = 409


def _check_version(current: int, opened: int) -> None:
    if opened != current:
        raise EditConflictError(
            "Someone else changed this record after you opened it. "
            "Your changes were not saved: reload to see theirs, then make yours again."
        )


def normalise_email(email: str) -> str:
    """Lower-case and trimmed, as stored."""
    return email.strip().lower()


def create_programme(*, slug: str, name: str, description: str = "") -> Programme:
    """Add a programme.

    :raise DuplicateError: if the slug is taken.
    """
    if db.session.scalar(select(Programme.id).where(Programme.slug == slug)):
        raise DuplicateError(f"A programme called {slug!r} already exists")
    programme = Programme(slug=slug, name=name.strip(), description=description.strip())
    db.session.add(programme)
    db.session.flush()
    return programme


def update_programme(
    programme: Programme, *, slug: str, name: str, description: str
) -> None:
    """Change a programme's details."""
    clash = db.session.scalar(
        select(Programme.id).where(Programme.slug == slug, Programme.id != programme.id)
    )
    if clash:
        raise DuplicateError(f"A programme called {slug!r} already exists")
    programme.slug, programme.name, programme.description = (
        slug,
        name.strip(),
        description.strip(),
    )
    db.session.flush()


def create_partnership(
    *,
    slug: str,
    name: str,
    description: str = "",
    programme: Programme | None = None,
    scope: Scope = Scope.LOCAL,
) -> Partnership:
    """Add a partnership.

    :raise DuplicateError: if the slug is taken.
    """
    if db.session.scalar(select(Partnership.id).where(Partnership.slug == slug)):
        raise DuplicateError(f"A partnership called {slug!r} already exists")
    partnership = Partnership(
        slug=slug,
        name=name.strip(),
        description=description.strip(),
        programme=programme,
        scope=scope,
    )
    db.session.add(partnership)
    db.session.flush()
    return partnership


def update_partnership(
    partnership: Partnership,
    *,
    opened_version: int,
    slug: str,
    name: str,
    description: str,
    programme: Programme | None,
    scope: Scope,
) -> None:
    """Change a partnership's details unless someone else saved first."""
    _check_version(partnership.version, opened_version)
    clash = db.session.scalar(
        select(Partnership.id).where(
            Partnership.slug == slug, Partnership.id != partnership.id
        )
    )
    if clash:
        raise DuplicateError(f"A partnership called {slug!r} already exists")
    partnership.slug = slug
    partnership.name = name.strip()
    partnership.description = description.strip()
    partnership.programme = programme
    partnership.scope = scope
    partnership.version += 1
    db.session.flush()


def find_organisation(name: str) -> Organisation | None:
    """The organisation with this name, ignoring case and surrounding spaces."""
    return db.session.scalar(
        select(Organisation).where(
            func.lower(Organisation.name) == name.strip().lower()
        )
    )


def create_organisation(
    *,
    name: str,
    sector: Sector,
    partnership: Partnership | None = None,
    role: PartnerRole = PartnerRole.PARTNER,
) -> Organisation:
    """Add an organisation, optionally taking part in ``partnership`` with ``role``.

    :raise DuplicateError: if an organisation of that name exists.
    """
    if find_organisation(name) is not None:
        raise DuplicateError(f"An organisation called {name.strip()!r} already exists")
    organisation = Organisation(name=name.strip(), sector=sector)
    db.session.add(organisation)
    if partnership is not None:
        db.session.add(
            Participation(partnership=partnership, organisation=organisation, role=role)
        )
    db.session.flush()
    return organisation


def update_organisation(
    organisation: Organisation, *, opened_version: int, name: str, sector: Sector
) -> None:
    """Rename or re-classify an organisation unless someone else saved first."""
    _check_version(organisation.version, opened_version)
    other = find_organisation(name)
    if other is not None and other.id != organisation.id:
        raise DuplicateError(f"An organisation called {name.strip()!r} already exists")
    organisation.name = name.strip()
    organisation.sector = sector
    organisation.version += 1
    db.session.flush()


def set_participation(
    partnership: Partnership,
    organisation: Organisation,
    *,
    role: PartnerRole,
    joined_on: date | None = None,
    left_on: date | None = None,
) -> Participation:
    """Add the organisation to the partnership, or update its role and dates."""
    participation = db.session.scalar(
        select(Participation).where(
            Participation.partnership_id == partnership.id,
            Participation.organisation_id == organisation.id,
        )
    )
    if participation is None:
        participation = Participation(
            partnership=partnership, organisation=organisation
        )
        db.session.add(participation)
    participation.role = role
    participation.joined_on = joined_on
    participation.left_on = left_on
    db.session.flush()
    return participation


def find_person(email: str) -> Person | None:
    """The person with this email address, ignoring case."""
    return db.session.scalar(
        select(Person).where(Person.email == normalise_email(email))
    )


def create_person(
    *, name: str, email: str, job_title: str, organisation: Organisation
) -> Person:
    """Add a person.

    :raise DuplicateError: if the email address is already in the directory.
    """
    if find_person(email) is not None:
        raise DuplicateError(
            f"Someone with the email address {email.strip()} already exists"
        )
    person = Person(
        name=name.strip(),
        email=normalise_email(email),
        job_title=job_title.strip(),
        organisation=organisation,
    )
    db.session.add(person)
    db.session.flush()
    return person


def update_person(
    person: Person,
    *,
    opened_version: int,
    name: str,
    email: str,
    job_title: str,
    organisation: Organisation,
) -> None:
    """Change a person's details unless someone else saved first."""
    _check_version(person.version, opened_version)
    other = find_person(email)
    if other is not None and other.id != person.id:
        raise DuplicateError(
            f"Someone with the email address {email.strip()} already exists"
        )
    person.name = name.strip()
    person.email = normalise_email(email)
    person.job_title = job_title.strip()
    person.organisation = organisation
    person.version += 1
    db.session.flush()


def set_membership(
    partnership: Partnership, person: Person, role: MemberRole
) -> Membership:
    """Give the person ``role`` in the partnership (replacing any earlier role)."""
    membership = db.session.scalar(
        select(Membership).where(
            Membership.partnership_id == partnership.id,
            Membership.person_id == person.id,
        )
    )
    if membership is None:
        membership = Membership(partnership=partnership, person=person, role=role)
        db.session.add(membership)
    membership.role = role
    db.session.flush()
    return membership


@dataclass
class ImportRow:
    """One row of a people CSV with what is wrong with it, if anything."""

    line: int
    values: dict[str, str]
    problems: list[str] = field(default_factory=list)
    organisation: Organisation | None = None
    partnership: Partnership | None = None
    role: MemberRole | None = None


@dataclass
class PeopleImport:
    """The checked contents of a people CSV."""

    rows: list[ImportRow]
    problems: list[str] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        """True when the file and every row are free of problems."""
        return not self.problems and all(not row.problems for row in self.rows)

    def all_problems(self) -> list[str]:
        """Every problem, each naming its row."""
        return self.problems + [
            f"Row {row.line}: {problem}"
            for row in self.rows
            for problem in row.problems
        ]


def _parse_role(text: str) -> MemberRole | None:
    cleaned = text.strip().lower().replace(" ", "-").replace("_", "-")
    try:
        return MemberRole(cleaned)
    except ValueError:
        return None


def check_people_csv(
    content: str, *, allowed_partnership_ids: set[int] | None = None
) -> PeopleImport:
    """Check every row of a people CSV against the directory without saving anything.

    ``allowed_partnership_ids`` limits the partnerships rows may name (``None``: any).
    """
    # Imported here: its address patterns take about 60 ms to compile, which every
    # CLI call and worker start would otherwise pay for an import few of them run.
    from email_validator import EmailNotValidError
    from email_validator import validate_email

    reader = csv.DictReader(io.StringIO(content.lstrip("\ufeff")))
    header = [name.strip() for name in reader.fieldnames or []]
    if tuple(header) != PEOPLE_COLUMNS:
        return PeopleImport(
            rows=[],
            problems=[
                "The first line must be the column names "
                + ",".join(PEOPLE_COLUMNS)
                + f" (found: {','.join(header) or 'nothing'})"
            ],
        )
    reader.fieldnames = header
    rows: list[ImportRow] = []
    seen: dict[str, int] = {}
    try:
        records = list(reader)
    except csv.Error as error:
        return PeopleImport(rows=[], problems=[f"The file is not valid CSV: {error}"])
    if not records:
        return PeopleImport(rows=[], problems=["The file has no rows of people"])
    for index, record in enumerate(records, start=2):
        if None in record:
            row = ImportRow(line=index, values={})
            row.problems.append("has more cells than there are columns")
            rows.append(row)
            continue
        values = {key: (record.get(key) or "").strip() for key in PEOPLE_COLUMNS}
        row = ImportRow(line=index, values=values)
        rows.append(row)
        if not values["name"]:
            row.problems.append("name is missing")
        email = normalise_email(values["email"])
        if not email:
            row.problems.append("email is missing")
        else:
            try:
                validate_email(email, check_deliverability=False)
            except EmailNotValidError:
                row.problems.append(f"email {values['email']!r} is not a valid address")
            else:
                if email in seen:
                    row.problems.append(f"email {email} is also on row {seen[email]}")
                elif find_person(email) is not None:
                    row.problems.append(f"email {email} is already in the directory")
                seen.setdefault(email, index)
        organisation = (
            find_organisation(values["organisation"])
            if values["organisation"]
            else None
        )
        row.organisation = organisation
        if not values["organisation"]:
            row.problems.append("organisation is missing")
        elif organisation is None or (
            allowed_partnership_ids is not None
            and not any(
                p.partnership_id in allowed_partnership_ids
                for p in organisation.participations
            )
        ):
            row.problems.append(f"organisation {values['organisation']!r} is not known")
        if values["partnership"] or values["role"]:
            partnership = db.session.scalar(
                select(Partnership).where(
                    Partnership.slug == values["partnership"].lower()
                )
            )
            row.partnership = partnership
            row.role = _parse_role(values["role"])
            if partnership is None or (
                allowed_partnership_ids is not None
                and partnership.id not in allowed_partnership_ids
            ):
                row.problems.append(
                    f"partnership {values['partnership']!r} is not known"
                )
            elif organisation is not None and not any(
                p.partnership_id == partnership.id for p in organisation.participations
            ):
                row.problems.append(
                    f"organisation {organisation.name!r} does not take part in "
                    f"partnership {partnership.slug!r}"
                )
            if row.role is None:
                row.problems.append(
                    f"role {values['role']!r} must be coordinator, board member or partner contact"
                )
    return PeopleImport(rows=rows)


def import_people(
    content: str, *, allowed_partnership_ids: set[int] | None = None
) -> PeopleImport:
    """Add every person in the CSV, or nobody if any row has a problem."""
    checked = check_people_csv(content, allowed_partnership_ids=allowed_partnership_ids)
    if not checked.is_valid:
        return checked
    for row in checked.rows:
        if row.organisation is None:
            raise PortalError(f"Row {row.line}: organisation is not known")
        person = create_person(
            name=row.values["name"],
            email=row.values["email"],
            job_title=row.values["job_title"],
            organisation=row.organisation,
        )
        if row.partnership is not None and row.role is not None:
            set_membership(row.partnership, person, row.role)
    return checked
