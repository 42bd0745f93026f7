"""Sign-in, sign-out, throttling, password resets and invitations."""

import re
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
from limits.storage import memory as memory_storage
from sqlalchemy import select

from portal.auth.services import password_problem
from portal.extensions import db
from portal.mail import outbox
from portal.models import AuthToken
from portal.models import User
from portal.models import utcnow
from tests.helpers import PASSWORD
from tests.helpers import login
from tests.helpers import login_through_form


def test_login_page_renders(client):
    response = client.get("/auth/login")
    assert response.status_code == 200
    assert "Sign in" in response.text


def test_login_then_dashboard(client, make_user):
    make_user("a@example.org")
    login(client, "a@example.org")
    assert client.get("/").status_code == 200


def test_pages_need_sign_in(client):
    response = client.get("/partnerships")
    assert response.status_code == 302
    assert "/auth/login?next=" in response.headers["Location"]


def test_htmx_request_without_session_gets_401_and_redirect(client):
    response = client.get("/partnerships", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/auth/login")


def test_passwords_hashed_with_argon2id_and_salted(make_user):
    first = make_user("one@example.org")
    second = make_user("two@example.org")
    assert first.password_hash.startswith("$argon2id$")
    assert first.password_hash != second.password_hash
    assert PASSWORD not in first.password_hash


def test_wrong_password_and_unknown_email_answer_alike(client, make_user):
    make_user("known@example.org")
    known = client.post(
        "/auth/login",
        data={"email": "known@example.org", "password": "wrong-password-1"},
    )
    unknown = client.post(
        "/auth/login",
        data={"email": "nobody@example.org", "password": "wrong-password-1"},
    )
    assert known.status_code == unknown.status_code == 401
    strip = lambda html: re.sub(r'value="[^"]*"|"X-CSRFToken": "[^"]*"', "", html)  # noqa: E731
    assert strip(known.text).replace("known", "X") == strip(unknown.text).replace(
        "nobody", "X"
    )
    assert "Enter a correct email address and password" in known.text


def test_eleventh_attempt_is_throttled_even_with_right_password_t08(client, make_user):
    make_user("target@example.org")
    for _ in range(10):
        client.post(
            "/auth/login",
            data={"email": "target@example.org", "password": "guess-guess-1"},
        )
    response = client.post(
        "/auth/login", data={"email": "target@example.org", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "900"
    assert "Too many failed attempts" in response.text


def test_throttle_window_expires_t08(client, make_user, monkeypatch):
    """No permanent lockout: once the window has passed, the right password works."""
    make_user("later@example.org")
    for _ in range(10):
        client.post(
            "/auth/login",
            data={"email": "later@example.org", "password": "guess-guess-1"},
        )
    assert (
        client.post(
            "/auth/login", data={"email": "later@example.org", "password": PASSWORD}
        ).status_code
        == 429
    )
    later = time.time() + 16 * 60
    monkeypatch.setattr(memory_storage, "time", SimpleNamespace(time=lambda: later))
    login_through_form(client, "later@example.org")


def test_failures_across_accounts_trip_the_address_limit_t08(app, client, make_user):
    """Credential stuffing: failures on many accounts from one address add up."""
    make_user("stuffed@example.org")
    for n in range(app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]):
        client.post(
            "/auth/login",
            data={"email": f"user{n}@example.org", "password": "guess-guess-1"},
        )
    refused = client.post(
        "/auth/login", data={"email": "stuffed@example.org", "password": PASSWORD}
    )
    assert refused.status_code == 429
    # Another address is not held back by this one's failures.
    elsewhere = client.post(
        "/auth/login",
        data={"email": "stuffed@example.org", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert elsewhere.status_code == 303


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        "\\/evil.example",
        "https:evil.example",
        "javascript:alert(1)",
        "\t//evil.example",
        "http://127.0.0.1@evil.example",
    ],
)
def test_next_never_leaves_the_site(client, make_user, target):
    make_user("n@example.org")
    response = client.post(
        "/auth/login",
        query_string={"next": target},
        data={"email": "n@example.org", "password": PASSWORD},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_next_within_the_site_is_followed(client, make_user):
    make_user("n@example.org")
    response = client.post(
        "/auth/login",
        query_string={"next": "/people?q=a"},
        data={"email": "n@example.org", "password": PASSWORD},
    )
    assert response.headers["Location"] == "/people?q=a"


def test_logout_kills_copied_session_cookie(app, make_user):
    make_user("copy@example.org")
    first = app.test_client()
    login(first, "copy@example.org")
    cookie = first.get_cookie("portal_session")
    second = app.test_client()
    second.set_cookie("portal_session", cookie.value)
    assert second.get("/").status_code == 200
    first.post("/auth/logout")
    assert second.get("/").status_code == 302
    assert second.get("/people", headers={"HX-Request": "true"}).status_code == 401


def test_disabled_account_loses_its_session(client, make_user):
    account = make_user("gone@example.org")
    login(client, "gone@example.org")
    account.is_enabled = False
    db.session.commit()
    assert client.get("/").status_code == 302


def _idle_for(client, minutes: int) -> None:
    """Move the session's last request ``minutes`` into the past."""
    with client.session_transaction() as session:
        session["last_seen"] -= minutes * 60


def test_idle_session_expires(client, make_user):
    make_user("idle@example.org")
    login(client, "idle@example.org")
    _idle_for(client, 31)
    assert client.get("/").status_code == 302


def test_staying_signed_in_restarts_the_idle_clock(client, make_user):
    make_user("idle@example.org")
    login(client, "idle@example.org")
    _idle_for(client, 29)
    assert client.post("/auth/session").status_code == 204
    _idle_for(client, 29)
    assert client.get("/").status_code == 200


def test_staying_signed_in_is_too_late_after_the_time_out(client, make_user):
    make_user("idle@example.org")
    login(client, "idle@example.org")
    _idle_for(client, 31)
    assert client.post("/auth/session").status_code == 302
    assert client.get("/").status_code == 302


def test_absolute_session_lifetime(client, make_user):
    make_user("long@example.org")
    login(client, "long@example.org")
    with client.session_transaction() as session:
        session["signed_in_at"] -= 12 * 3600 + 60
    assert client.get("/").status_code == 302


def test_session_cookie_flags(client, make_user):
    make_user("c@example.org")
    response = client.post(
        "/auth/login", data={"email": "c@example.org", "password": PASSWORD}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def _reset_link(email: str) -> str:
    messages = [m for m in outbox() if m.to == email]
    assert messages, "no email sent"
    match = re.search(r"http://127\.0\.0\.1:5000(/auth/\S+)", messages[0].body)
    assert match
    return match.group(1)


def test_reset_sends_link_once_and_it_works_once(client, make_user):
    make_user("r@example.org")
    response = client.post("/auth/forgot", data={"email": "r@example.org"})
    assert "If that address is registered" in response.text
    link = _reset_link("r@example.org")
    new = "a brand new passphrase"
    assert client.post(link, data={"password": new, "confirm": new}).status_code == 303
    login(client, "r@example.org", new)
    again = client.post(
        link,
        data={"password": "another one entirely", "confirm": "another one entirely"},
    )
    assert again.status_code == 400
    assert "already been used" in again.text or "expired" in again.text


def test_reset_for_unknown_address_looks_the_same_and_sends_nothing(client):
    response = client.post("/auth/forgot", data={"email": "ghost@example.org"})
    assert response.status_code == 200
    assert "If that address is registered" in response.text
    assert outbox() == []


def test_only_the_latest_reset_link_works(client, make_user):
    make_user("l@example.org")
    client.post("/auth/forgot", data={"email": "l@example.org"})
    older = _reset_link("l@example.org")
    client.post("/auth/forgot", data={"email": "l@example.org"})
    newer = next(m for m in outbox() if m.to == "l@example.org").body
    assert older not in newer
    assert client.get(older).status_code == 400


def test_expired_reset_link_refused(client, make_user):
    make_user("e@example.org")
    client.post("/auth/forgot", data={"email": "e@example.org"})
    link = _reset_link("e@example.org")
    for token in db.session.scalars(select(AuthToken)):
        token.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert client.get(link).status_code == 400


def test_reset_ends_other_sessions(app, make_user):
    make_user("s@example.org")
    other = app.test_client()
    login(other, "s@example.org")
    client = app.test_client()
    client.post("/auth/forgot", data={"email": "s@example.org"})
    link = _reset_link("s@example.org")
    client.post(
        link,
        data={"password": "fresh passphrase here", "confirm": "fresh passphrase here"},
    )
    assert other.get("/").status_code == 302


def test_reset_link_uses_configured_base_url_not_host_header(client, make_user):
    make_user("h@example.org")
    client.post(
        "/auth/forgot",
        data={"email": "h@example.org"},
        headers={"Host": "evil.example"},
    )
    assert "evil.example" not in outbox()[0].body


@pytest.mark.parametrize("password", ["password123", "X Lead Org 2026"])
def test_weak_new_password_refused_with_message_t06(client, world, password):
    """The set-password page gives zxcvbn the account's organisation as context."""
    client.post("/auth/forgot", data={"email": "coord-x@example.org"})
    link = _reset_link("coord-x@example.org")
    response = client.post(link, data={"password": password, "confirm": password})
    assert response.status_code == 422
    assert "too easy to guess" in response.text


#: What a guesser knows of the coordinator in ``test_password_policy_t06``.
_CONTEXT = ["Chris Coord", "coord-x@example.org", "Bramblewood Trust", "Partnership X"]


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("Short7!", False),
        ("password123", False),
        ("partnership2026", False),
        ("aaaaaaaaaaaa", False),
        # Issue 21: a season and year, a l33t classic, a keyboard walk...
        ("Summer2026!!", False),
        ("P@ssw0rd2026", False),
        ("1qaz2wsx3edc", False),
        # ...and the user's own organisation, name or address with a flourish.
        ("Bramblewood Trust", False),
        ("BramblewoodTrust1", False),
        ("ChrisCoord2026", False),
        ("coord-x@example.org", False),
        # On the shipped breached list (case-folded), though long enough.
        ("QWERTYUIOP", False),
        ("CoffeeTrainFish", True),
        ("w@example-ish but long", True),
        ("x" * 3 + "correct horse battery", True),
        ("🙂🙃😀😎🐍🦊🌵🚲🎻🍋", True),
        (" leading and trailing ", True),
        ("the quiet heron waits by the old mill pond, every single morning", True),
        ("walnut " * 4 + "lantern orbit meadow copper velvet thistle " * 2, True),
        ("z" * 257, False),
    ],
)
def test_password_policy_t06(password, ok):
    """Length, the breached list and zxcvbn with the user's own words as context."""
    assert (password_problem(password, context=_CONTEXT) is None) is ok


def test_exact_password_only(client, make_user):
    make_user("x@example.org")
    for variant in (PASSWORD.upper(), PASSWORD.strip() + " ", PASSWORD[:-1]):
        response = client.post(
            "/auth/login", data={"email": "x@example.org", "password": variant}
        )
        assert response.status_code == 401


def test_admin_invites_user_who_sets_password(client, world):
    login(client, "admin@example.org")
    response = client.post(
        "/admin/users/invite",
        data={
            "name": "New Person",
            "email": "newbie@example.org",
            "organisation": str(world["x_lead"].id),
            "partnership": str(world["x"].id),
            "role": "board-member",
            "is_admin": "no",
        },
    )
    assert response.status_code == 303
    client.post("/auth/logout")
    link = _reset_link("newbie@example.org")
    assert "/auth/invitation/" in link
    assert (
        client.post(
            link, data={"password": "my own passphrase", "confirm": "my own passphrase"}
        ).status_code
        == 303
    )
    login(client, "newbie@example.org", "my own passphrase")
    assert "Partnership X" in client.get("/").text


def test_invite_duplicate_email_is_422(client, world):
    login(client, "admin@example.org")
    response = client.post(
        "/admin/users/invite",
        data={
            "name": "Dup",
            "email": "coord-x@example.org",
            "organisation": str(world["x_lead"].id),
            "partnership": "",
            "role": "board-member",
            "is_admin": "no",
        },
    )
    assert response.status_code == 422
    assert "already has an account" in response.text
    assert (
        db.session.scalar(select(User).where(User.email == "coord-x@example.org"))
        is not None
    )
