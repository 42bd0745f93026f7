"""Answering a survey from an emailed link, or from "My surveys" when signed in.

The link's token is exchanged at once for a session cookie and a redirect to a
token-free address, so it never sits in the address bar, history or Referer.
"""

import logging
import re
from collections.abc import Callable
from datetime import date
from typing import TypeVar

from flask import Blueprint
from flask import Response
from flask import abort
from flask import make_response
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal import clock
from portal.access import login_required
from portal.access import user
from portal.extensions import db
from portal.htmx import redirect_after_post
from portal.throttling import bad_links_per_address
from surveys import fieldwork
from surveys import responding
from surveys.answers import DONT_KNOW
from surveys.answers import AnswerError
from surveys.answers import choices
from surveys.answers import label_for
from surveys.models import Invitation
from surveys.models import Item
from surveys.models import ItemType
from surveys.models import Section
from surveys.models import SurveyMode
from surveys.models import Wave

respond_bp = Blueprint("respond", __name__)

_T = TypeVar("_T")

_SESSION_KEY = "respondent_invitation"
INVALID_LINK = "This link is not valid. Ask your coordinator for a new one."


class _RedactSurveyLinks(logging.Filter):
    """Keep survey tokens out of the access log."""

    pattern = re.compile(r"/s/[A-Za-z0-9_\-]+")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(
                self.pattern.sub("/s/[redacted]", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        record.msg = self.pattern.sub("/s/[redacted]", str(record.msg))
        return True


logging.getLogger("werkzeug").addFilter(_RedactSurveyLinks())


@respond_bp.after_request
def _not_cached(response: Response) -> Response:
    """Keep respondents' pages, and so their answers, out of every cache.

    Respondents are not signed in, so the portal-wide ``no-store`` misses them; and
    Back after submitting must ask the server (which says the answers are in)
    rather than show the old "Submit" form from the cache.
    """
    response.headers["Cache-Control"] = "no-store"
    return response


def today() -> date:
    """The date answers are judged against (patched in tests)."""
    return clock.today()


def _invalid_link() -> ResponseReturnValue:
    return render_template("respond/invalid.html", message=INVALID_LINK), 404


def _current() -> Invitation:
    """The invitation this browser is answering, or a 404 page."""
    invitation_id = session.get(_SESSION_KEY)
    invitation = db.session.get(Invitation, invitation_id) if invitation_id else None
    if invitation is None or invitation.withdrawn:
        abort(404)
    return invitation


def _answering_page(invitation: Invitation) -> ResponseReturnValue | None:
    """The page to show instead of questions, when the response cannot change."""
    if invitation.completed:
        return render_template(
            "respond/done.html", invitation=invitation, just_now=False
        )
    if not invitation.wave.is_open(today()):
        return render_template("respond/closed.html", invitation=invitation), 409
    return None


@respond_bp.get("/s/<token>")
@bad_links_per_address("survey-link")
def land(token: str) -> ResponseReturnValue:
    """Exchange a survey link for a session and a token-free redirect."""
    invitation = responding.resolve_link(token)
    if invitation is None:
        return _invalid_link()
    session[_SESSION_KEY] = invitation.id
    response = make_response(redirect(url_for(".resume"), code=303))
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@respond_bp.get("/respond")
def resume() -> ResponseReturnValue:
    """Go back to where the respondent left off."""
    invitation = _current()
    stop = _answering_page(invitation)
    if stop is not None:
        return stop
    pages = responding.sections(invitation)
    page = max(invitation.resume_section, 1)
    positions = [section.position for section in pages]
    if page in positions:
        return redirect(url_for(".page", number=positions.index(page) + 1))
    if positions and page > positions[-1]:
        return redirect(url_for(".check"))
    return redirect(url_for(".page", number=1))


def _save_and_commit(write: Callable[[], _T]) -> _T:
    """Run one save and commit it, trying again if a parallel save got in first.

    Leaving a field fires its autosave at the same moment as the Continue button's
    POST, so two requests can both find no saved answer and both insert one; the
    loser rolls back and saves again over the winner's row instead of failing.
    """
    for _retry in range(2):
        try:
            result = write()
            db.session.commit()
            return result
        except IntegrityError:
            db.session.rollback()
    result = write()
    db.session.commit()
    return result


def _page_section(invitation: Invitation, number: int) -> tuple[list[Section], Section]:
    pages = responding.sections(invitation)
    if not 1 <= number <= len(pages):
        abort(404)
    return pages, pages[number - 1]


def _raw_answers(section: Section) -> dict[int, str | list[str]]:
    answers: dict[int, str | list[str]] = {}
    for item in section.items:
        name = f"item-{item.id}"
        if item.type is ItemType.MULTI:
            answers[item.id] = request.form.getlist(name)
        else:
            answers[item.id] = request.form.get(name, "")
    return answers


def _render_page(
    invitation: Invitation,
    pages: list[Section],
    number: int,
    values: dict[int, str],
    problems: dict[int, str],
) -> ResponseReturnValue:
    section = pages[number - 1]
    return render_template(
        "respond/page.html",
        invitation=invitation,
        survey=invitation.wave.survey,
        section=section,
        number=number,
        total=len(pages),
        values=values,
        problems=problems,
        choices=choices,
        dont_know=DONT_KNOW,
    ), (422 if problems else 200)


@respond_bp.route("/respond/<int:number>", methods=["GET", "POST"])
def page(number: int) -> ResponseReturnValue:
    """One section of the questionnaire: answers save as given and on Continue."""
    invitation = _current()
    stop = _answering_page(invitation)
    if stop is not None:
        return stop
    pages, section = _page_section(invitation, number)
    if request.method == "GET":
        return _render_page(
            invitation, pages, number, responding.drafts(invitation), {}
        )
    later = "later" in request.form
    raw = _raw_answers(section)
    try:
        problems = _save_and_commit(
            lambda: responding.save_section(
                invitation, section, raw, today(), check_required=not later
            )
        )
    except responding.ClosedError:
        db.session.rollback()
        return redirect_after_post(url_for(".resume"))
    if problems:
        values = responding.drafts(invitation)
        for item_id, given in raw.items():
            if item_id in problems and isinstance(given, str):
                values[item_id] = given
        return _render_page(invitation, pages, number, values, problems)
    if later:
        return redirect_after_post(url_for(".saved"))
    # A finished page sends a returning respondent on to the next one.
    invitation.resume_section = (
        pages[number].position if number < len(pages) else pages[-1].position + 1
    )
    db.session.commit()
    if number < len(pages):
        return redirect_after_post(url_for(".page", number=number + 1))
    return redirect_after_post(url_for(".check"))


@respond_bp.post("/respond/<int:number>/autosave")
def autosave(number: int) -> ResponseReturnValue:
    """Save one answer as it is given (htmx); returns the item's status line."""
    invitation = _current()
    try:
        item_id = int(request.form.get("item", ""))
    except ValueError:
        abort(404)
    item = responding.item_of(invitation, item_id)
    if item is None:
        abort(404)
    name = f"item-{item.id}"
    raw: str | list[str] = (
        request.form.getlist(name)
        if item.type is ItemType.MULTI
        else request.form.get(name, "")
    )
    try:
        _save_and_commit(lambda: responding.save_answer(invitation, item, raw, today()))
    except responding.ClosedError as error:
        db.session.rollback()
        return render_template(
            "respond/_saved.html", item=item, problem=error.message
        ), 409
    except AnswerError as error:
        db.session.rollback()
        return render_template(
            "respond/_saved.html", item=item, problem=str(error)
        ), 422
    return render_template("respond/_saved.html", item=item, problem=None)


@respond_bp.get("/respond/saved")
def saved() -> ResponseReturnValue:
    """Told that answers are kept and how to come back."""
    invitation = _current()
    return render_template("respond/saved.html", invitation=invitation)


def _summary(
    invitation: Invitation,
) -> list[tuple[int, Section, list[tuple[Item, str]]]]:
    values = responding.drafts(invitation)
    rows = []
    for number, section in enumerate(responding.sections(invitation), 1):
        answers = []
        for item in section.items:
            value = values.get(item.id, "")
            shown = (
                " and ".join(value.split("|"))
                if item.type is ItemType.MULTI
                else label_for(item, value)
            )
            answers.append((item, shown))
        rows.append((number, section, answers))
    return rows


@respond_bp.get("/respond/check")
def check() -> ResponseReturnValue:
    """Check your answers before submitting."""
    invitation = _current()
    stop = _answering_page(invitation)
    if stop is not None:
        return stop
    return render_template(
        "respond/check.html",
        invitation=invitation,
        summary=_summary(invitation),
        missing=[],
    )


@respond_bp.post("/respond/submit")
def submit() -> ResponseReturnValue:
    """Submit once; a second click or tab lands on the confirmation, not a copy."""
    invitation = _current()
    try:
        outcome = responding.submit(invitation, today())
    except responding.MissingAnswersError as error:
        db.session.rollback()
        return render_template(
            "respond/check.html",
            invitation=invitation,
            summary=_summary(invitation),
            missing=error.items,
            pages={
                section.id: number
                for number, section in enumerate(responding.sections(invitation), 1)
            },
        ), 422
    except responding.ClosedError:
        db.session.rollback()
        return redirect_after_post(url_for(".resume"))
    if outcome.submitted_now and request.form.get("receipt") == "yes":
        fieldwork.queue_receipt(invitation)
    db.session.commit()
    return redirect_after_post(url_for(".done"))


@respond_bp.get("/respond/done")
def done() -> ResponseReturnValue:
    """The confirmation page."""
    invitation = _current()
    if not invitation.completed:
        return redirect(url_for(".resume"))
    return render_template("respond/done.html", invitation=invitation, just_now=True)


@respond_bp.get("/my-surveys")
@login_required
def mine() -> ResponseReturnValue:
    """A signed-in person's own invitations."""
    account = user()
    invitations: list[Invitation] = []
    if account.person_id is not None:
        invitations = list(
            db.session.scalars(
                select(Invitation)
                .join(Wave)
                .where(Invitation.person_id == account.person_id)
                .where(Invitation.withdrawn.is_(False))
                .order_by(Wave.opens_on.desc())
            )
        )
    return render_template(
        "respond/mine.html",
        invitations=invitations,
        today=today(),
        anonymous=SurveyMode.ANONYMOUS,
    )


@respond_bp.post("/my-surveys/<int:invitation_id>")
@login_required
def start_mine(invitation_id: int) -> ResponseReturnValue:
    """Answer one's own invitation without the emailed link."""
    invitation = db.session.get(Invitation, invitation_id)
    if (
        invitation is None
        or invitation.withdrawn
        or invitation.person_id != user().person_id
    ):
        abort(404)
    session[_SESSION_KEY] = invitation.id
    return redirect_after_post(url_for(".resume"))
