"""Rate limits on guessing: failed sign-ins per account and per address, bad emailed
links per address, each kind counted on its own.

Flask-Limiter keeps the counters in Redis when ``PORTAL_REDIS_URL`` is set, so they hold
across workers; otherwise in the process's memory (development and tests). Only
failures count: a limit is checked before the view runs and charged afterwards when
the response says the attempt failed, so the right password or a valid link never
uses up the allowance, yet is refused while the limit holds (guessing gains nothing).
"""

from collections.abc import Callable

from flask import Flask
from flask import Response
from flask import current_app
from flask import request
from flask import session
from flask_limiter import Limiter
from flask_limiter import RateLimitExceeded
from flask_limiter import RouteLimit
from flask_limiter.util import get_remote_address

from portal.errors import render_error

#: Session key of a sign-in whose password was right and whose second factor is awaited.
PENDING_SIGN_IN = "pending_sign_in"

limiter = Limiter(key_func=get_remote_address, strategy="moving-window")


def _submitted_email() -> str:
    """The account a sign-in is for; empty (no limit applies) when none was sent."""
    return request.form.get("email", "").strip().lower()


def _per_window(count_key: str, minutes_key: str) -> Callable[[], str]:
    """A limit read from the configuration at request time, as Flask-Limiter wants it."""

    def limit() -> str:
        config = current_app.config
        return f"{int(config[count_key])} per {int(config[minutes_key])} minutes"

    return limit


def _failed_sign_in(response: Response) -> bool:
    return response.status_code == 401


def _bad_link(response: Response) -> bool:
    return response.status_code == 404


#: Failed sign-ins for one account, from anywhere, then from one address.
sign_in_per_account = limiter.limit(
    _per_window("LOGIN_MAX_FAILURES_PER_ACCOUNT", "LOGIN_WINDOW_MINUTES"),
    key_func=_submitted_email,
    scope="sign-in-account",
    methods=["POST"],
    deduct_when=_failed_sign_in,
)
sign_in_per_address = limiter.limit(
    _per_window("LOGIN_MAX_FAILURES_PER_ADDRESS", "LOGIN_WINDOW_MINUTES"),
    scope="sign-in-address",
    methods=["POST"],
    deduct_when=_failed_sign_in,
)


#: Failed second-factor codes for the account whose password was just accepted.
second_factor_per_account = limiter.limit(
    _per_window("LOGIN_MAX_FAILURES_PER_ACCOUNT", "LOGIN_WINDOW_MINUTES"),
    key_func=lambda: str(session.get(PENDING_SIGN_IN, {}).get("account", "")),
    scope="second-factor-account",
    methods=["POST"],
    deduct_when=_failed_sign_in,
)


def bad_links_per_address(scope: str) -> RouteLimit:
    """Bad emailed links from one address, counted per kind of link (``scope``)."""
    return limiter.limit(
        _per_window("LINK_MAX_FAILURES", "LINK_WINDOW_MINUTES"),
        scope=scope,
        deduct_when=_bad_link,
    )


def _handle_exceeded(error: RateLimitExceeded) -> Response:
    seconds = error.limit.limit.get_expiry()
    response = render_error(
        429,
        "Too many failed attempts.",
        advice=f"Wait {seconds // 60} minutes, then try again.",
    )
    response.headers["Retry-After"] = str(seconds)
    return response


def init_app(app: Flask) -> None:
    """Bind the limiter to Redis when configured, else to memory."""
    app.config.setdefault(
        "RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or "memory://"
    )
    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, _handle_exceeded)
