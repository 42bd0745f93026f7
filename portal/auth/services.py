"""Passwords, sign-in throttling and single-use emailed links."""

import functools
import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError
from argon2.exceptions import VerificationError
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import InstrumentedAttribute

from portal.errors import PortalError
from portal.extensions import db
from portal.models import AuthToken
from portal.models import LoginAttempt
from portal.models import TokenPurpose
from portal.models import User
from portal.models import utcnow

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the email is unknown, so timing does not reveal accounts.

    Built on the first sign-in rather than at import: an Argon2 hash costs about 0.1 s,
    which every CLI call and worker start would otherwise pay.
    """
    return _hasher.hash(secrets.token_urlsafe(16))


MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
#: The commonest choices and the portal's own context words; no composition rules.
_WEAK_WORDS = (
    "password",
    "partnership",
    "qwerty",
    "letmein",
    "welcome",
    "123456",
    "portal",
    "iloveyou",
    "abc123",
)


class ThrottledError(PortalError):
    """Too many failed sign-ins for this account or from this address."""

    status = 429


class InvalidLinkError(PortalError):
    """An emailed link that is unknown, used, replaced or expired."""

    status = 400


def new_session_token() -> str:
    """A fresh random value for ``User.session_token``."""
    return secrets.token_hex(16)


def hash_password(password: str) -> str:
    """Hash with Argon2id."""
    return _hasher.hash(password)


def password_problem(password: str, *, email: str = "") -> str | None:
    """Why ``password`` is too weak, or ``None`` when it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Password must be {MIN_PASSWORD_LENGTH} characters or more"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Password must be {MAX_PASSWORD_LENGTH} characters or fewer"
    lowered = password.lower()
    local_part = email.split("@", 1)[0].lower()
    if any(word in lowered for word in _WEAK_WORDS) or (
        len(local_part) >= 4 and local_part in lowered
    ):
        return (
            "Password is too easy to guess: avoid common words and your email address"
        )
    if len(set(password)) < 4:
        return "Password is too easy to guess: use more different characters"
    return None


def set_password(account: User, password: str) -> None:
    """Set a new password and end every existing session of the account."""
    account.password_hash = hash_password(password)
    account.session_token = new_session_token()


def _failures_since(
    column: InstrumentedAttribute[str], value: str, window: timedelta
) -> int:
    count = db.session.scalar(
        select(func.count(LoginAttempt.id))
        .where(column == value)
        .where(LoginAttempt.created_at >= utcnow() - window)
    )
    return count or 0


def authenticate(
    email: str,
    password: str,
    *,
    address: str,
    max_per_account: int,
    max_per_address: int,
    window: timedelta,
) -> User | None:
    """The user for these credentials, or ``None``; records failures.

    :raise ThrottledError: when the account or the address has failed too often recently,
        even if this password is right, so guessing gains nothing.
    """
    email = email.strip().lower()
    if (
        _failures_since(LoginAttempt.email, email, window) >= max_per_account
        or _failures_since(LoginAttempt.address, address, window) >= max_per_address
    ):
        raise ThrottledError(
            "Too many failed attempts. Wait 15 minutes, then try again."
        )
    account: User | None = db.session.scalar(select(User).where(User.email == email))
    stored = (
        account.password_hash if account and account.password_hash else _dummy_hash()
    )
    try:
        _hasher.verify(stored, password)
        matched = account is not None and account.password_hash is not None
    except (VerificationError, InvalidHashError):
        matched = False
    if not matched or account is None or not account.is_enabled:
        db.session.add(LoginAttempt(email=email, address=address))
        db.session.flush()
        return None
    if _hasher.check_needs_rehash(stored):
        account.password_hash = hash_password(password)
    account.last_login_at = utcnow()
    db.session.flush()
    return account


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(account: User, purpose: TokenPurpose, lifetime: timedelta) -> str:
    """Create a single-use link token; earlier unused ones for the same purpose die."""
    db.session.execute(
        update(AuthToken)
        .where(AuthToken.user_id == account.id)
        .where(AuthToken.purpose == purpose)
        .where(AuthToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    raw = secrets.token_urlsafe(32)
    db.session.add(
        AuthToken(
            user=account,
            purpose=purpose,
            token_hash=_digest(raw),
            expires_at=utcnow() + lifetime,
        )
    )
    db.session.flush()
    return raw


def find_token(raw: str, purpose: TokenPurpose) -> AuthToken:
    """The live token for ``raw``.

    :raise InvalidLinkError: if it is unknown, used, replaced or expired.
    """
    token = db.session.scalar(
        select(AuthToken)
        .where(AuthToken.token_hash == _digest(raw))
        .where(AuthToken.purpose == purpose)
    )
    if token is None or token.used_at is not None or token.expires_at < utcnow():
        raise InvalidLinkError(
            "This link has expired or has already been used. Ask for a new one."
        )
    return token


def redeem_token(raw: str, purpose: TokenPurpose, password: str) -> User:
    """Use a reset or invitation link to set the password, once."""
    token = find_token(raw, purpose)
    # A conditional update, so two simultaneous uses cannot both succeed.
    claimed = db.session.execute(
        update(AuthToken)
        .where(AuthToken.id == token.id)
        .where(AuthToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidLinkError("This link has already been used. Ask for a new one.")
    set_password(token.user, password)
    db.session.flush()
    return token.user
