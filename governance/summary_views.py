"""Board progress summary pages: read, print, download as PDF, draft, edit, publish, compare.

Who may do what (every route checks it, the PDF too):

- Board members and coordinators of the partnership, and site administrators,
  read its published summaries. Partner contacts of the partnership get 403;
  anyone else 404, as for a partnership that does not exist, and so does a
  summary id of another partnership under this partnership's address.
- Coordinators and administrators make drafts, edit their text, publish them
  to a meeting and discard them; board members get 403 on drafts.

The figures come from ``governance.summary``; this module only arranges them and
builds each figure's link to the page it comes from.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import Blueprint
from flask import Response
from flask import abort
from flask import flash
from flask import make_response
from flask import render_template
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from govuk_frontend_wtf.wtforms_widgets import GovTextArea
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from markupsafe import Markup
from sqlalchemy import select
from wtforms import StringField
from wtforms import SubmitField
from wtforms import TextAreaField
from wtforms.validators import Length

from governance import summary as summaries
from governance.meetings import Meeting
from governance.models import Rag
from governance.plan_forms import ListField
from governance.plan_forms import ReportDateField
from governance.summary import BoardSummary
from governance.summary import SummaryError
from portal.access import can_edit_partnership
from portal.access import load_partnership
from portal.access import login_required
from portal.access import roles_by_partnership
from portal.access import user
from portal.directory.forms import VersionedForm
from portal.errors import EditConflictError
from portal.errors import PortalError
from portal.extensions import db
from portal.fields import DateOptional
from portal.htmx import redirect_after_post
from portal.models import MemberRole
from portal.models import Partnership
from portal.models import User
from portal.urls import external_url
from surveys.release import min_base

bp = Blueprint("summaries", __name__)

READERS = frozenset({MemberRole.COORDINATOR, MemberRole.BOARD_MEMBER})


# Forms ----------------------------------------------------------------------------------


class DraftForm(FlaskForm):  # type: ignore[misc]
    """Start a draft: for a meeting (or the next one), as at a reporting date."""

    meeting = ListField(
        "Meeting it is for", invalid="Choose a meeting from the list, or none yet"
    )
    as_of = ReportDateField(
        "Figures as at",
        description=(
            "Leave blank for the last quarter end before the meeting. "
            "For example, 31 3 2019"
        ),
        validators=[DateOptional()],
    )
    since = ReportDateField(
        "Decisions from meetings held since",
        description="Leave blank to start from the last board meeting",
        validators=[DateOptional()],
    )
    title = StringField(
        "Title",
        description="Leave blank for a title from the meeting or the date",
        widget=GovTextInput(),
        validators=[Length(max=summaries.MAX_TITLE)],
    )
    submit = SubmitField("Create the draft", widget=GovSubmitInput())


class TextForm(VersionedForm):
    """The coordinator's wording of the summary."""

    text = TextAreaField(
        "Summary text",
        description=(
            "Leave a blank line between paragraphs. Clear it to go back to the "
            "text generated from the figures."
        ),
        widget=GovTextArea(),
        validators=[Length(max=summaries.MAX_TEXT)],
    )
    submit = SubmitField("Save the text", widget=GovSubmitInput())


class PublishForm(VersionedForm):
    """Publish a draft to a meeting's agenda."""

    meeting = ListField(
        "Meeting it is presented to", invalid="Choose a meeting from the list"
    )
    submit = SubmitField("Publish to the meeting", widget=GovSubmitInput())


class DiscardForm(VersionedForm):
    """Delete a draft."""

    submit = SubmitField("Discard the draft", widget=GovSubmitInput())


# Access ----------------------------------------------------------------------------------


def can_read(account: User, partnership: Partnership) -> bool:
    """Administrators, and the partnership's coordinators and board members."""
    if account.is_admin:
        return True
    return roles_by_partnership(account).get(partnership.id) in READERS


def can_manage(partnership: Partnership) -> bool:
    """Administrators and the partnership's coordinators."""
    return can_edit_partnership(user(), partnership)


def load(slug: str, *, manage: bool = False) -> Partnership:
    """The partnership: 404 if hidden from the account, 403 if it may not read or manage."""
    partnership = load_partnership(slug)
    if not can_read(user(), partnership):
        abort(403)
    if manage and not can_manage(partnership):
        abort(403)
    return partnership


