"""Helpers shared by test modules: sign-in, CSRF tokens and the common password.

Test modules import helpers from here, never from one another.
"""

import re
from datetime import UTC
from datetime import datetime

from flask.testing import FlaskClient
from flask_login.utils import _create_identifier
from sqlalchemy import select

PASSWORD = "correct horse battery staple"


def login(client: FlaskClient, email: str, password: str = PASSWORD) -> None:
    """Sign ``client`` in as ``email`` without the login round trip.

    The credentials are still checked: the account must exist, be enabled and have
    this password. The sign-in flow itself is tested in ``tests/portal/test_auth.py``.
    """
    from portal.auth import services as auth_services
    from portal.extensions import db
    from portal.models import User

    account = db.session.scalar(select(User).where(User.email == email.lower()))
    assert account is not None and account.is_enabled, f"no enabled account {email}"
    assert auth_services._hasher.verify(account.password_hash, password)
    now = datetime.now(UTC).timestamp()
    with client.application.test_request_context(environ_base=client.environ_base):
        identifier = _create_identifier()
    with client.session_transaction() as session:
        session.clear()
        session["_user_id"] = account.get_id()
        session["_fresh"] = True
        session["_id"] = identifier
        session.permanent = True
        session["signed_in_at"] = now
        session["last_seen"] = now


def login_through_form(
    client: FlaskClient, email: str, password: str = PASSWORD
) -> None:
    """Sign in by posting the real form."""
    response = client.post("/auth/login", data={"email": email, "password": password})
    assert response.status_code == 303, response.text


def csrf_token_from(html: str) -> str:
    """The CSRF token embedded in a page."""
    match = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', html
    ) or re.search(r'"X-CSRFToken": "([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)
