"""Who may see and change what. Another partnership's records answer 404, not 403."""

from collections.abc import Callable
from functools import wraps
from typing import Any
from typing import TypeVar
from typing import cast

import flask_login
from flask import abort
from flask_login import current_user
from sqlalchemy import Select
from sqlalchemy import select

from portal.extensions import db
from portal.models import MemberRole
from portal.models import Membership
from portal.models import Organisation
from portal.models import Participation
from portal.models import Partnership
from portal.models import Person
from portal.models import User

F = TypeVar("F", bound=Callable[..., Any])


def user() -> User:
    """The signed-in user (views are guarded by ``login_required`` first)."""
    return cast(User, current_user._get_current_object())


def roles_by_partnership(account: User) -> dict[int, MemberRole]:
    """The account's role in each partnership it belongs to, read fresh each request."""
    if account.person_id is None:
        return {}
    rows = db.session.execute(
        select(Membership.partnership_id, Membership.role)
        .join(Partnership, Partnership.id == Membership.partnership_id)
        .where(Membership.person_id == account.person_id)
        .where(Partnership.archived_at.is_(None))
    )
    return {row[0]: row[1] for row in rows}


def visible_partnership_ids(account: User) -> set[int] | None:
    """Partnerships the account may read; ``None`` means all (administrators)."""
    if account.is_admin:
        return None
    return set(roles_by_partnership(account))


def editable_partnership_ids(account: User) -> set[int] | None:
    """Partnerships the account coordinates; ``None`` means all (administrators)."""
    if account.is_admin:
        return None
    return {
        pid
        for pid, role in roles_by_partnership(account).items()
        if role is MemberRole.COORDINATOR
    }


def can_edit_partnership(account: User, partnership: Partnership) -> bool:
    """Administrators and the partnership's coordinators may edit it."""
    editable = editable_partnership_ids(account)
    return editable is None or partnership.id in editable


def load_partnership(slug: str, *, edit: bool = False) -> Partnership:
    """The partnership, or 404 if the account cannot see it, 403 if it cannot edit it."""
    account = user()
    partnership: Partnership = db.one_or_404(
        select(Partnership).where(Partnership.slug == slug)
    )
    visible = visible_partnership_ids(account)
    if visible is not None and partnership.id not in visible:
        abort(404)
    if edit and not can_edit_partnership(account, partnership):
        abort(403)
    return partnership


def _organisation_partnership_ids(organisation_id: int) -> set[int]:
    return set(
        db.session.scalars(
            select(Participation.partnership_id).where(
                Participation.organisation_id == organisation_id
            )
        )
    )


def load_organisation(organisation_id: int, *, edit: bool = False) -> Organisation:
    """The organisation if it takes part in a partnership the account can see."""
    account = user()
    organisation = db.get_or_404(Organisation, organisation_id)
    visible = visible_partnership_ids(account)
    if visible is None:
        return organisation
    shared = _organisation_partnership_ids(organisation.id)
    if not shared & visible:
        abort(404)
    if edit and not shared & cast(set[int], editable_partnership_ids(account)):
        abort(403)
    return organisation


def visible_people_filter(account: User) -> Select[int] | None:
    """A select of the person ids the account may read, or ``None`` for all.

    Coordinators and board members see the people of every organisation in their
    partnerships; partner contacts see only their own organisation's people.
    """
    if account.is_admin:
        return None
    roles = roles_by_partnership(account)
    wide = [
        pid for pid, role in roles.items() if role is not MemberRole.PARTNER_CONTACT
    ]
    own_organisation = account.person.organisation_id if account.person else -1
    org_ids = select(Participation.organisation_id).where(
        Participation.partnership_id.in_(wide)
    )
    return select(Person.id).where(
        (Person.organisation_id.in_(org_ids))
        | (Person.organisation_id == own_organisation)
    )


def load_person(person_id: int, *, edit: bool = False) -> Person:
    """The person if the account may see them; edits need a coordinator of their organisation."""
    account = user()
    person = db.get_or_404(Person, person_id)
    allowed = visible_people_filter(account)
    if allowed is None:
        return person
    if db.session.scalar(allowed.where(Person.id == person.id)) is None:
        abort(404)
    if edit:
        editable = cast(set[int], editable_partnership_ids(account))
        if not _organisation_partnership_ids(person.organisation_id) & editable:
            abort(403)
    return person


def login_required(view: F) -> F:
    """Flask-Login's ``login_required``, typed for mypy."""
    return cast(F, flask_login.login_required(view))


def admin_required(view: F) -> F:
    """Only site administrators; others get 404 so the admin area stays unseen."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not user().is_admin:
            abort(404)
        return view(*args, **kwargs)

    return cast(F, wrapped)