def _summary(
    partnership: Partnership, summary_id: int, *, manage: bool = False
) -> BoardSummary:
    """The partnership's summary; another partnership's answers 404, a draft 403 to readers."""
    found = db.get_or_404(BoardSummary, summary_id)
    if found.partnership_id != partnership.id:
        abort(404)
    if (manage or not found.is_published) and not can_manage(partnership):
        abort(403)
    return found


@bp.app_template_global()
def summary_reader(partnership: Partnership | None = None) -> bool:
    """Whether the signed-in account reads summaries (of ``partnership``, or any)."""
    account = user()
    if not account.is_authenticated:
        return False
    if partnership is not None:
        return can_read(account, partnership)
    return account.is_admin or bool(
        set(roles_by_partnership(account).values()) & READERS
    )


@bp.app_template_global()
def summaries_on_agenda(meeting: Meeting) -> dict[int, BoardSummary]:
    """The published summaries on a meeting's agenda, by agenda item id."""
    return summaries.summaries_by_item(meeting)


@bp.app_template_global()
def source_url(source: Mapping[str, Any] | None) -> str:
    """The link to the page a figure comes from."""
    if not source:
        return ""
    url = url_for(source["endpoint"], **source["args"])
    return url + (f"#{source['anchor']}" if source.get("anchor") else "")


@bp.after_request
def _not_cached(response: Response) -> Response:
    """Summaries hold the board's papers: never cache them."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "day_text": summaries.day_text,
        "iso_day": lambda value: summaries.day_text(date.fromisoformat(value)),
        "paragraphs": summaries.paragraphs,
        "completion_headline": summaries.completion_headline,
        "rate_text": summaries.rate_text,
        "Rag": Rag,
    }


# Pages -----------------------------------------------------------------------------------


@bp.get("/summaries")
@login_required
def index() -> ResponseReturnValue:
    """The partnerships whose summaries the account reads, with the latest of each."""
    account = user()
    query = select(Partnership).where(Partnership.archived_at.is_(None))
    if not account.is_admin:
        ids = [
            pid
            for pid, role in roles_by_partnership(account).items()
            if role in READERS
        ]
        query = query.where(Partnership.id.in_(ids))
    rows = []
    for partnership in db.session.scalars(query.order_by(Partnership.name)):
        published = summaries.summaries_for(partnership, drafts=False)
        rows.append((partnership, published[0] if published else None))
    return render_template("summary/index.html", rows=rows)


@bp.get("/partnerships/<slug>/summaries")
@login_required
def listing(slug: str) -> ResponseReturnValue:
    """A partnership's summaries: published ones, and drafts for coordinators."""
    partnership = load(slug)
    manage = can_manage(partnership)
    found = summaries.summaries_for(partnership, drafts=manage)
    return render_template(
        "summary/list.html",
        partnership=partnership,
        summaries=found,
        can_manage=manage,
        published=[s for s in found if s.is_published],
    )


def _meeting_label(meeting: Meeting) -> str:
    return f"{meeting.title}, {summaries.day_text(meeting.held_on)}"


def _meeting_of(partnership: Partnership, meeting_id: int | None) -> Meeting | None:
    if meeting_id is None:
        return None
    found = db.session.get(Meeting, meeting_id)
    if found is None or found.partnership_id != partnership.id:
        abort(404)
    return found


@bp.route("/partnerships/<slug>/summaries/new", methods=["GET", "POST"])
@login_required
def new(slug: str) -> ResponseReturnValue:
    """Start a draft for a meeting, or for the next meeting."""
    partnership = load(slug, manage=True)
    form = DraftForm()
    choices = summaries.meeting_choices(partnership)
    form.meeting.choices = [("", "Not chosen yet (choose when publishing)")] + [
        (str(m.id), _meeting_label(m)) for m in choices
    ]
    if request.method == "GET" and request.args.get("meeting"):
        form.meeting.data = request.args["meeting"]
    status = 200
    if form.validate_on_submit():
        try:
            draft = summaries.create_draft(
                partnership,
                as_of=form.as_of.data,
                meeting=_meeting_of(partnership, form.meeting.id_or_none()),
                since=form.since.data,
                title=form.title.data or "",
                by=user(),
            )
        except SummaryError as error:
            db.session.rollback()
            form.since.errors.append(error.message)
            status = 422
        else:
            db.session.commit()
            flash("Draft created. Its figures stay live until it is published.")
            return redirect_after_post(
                url_for(".summary", slug=slug, summary_id=draft.id)
            )
    elif form.is_submitted():
        status = 422
    return render_template(
        "summary/new.html", partnership=partnership, form=form
    ), status


