"""Email: sent after the database commit, through SMTP or into an outbox folder."""

import smtplib
import time
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from email.utils import formatdate
from email.utils import make_msgid
from pathlib import Path
from typing import Any

from flask import Flask
from flask import current_app
from flask_sqlalchemy.session import Session
from sqlalchemy import event

from portal.extensions import db

_PENDING = "portal_pending_mail"


@dataclass(frozen=True)
class Mail:
    """A plain-text message to one person."""

    to: str
    subject: str
    body: str


@dataclass(frozen=True)
class OutboxEntry:
    """A message written to the outbox folder, as the admin page lists it."""

    name: str
    to: str
    subject: str
    date: str
    body: str


def send_after_commit(mail: Mail) -> None:
    """Queue ``mail`` to go once the current transaction commits (never on rollback)."""
    session = db.session()
    if not session.in_transaction():
        # Tie the mail to a transaction, so that a rollback discards it.
        session.begin()
    session.info.setdefault(_PENDING, []).append(mail)


def deliver(mail: Mail) -> None:
    """Send now: via SMTP when ``MAIL_SERVER`` is set, else into the outbox folder."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="partnership-portal")
    message.set_content(mail.body)
    if config["MAIL_SERVER"]:
        with smtplib.SMTP(
            config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=20
        ) as smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls()
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
        return
    folder = outbox_folder()
    folder.mkdir(parents=True, exist_ok=True)
    # A nanosecond timestamp first, so names sort in sending order.
    name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml"
    (folder / name).write_bytes(bytes(message))


def outbox_folder() -> Path:
    """Where unsent mail is written when no SMTP server is configured."""
    # An absolute MAIL_OUTBOX replaces the instance folder (pathlib semantics).
    return Path(current_app.instance_path) / str(current_app.config["MAIL_OUTBOX"])


def outbox() -> list[OutboxEntry]:
    """Every message in the outbox folder, newest first."""
    folder = outbox_folder()
    if not folder.is_dir():
        return []
    entries = []
    for path in folder.glob("*.eml"):
        parsed = BytesParser(policy=default_policy).parsebytes(path.read_bytes())
        body_part = parsed.get_body(preferencelist=("plain",))
        body = body_part.get_content() if body_part is not None else ""
        entries.append(
            OutboxEntry(
                name=path.name,
                to=str(parsed["To"]),
                subject=str(parsed["Subject"]),
                date=str(parsed["Date"]),
                body=str(body),
            )
        )
    entries.sort(key=lambda entry: entry.name, reverse=True)
    return entries


def _send_pending(session: Any) -> None:
    pending: list[Mail] = session.info.pop(_PENDING, [])
    for mail in pending:
        try:
            deliver(mail)
        except (OSError, smtplib.SMTPException):
            # The data is committed; a failed send is logged, never a lost save.
            current_app.logger.exception("could not send mail to %s", mail.to)


def _drop_pending(session: Any, previous_transaction: Any) -> None:
    session.info.pop(_PENDING, None)


def init_app(app: Flask) -> None:
    """Hook sending to the session's commit and dropping to its rollback."""
    if not event.contains(Session, "after_commit", _send_pending):
        event.listen(Session, "after_commit", _send_pending)
        event.listen(Session, "after_soft_rollback", _drop_pending)
