"""Sample, invitations, reminders, delivery after commit with retries, response rates."""

import smtplib
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import select

from portal.extensions import db
from portal.mail import outbox
from surveys import fieldwork
from surveys import services
from surveys.models import DeliveryStatus
from surveys.models import Invitation
from surveys.models import InvitationToken
from surveys.models import MessageKind
from surveys.models import OutgoingMessage
from surveys.models import Wave
from tests.helpers import TODAY
from tests.helpers import links_in_outbox


def test_draw_sample_takes_at_most_n_per_organisation(survey_world, make_person):
    wave = survey_world["wave"]
    for number in range(5):
        make_person(
            f"Partner {number}", f"p{number}@example.org", survey_world["x_partner"]
        )
    change = fieldwork.draw_sample(wave, max_per_organisation=3)
    db.session.commit()
    per_org: dict[int, int] = {}
    for invitation in wave.invitations:
        per_org[invitation.organisation_id] = (
            per_org.get(invitation.organisation_id, 0) + 1
        )
    assert per_org[survey_world["x_partner"].id] == 3  # Xena was already in
    assert change.added == 2 + per_org[survey_world["x_lead"].id]
    assert all(count <= 3 for count in per_org.values())
    # Nobody from partnership Y is sampled for X's survey.
    assert survey_world["y_person"].id not in {
        inv.person_id for inv in wave.invitations
    }


def test_sample_limit_must_be_positive(survey_world):
    with pytest.raises(services.SurveyError):
        fieldwork.draw_sample(survey_world["wave"], max_per_organisation=0)


def test_carry_forward_leaves_out_people_who_left_or_moved(survey_world, make_person):
    wave1 = survey_world["wave"]
    stays = make_person("Stays Put", "stays@example.org", survey_world["x_partner"])
    leaves = make_person("Leaves", "leaves@example.org", survey_world["x_partner"])
    moves = make_person("Moves On", "moves@example.org", survey_world["x_partner"])
    for person in (stays, leaves, moves):
        fieldwork.add_person(wave1, person)
    db.session.commit()
    leaves.archive()
    moves.organisation = survey_world["x_lead"]
    wave2 = services.add_wave(
        survey_world["survey"], opens_on=TODAY, closes_on=TODAY + timedelta(days=7)
    )
    db.session.flush()
    change = fieldwork.carry_forward(wave2)
    db.session.commit()
    names = {inv.person.name for inv in wave2.invitations}
    assert names == {"Xena Staff", "Stays Put"}
    assert change.added == 2
    assert any("Leaves" in reason for reason in change.skipped)
    assert any("Moves On (moved to X Lead Org)" in reason for reason in change.skipped)


def test_invitation_goes_only_after_commit(survey_world):
    wave = survey_world["wave"]
    fieldwork.queue_invitations(wave, TODAY)
    db.session.rollback()
    assert fieldwork.send_due().sent == 0
    assert outbox() == []
    fieldwork.queue_invitations(wave, TODAY)
    db.session.commit()
    report = fieldwork.send_due()
    assert report.sent == 1
    assert fieldwork.send_due().sent == 0, "each message is sent exactly once"
    (entry,) = outbox()
    assert entry.to == "xena@example.org"
    assert "Dear Xena Staff" in entry.body
    invitation = wave.invitations[0]
    db.session.refresh(invitation)
    assert invitation.invitations_sent == 1
    # Queuing again does not invite the same person twice.
    assert fieldwork.queue_invitations(wave, TODAY) == 0


def test_smtp_failure_is_retried_with_backoff(survey_world, monkeypatch):
    wave = survey_world["wave"]
    fieldwork.queue_invitations(wave, TODAY)
    db.session.commit()

    def broken(mail):
        raise smtplib.SMTPServerDisconnected("connection lost")

    monkeypatch.setattr(fieldwork, "deliver", broken)
    report = fieldwork.send_due()
    assert report.retrying == 1
    message = db.session.scalar(select(OutgoingMessage))
    assert message.status is DeliveryStatus.PENDING
    assert message.attempts == 1
    assert "connection lost" in message.last_error
    # The link made for the failed attempt no longer works.
    assert db.session.scalar(select(InvitationToken)).revoked
    monkeypatch.undo()
    assert fieldwork.send_due().sent == 0, "not due until the back-off passes"
    later = fieldwork.utcnow() + timedelta(minutes=3)
    assert fieldwork.send_due(now=later).sent == 1
    assert len(outbox()) == 1


