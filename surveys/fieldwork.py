"""Fieldwork: the sample, invitation emails, reminders, delivery and response rates.

Emails are rows in ``survey_outgoing_message`` first, written in the same
transaction as the change that causes them, so a rollback sends nothing. After
the commit a worker (RQ on Redis in production, ``surveys send-due`` from cron in
the embedded set-up) claims each row, makes a fresh link, sends and records the
outcome. A failed send is retried with back-off; a refused address is a bounce.
"""

from __future__ import annotations

import hashlib
import secrets
import smtplib
import string
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta

from flask import Flask
from flask import current_app
from flask_sqlalchemy.session import Session
from sqlalchemy import event
from sqlalchemy import select
from sqlalchemy import update

from portal.extensions import db
from portal.mail import Mail
from portal.mail import deliver
from portal.models import Organisation
from portal.models import Participation
from portal.models import Partnership
from portal.models import Person
from portal.urls import external_url
from surveys.models import DeliveryStatus
from surveys.models import Invitation
from surveys.models import InvitationToken
from surveys.models import MessageKind
from surveys.models import MessageTemplate
from surveys.models import OutgoingMessage
from surveys.models import Survey
from surveys.models import Wave
from surveys.services import SurveyError

MAX_ATTEMPTS = 5
#: A claim older than this is taken to belong to a worker that died.
STALE_CLAIM = timedelta(minutes=10)
MERGE_FIELDS = ("name", "organisation", "survey_title", "closes_on", "link")

DEFAULT_TEMPLATES: dict[MessageKind, tuple[str, str]] = {
    MessageKind.INVITATION: (
        "Please take part: {survey_title}",
        "Dear {name},\n\n"
        "You are invited to answer the {survey_title} on behalf of {organisation}. "
        "It takes about 15 minutes, and you can stop and come back to it.\n\n"
        "Open your personal link:\n{link}\n\n"
        "The survey closes on {closes_on}. Please do not forward this email: "
        "the link is for you alone.\n",
    ),
    MessageKind.REMINDER: (
        "Reminder: {survey_title} closes on {closes_on}",
        "Dear {name},\n\n"
        "We have not yet had your answers to the {survey_title}. If you have "
        "started, your link takes you back to where you left off:\n{link}\n\n"
        "The survey closes on {closes_on}.\n",
    ),
    MessageKind.RECEIPT: (
        "We have your answers: {survey_title}",
        "Dear {name},\n\n"
        "Thank you. Your answers to the {survey_title} have been received. "
        "You do not need to do anything else.\n",
    ),
}


def hash_token(token: str) -> str:
    """The stored form of a survey link's token."""
    return hashlib.sha256(token.encode()).hexdigest()


def utcnow() -> datetime:
    """Now, in UTC (patched in tests)."""
    return datetime.now(UTC)


# The sample ------------------------------------------------------------------


def scope_partnerships(survey: Survey) -> list[Partnership]:
    """The partnerships whose organisations a survey samples."""
    if survey.partnership is not None:
        return [survey.partnership]
    return list(
        db.session.scalars(
            select(Partnership)
            .where(Partnership.programme_id == survey.programme_id)
            .where(Partnership.archived_at.is_(None))
            .order_by(Partnership.name)
        )
    )


def candidates(
    survey: Survey,
    *,
    partnership_ids: Iterable[int] | None = None,
    organisation_ids: Iterable[int] | None = None,
) -> list[tuple[Person, Partnership]]:
    """People who could be sampled: current staff of current participants."""
    partnerships = scope_partnerships(survey)
    wanted = set(partnership_ids) if partnership_ids else None
    organisations = set(organisation_ids) if organisation_ids else None
    found: list[tuple[Person, Partnership]] = []
    for partnership in partnerships:
        if wanted is not None and partnership.id not in wanted:
            continue
        rows = db.session.scalars(
            select(Person)
            .join(
                Participation, Participation.organisation_id == Person.organisation_id
            )
            .join(Organisation, Organisation.id == Person.organisation_id)
            .where(Participation.partnership_id == partnership.id)
            .where(Participation.left_on.is_(None))
            .where(Person.archived_at.is_(None))
            .where(Organisation.archived_at.is_(None))
            .order_by(Organisation.name, Person.name)
        )
        for person in rows:
            if organisations is None or person.organisation_id in organisations:
                found.append((person, partnership))
    return found


