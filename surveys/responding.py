"""Answering a survey: resolve a link, save answers as given, submit exactly once.

Autosave, page submit and final submit all go through ``writable_invitation``
and ``normalise_answer``, so every path refuses the same things the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy import update

from portal.errors import PortalError
from portal.extensions import db
from surveys import release
from surveys.answers import AnswerError
from surveys.answers import normalise_answer
from surveys.fieldwork import hash_token
from surveys.models import Answer
from surveys.models import DraftAnswer
from surveys.models import Invitation
from surveys.models import InvitationToken
from surveys.models import Item
from surveys.models import Response
from surveys.models import ResponseOwner
from surveys.models import Section
from surveys.models import SurveyMode


class ClosedError(PortalError):
    """The wave is closed or the response already submitted: nothing more is accepted."""

    status = 409


class MissingAnswersError(PortalError):
    """Required questions are unanswered."""

    status = 422

    def __init__(self, items: list[Item]) -> None:
        super().__init__("Answer the required questions before submitting")
        self.items = items


def resolve_link(token: str) -> Invitation | None:
    """The invitation a link belongs to, if the link is valid."""
    found = None
    if 20 <= len(token) <= 100:
        found = db.session.scalar(
            select(InvitationToken).where(
                InvitationToken.token_hash == hash_token(token),
                InvitationToken.revoked.is_(False),
            )
        )
    if found is None or found.invitation.withdrawn:
        return None
    return found.invitation


def writable_invitation(invitation: Invitation, today: date) -> None:
    """Refuse any write to a submitted response or a closed wave."""
    if invitation.completed:
        raise ClosedError("You have already submitted your answers. Thank you.")
    if not invitation.wave.is_open(today):
        raise ClosedError("This survey is closed and no longer accepts answers.")
    if invitation.withdrawn:
        raise ClosedError("This link is no longer valid.")


def sections(invitation: Invitation) -> list[Section]:
    """The questionnaire's pages, in order, skipping empty ones."""
    return [section for section in invitation.wave.survey.sections if section.items]


def drafts(invitation: Invitation) -> dict[int, str]:
    """Saved answers by item id."""
    return {draft.item_id: draft.value for draft in invitation.draft_answers}


def _store(invitation: Invitation, item: Item, value: str) -> None:
    existing = db.session.get(DraftAnswer, (invitation.id, item.id))
    if not value:
        if existing is not None:
            db.session.delete(existing)
        return
    if existing is None:
        db.session.add(
            DraftAnswer(invitation_id=invitation.id, item_id=item.id, value=value)
        )
    else:
        existing.value = value


def item_of(invitation: Invitation, item_id: int) -> Item | None:
    """An item of this invitation's questionnaire, or None (another survey's id)."""
    item = db.session.get(Item, item_id)
    if item is None or item.survey_id != invitation.wave.survey_id:
        return None
    return item


def save_answer(
    invitation: Invitation, item: Item, raw: str | list[str], today: date
) -> str:
    """Save one answer as given (autosave); returns the stored value."""
    writable_invitation(invitation, today)
    value = normalise_answer(item, raw)
    _store(invitation, item, value)
    invitation.started = True
    invitation.resume_section = item.section.position
    return value


def save_section(
    invitation: Invitation,
    section: Section,
    raw_answers: dict[int, str | list[str]],
    today: date,
    *,
    check_required: bool,
) -> dict[int, str]:
    """Save a page's answers; return problems by item id (valid answers are kept)."""
    writable_invitation(invitation, today)
    problems: dict[int, str] = {}
    for item in section.items:
        raw = raw_answers.get(item.id, "")
        try:
            value = normalise_answer(item, raw)
        except AnswerError as error:
            problems[item.id] = str(error)
            continue
        _store(invitation, item, value)
        if check_required and item.required and not value:
            problems[item.id] = "Answer this question"
    invitation.started = True
    invitation.resume_section = section.position
    return problems


def missing_required(invitation: Invitation) -> list[Item]:
    """Required questions without an answer, in questionnaire order."""
    saved = drafts(invitation)
    return [
        item
        for item in invitation.wave.survey.items
        if item.required and not saved.get(item.id)
    ]


@dataclass(frozen=True)
class Submission:
    """The outcome of a submit: whether this request was the one that submitted."""

    submitted_now: bool


def submit(invitation: Invitation, today: date) -> Submission:
    """Turn the saved answers into one response, exactly once; drafts are deleted.

    The conditional UPDATE is the guard: of two racing requests only one sees a
    row change, so a double click or a second tab makes no second response. An
    anonymous response is held back until ``release.release_due`` releases it.
    """
    if invitation.completed:
        return Submission(submitted_now=False)
    writable_invitation(invitation, today)
    missing = missing_required(invitation)
    if missing:
        raise MissingAnswersError(missing)
    saved = drafts(invitation)
    result = db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id)
        .where(Invitation.completed.is_(False))
        .values(completed=True, started=True)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        db.session.rollback()
        return Submission(submitted_now=False)
    wave = invitation.wave
    anonymous = wave.survey.mode is SurveyMode.ANONYMOUS
    response = Response(
        wave_id=wave.id,
        organisation_id=invitation.organisation_id,
        partnership_id=invitation.partnership_id,
        # An anonymous response keeps only its wave's date and waits for a release.
        submitted_on=wave.closes_on if anonymous else today,
        held_back=anonymous,
    )
    db.session.add(response)
    db.session.flush()
    db.session.add_all(
        Answer(response_id=response.id, item_id=item_id, value=value)
        for item_id, value in saved.items()
    )
    if not anonymous:
        db.session.add(
            ResponseOwner(response_id=response.id, invitation_id=invitation.id)
        )
    db.session.execute(
        delete(DraftAnswer).where(DraftAnswer.invitation_id == invitation.id)
    )
    if anonymous:
        release.release_due(wave)
    db.session.expire(invitation)
    return Submission(submitted_now=True)
