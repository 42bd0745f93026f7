"""Read-side queries for the directory, always scoped to what the account may see."""

from sqlalchemy import Select
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select

from portal.access import editable_partnership_ids
from portal.access import visible_partnership_ids
from portal.access import visible_people_filter
from portal.extensions import db
from portal.models import Organisation
from portal.models import Participation
from portal.models import Partnership
from portal.models import Person
from portal.models import Programme
from portal.models import User


def _like(text: str) -> str:
    escaped = (
        text.strip()
        .lower()
        .replace("\\", "\\\\")
        .replace("%", "\\%")
        .replace("_", "\\_")
    )
    return f"%{escaped}%"


def partnerships_for(
    account: User, *, search: str = "", archived: bool = False
) -> list[Partnership]:
    """Partnerships the account may see, filtered by a search term."""
    query = select(Partnership).order_by(Partnership.name)
    visible = visible_partnership_ids(account)
    if visible is not None:
        query = query.where(Partnership.id.in_(visible))
    query = query.where(
        Partnership.archived_at.is_not(None)
        if archived
        else Partnership.archived_at.is_(None)
    )
    if search.strip():
        pattern = _like(search)
        query = query.where(
            or_(
                func.lower(Partnership.name).like(pattern, escape="\\"),
                func.lower(Partnership.slug).like(pattern, escape="\\"),
            )
        )
    return list(db.session.scalars(query))


def programmes_for(
    account: User, *, search: str = "", archived: bool | None = False
) -> list[Programme]:
    """Programmes holding a partnership the account may see (all for administrators).

    ``archived``: only archived ones, only current ones, or ``None`` for both.
    """
    query = select(Programme).order_by(Programme.name)
    if archived is not None:
        query = query.where(
            Programme.archived_at.is_not(None)
            if archived
            else Programme.archived_at.is_(None)
        )
    if search.strip():
        query = query.where(func.lower(Programme.name).like(_like(search), escape="\\"))
    visible = visible_partnership_ids(account)
    if visible is not None:
        query = query.where(
            Programme.id.in_(
                select(Partnership.programme_id).where(Partnership.id.in_(visible))
            )
        )
    return list(db.session.scalars(query))


def _visible_organisation_ids(partnership_ids: set[int]) -> Select[int]:
    return select(Participation.organisation_id).where(
        Participation.partnership_id.in_(partnership_ids)
    )


def organisations_for(
    account: User, *, search: str = "", archived: bool = False, editable: bool = False
) -> list[Organisation]:
    """Organisations in the account's partnerships (or those it coordinates)."""
    query = select(Organisation).order_by(Organisation.name)
    ids = (
        editable_partnership_ids(account)
        if editable
        else visible_partnership_ids(account)
    )
    if ids is not None:
        query = query.where(Organisation.id.in_(_visible_organisation_ids(ids)))
    query = query.where(
        Organisation.archived_at.is_not(None)
        if archived
        else Organisation.archived_at.is_(None)
    )
    if search.strip():
        query = query.where(
            func.lower(Organisation.name).like(_like(search), escape="\\")
        )
    return list(db.session.scalars(query))


def people_for(
    account: User,
    *,
    search: str = "",
    archived: bool = False,
    organisation: Organisation | None = None,
) -> list[Person]:
    """People the account may see, filtered by name, email or job title."""
    query = select(Person).join(Person.organisation).order_by(Person.name)
    allowed = visible_people_filter(account)
    if allowed is not None:
        query = query.where(Person.id.in_(allowed))
    query = query.where(
        Person.archived_at.is_not(None) if archived else Person.archived_at.is_(None)
    )
    if organisation is not None:
        query = query.where(Person.organisation_id == organisation.id)
    if search.strip():
        pattern = _like(search)
        query = query.where(
            or_(
                func.lower(Person.name).like(pattern, escape="\\"),
                func.lower(Person.email).like(pattern, escape="\\"),
                func.lower(Person.job_title).like(pattern, escape="\\"),
                func.lower(Organisation.name).like(pattern, escape="\\"),
            )
        )
    return list(db.session.scalars(query))


def people_of_partnership(partnership: Partnership) -> list[Person]:
    """Current people of every organisation taking part in the partnership."""
    return list(
        db.session.scalars(
            select(Person)
            .join(
                Participation, Participation.organisation_id == Person.organisation_id
            )
            .where(Participation.partnership_id == partnership.id)
            .where(Person.archived_at.is_(None))
            .order_by(Person.name)
        )
    )
