"""Sign in and out, two-factor codes, forgotten passwords and invitation links."""

import secrets
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
from portal.auth.forms import SecondFactorForm
from portal.auth.forms import SetPasswordForm
from portal.auth.forms import TwoFactorSetupForm
from portal.extensions import db
from portal.htmx import redirect_after_post
from portal.mail import Mail
from portal.mail import send_after_commit
from portal.models import TokenPurpose
from portal.models import User
from portal.throttling import PENDING_SIGN_IN
from portal.throttling import second_factor_per_account
from portal.throttling import sign_in_per_account
from portal.throttling import sign_in_per_address
from portal.urls import external_url

#: How long after the password the second factor may follow.
PENDING_SECONDS = 300
#: Session key of the nonce the key being set up derives from, until a code confirms it.
SETUP_KEY = "totp_setup"


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


def _start_session(account: User) -> None:
    """Sign ``account`` in on a new session: nothing from before is carried over."""
    session.clear()
    login_user(account)
    session.permanent = True
    now = datetime.now(UTC).timestamp()
    session["signed_in_at"] = now
    session["last_seen"] = now


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
        if account is not None and account.totp_secret:
            session.clear()
            session[PENDING_SIGN_IN] = {
                "account": account.id,
                "at": datetime.now(UTC).timestamp(),
                "next": safe_next(request.args.get("next")),
            }
            return redirect_after_post(url_for("auth.second_factor"))
        if account is not None:
            _start_session(account)
            return redirect_after_post(safe_next(request.args.get("next")))
        form.email.errors.append("Enter a correct email address and password")
        form.password.errors.append("Enter a correct email address and password")
        return render_template("auth/login.html", form=form), 401
    status = 422 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


def _pending_account() -> User | None:
    """The account whose password was accepted in this browser in the last minutes."""
    pending = session.get(PENDING_SIGN_IN)
    if not isinstance(pending, dict):
        return None
    age = datetime.now(UTC).timestamp() - float(pending.get("at", 0))
    account = db.session.get(User, int(pending.get("account", 0)))
    if age > PENDING_SECONDS or account is None or not account.is_enabled:
        return None
    return account


@bp.route("/two-factor", methods=["GET", "POST"])
@second_factor_per_account
@sign_in_per_address
def second_factor() -> ResponseReturnValue:
    """After the password, the authenticator code or a recovery code."""
    account = _pending_account()
    if account is None:
        session.pop(PENDING_SIGN_IN, None)
        flash("Sign in again: that took too long.", "error")
        return redirect_after_post(url_for("auth.login"))
    form = SecondFactorForm()
    if form.validate_on_submit():
        accepted = services.verify_second_factor(account, form.code.data)
        db.session.commit()
        if accepted:
            target = session[PENDING_SIGN_IN]["next"]
            _start_session(account)
            return redirect_after_post(safe_next(target))
        form.code.errors.append("That code is not right, or has been used already")
        return render_template("auth/second_factor.html", form=form), 401
    status = 422 if form.is_submitted() else 200
    return render_template("auth/second_factor.html", form=form), status


@bp.route("/two-factor/setup", methods=["GET", "POST"])
@login_required
def setup_two_factor() -> ResponseReturnValue:
    """Set up an authenticator app: the secret as text, then a code to confirm it,
    then the recovery codes, shown this once."""
    account = user()
    nonce = session.setdefault(SETUP_KEY, secrets.token_urlsafe(16))
    secret = services.setup_secret(account, nonce, current_app.config["SECRET_KEY"])
    form = TwoFactorSetupForm()
    if form.validate_on_submit():
        try:
            codes = services.enable_two_factor(account, secret, form.code.data)
        except services.TwoFactorError as error:
            form.code.errors.append(error.message)
        else:
            db.session.commit()
            session.pop(SETUP_KEY)
            return render_template("auth/recovery_codes.html", codes=codes)
    status = 422 if form.is_submitted() else 200
    return render_template(
        "auth/two_factor_setup.html",
        form=form,
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        uri=services.totp_uri(account, secret),
        replacing=account.totp_secret is not None,
    ), status


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


@bp.post("/session")
@login_required
def stay_signed_in() -> ResponseReturnValue:
    """Keep an idle session alive: the time-out warning's "Stay signed in" button.

    Any signed-in request resets the idle clock (``portal.security``); this one does
    nothing else.
    """
    return "", 204


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