def test_smtp_failure_gives_up_after_max_attempts(survey_world, monkeypatch):
    fieldwork.queue_invitations(survey_world["wave"], TODAY)
    db.session.commit()
    monkeypatch.setattr(
        fieldwork, "deliver", lambda mail: (_ for _ in ()).throw(OSError("down"))
    )
    now = fieldwork.utcnow()
    for attempt in range(fieldwork.MAX_ATTEMPTS):
        fieldwork.send_due(now=now + timedelta(hours=attempt))
    message = db.session.scalar(select(OutgoingMessage))
    assert message.status is DeliveryStatus.FAILED
    assert message.attempts == fieldwork.MAX_ATTEMPTS


def test_refused_address_is_a_bounce(survey_world, monkeypatch):
    fieldwork.queue_invitations(survey_world["wave"], TODAY)
    db.session.commit()

    def refused(mail):
        raise smtplib.SMTPRecipientsRefused({mail.to: (550, b"no such user")})

    monkeypatch.setattr(fieldwork, "deliver", refused)
    assert fieldwork.send_due().bounced == 1
    invitation = db.session.scalar(select(Invitation))
    assert invitation.bounces == 1
    assert invitation.invitations_sent == 0


def test_claimed_message_is_not_sent_twice(survey_world):
    fieldwork.queue_invitations(survey_world["wave"], TODAY)
    db.session.commit()
    message_id = db.session.scalar(select(OutgoingMessage.id))
    assert fieldwork.send_one(message_id) is DeliveryStatus.SENT
    assert fieldwork.send_one(message_id) is None
    assert len(outbox()) == 1


def test_reminders_go_only_to_non_responders_checked_at_send_time(
    survey_world, make_person
):
    wave = survey_world["wave"]
    other = make_person("Olga Other", "olga@example.org", survey_world["x_lead"])
    fieldwork.add_person(wave, other)
    fieldwork.queue_invitations(wave, TODAY)
    db.session.commit()
    fieldwork.send_due()
    assert fieldwork.queue_reminders(wave, TODAY) == 2
    db.session.commit()
    # Olga submits between the reminder being queued and being sent.
    olga = next(inv for inv in wave.invitations if inv.person_id == other.id)
    olga.completed = True
    db.session.commit()
    report = fieldwork.send_due()
    assert report.sent == 1
    assert report.skipped == 1
    reminders = [entry for entry in outbox() if entry.subject.startswith("Reminder")]
    assert [entry.to for entry in reminders] == ["xena@example.org"]
    assert fieldwork.queue_reminders(wave, TODAY) == 1, "Olga is not reminded again"
    db.session.commit()
    fieldwork.send_due()
    xena = next(inv for inv in wave.invitations if inv.person_id != other.id)
    db.session.refresh(xena)
    assert xena.reminders_sent == 2


def test_reminder_link_and_invitation_link_both_work(invited, client):
    wave = invited["wave"]
    fieldwork.queue_reminders(wave, TODAY)
    db.session.commit()
    fieldwork.send_due()
    tokens = [token for _, token in links_in_outbox()]
    assert len(set(tokens)) == 2
    for token in tokens:
        assert client.get(f"/s/{token}").status_code == 303


def test_templates_refuse_unknown_merge_fields(survey_world):
    survey = survey_world["survey"]
    with pytest.raises(services.SurveyError, match="not a merge field"):
        fieldwork.save_template(
            survey,
            MessageKind.INVITATION,
            subject="Hi {name}",
            body="{link} {password}",
            opened_version=1,
        )
    with pytest.raises(services.SurveyError, match="must contain"):
        fieldwork.save_template(
            survey,
            MessageKind.INVITATION,
            subject="Hi",
            body="no link",
            opened_version=1,
        )
    fieldwork.save_template(
        survey,
        MessageKind.INVITATION,
        subject="Over to you, {name}",
        body="Answer for {organisation} at {link} by {closes_on}",
        opened_version=1,
    )
    db.session.commit()
    fieldwork.queue_invitations(survey_world["wave"], TODAY)
    db.session.commit()
    fieldwork.send_due()
    (entry,) = outbox()
    assert entry.subject == "Over to you, Xena Staff"
    assert entry.body.startswith("Answer for X Partner Org at http")