@dataclass
class SampleChange:
    """What a sampling action did, for the page to say."""

    added: int = 0
    skipped: list[str] = field(default_factory=list)


def _sampled(wave: Wave) -> dict[int, Invitation]:
    return {invitation.person_id: invitation for invitation in wave.invitations}


def draw_sample(
    wave: Wave,
    *,
    partnership_ids: Iterable[int] | None = None,
    organisation_ids: Iterable[int] | None = None,
    max_per_organisation: int = 3,
) -> SampleChange:
    """Add people, at most ``max_per_organisation`` from each organisation."""
    if max_per_organisation < 1:
        raise SurveyError("Take at least 1 person from each organisation")
    change = SampleChange()
    sampled = _sampled(wave)
    per_org: dict[tuple[int, int], int] = {}
    for invitation in wave.invitations:
        if not invitation.withdrawn:
            key = (invitation.partnership_id, invitation.organisation_id)
            per_org[key] = per_org.get(key, 0) + 1
    for person, partnership in candidates(
        wave.survey, partnership_ids=partnership_ids, organisation_ids=organisation_ids
    ):
        if person.id in sampled:
            continue
        key = (partnership.id, person.organisation_id)
        if per_org.get(key, 0) >= max_per_organisation:
            continue
        per_org[key] = per_org.get(key, 0) + 1
        invitation = Invitation(
            wave=wave,
            person=person,
            organisation_id=person.organisation_id,
            partnership=partnership,
        )
        db.session.add(invitation)
        sampled[person.id] = invitation
        change.added += 1
    return change


def add_person(wave: Wave, person: Person) -> Invitation:
    """Add one named person to the sample (no per-organisation limit)."""
    for invitation in wave.invitations:
        if invitation.person_id == person.id:
            invitation.withdrawn = False
            return invitation
    for candidate, partnership in candidates(wave.survey):
        if candidate.id == person.id:
            invitation = Invitation(
                wave=wave,
                person=person,
                organisation_id=person.organisation_id,
                partnership=partnership,
            )
            db.session.add(invitation)
            return invitation
    raise SurveyError(
        f"{person.name} does not work for an organisation in this survey's partnerships"
    )


def carry_forward(wave: Wave) -> SampleChange:
    """Copy the previous wave's sample, leaving out people who left or moved."""
    previous = next(
        (other for other in wave.survey.waves if other.number == wave.number - 1), None
    )
    if previous is None:
        raise SurveyError("There is no earlier wave to carry the sample from")
    change = SampleChange()
    sampled = _sampled(wave)
    for old in sorted(previous.invitations, key=lambda inv: inv.person.name):
        person = old.person
        if old.withdrawn or person.id in sampled:
            continue
        if person.is_archived:
            change.skipped.append(f"{person.name} (no longer in the directory)")
            continue
        if person.organisation_id != old.organisation_id:
            change.skipped.append(
                f"{person.name} (moved to {person.organisation.name})"
            )
            continue
        db.session.add(
            Invitation(
                wave=wave,
                person=person,
                organisation_id=person.organisation_id,
                partnership_id=old.partnership_id,
            )
        )
        change.added += 1
    return change


def open_invitations(person_id: int | None, today: date) -> list[Invitation]:
    """A person's invitations they can still answer."""
    if person_id is None:
        return []
    invitations = db.session.scalars(
        select(Invitation)
        .where(Invitation.person_id == person_id)
        .where(Invitation.withdrawn.is_(False))
        .where(Invitation.completed.is_(False))
    )
    return [invitation for invitation in invitations if invitation.wave.is_open(today)]


