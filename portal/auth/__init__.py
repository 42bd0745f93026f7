"""Accounts: sign in and out, forgotten passwords, invitations."""

from flask import Blueprint
from flask import Flask
from flask import Response
from flask import current_app
from flask import make_response
from flask import redirect
from flask import request
from flask import url_for
from flask_login import current_user

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


#: What a site administrator without two-factor sign-in can still reach.
_OPEN_WITHOUT_SECOND_FACTOR = {"auth.setup_two_factor", "auth.logout", "static"}


def require_second_factor() -> Response | None:
    """With ``REQUIRE_2FA_FOR_ADMINS``, send a site administrator who has not set up
    two-factor sign-in to do that before anything else."""
    if (
        not current_app.config["REQUIRE_2FA_FOR_ADMINS"]
        or request.endpoint in _OPEN_WITHOUT_SECOND_FACTOR
        or not current_user.is_authenticated
        or not current_user.is_admin
        or current_user.totp_secret
    ):
        return None
    setup_url = url_for("auth.setup_two_factor")
    if is_htmx():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = setup_url
        return response
    return make_response(redirect(setup_url, 303))


def init_app(app: Flask) -> None:
    """Configure Flask-Login for the portal and the administrators' second factor."""
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(unauthorized)
    app.before_request(require_second_factor)


from portal.auth import views  # noqa: E402,F401  (registers the routes on ``bp``)
