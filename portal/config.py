"""Configuration defaults; the environment overrides them through ``PORTAL_*`` variables."""

from datetime import timedelta
from typing import Any
from typing import ClassVar

PLACEHOLDER_SECRET_KEY = "dev-only-change-me"  # noqa: S105 - refused outside debug/tests


class Config:
    """Defaults for every environment; production overrides come from the environment."""

    SECRET_KEY = PLACEHOLDER_SECRET_KEY
    #: Empty means a SQLite file in ``instance/`` (see ``create_app``).
    DATABASE_URL = ""
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict[str, Any]] = {"pool_pre_ping": True}
    #: Links in emails are built from this, never from the request's Host header.
    BASE_URL = "http://127.0.0.1:5000"
    #: Wave dates are calendar dates in this zone.
    TIMEZONE = "Europe/London"
    MAIL_SERVER = ""
    MAIL_PORT = 587
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    MAIL_USE_TLS = True
    MAIL_SENDER = "Partnership Portal <portal@localhost>"
    #: Where messages go when no MAIL_SERVER is set (relative to the instance folder).
    MAIL_OUTBOX = "outbox"
    #: Redis for the email queue and the rate-limit counters (memory when empty).
    REDIS_URL = ""
    #: Number of trusted reverse proxies in front of the app (for the client address).
    PROXY_HOPS = 0

    SESSION_COOKIE_NAME = "portal_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    #: Absolute session lifetime; the idle limit is enforced separately.
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    SESSION_IDLE_MINUTES = 30
    #: The CSRF token lives as long as the session, so a long form never fails on age.
    WTF_CSRF_TIME_LIMIT = None
    #: A little above the 10 MB upload limit (governance.uploads), so a file just over it
    #: gets the upload form's own message, not the generic 413 page.
    MAX_CONTENT_LENGTH = 11 * 1024 * 1024

    #: Site administrators must sign in with an authenticator code as well as their
    #: password. ``make run`` turns it off so the demo administrator can sign in.
    REQUIRE_2FA_FOR_ADMINS = True
    LOGIN_MAX_FAILURES_PER_ACCOUNT = 10
    LOGIN_MAX_FAILURES_PER_ADDRESS = 50
    LOGIN_WINDOW_MINUTES = 15
    RESET_TOKEN_MINUTES = 60
    INVITE_TOKEN_DAYS = 7
    #: Bad emailed links of one kind (survey, plan update) allowed from one address per
    #: window before a 429; each kind has its own count (portal.throttling).
    LINK_MAX_FAILURES = 20
    LINK_WINDOW_MINUTES = 10

    #: Text is compressed (Flask-Compress); PDF, XLSX and PNG downloads are left out
    #: because they are compressed already and a second pass only costs CPU.
    COMPRESS_MIMETYPES: ClassVar[list[str]] = [
        "text/html",
        "text/css",
        "text/javascript",
        "text/csv",
        "text/calendar",
        "text/plain",
        "application/javascript",
        "application/json",
        "image/svg+xml",
    ]
    COMPRESS_ALGORITHM: ClassVar[list[str]] = ["br", "gzip"]
