"""Mail goes after commit, never on rollback, and lands in the outbox without SMTP."""

from portal.extensions import db
from portal.mail import Mail
from portal.mail import outbox
from portal.mail import send_after_commit


def test_mail_waits_for_commit(app):
    send_after_commit(Mail(to="a@example.org", subject="Hello", body="Body"))
    assert outbox() == []
    db.session.commit()
    [message] = outbox()
    assert (message.to, message.subject, message.body.strip()) == (
        "a@example.org",
        "Hello",
        "Body",
    )


def test_mail_dropped_on_rollback(app):
    send_after_commit(Mail(to="b@example.org", subject="Never", body="Body"))
    db.session.rollback()
    db.session.commit()
    assert outbox() == []


def test_smtp_failure_does_not_lose_the_commit(app, monkeypatch):
    app.config["MAIL_SERVER"] = "127.0.0.1"
    app.config["MAIL_PORT"] = 9  # nothing listens: connection refused
    send_after_commit(Mail(to="c@example.org", subject="Fails", body="Body"))
    db.session.commit()
    assert outbox() == []