def withdraw(invitation: Invitation) -> None:
    """Take a person out of a wave's sample; their link stops working."""
    if invitation.completed:
        raise SurveyError(
            f"{invitation.person.name} has already answered and cannot be withdrawn"
        )
    invitation.withdrawn = True
    for token in db.session.scalars(
        select(InvitationToken).where(InvitationToken.invitation_id == invitation.id)
    ):
        token.revoked = True


# Messages ----------------------------------------------------------------------


def template_for(survey: Survey, kind: MessageKind) -> MessageTemplate:
    """The survey's saved template of this kind, or the default (not yet saved)."""
    for template in survey.templates:
        if template.kind is kind:
            return template
    subject, body = DEFAULT_TEMPLATES[kind]
    return MessageTemplate(survey_id=survey.id, kind=kind, subject=subject, body=body)


def check_merge_fields(text: str) -> None:
    """Refuse unknown or malformed merge fields before they reach a send."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        raise SurveyError(
            "Use merge fields in single braces, like {name}; write {{ for a brace"
        ) from None
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in MERGE_FIELDS or spec or conversion:
            raise SurveyError(
                f"{{{name}}} is not a merge field. Use: "
                + ", ".join(f"{{{known}}}" for known in MERGE_FIELDS)
            )


def save_template(
    survey: Survey, kind: MessageKind, *, subject: str, body: str, opened_version: int
) -> MessageTemplate:
    """Save an edited invitation or reminder template."""
    check_merge_fields(subject)
    check_merge_fields(body)
    if kind is not MessageKind.RECEIPT and "{link}" not in body:
        raise SurveyError("The message must contain {link}, or nobody can answer")
    template = template_for(survey, kind)
    if template.id is None:
        survey.templates.append(template)
    elif template.version != opened_version:
        from surveys.services import check_version

        check_version(template.version, opened_version)
    template.subject = subject.strip()
    template.body = body
    template.version = (template.version or 1) + (1 if template.id else 0)
    return template


def _queue(invitations: Iterable[Invitation], kind: MessageKind) -> int:
    count = 0
    for invitation in invitations:
        db.session.add(OutgoingMessage(invitation=invitation, kind=kind))
        count += 1
    if count:
        _enqueue_after_commit()
    return count


def _pending_kinds(wave: Wave) -> set[tuple[int, MessageKind]]:
    rows = db.session.execute(
        select(OutgoingMessage.invitation_id, OutgoingMessage.kind)
        .join(Invitation)
        .where(Invitation.wave_id == wave.id)
        .where(
            OutgoingMessage.status.in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING])
        )
    )
    return {(row[0], row[1]) for row in rows}


def queue_invitations(wave: Wave, today: date) -> int:
    """Queue an invitation for everyone sampled who has not had one."""
    if wave.closes_on < today and wave.override is None:
        raise SurveyError("This wave has closed; reopen it before inviting anyone")
    pending = _pending_kinds(wave)
    due = [
        invitation
        for invitation in wave.invitations
        if not invitation.withdrawn
        and invitation.invitations_sent == 0
        and (invitation.id, MessageKind.INVITATION) not in pending
    ]
    return _queue(due, MessageKind.INVITATION)


def non_responders(wave: Wave) -> list[Invitation]:
    """Sampled people who have not submitted, by organisation then name."""
    return sorted(
        (
            invitation
            for invitation in wave.invitations
            if not invitation.withdrawn and not invitation.completed
        ),
        key=lambda inv: (inv.organisation.name, inv.person.name),
    )


def queue_reminders(
    wave: Wave, today: date, invitation_ids: Iterable[int] | None = None
) -> int:
    """Queue a reminder for invited non-responders (checked again at send time)."""
    if not wave.is_open(today):
        raise SurveyError("Reminders can only go out while the wave is open")
    chosen = set(invitation_ids) if invitation_ids is not None else None
    pending = _pending_kinds(wave)
    due = [
        invitation
        for invitation in non_responders(wave)
        if invitation.invitations_sent > 0
        and (chosen is None or invitation.id in chosen)
        and (invitation.id, MessageKind.REMINDER) not in pending
    ]
    return _queue(due, MessageKind.REMINDER)


def whole_day(moment: datetime) -> datetime:
    """Midnight UTC of ``moment``'s day: the only time a receipt's row keeps.

    A receipt is queued as its invitation is submitted, so a precise time beside
    the invitation would date that submission (and, in an anonymous survey, help
    match it to a response).
    """
    return datetime.combine(moment.astimezone(UTC).date(), time(), tzinfo=UTC)


def queue_receipt(invitation: Invitation) -> None:
    """Queue the optional receipt a respondent asked for on submitting."""
    day = whole_day(utcnow())
    db.session.add(
        OutgoingMessage(
            invitation=invitation,
            kind=MessageKind.RECEIPT,
            queued_at=day,
            not_before=day,
        )
    )
    _enqueue_after_commit()


def _enqueue_after_commit() -> None:
    """With Redis configured, wake an RQ worker once the rows are committed."""
    if not current_app.config["REDIS_URL"]:
        return
    session = db.session()
    session.info["portal_wake_survey_worker"] = True


def wake_worker(session: object) -> None:
    """After commit: put one ``send_due`` job on the queue (rows are the real queue)."""
    info = getattr(session, "info", {})
    if not info.pop("portal_wake_survey_worker", False):
        return
    from redis import Redis
    from rq import Queue

    connection = Redis.from_url(current_app.config["REDIS_URL"])
    Queue("portal-mail", connection=connection).enqueue(
        "surveys.worker.send_due_job", job_timeout=600
    )


def drop_wake(session: object, previous_transaction: object) -> None:
    """After rollback: nothing to wake."""
    getattr(session, "info", {}).pop("portal_wake_survey_worker", None)


# Delivery ----------------------------------------------------------------------


@dataclass
class DeliveryReport:
    """What one run of ``send_due`` did."""

    sent: int = 0
    bounced: int = 0
    skipped: int = 0
    retrying: int = 0
    failed: int = 0


def _render(template: MessageTemplate, values: dict[str, str]) -> tuple[str, str]:
    return template.subject.format_map(values), template.body.format_map(values)


def _claim(message_id: int, now: datetime) -> bool:
    result = db.session.execute(
        update(OutgoingMessage)
        .where(OutgoingMessage.id == message_id)
        .where(OutgoingMessage.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.SENDING, not_before=now)
    )
    db.session.commit()
    return bool(getattr(result, "rowcount", 0) == 1)


def _skip_reason(message: OutgoingMessage, today: date) -> str:
    invitation = message.invitation
    if invitation.withdrawn:
        return "withdrawn from the sample"
    if message.kind is MessageKind.RECEIPT:
        return ""
    if invitation.completed:
        return "already submitted"
    if not invitation.wave.is_open(today) and invitation.wave.closes_on < today:
        return "wave closed"
    return ""


def send_one(message_id: int, now: datetime | None = None) -> DeliveryStatus | None:
    """Claim, send and record one queued message; None if another worker has it."""
    now = now or utcnow()
    if not _claim(message_id, now):
        return None
    message = db.session.get(OutgoingMessage, message_id)
    assert message is not None  # noqa: S101 - claimed above, in this database
    invitation = message.invitation
    receipt = message.kind is MessageKind.RECEIPT
    stamp = whole_day(now) if receipt else now
    # The claim's precise time is only for spotting a dead worker; a receipt's
    # row goes back to whole days once this send is over.
    message.not_before = stamp
    reason = _skip_reason(message, now.date())
    if reason:
        message.status = DeliveryStatus.SKIPPED
        message.last_error = reason
        db.session.commit()
        return message.status
    survey = invitation.wave.survey
    token = secrets.token_urlsafe(32)
    token_row = InvitationToken(invitation=invitation, token_hash=hash_token(token))
    if message.kind is not MessageKind.RECEIPT:
        db.session.add(token_row)
    db.session.commit()
    values = {
        "name": invitation.person.name,
        "organisation": invitation.organisation.name,
        "survey_title": survey.title,
        "closes_on": f"{invitation.wave.closes_on:%-d %B %Y}",
        "link": external_url("respond.land", token=token),
    }
    subject, body = _render(template_for(survey, message.kind), values)
    message.attempts += 1
    try:
        deliver(Mail(to=invitation.person.email, subject=subject, body=body))
    except smtplib.SMTPRecipientsRefused as error:
        message.status = DeliveryStatus.BOUNCED
        message.last_error = str(error)[:500]
        invitation.bounces += 1
        token_row.revoked = True
    except (OSError, smtplib.SMTPException) as error:
        token_row.revoked = True
        message.last_error = str(error)[:500]
        if message.attempts >= MAX_ATTEMPTS:
            message.status = DeliveryStatus.FAILED
        else:
            message.status = DeliveryStatus.PENDING
            # A receipt, kept to whole days, is retried the next day.
            delay = timedelta(days=1 if receipt else 0, minutes=2**message.attempts)
            message.not_before = stamp + delay
        current_app.logger.warning(
            "survey email %s not sent (attempt %s)", message.id, message.attempts
        )
    else:
        message.status = DeliveryStatus.SENT
        message.sent_at = stamp
        message.last_error = ""
        if message.kind is MessageKind.INVITATION:
            invitation.invitations_sent += 1
        elif message.kind is MessageKind.REMINDER:
            invitation.reminders_sent += 1
    db.session.commit()
    return message.status


def send_due(now: datetime | None = None, limit: int = 500) -> DeliveryReport:
    """Send every queued message that is due; safe to run from several workers."""
    now = now or utcnow()
    db.session.execute(
        update(OutgoingMessage)
        .where(OutgoingMessage.status == DeliveryStatus.SENDING)
        .where(OutgoingMessage.not_before < now - STALE_CLAIM)
        .values(status=DeliveryStatus.PENDING)
    )
    db.session.commit()
    due = list(
        db.session.scalars(
            select(OutgoingMessage.id)
            .where(OutgoingMessage.status == DeliveryStatus.PENDING)
            .where(OutgoingMessage.not_before <= now)
            .order_by(OutgoingMessage.id)
            .limit(limit)
        )
    )
    report = DeliveryReport()
    for message_id in due:
        status = send_one(message_id, now)
        if status is DeliveryStatus.SENT:
            report.sent += 1
        elif status is DeliveryStatus.BOUNCED:
            report.bounced += 1
        elif status is DeliveryStatus.SKIPPED:
            report.skipped += 1
        elif status is DeliveryStatus.PENDING:
            report.retrying += 1
        elif status is DeliveryStatus.FAILED:
            report.failed += 1
    return report


# Response rates ----------------------------------------------------------------


@dataclass
class RateRow:
    """Counts for one group of a wave's sample."""

    group: str
    invited: int = 0
    started: int = 0
    submitted: int = 0

    @property
    def rate(self) -> float | None:
        """Submitted as a percentage of invited, unrounded; None with nobody invited."""
        if not self.invited:
            return None
        return self.submitted / self.invited * 100


BREAKDOWNS = {
    "organisation": "Organisation",
    "partnership": "Partnership",
    "sector": "Sector",
}


def response_rates(wave: Wave, by: str | None = None) -> list[RateRow]:
    """Invited, started and submitted per group (or one row for the whole wave)."""
    groups: dict[str, RateRow] = {}
    for invitation in wave.invitations:
        if invitation.withdrawn:
            continue
        if by == "organisation":
            key = invitation.organisation.name
        elif by == "partnership":
            key = invitation.partnership.name
        elif by == "sector":
            key = invitation.organisation.sector.label
        else:
            key = "All"
        row = groups.setdefault(key, RateRow(group=key))
        row.invited += 1
        if invitation.started or invitation.completed:
            row.started += 1
        if invitation.completed:
            row.submitted += 1
    return [groups[key] for key in sorted(groups)]


def init_app(app: Flask) -> None:
    """Wake the RQ worker after commits that queued survey emails."""
    if not event.contains(Session, "after_commit", wake_worker):
        event.listen(Session, "after_commit", wake_worker)
        event.listen(Session, "after_soft_rollback", drop_wake)
