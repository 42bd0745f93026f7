"""Account administration: invitations and account creation."""

from datetime import timedelta

from sqlalchemy import select

from portal.auth.services import issue_token
from portal.auth.services import new_session_token
from portal.auth.services import set_password
from portal.directory.services import DuplicateError
from portal.directory.services import find_person
from portal.directory.services import normalise_email
from portal.directory.services import set_membership
from portal.extensions import db
from portal.models import MemberRole
from portal.models import Organisation
from portal.models import Partnership
from portal.models import Person
from portal.models import TokenPurpose
from portal.models import User


def create_user(
    *,
    email: str,
    name: str,
    password: str | None = None,
    is_admin: bool = False,
    person: Person | None = None,
) -> User:
    """Add an account; without a password it can only be entered through an invitation.

    :raise DuplicateError: if an account with that email exists.
    """
    email = normalise_email(email)
    if db.session.scalar(select(User.id).where(User.email == email)):
        raise DuplicateError(f"An account for {email} already exists")
    account = User(
        email=email,
        name=name.strip(),
        is_admin=is_admin,
        session_token=new_session_token(),
        person=person,
    )
    if password is not None:
        set_password(account, password)
    db.session.add(account)
    db.session.flush()
    return account


def invite_user(
    *,
    email: str,
    name: str,
    organisation: Organisation,
    partnership: Partnership | None,
    role: MemberRole,
    is_admin: bool,
    lifetime: timedelta,
) -> tuple[User, str]:
    """Create the account (and its directory entry if new); return it and the link token."""
    person = find_person(email)
    if person is None:
        person = Person(
            name=name.strip(), email=normalise_email(email), organisation=organisation
        )
        db.session.add(person)
    elif person.user is not None:
        raise DuplicateError(f"{person.name} already has an account")
    if partnership is not None:
        set_membership(partnership, person, role)
    account = create_user(email=email, name=name, is_admin=is_admin, person=person)
    return account, issue_token(account, TokenPurpose.INVITE, lifetime)
