"""Sign in and out, forgotten passwords and invitation links."""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app
from flask import flash
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_login import login_user
from flask_login import logout_user
from sqlalchemy import select

from portal.access import login_required
from portal.access import user
from portal.auth import bp
from portal.auth import services
from portal.auth.forms import ForgotPasswordForm
from portal.auth.forms import LoginForm
from portal.auth.forms import SetPasswordForm
from portal.extensions import db
from portal.htmx import redirect_after_post
from portal.mail import Mail
from portal.mail import send_after_commit
from portal.models import TokenPurpose
from portal.models import User
from portal.throttling import sign_in_per_account
from portal.throttling import sign_in_per_address
from portal.urls import external_url


def safe_next(target: str | None) -> str:
    """A same-site relative path from ``next``, or the dashboard."""
    fallback = url_for("portal.index")
    if not target or any(ch in target for ch in "\\\t\r\n") or not target.isprintable():
        return fallback
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
    ):
        return fallback
    return target


@bp.route("/login", methods=["GET", "POST"])
@sign_in_per_account
@sign_in_per_address
def login() -> ResponseReturnValue:
    """Sign in with email and password."""
    if current_user.is_authenticated:
        return redirect_after_post(safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        account = services.authenticate(form.email.data, form.password.data)
        db.session.commit()
        if account is not None:
            # A new session: nothing from before sign-in is carried over.
            session.clear()
            login_user(account)
            session.permanent = True
            now = datetime.now(UTC).timestamp()
            session["signed_in_at"] = now
            session["last_seen"] = now
            return redirect_after_post(safe_next(request.args.get("next")))
        form.email.errors.append("Enter a correct email address and password")
        form.password.errors.append("Enter a correct email address and password")
        return render_template("auth/login.html", form=form), 401
    status = 422 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    """Sign out, ending every session of this account on the server too."""
    account = user()
    account.session_token = services.new_session_token()
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect_after_post(url_for("auth.login"))


@bp.route("/forgot", methods=["GET", "POST"])
def forgot() -> ResponseReturnValue:
    """Ask for a reset link; the answer is the same whether or not the address is known."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        account = db.session.scalar(select(User).where(User.email == email))
        if account is not None and account.is_enabled:
            lifetime = timedelta(minutes=current_app.config["RESET_TOKEN_MINUTES"])
            raw = services.issue_token(account, TokenPurpose.RESET, lifetime)
            send_after_commit(
                Mail(
                    to=account.email,
                    subject="Reset your Partnership Portal password",
                    body=render_template(
                        "auth/email/reset.txt",
                        account=account,
                        link=external_url("auth.reset", token=raw),
                        minutes=current_app.config["RESET_TOKEN_MINUTES"],
                    ),
                )
            )
        db.session.commit()
        return render_template("auth/forgot_sent.html")
    status = 422 if form.is_submitted() else 200
    return render_template("auth/forgot.html", form=form), status


def _set_password(raw: str, purpose: TokenPurpose) -> ResponseReturnValue:
    try:
        token = services.find_token(raw, purpose)
    except services.InvalidLinkError as error:
        return render_template("auth/link_invalid.html", message=error.message), 400
    form = SetPasswordForm(context=services.password_context(token.user))
    if form.validate_on_submit():
        services.redeem_token(raw, purpose, form.password.data)
        db.session.commit()
        flash("Your password has been saved. Sign in with it now.", "success")
        return redirect_after_post(url_for("auth.login"))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "auth/set_password.html", form=form, purpose=purpose.value, account=token.user
    ), status


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str) -> ResponseReturnValue:
    """Choose a new password from an emailed reset link (single use, 60 minutes)."""
    return _set_password(token, TokenPurpose.RESET)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str) -> ResponseReturnValue:
    """Choose a first password from an emailed invitation."""
    return _set_password(token, TokenPurpose.INVITE)