def test_response_rates_by_group(survey_world, make_person):
    wave = survey_world["wave"]
    other = make_person("Olga Other", "olga@example.org", survey_world["x_lead"])
    fieldwork.add_person(wave, other)
    db.session.commit()
    wave.invitations[0].completed = True
    wave.invitations[1].started = True
    db.session.commit()
    (overall,) = fieldwork.response_rates(wave)
    assert (overall.invited, overall.started, overall.submitted) == (2, 2, 1)
    assert overall.rate == 50.0
    by_org = {row.group: row for row in fieldwork.response_rates(wave, "organisation")}
    assert set(by_org) == {"X Lead Org", "X Partner Org"}
    by_sector = fieldwork.response_rates(wave, "sector")
    assert sum(row.invited for row in by_sector) == 2


def test_withdrawn_people_are_not_counted_or_invited(survey_world):
    wave = survey_world["wave"]
    fieldwork.withdraw(wave.invitations[0])
    db.session.commit()
    assert fieldwork.response_rates(wave) == []
    assert fieldwork.queue_invitations(wave, TODAY) == 0


def test_redis_wake_is_queued_only_after_commit(survey_world, app, monkeypatch):
    woken: list[bool] = []
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:6379/15")

    class FakeQueue:
        def __init__(self, name, connection):
            assert name == "portal-mail"

        def enqueue(self, job, **kwargs):
            woken.append(job == "surveys.worker.send_due_job")

    monkeypatch.setattr("rq.Queue", FakeQueue)
    fieldwork.queue_invitations(survey_world["wave"], TODAY)
    db.session.rollback()
    assert woken == []
    fieldwork.queue_invitations(survey_world["wave"], TODAY)
    db.session.commit()
    assert woken == [True]


def test_add_wave_numbers_and_dates(survey_world):
    survey = survey_world["survey"]
    with pytest.raises(services.SurveyError, match="on or after the open date"):
        services.add_wave(survey, opens_on=TODAY, closes_on=TODAY - timedelta(days=1))
    wave2 = services.add_wave(survey, opens_on=TODAY, closes_on=TODAY)
    db.session.commit()
    assert wave2.number == 2
    assert db.session.scalar(select(func.count(Wave.id))) == 2


def test_wording_change_after_answers_keeps_the_old_wording(survey_world):
    from surveys.models import Response

    survey, wave = survey_world["survey"], survey_world["wave"]
    db.session.add(Response(wave=wave, submitted_on=TODAY))
    db.session.commit()
    assert services.is_locked(survey)
    item = survey.items[0]
    services.update_item(
        item,
        opened_version=item.version,
        text="The partnership has a clear, shared vision",
        scale="agree5",
        options=[],
        required=True,
        by=None,
    )
    db.session.commit()
    (revision,) = item.revisions
    assert revision.text == "The partnership has a clear vision"
    assert revision.last_wave == 1
    assert services.wording_changes(item, 1, 2) == [revision]
    assert services.wording_changes(item, 2, 3) == []
    with pytest.raises(services.SurveyError):
        services.add_section(survey, title="Too late")
    with pytest.raises(services.EditConflictError):
        services.update_item(
            item,
            opened_version=1,
            text="x",
            scale="agree5",
            options=[],
            required=False,
            by=None,
        )


def test_question_with_a_draft_answer_cannot_be_removed(invited):
    from surveys import responding
    from surveys.models import Invitation

    invitation = db.session.scalar(select(Invitation))
    item = invited["survey"].items[0]
    responding.save_answer(invitation, item, "2", TODAY)
    db.session.commit()
    with pytest.raises(services.SurveyError, match=r"not\s+yet submitted"):
        services.delete_item(item)
