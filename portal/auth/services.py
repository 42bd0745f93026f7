"""Passwords, sign-in, two-factor codes and single-use emailed links."""

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from datetime import timedelta
from functools import cache
from pathlib import Path

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError
from argon2.exceptions import VerificationError
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from zxcvbn import zxcvbn

from portal.errors import PortalError
from portal.extensions import db
from portal.models import AuthToken
from portal.models import RecoveryCode
from portal.models import TokenPurpose
from portal.models import User
from portal.models import utcnow

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the email is unknown, so timing does not reveal accounts.

    Built on the first sign-in rather than at import: an Argon2 hash costs about 0.1 s,
    which every CLI call and worker start would otherwise pay.
    """
    return _hasher.hash(secrets.token_urlsafe(16))


MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
#: zxcvbn's estimate of the guesses needed, as a power of ten. 10^9 refuses
#: ``Summer2026!!`` (10^8.4) and keeps three random words such as ``CoffeeTrainFish``.
MIN_GUESSES_LOG10 = 9
#: Always context for zxcvbn, whoever the user is: the words of the portal itself.
_PORTAL_WORDS = ("partnership", "portal", "survey", "governance")
_BREACHED_FILE = Path(__file__).parent / "data" / "breached-passwords.txt"


@cache
def _breached() -> frozenset[str]:
    """The breached passwords shipped with the package, case-folded."""
    text = _BREACHED_FILE.read_text(encoding="utf-8")
    return frozenset(line.casefold() for line in text.splitlines() if line)


class TwoFactorError(PortalError):
    """A two-factor code that is wrong, stale or already used."""

    status = 422


class InvalidLinkError(PortalError):
    """An emailed link that is unknown, used, replaced or expired."""

    status = 400


def new_session_token() -> str:
    """A fresh random value for ``User.session_token``."""
    return secrets.token_hex(16)


def hash_password(password: str) -> str:
    """Hash with Argon2id."""
    return _hasher.hash(password)


def password_context(account: User) -> list[str]:
    """Words about ``account`` a guesser would try: its name, email address, and the
    names of its organisation and that organisation's partnerships."""
    context = [account.name, account.email]
    if account.person is not None:
        organisation = account.person.organisation
        context.append(organisation.name)
        context += [p.partnership.name for p in organisation.participations]
    return context


def _variants(context: Sequence[str]) -> list[str]:
    """Each phrase whole, run together, and word by word, for zxcvbn's dictionary."""
    found: list[str] = list(_PORTAL_WORDS)
    for phrase in context:
        words = [w for w in re.split(r"[^\w]+", phrase.casefold()) if len(w) >= 3]
        found += [phrase.casefold(), "".join(words), *words]
    return [word for word in found if word]


def password_problem(password: str, *, context: Sequence[str] = ()) -> str | None:
    """Why ``password`` is too weak, or ``None`` when it is acceptable.

    ``context`` holds what a guesser knows of the user (see ``password_context``).
    No composition rules: length, the breached list and zxcvbn's estimate decide.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Password must be {MIN_PASSWORD_LENGTH} characters or more"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Password must be {MAX_PASSWORD_LENGTH} characters or fewer"
    if password.casefold() in _breached():
        return (
            "Password is too easy to guess: it is on a list of passwords "
            "stolen in data breaches"
        )
    estimate = zxcvbn(
        password, user_inputs=_variants(context), max_length=MAX_PASSWORD_LENGTH
    )
    if estimate["guesses_log10"] < MIN_GUESSES_LOG10:
        return (
            "Password is too easy to guess: avoid common words, dates, keyboard "
            "patterns, your name, email address and organisation. "
            "Three or four random words work well"
        )
    return None


def set_password(account: User, password: str) -> None:
    """Set a new password and end every existing session of the account."""
    account.password_hash = hash_password(password)
    account.session_token = new_session_token()


def authenticate(email: str, password: str) -> User | None:
    """The user for these credentials, or ``None``.

    Failures are counted by the view's rate limits (``portal.throttling``).
    """
    email = email.strip().lower()
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
        return None
    if _hasher.check_needs_rehash(stored):
        account.password_hash = hash_password(password)
    account.last_login_at = utcnow()
    db.session.flush()
    return account


#: Recovery codes given out at set-up; each works once.
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
#: The name authenticator apps show beside the code.
TOTP_ISSUER = "Partnership Portal"


def setup_secret(account: User, nonce: str, key: str) -> str:
    """The base32 key (160 bits) offered to ``account`` in one set-up.

    It is derived from a random ``nonce``, which the session keeps, and the app's
    secret ``key``, so the session cookie, signed but readable, never holds the key.
    """
    message = f"totp-setup:{account.id}:{nonce}".encode()
    digest = hmac.new(key.encode(), message, hashlib.sha256).digest()
    return base64.b32encode(digest[:20]).decode()


def totp_uri(account: User, secret: str) -> str:
    """The ``otpauth://`` address an authenticator app can take instead of the text."""
    return pyotp.TOTP(secret).provisioning_uri(
        name=account.email, issuer_name=TOTP_ISSUER
    )


def _matching_step(secret: str, code: str, after: int | None) -> int | None:
    """The 30-second step ``code`` belongs to (now, or one either side for clock
    drift), if that step is later than ``after``."""
    totp = pyotp.TOTP(secret)
    now = totp.timecode(utcnow())
    for step in (now - 1, now, now + 1):
        if (after is None or step > after) and hmac.compare_digest(
            totp.generate_otp(step), code
        ):
            return step
    return None


def _normalised_recovery_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(20))
    return "-".join(raw[i : i + 5] for i in range(0, 20, 5))


def enable_two_factor(account: User, secret: str, code: str) -> list[str]:
    """Turn on two-factor sign-in once ``code`` shows the app holds ``secret``.

    Earlier recovery codes die. Returns the new ones: only their hashes are stored,
    so this is the one time they can be shown.

    :raise TwoFactorError: if the code is not the app's current one.
    """
    step = _matching_step(secret, code.replace(" ", ""), None)
    if step is None:
        raise TwoFactorError("Enter the 6-digit code your authenticator app shows now")
    account.totp_secret = secret
    account.totp_last_step = step
    account.recovery_codes.clear()
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    account.recovery_codes.extend(
        RecoveryCode(code_hash=_digest(_normalised_recovery_code(raw))) for raw in codes
    )
    db.session.flush()
    return codes


def verify_second_factor(account: User, code: str) -> bool:
    """True for a current authenticator code not used before, or an unused recovery
    code, which is then spent. Conditional updates, so two requests cannot both
    spend one code."""
    digits = code.replace(" ", "")
    if account.totp_secret and len(digits) == 6 and digits.isdigit():
        step = _matching_step(account.totp_secret, digits, account.totp_last_step)
        if step is None:
            return False
        claimed = db.session.execute(
            update(User)
            .where(User.id == account.id)
            .where(or_(User.totp_last_step.is_(None), User.totp_last_step < step))
            .values(totp_last_step=step)
        )
    else:
        claimed = db.session.execute(
            update(RecoveryCode)
            .where(RecoveryCode.user_id == account.id)
            .where(RecoveryCode.code_hash == _digest(_normalised_recovery_code(code)))
            .where(RecoveryCode.used_at.is_(None))
            .values(used_at=utcnow())
        )
    return claimed.rowcount == 1  # type: ignore[attr-defined,no-any-return]


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