def _charts(found: BoardSummary, figures: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The charts as presented: frozen ones for a published summary, live for a draft."""
    if found.is_published:
        shown = [
            (chart.key, chart.title, chart.description, chart.svg)
            for chart in found.charts
        ]
    else:
        shown = [
            (chart.key, chart.title, chart.description, chart.svg)
            for chart in summaries.build_charts(figures, f"summary-{found.id}")
        ]
    return [
        {
            "key": key,
            "title": title,
            "description": description,
            # Our own SVG, sanitised by surveys.charts and frozen as it was drawn.
            "svg": Markup(svg),  # noqa: S704
        }
        for key, title, description, svg in shown
    ]


def _publish_form(
    partnership: Partnership, found: BoardSummary, form: PublishForm | None = None
) -> PublishForm:
    form = form or PublishForm(formdata=None, version=found.version)
    if found.meeting is not None:
        form.meeting.choices = [(str(found.meeting.id), _meeting_label(found.meeting))]
        form.meeting.data = str(found.meeting.id)
    else:
        form.meeting.choices = [("", "Choose a meeting")] + [
            (str(m.id), _meeting_label(m))
            for m in summaries.meeting_choices(partnership)
        ]
    return form


def _summary_page(
    partnership: Partnership,
    found: BoardSummary,
    status: int = 200,
    publish_form: PublishForm | None = None,
    problem: str = "",
) -> ResponseReturnValue:
    figures = summaries.live_figures(found, min_base=min_base())
    manage = can_manage(partnership)
    context: dict[str, Any] = {
        "partnership": partnership,
        "summary": found,
        "figures": figures,
        "text": summaries.current_text(found, figures),
        "charts": _charts(found, figures),
        "can_manage": manage,
        "stale": summaries.text_is_stale(found, figures),
        "problem": problem,
        "others": [
            s
            for s in summaries.summaries_for(partnership, drafts=manage)
            if s.id != found.id
        ],
    }
    if manage and not found.is_published:
        context["publish_form"] = _publish_form(partnership, found, publish_form)
        context["discard_form"] = DiscardForm(formdata=None, version=found.version)
    return render_template("summary/summary.html", **context), status


@bp.get("/partnerships/<slug>/summaries/<int:summary_id>")
@login_required
def summary(slug: str, summary_id: int) -> ResponseReturnValue:
    """One summary: frozen as presented once published, live while a draft."""
    partnership = load(slug)
    return _summary_page(partnership, _summary(partnership, summary_id))


@bp.get("/partnerships/<slug>/summaries/<int:summary_id>.pdf")
@login_required
def pdf(slug: str, summary_id: int) -> ResponseReturnValue:
    """The same summary as a PDF with selectable text; a published one as kept."""
    partnership = load(slug)
    found = _summary(partnership, summary_id)
    if not found.is_published:
        content = _pdf_content(found)
    elif found.pdf is not None:
        content = found.pdf
    else:
        # Published before PDFs were kept: build it once, then serve it as kept.
        content = _pdf_content(found)
        summaries.store_pdf(found, content)
        db.session.commit()
    response = make_response(content)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{partnership.slug}-summary-{found.id}.pdf"'
    )
    return response


def _pdf_content(found: BoardSummary) -> bytes:
    """Build ``found`` as a PDF: a draft as it stands, a published one as frozen."""
    # Imported here: fpdf2 costs about 50 MB that only a PDF request should pay.
    from governance import summary_pdf

    figures = summaries.live_figures(found, min_base=min_base())
    if found.is_published:
        images = {c.key: (c.title, c.description, c.png) for c in found.charts}
    else:
        images = {
            c.key: (c.title, c.description, c.png())
            for c in summaries.build_charts(figures, f"summary-{found.id}")
        }
    return summary_pdf.render(
        found,
        figures,
        summaries.current_text(found, figures),
        images,
        link=lambda source: (
            external_url(source["endpoint"], **source["args"])
            + (f"#{source['anchor']}" if source.get("anchor") else "")
        ),
        page_url=external_url(
            "summaries.summary", slug=found.partnership.slug, summary_id=found.id
        ),
    )


@bp.route(
    "/partnerships/<slug>/summaries/<int:summary_id>/text", methods=["GET", "POST"]
)
@login_required
def edit_text(slug: str, summary_id: int) -> ResponseReturnValue:
    """Edit the generated wording before publishing."""
    partnership = load(slug, manage=True)
    found = _summary(partnership, summary_id, manage=True)
    if found.is_published:
        raise summaries.SummaryPublishedError(
            "This summary has been published and is frozen as presented."
        )
    figures = summaries.live_figures(found, min_base=min_base())
    generated = summaries.summary_text(figures)
    form = TextForm(version=found.version, text=summaries.current_text(found, figures))
    status, problem = 200, ""
    if form.validate_on_submit():
        try:
            summaries.edit_text(
                found,
                form.text.data or "",
                figures=figures,
                opened_version=form.opened_version(),
            )
        except EditConflictError as error:
            db.session.rollback()
            status, problem = 409, error.message
            form.version.data = found.version
        except SummaryError as error:
            db.session.rollback()
            status, problem = error.status, error.message
        else:
            db.session.commit()
            flash("Summary text saved.", "success")
            return redirect_after_post(
                url_for(".summary", slug=slug, summary_id=found.id) + "#summary-text"
            )
    elif form.is_submitted():
        status = 422
    return render_template(
        "summary/text.html",
        partnership=partnership,
        summary=found,
        form=form,
        generated=generated,
        stale=summaries.text_is_stale(found, figures),
        problem=problem,
    ), status


@bp.post("/partnerships/<slug>/summaries/<int:summary_id>/publish")
@login_required
def publish(slug: str, summary_id: int) -> ResponseReturnValue:
    """Freeze the summary, put it on the meeting's agenda and email the board once."""
    partnership = load(slug, manage=True)
    found = _summary(partnership, summary_id, manage=True)
    if found.is_published:
        raise summaries.SummaryPublishedError(
            "This summary has already been published."
        )
    form = _publish_form(partnership, found, PublishForm())
    if not form.validate_on_submit():
        return _summary_page(partnership, found, 422, publish_form=form)
    try:
        summaries.publish(
            found,
            meeting=_meeting_of(partnership, form.meeting.id_or_none()),
            opened_version=form.opened_version(),
            by=user(),
            min_base=min_base(),
        )
        # Built now, from the frozen figures, so no download has to build it.
        summaries.store_pdf(found, _pdf_content(found))
        sent = summaries.notify_board(
            found, external_url("summaries.summary", slug=slug, summary_id=found.id)
        )
    except PortalError as error:
        db.session.rollback()
        return _summary_page(
            partnership, found, error.status, publish_form=form, problem=error.message
        )
    db.session.commit()
    flash(
        f"Published to the meeting's agenda; {sent} board "
        f"{'member was' if sent == 1 else 'members were'} emailed a link.",
        "success",
    )
    return redirect_after_post(url_for(".summary", slug=slug, summary_id=found.id))


@bp.post("/partnerships/<slug>/summaries/<int:summary_id>/discard")
@login_required
def discard(slug: str, summary_id: int) -> ResponseReturnValue:
    """Delete a draft."""
    partnership = load(slug, manage=True)
    found = _summary(partnership, summary_id, manage=True)
    form = DiscardForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        summaries.discard(found, opened_version=form.opened_version())
    except PortalError:
        db.session.rollback()
        raise
    db.session.commit()
    flash("Draft discarded.", "success")
    return redirect_after_post(url_for(".listing", slug=slug))


@bp.get("/partnerships/<slug>/summaries/compare")
@login_required
def compare(slug: str) -> ResponseReturnValue:
    """Two summaries side by side (by default the two latest the account may read)."""
    partnership = load(slug)
    manage = can_manage(partnership)
    available = summaries.summaries_for(partnership, drafts=manage)
    chosen = []
    for key, fallback in (("a", 1), ("b", 0)):
        wanted = request.args.get(key, type=int)
        if wanted is None:
            found = available[fallback] if len(available) > fallback else None
        else:
            found = _summary(partnership, wanted)
        chosen.append(found)
    first, second = chosen
    lines: list[summaries.Comparison] = []
    if first is not None and second is not None:
        older, newer = sorted((first, second), key=lambda s: (s.as_of, s.id))
        first, second = older, newer
        lines = summaries.compare(
            summaries.live_figures(first, min_base=min_base()),
            summaries.live_figures(second, min_base=min_base()),
        )
    return render_template(
        "summary/compare.html",
        partnership=partnership,
        available=available,
        first=first,
        second=second,
        lines=lines,
    )
