"""Two-factor sign-in with an authenticator app (TOTP) and single-use recovery codes
(ASVS 6.3.3; T08 for guessing the code, T09 for a reset not bypassing it)."""

import re

import pyotp
import pytest
from sqlalchemy import select

from portal import create_app
from portal.auth import services
from portal.extensions import db
from portal.models import RecoveryCode
from tests.helpers import PASSWORD
from tests.helpers import login

COORD = "coord-x@example.org"


@pytest.fixture
def enrolled(world):
    """The X coordinator with two-factor sign-in on; their secret and recovery codes."""
    account = world["x_coordinator"]
    secret = pyotp.random_base32()
    codes = services.enable_two_factor(account, secret, pyotp.TOTP(secret).now())
    db.session.commit()
    # The set-up code's step is spent; the tests sign in with the step after it.
    account.totp_last_step -= 1
    db.session.commit()
    return {**world, "secret": secret, "codes": codes}


def _password(client, email=COORD):
    return client.post("/auth/login", data={"email": email, "password": PASSWORD})


def test_setup_shows_secret_confirms_and_shows_codes_once(client, world):
    login(client, COORD)
    page = client.get("/auth/two-factor/setup")
    assert page.status_code == 200
    secret = re.search(r'id="totp-secret"><code>([A-Z2-7 ]+)</code>', page.text)
    secret = secret.group(1).replace(" ", "")
    assert "otpauth://totp/" in page.text
    with client.session_transaction() as cookie_session:
        assert secret not in str(dict(cookie_session))
    wrong = client.post("/auth/two-factor/setup", data={"code": "000000"})
    assert wrong.status_code == 422
    assert "6-digit code" in wrong.text
    done = client.post(
        "/auth/two-factor/setup", data={"code": pyotp.TOTP(secret).now()}
    )
    assert done.status_code == 200
    codes = re.findall(r"<code>([A-Z0-9]{5}(?:-[A-Z0-9]{5}){3})</code>", done.text)
    assert len(codes) == services.RECOVERY_CODE_COUNT
    account = world["x_coordinator"]
    db.session.refresh(account)
    assert account.totp_secret == secret
    stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(stored) == len(codes)
    raw = {c.replace("-", "") for c in codes} | set(codes)
    assert not set(stored) & raw
    # Shown once: the set-up page now offers a new key, not the codes.
    again = client.get("/auth/two-factor/setup").text
    assert all(code not in again for code in codes)
    assert secret not in again.replace(" ", "")


def test_sign_in_asks_for_the_code_after_the_password(client, enrolled):
    response = _password(client)
    assert response.status_code == 303
    assert response.headers["Location"] == "/auth/two-factor"
    assert client.get("/").status_code == 302  # not signed in yet
    assert client.get("/auth/two-factor").status_code == 200
    wrong = client.post("/auth/two-factor", data={"code": "123456"})
    assert wrong.status_code == 401
    assert "not right" in wrong.text
    code = pyotp.TOTP(enrolled["secret"]).now()
    right = client.post("/auth/two-factor", data={"code": code})
    assert right.status_code == 303
    assert client.get("/").status_code == 200
    # The same code cannot sign in a second time.
    other = client.application.test_client()
    _password(other)
    assert other.post("/auth/two-factor", data={"code": code}).status_code == 401


def test_recovery_code_works_once(client, enrolled):
    code = enrolled["codes"][0]
    _password(client)
    typed = code.lower().replace("-", " ")
    assert client.post("/auth/two-factor", data={"code": typed}).status_code == 303
    again = client.application.test_client()
    _password(again)
    assert again.post("/auth/two-factor", data={"code": code}).status_code == 401


def test_second_factor_page_needs_the_password_first(client, enrolled):
    response = client.post("/auth/two-factor", data={"code": enrolled["codes"][1]})
    assert response.status_code == 303
    assert response.headers["Location"] == "/auth/login"
    assert client.get("/").status_code == 302


def test_guessing_the_code_is_throttled_t08(app, client, enrolled):
    _password(client)
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]):
        wrong = client.post("/auth/two-factor", data={"code": "000000"})
        assert wrong.status_code == 401
    code = pyotp.TOTP(enrolled["secret"]).now()
    assert client.post("/auth/two-factor", data={"code": code}).status_code == 429


def test_password_reset_does_not_skip_the_code_t09(client, enrolled):
    """A new password still leads to the code page, never straight in."""
    account = enrolled["x_coordinator"]
    services.set_password(account, "a brand new passphrase here")
    db.session.commit()
    response = client.post(
        "/auth/login",
        data={"email": COORD, "password": "a brand new passphrase here"},
    )
    assert response.headers["Location"] == "/auth/two-factor"


def test_administrators_must_set_it_up_when_required(app, client, world):
    app.config["REQUIRE_2FA_FOR_ADMINS"] = True
    login(client, "admin@example.org")
    response = client.get("/admin/users")
    assert response.status_code == 303
    assert response.headers["Location"] == "/auth/two-factor/setup"
    assert (
        client.get("/admin/users", headers={"HX-Request": "true"}).headers[
            "HX-Redirect"
        ]
        == "/auth/two-factor/setup"
    )
    assert client.get("/auth/two-factor/setup").status_code == 200
    # Others are offered it, not made to.
    coordinator = app.test_client()
    login(coordinator, COORD)
    assert coordinator.get("/").status_code == 200
    # Once set up, the administrator gets on.
    secret = pyotp.random_base32()
    services.enable_two_factor(world["admin"], secret, pyotp.TOTP(secret).now())
    db.session.commit()
    assert client.get("/admin/users").status_code == 200


def test_required_for_administrators_by_default():
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "k" * 40})
    assert app.config["REQUIRE_2FA_FOR_ADMINS"] is True
