"""Accounts: sign in and out, forgotten passwords, invitations."""

from flask import Blueprint
from flask import Flask
from flask import Response
from flask import make_response
from flask import redirect
from flask import request
from flask import url_for

from portal.extensions import db
from portal.extensions import login_manager
from portal.htmx import is_htmx
from portal.models import User

bp = Blueprint("auth", __name__, url_prefix="/auth")


def load_user(user_id: str) -> User | None:
    """Find the account for a session; a stale session token finds nothing."""
    row_id, _, token = user_id.partition(":")
    if not row_id.isdigit() or not token:
        return None
    account = db.session.get(User, int(row_id))
    if account is None or account.session_token != token or not account.is_enabled:
        return None
    return account


def unauthorized() -> Response:
    """Send people to sign in; htmx gets a 401 and a full-page redirect, never a fragment."""
    login_url = url_for("auth.login", next=request.full_path.rstrip("?"))
    if is_htmx():
        response = make_response("", 401)
        response.headers["HX-Redirect"] = login_url
        return response
    return make_response(redirect(login_url))


def init_app(app: Flask) -> None:
    """Configure Flask-Login for the portal."""
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(unauthorized)


from portal.auth import views  # noqa: E402,F401  (registers the routes on ``bp``)
