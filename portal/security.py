"""Security headers, the per-response CSP nonce, session idle/absolute limits, and the
refusal of NUL bytes."""

import secrets
from datetime import UTC
from datetime import datetime

from flask import Flask
from flask import Response
from flask import g
from flask import request
from flask import session
from flask_login import current_user
from flask_login import logout_user

from portal.errors import render_error


def csp_nonce() -> str:
    """The nonce for this response's own ``<script>`` tags."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    nonce: str = g.csp_nonce
    return nonce


def _expire_idle_session() -> None:
    """Sign out a session idle for too long or older than its absolute lifetime."""
    if not current_user.is_authenticated:
        return
    from flask import current_app

    now = datetime.now(UTC).timestamp()
    idle_limit = current_app.config["SESSION_IDLE_MINUTES"] * 60
    absolute_limit = current_app.permanent_session_lifetime.total_seconds()
    last_seen = session.get("last_seen", now)
    signed_in = session.get("signed_in_at", now)
    if now - last_seen > idle_limit or now - signed_in > absolute_limit:
        logout_user()
        session.clear()
        return
    session["last_seen"] = now


def _add_headers(response: Response) -> Response:
    """Add the security headers every response needs, pages, fragments and files alike."""
    nonce = csp_nonce()
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self'; img-src 'self' data:; font-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
        "form-action 'self'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    from flask import current_app

    if current_app.config["SESSION_COOKIE_SECURE"]:
        response.headers["Strict-Transport-Security"] = (
            "max-age=31536000; includeSubDomains"
        )
    if current_user and current_user.is_authenticated:
        # Personal data must not linger in shared or browser caches.
        response.headers["Cache-Control"] = "no-store"
    return response


def _refuse_nul_bytes() -> Response | None:
    """Refuse a request with a NUL byte in its address or fields: nothing can store one
    (PostgreSQL text refuses it), so it only ever comes from a crafted request."""
    fields = [*request.args.items(multi=True), *request.form.items(multi=True)]
    if "\x00" in request.path or any("\x00" in k + v for k, v in fields):
        return render_error(
            400, "The request contained a character that is not allowed (NUL)."
        )
    return None


def init_app(app: Flask) -> None:
    """Register the hooks and make ``csp_nonce()`` available to templates."""
    app.before_request(_refuse_nul_bytes)
    app.before_request(_expire_idle_session)
    app.after_request(_add_headers)
    app.add_template_global(csp_nonce)
