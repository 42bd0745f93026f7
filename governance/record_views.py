"""The governance record's pages: meetings, agendas, attendance, minutes, decisions."""

from datetime import date
from datetime import time
from datetime import timedelta
from typing import Any
from typing import cast

from flask import Blueprint
from flask import abort
from flask import flash
from flask import make_response
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from governance import agreements
from governance import ical
from governance import markdown
from governance import meetings
from governance import plans
from governance import uploads
from governance.agreements import Agreement
from governance.agreements import AgreementContent
from governance.agreements import AgreementDocument
from governance.agreements import AgreementError
from governance.agreements import AgreementStatus
from governance.agreements import AgreementVersion
from governance.agreements import Funding
from governance.agreements import PartyTerms
from governance.meetings import AgendaItem
from governance.meetings import AgendaPaper
from governance.meetings import AttendanceStatus
from governance.meetings import ItemKind
from governance.meetings import Meeting
from governance.meetings import MeetingBody
from governance.meetings import MeetingError
from governance.meetings import MeetingStatus
from governance.meetings import Minutes
from governance.meetings import MinutesConflictError
from governance.meetings import MinutesStatus
from governance.record_forms import MAX_ROWS
from governance.record_forms import ActionArisingForm
from governance.record_forms import AgreeForm
from governance.record_forms import ApproveForm
from governance.record_forms import AttendanceForm
from governance.record_forms import BodyForm
from governance.record_forms import CancelForm
from governance.record_forms import ConfirmForm
from governance.record_forms import DecisionForm
from governance.record_forms import DocumentForm
from governance.record_forms import EndForm
from governance.record_forms import ItemForm
from governance.record_forms import MeetingForm
from governance.record_forms import MembersForm
from governance.record_forms import MemorandumForm
from governance.record_forms import MinutesForm
from governance.record_forms import NewMemorandumForm
from governance.record_forms import PaperForm
from governance.record_forms import PeriodForm
from governance.record_forms import QuorumForm
from governance.record_forms import SignForm
from governance.record_forms import amount_text
from governance.record_forms import parse_amount
from portal import clock
from portal.access import can_edit_partnership
from portal.access import load_partnership
from portal.access import login_required
from portal.access import roles_by_partnership
from portal.access import user
from portal.access import visible_partnership_ids
from portal.errors import EditConflictError
from portal.extensions import db
from portal.htmx import is_partial_request
from portal.htmx import redirect_after_post
from portal.htmx import render_page_or_partial
from portal.models import MemberRole
from portal.models import Organisation
from portal.models import Participation
from portal.models import Partnership
from portal.models import Person

bp = Blueprint("record", __name__)

NOT_HAPPENED = (
    "Minutes can only be approved at a meeting that has taken place. "
    "Record the meeting as held first."
)


def today() -> date:
    """Today's date (patched in tests)."""
    return clock.today()


def sees_confidential(partnership: Partnership) -> bool:
    """Administrators, coordinators and board members see confidential papers."""
    account = user()
    if account.is_admin:
        return True
    return roles_by_partnership(account).get(partnership.id) not in (
        None,
        MemberRole.PARTNER_CONTACT,
    )


def readable_minutes(partnership: Partnership, meeting: Meeting) -> Minutes | None:
    """The meeting's minutes if the account may read them: drafts only for editors."""
    minutes = meeting.minutes
    editor = can_edit_partnership(user(), partnership)
    if minutes is None or not minutes.readable_by(editor=editor):
        return None
    return minutes


def _meeting(partnership: Partnership, meeting_id: int) -> Meeting:
    """The partnership's meeting; another partnership's answers 404."""
    meeting = db.get_or_404(Meeting, meeting_id)
    if meeting.partnership_id != partnership.id:
        abort(404)
    return meeting


def _people(partnership: Partnership) -> list[Person]:
    """People of the organisations taking part in the partnership."""
    orgs = select(Participation.organisation_id).where(
        Participation.partnership_id == partnership.id
    )
    return list(
        db.session.scalars(
            select(Person).where(Person.organisation_id.in_(orgs)).order_by(Person.name)
        )
    )


def _themes(partnership: Partnership, meeting: Meeting) -> list[tuple[int, str]]:
    """Theme choices from the action plan in force on the meeting's date."""
    strategy = meetings.plan_for(partnership, meeting.held_on)
    themes = strategy.themes if strategy else []
    return [(0, "The meeting's group's theme")] + [(t.id, t.name) for t in themes]


def _meeting_url(meeting: Meeting, anchor: str = "") -> str:
    url = url_for(
        "record.meeting", slug=meeting.partnership.slug, meeting_id=meeting.id
    )
    return url + (f"#{anchor}" if anchor else "")


# Lists -------------------------------------------------------------------------------


@bp.get("/meetings")
@login_required
def index() -> ResponseReturnValue:
    """The partnerships whose meetings the account may read."""
    visible = visible_partnership_ids(user())
    query = select(Partnership).where(Partnership.archived_at.is_(None))
    if visible is not None:
        query = query.where(Partnership.id.in_(visible))
    partnerships = db.session.scalars(query.order_by(Partnership.name))
    return render_template("record/index.html", partnerships=list(partnerships))


@bp.get("/partnerships/<slug>/meetings")
@login_required
def meetings_list(slug: str) -> ResponseReturnValue:
    """A partnership's meetings, by date."""
    partnership = load_partnership(slug)
    return render_template(
        "record/meetings.html",
        partnership=partnership,
        meetings=meetings.meetings_for(partnership),
        can_edit=can_edit_partnership(user(), partnership),
        sees_statistics=sees_confidential(partnership),
    )


# Boards and groups --------------------------------------------------------------------


def _member_choices(partnership: Partnership) -> list[tuple[str, str]]:
    return [
        (str(p.id), f"{p.name}, {p.organisation.name}") for p in _people(partnership)
    ]


def _boards_page(
    partnership: Partnership,
    *,
    body_form: BodyForm | None = None,
    quorum_form: QuorumForm | None = None,
    failed: tuple[int, MembersForm] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    """The partnership's boards and groups, their members, and its quorum."""
    choices = _member_choices(partnership)
    settings = meetings.settings_for(partnership)
    if quorum_form is None:
        quorum_form = QuorumForm(
            formdata=None,
            version=settings.version,
            count=settings.quorum_count,
            basis=settings.quorum_basis.value,
        )
    if body_form is None:
        body_form = BodyForm(formdata=None)
    body_form.members.choices = choices
    bodies = meetings.bodies_for(partnership)
    members_forms: dict[int, MembersForm] = {}
    for body in bodies:
        if failed is not None and failed[0] == body.id:
            form = failed[1]
        else:
            form = MembersForm(
                formdata=None,
                prefix=f"body-{body.id}",
                members=[str(p.id) for p in body.members],
            )
        form.members.choices = choices
        members_forms[body.id] = form
    db.session.commit()
    return render_template(
        "record/boards.html",
        partnership=partnership,
        bodies=bodies,
        settings=settings,
        body_form=body_form,
        quorum_form=quorum_form,
        members_forms=members_forms,
        can_edit=can_edit_partnership(user(), partnership),
    ), status


def _chosen_people(partnership: Partnership, ids: list[int]) -> list[Person]:
    people = {p.id: p for p in _people(partnership)}
    return [people[person_id] for person_id in ids if person_id in people]


@bp.get("/partnerships/<slug>/boards")
@login_required
def boards(slug: str) -> ResponseReturnValue:
    """Who meets: the partnership's board and groups, with members and quorum."""
    return _boards_page(load_partnership(slug))


@bp.post("/partnerships/<slug>/boards")
@login_required
def add_body(slug: str) -> ResponseReturnValue:
    """Add a board or group."""
    partnership = load_partnership(slug, edit=True)
    form = BodyForm()
    form.members.choices = _member_choices(partnership)
    if not form.validate_on_submit():
        return _boards_page(partnership, body_form=form, status=422)
    try:
        body = meetings.create_body(
            partnership,
            name=form.name.data,
            kind=meetings.BodyKind(form.kind.data),
            members=_chosen_people(partnership, form.members.ids()),
            quorum_count=form.quorum_count.data,
        )
    except MeetingError as error:
        db.session.rollback()
        form.name.errors = [str(error)]
        return _boards_page(partnership, body_form=form, status=422)
    db.session.commit()
    flash(f"{body.name} added.", "success")
    return redirect(url_for(".boards", slug=slug) + f"#body-{body.id}", code=303)


@bp.post("/partnerships/<slug>/boards/<int:body_id>/members")
@login_required
def body_members(slug: str, body_id: int) -> ResponseReturnValue:
    """Replace a board's or group's members."""
    partnership = load_partnership(slug, edit=True)
    body = db.get_or_404(MeetingBody, body_id)
    if body.partnership_id != partnership.id:
        abort(404)
    form = MembersForm(prefix=f"body-{body.id}")
    form.members.choices = _member_choices(partnership)
    if not form.validate_on_submit():
        return _boards_page(partnership, failed=(body.id, form), status=422)
    meetings.set_members(body, _chosen_people(partnership, form.members.ids()))
    db.session.commit()
    flash(f"Members of the {body.name} saved.", "success")
    return redirect(url_for(".boards", slug=slug) + f"#body-{body.id}", code=303)


@bp.post("/partnerships/<slug>/boards/quorum")
@login_required
def quorum(slug: str) -> ResponseReturnValue:
    """Set the partnership's quorum."""
    partnership = load_partnership(slug, edit=True)
    form = QuorumForm()
    if not form.validate_on_submit():
        return _boards_page(partnership, quorum_form=form, status=422)
    try:
        meetings.set_quorum(
            partnership,
            count=form.count.data,
            basis=meetings.QuorumBasis(form.basis.data),
            opened_version=form.opened_version(),
        )
    except EditConflictError as error:
        db.session.rollback()
        form.count.errors = [str(error)]
        return _boards_page(partnership, quorum_form=form, status=409)
    db.session.commit()
    flash("Quorum saved.", "success")
    return redirect(url_for(".boards", slug=slug) + "#quorum", code=303)


@bp.get("/partnerships/<slug>/meetings.ics")
@login_required
def calendar(slug: str) -> ResponseReturnValue:
    """The partnership's meetings as an iCalendar download."""
    partnership = load_partnership(slug)
    body = ical.ical(partnership, meetings.meetings_for(partnership))
    response = make_response(body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{partnership.slug}-meetings.ics"'
    )
    return response


@bp.get("/partnerships/<slug>/decisions")
@login_required
def decisions(slug: str) -> ResponseReturnValue:
    """The partnership's decision log, searchable."""
    partnership = load_partnership(slug)
    query = request.args.get("q", "").strip()[:200]
    found = meetings.search_decisions(
        {partnership.id},
        query,
        sees_confidential=sees_confidential(partnership),
        sees_drafts=can_edit_partnership(user(), partnership),
    )
    return render_page_or_partial(
        "record/decisions.html",
        "record/_decisions.html",
        partnership=partnership,
        decisions=found,
        query=query,
    )


# A meeting ---------------------------------------------------------------------------


def agenda_open(meeting: Meeting) -> bool:
    """Whether the agenda may still change: not cancelled, minutes not approved."""
    return meeting.status is not MeetingStatus.CANCELLED and (
        meeting.minutes is None or meeting.minutes.status.is_editable
    )


def _agenda_context(partnership: Partnership, meeting: Meeting) -> dict[str, object]:
    """What the agenda (``record/_agenda.html``) shows, on the page and as a fragment."""
    confidential = sees_confidential(partnership)
    items = meetings.visible_items(meeting, sees_confidential=confidential)
    movable = [item.id for item in items if item.kind is ItemKind.ITEM]
    return {
        "partnership": partnership,
        "meeting": meeting,
        "items": items,
        "movable": movable,
        "papers_visible": meetings.papers_visible(
            meeting, sees_confidential=confidential
        ),
        "matters": meetings.matters_arising(meeting),
        "can_edit": can_edit_partnership(user(), partnership),
        "agenda_open": agenda_open(meeting),
    }


def _presenters(people: list[Person]) -> list[tuple[int, str]]:
    return [(0, "No presenter")] + [(p.id, p.name) for p in people]


def _meeting_page(
    partnership: Partnership, meeting: Meeting, status: int = 200, **forms: object
) -> ResponseReturnValue:
    agenda = _agenda_context(partnership, meeting)
    items = cast(list[AgendaItem], agenda["items"])
    minutes = readable_minutes(partnership, meeting)
    rendered = {
        item.id: markdown.render(minutes.text_for(item)) if minutes else ""
        for item in items
    }
    item_ids = {item.id for item in items}
    can_edit = can_edit_partnership(user(), partnership)
    later = [
        m
        for m in meetings.meetings_for(partnership, body=meeting.body)
        if m.held_on > meeting.held_on
    ]
    context: dict[str, object] = {
        **agenda,
        "minutes": minutes,
        "rendered": rendered,
        "decisions": [
            d
            for d in (minutes.decisions if minutes else [])
            if d.agenda_item_id in item_ids
        ],
        "actions": [
            (item, action)
            for item, action in meetings.actions_arising(meeting)
            if item.id in item_ids
        ],
        "quorum": meetings.quorum(meeting),
        "later_meetings": later,
    }
    if can_edit and agenda["agenda_open"]:
        forms.setdefault("item_form", ItemForm(formdata=None))
        forms["item_form"].presenter.choices = _presenters(_people(partnership))  # type: ignore[attr-defined]
    if can_edit and meeting.status is MeetingStatus.SCHEDULED:
        forms.setdefault("cancel_form", CancelForm(formdata=None))
    if can_edit and minutes is not None:
        choices = [(item.id, item.title) for item in items]
        forms.setdefault("decision_form", DecisionForm(version=minutes.version))
        forms.setdefault("action_form", ActionArisingForm(version=minutes.version))
        forms.setdefault("approve_form", ApproveForm(version=minutes.version))
        forms.setdefault("circulate_form", ConfirmForm(version=minutes.version))
        forms["decision_form"].item.choices = choices  # type: ignore[attr-defined]
        forms["action_form"].item.choices = choices  # type: ignore[attr-defined]
        forms["action_form"].owner.choices = [  # type: ignore[attr-defined]
            (p.id, p.name) for p in _people(partnership)
        ]
        forms["action_form"].theme.choices = _themes(partnership, meeting)  # type: ignore[attr-defined]
        forms["approve_form"].at_meeting.choices = [  # type: ignore[attr-defined]
            (m.id, meetings.day_text(m.held_on)) for m in later
        ]
    context.update(forms)
    return render_template("record/meeting.html", **context), status


@bp.get("/partnerships/<slug>/meetings/<int:meeting_id>")
@login_required
def meeting(slug: str, meeting_id: int) -> ResponseReturnValue:
    """A meeting: agenda, attendance and quorum, minutes, decisions and actions."""
    partnership = load_partnership(slug)
    return _meeting_page(partnership, _meeting(partnership, meeting_id))


@bp.route("/partnerships/<slug>/meetings/new", methods=["GET", "POST"])
@login_required
def create_meeting(slug: str) -> ResponseReturnValue:
    """Schedule a meeting; its agenda starts with the two standing items."""
    partnership = load_partnership(slug, edit=True)
    form = MeetingForm()
    bodies = meetings.bodies_for(partnership)
    form.body.choices = [(b.id, b.name) for b in bodies]
    people = _people(partnership)
    form.chair.choices = [(0, "No chair yet")] + [(p.id, p.name) for p in people]
    if not bodies:
        flash(
            "Add the partnership's board under “Boards, groups and quorum” "
            "before scheduling meetings.",
            "error",
        )
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        body = next(b for b in bodies if b.id == form.body.data)
        chair = next((p for p in people if p.id == form.chair.data), None)
        starts = None
        if form.starts_at.data:
            hour, minute = form.starts_at.data.split(":")
            starts = time(int(hour), int(minute))
        try:
            new = meetings.create_meeting(
                body,
                held_on=cast(date, form.held_on.data),  # DateRequired: never None
                starts_at=starts,
                place=(form.place.data or "").strip(),
                link=(form.link.data or "").strip(),
                chair=chair,
                confidential=form.confidential.data,
            )
        except MeetingError as error:
            db.session.rollback()
            form.place.errors.append(error.message)
        else:
            db.session.commit()
            flash(
                f"{new.title} on {meetings.day_text(new.held_on)} created.", "success"
            )
            return redirect_after_post(_meeting_url(new))
    return render_template(
        "record/meeting_form.html", partnership=partnership, form=form
    ), status


@bp.post("/partnerships/<slug>/meetings/<int:meeting_id>/held")
@login_required
def mark_held(slug: str, meeting_id: int) -> ResponseReturnValue:
    """Record that the meeting took place (not before its date)."""
    partnership = load_partnership(slug, edit=True)
    meeting_ = _meeting(partnership, meeting_id)
    form = ConfirmForm()
    try:
        meetings.mark_held(
            meeting_, opened_version=form.opened_version() or None, today=today()
        )
    except MeetingError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _meeting_page(partnership, meeting_, 422)
    db.session.commit()
    flash("The meeting is recorded as held.", "success")
    return redirect_after_post(_meeting_url(meeting_))


@bp.route(
    "/partnerships/<slug>/meetings/<int:meeting_id>/attendance",
    methods=["GET", "POST"],
)
@login_required
def attendance(slug: str, meeting_id: int) -> ResponseReturnValue:
    """Record present, apologies or absent for each member."""
    partnership = load_partnership(slug, edit=True)
    meeting_ = _meeting(partnership, meeting_id)
    recorded = {a.person_id: a.status for a in meeting_.attendance}
    people = list(meeting_.body.members)
    people += [a.person for a in meeting_.attendance if a.person not in people]
    form = AttendanceForm(version=meeting_.version)
    status = 200
    problem = None
    if form.validate_on_submit():
        entries = []
        for person in people:
            value = request.form.get(f"person-{person.id}", "")
            if value in {s.value for s in AttendanceStatus}:
                entries.append((person, AttendanceStatus(value)))
        try:
            meetings.record_attendance(
                meeting_, entries, opened_version=form.opened_version()
            )
        except EditConflictError as error:
            db.session.rollback()
            status, problem = 409, error.message
        except MeetingError as error:
            db.session.rollback()
            status, problem = 422, error.message
        else:
            db.session.commit()
            flash("Attendance saved.", "success")
            return redirect_after_post(_meeting_url(meeting_, "attendance"))
        recorded = {p.id: s for p, s in entries}
    elif form.is_submitted():
        status = 422
    return render_template(
        "record/attendance.html",
        partnership=partnership,
        meeting=meeting_,
        people=people,
        recorded=recorded,
        statuses=list(AttendanceStatus),
        form=form,
        problem=problem,
    ), status


# Minutes -----------------------------------------------------------------------------


def _minutes(meeting: Meeting) -> Minutes:
    if meeting.minutes is None:
        abort(404)
    return meeting.minutes


@bp.route(
    "/partnerships/<slug>/meetings/<int:meeting_id>/minutes",
    methods=["GET", "POST"],
)
@login_required
def edit_minutes(slug: str, meeting_id: int) -> ResponseReturnValue:
    """Write the minutes per agenda item; approved minutes take a correction."""
    partnership = load_partnership(slug, edit=True)
    meeting_ = _meeting(partnership, meeting_id)
    if meeting_.minutes is None:
        if request.method == "POST":
            try:
                meetings.start_minutes(meeting_, by=user())
            except MeetingError as error:
                db.session.rollback()
                flash(error.message, "error")
                return _meeting_page(partnership, meeting_, 422)
            db.session.commit()
            return redirect_after_post(
                url_for(".edit_minutes", slug=slug, meeting_id=meeting_id)
            )
        abort(404)
    minutes = meeting_.minutes
    items = meeting_.items
    form = MinutesForm(version=minutes.version)
    texts = {item.id: minutes.text_for(item) for item in items}
    status = 200
    problem = None
    theirs: dict[int, str] = {}
    is_correction = minutes.status in (MinutesStatus.APPROVED, MinutesStatus.LOCKED)
    if form.validate_on_submit():
        texts = {item.id: request.form.get(f"item-{item.id}", "") for item in items}
        try:
            if is_correction:
                meetings.correct_minutes(
                    minutes,
                    texts,
                    reason=(form.reason.data or "").strip(),
                    opened_version=form.opened_version(),
                    by=user(),
                )
            else:
                meetings.edit_minutes(
                    minutes, texts, opened_version=form.opened_version(), by=user()
                )
        except MinutesConflictError as error:
            db.session.rollback()
            status, problem = 409, error.message
            theirs = error.theirs
            form.version.data = minutes.version
        except EditConflictError as error:
            db.session.rollback()
            status, problem = 409, error.message
            form.version.data = minutes.version
        except MeetingError as error:
            db.session.rollback()
            status, problem = error.status, error.message
        else:
            db.session.commit()
            flash("Minutes saved.", "success")
            return redirect_after_post(_meeting_url(meeting_, "minutes"))
    elif form.is_submitted():
        status = 422
    return render_template(
        "record/minutes_form.html",
        partnership=partnership,
        meeting=meeting_,
        minutes=minutes,
        items=items,
        texts=texts,
        theirs=theirs,
        form=form,
        problem=problem,
        is_correction=is_correction,
    ), status


def _minutes_change(slug: str, meeting_id: int) -> tuple[Partnership, Meeting, Minutes]:
    partnership = load_partnership(slug, edit=True)
    meeting_ = _meeting(partnership, meeting_id)
    return partnership, meeting_, _minutes(meeting_)


@bp.post("/partnerships/<slug>/meetings/<int:meeting_id>/minutes/circulate")
@login_required
def circulate(slug: str, meeting_id: int) -> ResponseReturnValue:
    """Draft → circulated to members."""
    partnership, meeting_, minutes = _minutes_change(slug, meeting_id)
    form = ConfirmForm()
    try:
        meetings.circulate_minutes(
            minutes, opened_version=form.opened_version(), by=user()
        )
    except (MeetingError, EditConflictError) as error:
        db.session.rollback()
        flash(error.message, "error")
        return _meeting_page(partnership, meeting_, error.status)
    db.session.commit()
    flash("Minutes circulated to members.", "success")
    return redirect_after_post(_meeting_url(meeting_, "minutes"))


@bp.post("/partnerships/<slug>/meetings/<int:meeting_id>/minutes/approve")
@login_required
def approve(slug: str, meeting_id: int) -> ResponseReturnValue:
    """Record approval at a later meeting that has taken place."""
    partnership, meeting_, minutes = _minutes_change(slug, meeting_id)
    form = ApproveForm()
    later = db.session.get(Meeting, request.form.get("at_meeting", type=int) or 0)
    if later is None or later.partnership_id != partnership.id:
        flash("Choose the later meeting at which the minutes were approved.", "error")
        return _meeting_page(partnership, meeting_, 422)
    if not later.has_happened:
        flash(NOT_HAPPENED, "error")
        return _meeting_page(partnership, meeting_, 422)
    try:
        meetings.approve_minutes(
            minutes,
            at_meeting=later,
            opened_version=form.opened_version(),
            by=user(),
            today=today(),
        )
    except (MeetingError, EditConflictError) as error:
        db.session.rollback()
        flash(error.message, "error")
        return _meeting_page(partnership, meeting_, error.status)
    db.session.commit()
    flash("Minutes approved.", "success")
    return redirect_after_post(_meeting_url(meeting_, "minutes"))


@bp.post("/partnerships/<slug>/meetings/<int:meeting_id>/decisions")
@login_required
def add_decision(slug: str, meeting_id: int) -> ResponseReturnValue:
    """Record a decision under an agenda item."""
    partnership = load_partnership(slug, edit=True)
    meeting_ = _meeting(partnership, meeting_id)
    minutes = _minutes(meeting_)
    form = DecisionForm()
    form.item.choices = [(item.id, item.title) for item in meeting_.items]
    if not form.validate_on_submit():
        return _meeting_page(partnership, meeting_, 422, decision_form=form)
    item = next(i for i in meeting_.items if i.id == form.item.data)
    try:
        meetings.record_decision(
            minutes,
            item,
            form.text.data.strip(),
            opened_version=form.opened_version(),
            by=user(),
        )
    except (MeetingError, EditConflictError) as error:
        db.session.rollback()
        form.text.errors.append(error.message)
        return _meeting_page(partnership, meeting_, error.status, decision_form=form)
    db.session.commit()
    flash("Decision recorded.", "success")
    return redirect_after_post(_meeting_url(meeting_, "decisions"))


@bp.post("/partnerships/<slug>/meetings/<int:meeting_id>/actions")
@login_required
def add_action(slug: str, meeting_id: int) -> ResponseReturnValue:
    """Add an action arising; it becomes an action of the partnership's plan."""
    partnership = load_partnership(slug, edit=True)
    meeting_ = _meeting(partnership, meeting_id)
    minutes = _minutes(meeting_)
    form = ActionArisingForm()
    people = _people(partnership)
    form.item.choices = [(item.id, item.title) for item in meeting_.items]
    form.owner.choices = [(p.id, p.name) for p in people]
    form.theme.choices = _themes(partnership, meeting_)
    if not form.validate_on_submit():
        return _meeting_page(partnership, meeting_, 422, action_form=form)
    item = next(i for i in meeting_.items if i.id == form.item.data)
    owner = next(p for p in people if p.id == form.owner.data)
    strategy = meetings.plan_for(partnership, meeting_.held_on)
    theme = next(
        (t for t in (strategy.themes if strategy else []) if t.id == form.theme.data),
        None,
    )
    try:
        meetings.add_action_arising(
            minutes,
            item,
            title=form.title.data.strip(),
            owner=owner,
            due_date=cast(date, form.due_date.data),
            theme=theme,
            opened_version=form.opened_version(),
            by=user(),
        )
    except (MeetingError, plans.PlanError, EditConflictError) as error:
        db.session.rollback()
        form.title.errors.append(error.message)
        return _meeting_page(partnership, meeting_, error.status, action_form=form)
    db.session.commit()
    flash("Action added to the action plan.", "success")
    return redirect_after_post(_meeting_url(meeting_, "actions"))


@bp.get("/partnerships/<slug>/meetings/<int:meeting_id>/minutes/history")
@login_required
def history(slug: str, meeting_id: int) -> ResponseReturnValue:
    """Every change to the minutes, with who and when."""
    partnership = load_partnership(slug)
    meeting_ = _meeting(partnership, meeting_id)
    # Draft minutes answer as if there were none yet (T24), before the 403 below.
    minutes = readable_minutes(partnership, meeting_)
    if minutes is None:
        abort(404)
    if not sees_confidential(partnership):
        abort(403)
    return render_template(
        "record/history.html",
        partnership=partnership,
        meeting=meeting_,
        minutes=minutes,
        events=meetings.minutes_history(minutes),
    )


# Memoranda ---------------------------------------------------------------------------


def _agreement(partnership: Partnership, agreement_id: int) -> Agreement:
    """The partnership's memorandum; another partnership's answers 404."""
    agreement = db.get_or_404(Agreement, agreement_id)
    if agreement.partnership_id != partnership.id:
        abort(404)
    return agreement


def _version(agreement: Agreement, number: int | None) -> AgreementVersion:
    if number is None:
        return agreement.current or agreement.latest
    found = next((v for v in agreement.versions if v.number == number), None)
    if found is None:
        abort(404)
    return found


@bp.get("/partnerships/<slug>/memoranda")
@login_required
def memoranda(slug: str) -> ResponseReturnValue:
    """The memoranda register: status, unsigned parties, reviews due, past end."""
    partnership = load_partnership(slug)
    return render_template(
        "record/memoranda.html",
        partnership=partnership,
        entries=agreements.register({partnership.id}, today()),
        ended=[
            agreement
            for agreement in agreements.agreements_for(partnership)
            if any(v.status is AgreementStatus.ENDED for v in agreement.versions)
        ],
        can_edit=can_edit_partnership(user(), partnership),
    )


def _memorandum_page(
    partnership: Partnership,
    agreement: Agreement,
    version: AgreementVersion,
    status: int = 200,
    **forms: object,
) -> ResponseReturnValue:
    can_edit = can_edit_partnership(user(), partnership)
    unsigned = agreements.unsigned_parties(version)
    signable = version.status in (AgreementStatus.DRAFT, AgreementStatus.AGREED)
    if can_edit:
        if unsigned and signable:
            forms.setdefault("sign_form", SignForm())
        if version.status is AgreementStatus.DRAFT:
            forms.setdefault("agree_form", AgreeForm(version=agreement.version))
        if version.status is AgreementStatus.AGREED:
            forms.setdefault("end_form", EndForm(version=agreement.version))
        forms.setdefault("document_form", DocumentForm())
    sign_form = forms.get("sign_form")
    if isinstance(sign_form, SignForm):
        sign_form.organisation.choices = [(o.id, o.name) for o in unsigned]
    shown = [forms.get(name) for name in FORM_ORDER]
    return render_template(
        "record/memorandum.html",
        partnership=partnership,
        agreement=agreement,
        version=version,
        unsigned=unsigned,
        can_edit=can_edit,
        money=agreements.money,
        failed=[form for form in shown if form is not None and form.errors],  # type: ignore[attr-defined]
        **{name: forms.get(name) for name in FORM_ORDER},
    ), status


#: The forms of a memorandum's page, in page order.
FORM_ORDER = ("agree_form", "sign_form", "document_form", "end_form")


@bp.get("/partnerships/<slug>/memoranda/<int:agreement_id>")
@login_required
def memorandum(slug: str, agreement_id: int) -> ResponseReturnValue:
    """A memorandum version (``?v=``, the current by default), its signatures and documents."""
    partnership = load_partnership(slug)
    agreement = _agreement(partnership, agreement_id)
    version = _version(agreement, request.args.get("v", type=int))
    return _memorandum_page(partnership, agreement, version)


@bp.get("/partnerships/<slug>/memoranda/<int:agreement_id>/diff")
@login_required
def memorandum_diff(slug: str, agreement_id: int) -> ResponseReturnValue:
    """Two versions side by side, with what changed between them."""
    partnership = load_partnership(slug)
    agreement = _agreement(partnership, agreement_id)
    numbers = sorted(v.number for v in agreement.versions)
    old = _version(agreement, request.args.get("old", numbers[0], type=int))
    new = _version(agreement, request.args.get("new", numbers[-1], type=int))
    return render_template(
        "record/memorandum_diff.html",
        partnership=partnership,
        agreement=agreement,
        diff=agreements.diff_versions(old, new),
        numbers=numbers,
    )


@bp.post("/partnerships/<slug>/memoranda/<int:agreement_id>/versions/<int:number>/sign")
@login_required
def sign(slug: str, agreement_id: int, number: int) -> ResponseReturnValue:
    """Record that a party organisation signed a version."""
    partnership = load_partnership(slug, edit=True)
    agreement = _agreement(partnership, agreement_id)
    version = _version(agreement, number)
    form = SignForm()
    unsigned = agreements.unsigned_parties(version)
    form.organisation.choices = [(o.id, o.name) for o in unsigned]
    if not form.validate_on_submit():
        return _memorandum_page(partnership, agreement, version, 422, sign_form=form)
    organisation = next(o for o in unsigned if o.id == form.organisation.data)
    try:
        agreements.sign(
            version,
            organisation=organisation,
            signatory_name=form.signatory_name.data.strip(),
            signatory_role=form.signatory_role.data.strip(),
            signed_on=cast(date, form.signed_on.data),
            by=user(),
            today=today(),
        )
    except (AgreementError, EditConflictError) as error:
        db.session.rollback()
        form.signed_on.errors.append(error.message)
        return _memorandum_page(
            partnership, agreement, version, error.status, sign_form=form
        )
    db.session.commit()
    flash(f"{organisation.name} has signed version {version.number}.", "success")
    return redirect_after_post(
        url_for(".memorandum", slug=slug, agreement_id=agreement.id, v=number)
    )


@bp.get("/partnerships/<slug>/memoranda/<int:agreement_id>/documents/<int:document_id>")
@login_required
def document(slug: str, agreement_id: int, document_id: int) -> ResponseReturnValue:
    """Download a memorandum's attached document, after checking access."""
    partnership = load_partnership(slug)
    agreement = _agreement(partnership, agreement_id)
    attached = db.get_or_404(AgreementDocument, document_id)
    if (
        attached.version.agreement_id != agreement.id
        or attached.file.partnership_id != partnership.id
    ):
        abort(404)
    response = make_response(uploads.read_bytes(attached.file))
    response.headers.update(uploads.download_headers(attached.file))
    return response


# Writing memoranda -------------------------------------------------------------------


def _organisations(
    partnership: Partnership, version: AgreementVersion | None = None
) -> dict[int, Organisation]:
    """The organisations a memorandum may name: the partnership's, and any already named."""
    found = {
        o.id: o
        for o in db.session.scalars(
            select(Organisation)
            .join(Participation, Participation.organisation_id == Organisation.id)
            .where(Participation.partnership_id == partnership.id)
        )
    }
    for organisation in version.party_organisations if version else []:
        found.setdefault(organisation.id, organisation)
    return dict(sorted(found.items(), key=lambda pair: pair[1].name.casefold()))


def _version_data(version: AgreementVersion, opened_version: int) -> dict[str, object]:
    """A version's content as form data, to start an edit or an amendment from."""
    return {
        "version": opened_version,
        "purpose": version.purpose,
        "scope": version.scope,
        "vision": version.vision,
        "decision_protocol": version.decision_protocol,
        "starts_on": version.starts_on,
        "review_on": version.review_on,
        "ends_on": version.ends_on,
        "change_note": version.change_note,
        "parties": [
            {
                "organisation": p.organisation_id,
                "role": p.role,
                "responsibilities": p.responsibilities,
            }
            for p in version.parties
        ],
        "funding": [
            {
                "organisation": f.organisation_id,
                "amount": amount_text(f.amount),
                "period": f.period,
                "caveat": f.caveat,
            }
            for f in version.funding
        ],
    }


def _with_blank_rows(form: MemorandumForm) -> None:
    """Leave a blank row at the end of the parties and of the funding."""
    for rows, which in ((form.parties, "party"), (form.funding, "funding")):
        if all(not entry.form.is_blank() for entry in rows):
            form.add_row(which)


def _read_memorandum(
    form: MemorandumForm, organisations: dict[int, Organisation]
) -> str | None:
    """For a posted form: "added" (a blank row was asked for), "valid" or "invalid"."""
    choices = [(o.id, o.name) for o in organisations.values()]
    form.set_organisations(choices)
    if not form.is_submitted():
        return None
    wanted = request.form.get("add")
    if wanted in ("party", "funding"):
        form.add_row(wanted)
        form.set_organisations(choices)
        return "added"
    return "valid" if form.validate_on_submit() else "invalid"


def _content(
    form: MemorandumForm, organisations: dict[int, Organisation]
) -> AgreementContent:
    """What the validated form says, for the agreements service."""
    return AgreementContent(
        purpose=form.purpose.data or "",
        starts_on=cast(date, form.starts_on.data),
        scope=form.scope.data or "",
        vision=form.vision.data or "",
        decision_protocol=form.decision_protocol.data or "",
        review_on=form.review_on.data,
        ends_on=form.ends_on.data,
        parties=[
            PartyTerms(
                organisations[row.organisation.data],
                row.role.data or "",
                row.responsibilities.data or "",
            )
            for row in form.party_rows()
        ],
        funding=[
            Funding(
                organisations[row.organisation.data],
                parse_amount(row.amount.data),
                row.period.data or "",
                row.caveat.data or "",
            )
            for row in form.funding_rows()
        ],
    )


def _place_error(form: MemorandumForm, message: str) -> None:
    """Show a message from the service beside the field it is about."""
    lowered = message.lower()
    for words, name in (
        ("end date", "ends_on"),
        ("review date", "review_on"),
        ("purpose", "purpose"),
        ("title", "title"),
    ):
        field = getattr(form, name, None)
        if words in lowered and field is not None:
            field.errors.append(message)
            return
    form.form_errors.append(message)


def _memorandum_form(
    partnership: Partnership,
    form: MemorandumForm,
    *,
    heading: str,
    status: int,
    agreement: Agreement | None = None,
    number: int | None = None,
    problem: str | None = None,
    added: str | None = None,
) -> ResponseReturnValue:
    cancel = (
        url_for(".memorandum", slug=partnership.slug, agreement_id=agreement.id)
        if agreement
        else url_for(".memoranda", slug=partnership.slug)
    )
    return render_template(
        "record/memorandum_form.html",
        partnership=partnership,
        agreement=agreement,
        form=form,
        heading=heading,
        number=number,
        problem=problem,
        added=added,
        cancel=cancel,
        max_rows=MAX_ROWS,
    ), status


def _memorandum_url(agreement: Agreement, number: int | None = None) -> str:
    return url_for(
        ".memorandum",
        slug=agreement.partnership.slug,
        agreement_id=agreement.id,
        v=number,
    )


@bp.route("/partnerships/<slug>/memoranda/new", methods=["GET", "POST"])
@login_required
def create_memorandum(slug: str) -> ResponseReturnValue:
    """Start a memorandum: its title and a draft version 1."""
    partnership = load_partnership(slug, edit=True)
    organisations = _organisations(partnership)
    form = NewMemorandumForm()
    state = _read_memorandum(form, organisations)
    status = {"invalid": 422}.get(state or "", 200)
    if state == "valid":
        try:
            agreement = agreements.create_agreement(
                partnership,
                title=form.title.data or "",
                content=_content(form, organisations),
                by=user(),
            )
        except AgreementError as error:
            db.session.rollback()
            _place_error(form, error.message)
            status = error.status
        else:
            db.session.commit()
            flash(f"{agreement.title}: draft version 1 saved.", "success")
            return redirect_after_post(_memorandum_url(agreement, 1))
    return _memorandum_form(
        partnership,
        form,
        heading="Start a memorandum of understanding",
        status=status,
        added=request.form.get("add") if state == "added" else None,
    )


@bp.route(
    "/partnerships/<slug>/memoranda/<int:agreement_id>/draft",
    methods=["GET", "POST"],
)
@login_required
def edit_memorandum(slug: str, agreement_id: int) -> ResponseReturnValue:
    """Change the draft version; a stale form keeps its text and says who won."""
    partnership = load_partnership(slug, edit=True)
    agreement = _agreement(partnership, agreement_id)
    draft = agreement.draft
    if draft is None and request.method == "GET":
        flash(
            "There is no draft to change: amend the memorandum to make a new version.",
            "error",
        )
        return redirect(_memorandum_url(agreement))
    organisations = _organisations(partnership, draft)
    if request.method == "GET" and draft is not None:
        form = MemorandumForm(data=_version_data(draft, agreement.version))
    else:
        form = MemorandumForm()
    state = _read_memorandum(form, organisations)
    if state is None:
        _with_blank_rows(form)
        form.set_organisations([(o.id, o.name) for o in organisations.values()])
    status = {"invalid": 422}.get(state or "", 200)
    problem = None
    if state == "valid" and draft is None:
        # Agreed by someone else since the form was opened.
        status, problem = 409, agreements.CONFLICT_MESSAGE
        form.version.data = agreement.version
    elif state == "valid" and draft is not None:
        try:
            agreements.update_draft(
                draft,
                opened_version=form.opened_version(),
                content=_content(form, organisations),
                change_note=form.change_note.data if draft.number > 1 else None,
                by=user(),
            )
        except EditConflictError as error:
            db.session.rollback()
            status, problem = error.status, error.message
            form.version.data = agreement.version
        except AgreementError as error:
            db.session.rollback()
            _place_error(form, error.message)
            status = error.status
        else:
            db.session.commit()
            flash(f"Draft version {draft.number} saved.", "success")
            return redirect_after_post(_memorandum_url(agreement, draft.number))
    number = draft.number if draft else agreement.latest.number
    return _memorandum_form(
        partnership,
        form,
        heading=f"Change draft version {number}",
        status=status,
        agreement=agreement,
        number=number,
        problem=problem,
        added=request.form.get("add") if state == "added" else None,
    )


@bp.route(
    "/partnerships/<slug>/memoranda/<int:agreement_id>/amend",
    methods=["GET", "POST"],
)
@login_required
def amend_memorandum(slug: str, agreement_id: int) -> ResponseReturnValue:
    """Make the next version from the agreed one: the form starts as a copy of it."""
    partnership = load_partnership(slug, edit=True)
    agreement = _agreement(partnership, agreement_id)
    current = agreement.current
    if request.method == "GET":
        if agreement.draft is not None:
            flash(
                f"Version {agreement.draft.number} is already being drafted: "
                "change that draft instead.",
                "error",
            )
            return redirect(
                url_for(".edit_memorandum", slug=slug, agreement_id=agreement_id)
            )
        if current is None:
            flash("Only an agreed memorandum can be amended.", "error")
            return redirect(_memorandum_url(agreement))
        data = _version_data(current, agreement.version) | {"change_note": ""}
        form = MemorandumForm(data=data)
    else:
        form = MemorandumForm()
    organisations = _organisations(partnership, current)
    state = _read_memorandum(form, organisations)
    if state is None:
        _with_blank_rows(form)
        form.set_organisations([(o.id, o.name) for o in organisations.values()])
    status = {"invalid": 422}.get(state or "", 200)
    problem = None
    if state == "valid":
        try:
            new = agreements.amend(
                agreement,
                opened_version=form.opened_version(),
                change_note=form.change_note.data or "",
                by=user(),
            )
            agreements.update_draft(
                new,
                opened_version=agreement.version,
                content=_content(form, organisations),
                by=user(),
            )
        except EditConflictError as error:
            db.session.rollback()
            status, problem = error.status, error.message
            form.version.data = agreement.version
        except AgreementError as error:
            db.session.rollback()
            _place_error(form, error.message)
            status = error.status
        else:
            db.session.commit()
            flash(f"Draft version {new.number} saved.", "success")
            return redirect_after_post(_memorandum_url(agreement, new.number))
    number = agreement.latest.number + 1
    return _memorandum_form(
        partnership,
        form,
        heading=f"Amend the memorandum: version {number}",
        status=status,
        agreement=agreement,
        number=number,
        problem=problem,
        added=request.form.get("add") if state == "added" else None,
    )


def _version_change(
    slug: str, agreement_id: int, number: int
) -> tuple[Partnership, Agreement, AgreementVersion]:
    partnership = load_partnership(slug, edit=True)
    agreement = _agreement(partnership, agreement_id)
    return partnership, agreement, _version(agreement, number)


@bp.post(
    "/partnerships/<slug>/memoranda/<int:agreement_id>/versions/<int:number>/agree"
)
@login_required
def agree_memorandum(slug: str, agreement_id: int, number: int) -> ResponseReturnValue:
    """Record that the partners agreed the draft; the version it replaces is superseded."""
    partnership, agreement, version = _version_change(slug, agreement_id, number)
    form = AgreeForm()
    if not form.validate_on_submit():
        return _memorandum_page(partnership, agreement, version, 422, agree_form=form)
    try:
        agreements.agree(
            version,
            opened_version=form.opened_version(),
            agreed_on=cast(date, form.agreed_on.data),
            by=user(),
            today=today(),
        )
    except (AgreementError, EditConflictError) as error:
        db.session.rollback()
        form.agreed_on.errors.append(error.message)
        form.version.data = agreement.version
        return _memorandum_page(
            partnership, agreement, version, error.status, agree_form=form
        )
    db.session.commit()
    flash(f"Version {number} is agreed and now in force.", "success")
    return redirect_after_post(_memorandum_url(agreement, number))


@bp.post("/partnerships/<slug>/memoranda/<int:agreement_id>/versions/<int:number>/end")
@login_required
def end_memorandum(slug: str, agreement_id: int, number: int) -> ResponseReturnValue:
    """Bring the memorandum in force to an end, with the date and the reason."""
    partnership, agreement, version = _version_change(slug, agreement_id, number)
    form = EndForm()
    valid = form.validate_on_submit()
    if valid and cast(date, form.ended_on.data) > today():
        form.ended_on.errors.append("The date it ended cannot be in the future")
        valid = False
    if not valid:
        return _memorandum_page(partnership, agreement, version, 422, end_form=form)
    try:
        agreements.end_agreement(
            version,
            opened_version=form.opened_version(),
            ended_on=cast(date, form.ended_on.data),
            reason=form.reason.data or "",
            by=user(),
        )
    except (AgreementError, EditConflictError) as error:
        db.session.rollback()
        form.ended_on.errors.append(error.message)
        form.version.data = agreement.version
        return _memorandum_page(
            partnership, agreement, version, error.status, end_form=form
        )
    db.session.commit()
    flash(f"{agreement.title} has ended.", "success")
    return redirect_after_post(_memorandum_url(agreement, number))


@bp.post(
    "/partnerships/<slug>/memoranda/<int:agreement_id>/versions/<int:number>/documents"
)
@login_required
def attach_document(slug: str, agreement_id: int, number: int) -> ResponseReturnValue:
    """Attach a document to a version, checked by its content; nothing kept if refused."""
    partnership, agreement, version = _version_change(slug, agreement_id, number)
    form = DocumentForm()
    if not form.validate_on_submit():
        return _memorandum_page(
            partnership, agreement, version, 422, document_form=form
        )
    upload = form.file.data
    try:
        attached = agreements.attach_document(
            version,
            upload.stream,
            upload.filename or "",
            description=form.description.data or "",
            by=user(),
        )
    except (uploads.UploadError, AgreementError, EditConflictError) as error:
        db.session.rollback()
        form.file.errors.append(error.message)
        return _memorandum_page(
            partnership, agreement, version, error.status, document_form=form
        )
    db.session.commit()
    flash(f"{attached.file.display_name} attached to version {number}.", "success")
    return redirect_after_post(_memorandum_url(agreement, number) + "#documents")


# Agenda ------------------------------------------------------------------------------


def _item(meeting: Meeting, item_id: int) -> AgendaItem:
    """The meeting's agenda item; any other answers 404."""
    item = db.get_or_404(AgendaItem, item_id)
    if item.meeting_id != meeting.id:
        abort(404)
    return item


def _agenda_fragment(
    partnership: Partnership,
    meeting: Meeting,
    status: int = 200,
    problem: str | None = None,
    moved: tuple[int, str] | None = None,
) -> ResponseReturnValue:
    """The agenda alone, for htmx to swap in place (with the meeting's new version)."""
    response = make_response(
        render_template(
            "record/_agenda.html",
            **_agenda_context(partnership, meeting),
            agenda_problem=problem,
            moved=moved,
            fragment=True,
        ),
        status,
    )
    response.vary.add("HX-Request")
    return response


@bp.post("/partnerships/<slug>/meetings/<int:meeting_id>/items")
@login_required
def add_item(slug: str, meeting_id: int) -> ResponseReturnValue:
    """Add an item at the end of the agenda."""
    partnership = load_partnership(slug, edit=True)
    meeting_ = _meeting(partnership, meeting_id)
    people = _people(partnership)
    form = ItemForm()
    form.presenter.choices = _presenters(people)
    if not form.validate_on_submit():
        return _meeting_page(partnership, meeting_, 422, item_form=form)
    try:
        item = meetings.add_item(
            meeting_,
            title=form.title.data or "",
            presenter=next((p for p in people if p.id == form.presenter.data), None),
            duration_minutes=form.duration_minutes.data,
            description=form.description.data or "",
            confidential=form.confidential.data,
        )
    except (MeetingError, EditConflictError) as error:
        db.session.rollback()
        form.title.errors.append(error.message)
        return _meeting_page(partnership, meeting_, error.status, item_form=form)
    db.session.commit()
    flash(f"“{item.title}” added to the agenda.", "success")
    return redirect_after_post(_meeting_url(meeting_, f"item-{item.id}"))


def _item_form(item: AgendaItem) -> ItemForm:
    """The item's form, filled from what is saved."""
    return ItemForm(
        formdata=None,
        data={
            "version": item.meeting.version,
            "title": item.title,
            "presenter": item.presenter_id or 0,
            "duration_minutes": item.duration_minutes,
            "description": item.description,
            "confidential": item.confidential,
        },
    )


def _item_page(
    partnership: Partnership,
    meeting: Meeting,
    item: AgendaItem,
    form: ItemForm,
    status: int = 200,
    *,
    paper_form: PaperForm | None = None,
    problem: str | None = None,
) -> ResponseReturnValue:
    form.submit.label.text = "Save item"
    return render_template(
        "record/item_form.html",
        partnership=partnership,
        meeting=meeting,
        item=item,
        form=form,
        paper_form=paper_form or PaperForm(formdata=None),
        problem=problem,
        agenda_open=agenda_open(meeting),
    ), status


@bp.route(
    "/partnerships/<slug>/meetings/<int:meeting_id>/items/<int:item_id>",
    methods=["GET", "POST"],
)
@login_required
def edit_item(slug: str, meeting_id: int, item_id: int) -> ResponseReturnValue:
    """Change an agenda item, and attach its papers."""
    partnership = load_partnership(slug, edit=True)
    meeting_ = _meeting(partnership, meeting_id)
    item = _item(meeting_, item_id)
    people = _people(partnership)
    form = _item_form(item) if request.method == "GET" else ItemForm()
    form.presenter.choices = _presenters(people)
    if not form.validate_on_submit():
        return _item_page(
            partnership, meeting_, item, form, 422 if form.is_submitted() else 200
        )
    try:
        meetings.update_item(
            item,
            opened_version=form.opened_version(),
            title=form.title.data or "",
            presenter=next((p for p in people if p.id == form.presenter.data), None),
            duration_minutes=form.duration_minutes.data,
            description=form.description.data or "",
            confidential=form.confidential.data,
        )
    except (MeetingError, EditConflictError) as error:
        db.session.rollback()
        form.version.data = meeting_.version
        return _item_page(
            partnership, meeting_, item, form, error.status, problem=error.message
        )
    db.session.commit()
    flash(f"“{item.title}” saved.", "success")
    return redirect_after_post(_meeting_url(meeting_, f"item-{item.id}"))


@bp.post("/partnerships/<slug>/meetings/<int:meeting_id>/items/<int:item_id>/move")
@login_required
def move_item(slug: str, meeting_id: int, item_id: int) -> ResponseReturnValue:
    """Move an item up or down; htmx swaps the agenda, a plain post reloads the page."""
    partnership = load_partnership(slug, edit=True)
    meeting_ = _meeting(partnership, meeting_id)
    item = _item(meeting_, item_id)
    direction = {"up": -1, "down": 1}.get(request.form.get("direction", ""))
    if direction is None:
        abort(400)
    try:
        meetings.move_item(item, direction)
    except (MeetingError, EditConflictError) as error:
        db.session.rollback()
        if is_partial_request():
            return _agenda_fragment(partnership, meeting_, error.status, error.message)
        flash(error.message, "error")
        return _meeting_page(partnership, meeting_, error.status)
    db.session.commit()
    if is_partial_request():
        moved = (item.id, request.form["direction"])
        return _agenda_fragment(partnership, meeting_, moved=moved)
    return redirect_after_post(_meeting_url(meeting_, f"item-{item.id}"))


@bp.post("/partnerships/<slug>/meetings/<int:meeting_id>/items/<int:item_id>/remove")
@login_required
def remove_item(slug: str, meeting_id: int, item_id: int) -> ResponseReturnValue:
    """Take an item off the agenda (refused once it has minutes, decisions or actions)."""
    partnership = load_partnership(slug, edit=True)
    meeting_ = _meeting(partnership, meeting_id)
    item = _item(meeting_, item_id)
    title = item.title
    try:
        meetings.remove_item(item)
    except (MeetingError, EditConflictError) as error:
        db.session.rollback()
        flash(error.message, "error")
        return _meeting_page(partnership, meeting_, error.status)
    db.session.commit()
    flash(f"“{title}” removed from the agenda.", "success")
    return redirect_after_post(_meeting_url(meeting_, "agenda"))


@bp.post("/partnerships/<slug>/meetings/<int:meeting_id>/items/<int:item_id>/papers")
@login_required
def attach_paper(slug: str, meeting_id: int, item_id: int) -> ResponseReturnValue:
    """Attach a paper to an agenda item, checked by its content; nothing kept if refused."""
    partnership = load_partnership(slug, edit=True)
    meeting_ = _meeting(partnership, meeting_id)
    item = _item(meeting_, item_id)
    item_form = _item_form(item)
    item_form.presenter.choices = _presenters(_people(partnership))
    form = PaperForm()
    if not form.validate_on_submit():
        return _item_page(partnership, meeting_, item, item_form, 422, paper_form=form)
    upload = form.file.data
    try:
        paper = meetings.attach_paper(
            item,
            upload.stream,
            upload.filename or "",
            title=form.title.data or "",
            by=user(),
        )
    except (uploads.UploadError, MeetingError, EditConflictError) as error:
        db.session.rollback()
        form.file.errors.append(error.message)
        return _item_page(
            partnership, meeting_, item, item_form, error.status, paper_form=form
        )
    db.session.commit()
    flash(f"“{paper.title}” attached to “{item.title}”.", "success")
    return redirect_after_post(
        url_for(".edit_item", slug=slug, meeting_id=meeting_id, item_id=item_id)
        + "#papers"
    )


def _paper(partnership: Partnership, meeting: Meeting, paper_id: int) -> AgendaPaper:
    """The meeting's paper; another meeting's or partnership's answers 404."""
    found = db.get_or_404(AgendaPaper, paper_id)
    if (
        found.item.meeting_id != meeting.id
        or found.file.partnership_id != partnership.id
    ):
        abort(404)
    return found


@bp.post(
    "/partnerships/<slug>/meetings/<int:meeting_id>/items/<int:item_id>/papers/remove"
)
@login_required
def remove_paper(slug: str, meeting_id: int, item_id: int) -> ResponseReturnValue:
    """Take a paper (``paper`` in the form) off its item, until the minutes are approved."""
    partnership = load_partnership(slug, edit=True)
    meeting_ = _meeting(partnership, meeting_id)
    item = _item(meeting_, item_id)
    found = _paper(partnership, meeting_, request.form.get("paper", 0, type=int))
    if found.agenda_item_id != item.id:
        abort(404)
    try:
        title = meetings.remove_paper(found)
    except (MeetingError, EditConflictError) as error:
        db.session.rollback()
        return _item_page(
            partnership,
            meeting_,
            item,
            _item_form(item),
            error.status,
            problem=error.message,
        )
    db.session.commit()
    flash(f"“{title}” removed from “{item.title}”.", "success")
    return redirect_after_post(
        url_for(".edit_item", slug=slug, meeting_id=meeting_id, item_id=item.id)
        + "#papers"
    )


@bp.get("/partnerships/<slug>/meetings/<int:meeting_id>/papers/<int:paper_id>")
@login_required
def paper(slug: str, meeting_id: int, paper_id: int) -> ResponseReturnValue:
    """Download a paper; confidential ones are hidden from partner contacts."""
    partnership = load_partnership(slug)
    meeting_ = _meeting(partnership, meeting_id)
    found = _paper(partnership, meeting_, paper_id)
    item = found.item
    confidential = sees_confidential(partnership)
    if not meetings.papers_visible(meeting_, sees_confidential=confidential) or (
        item.confidential and not confidential
    ):
        abort(404)
    response = make_response(uploads.read_bytes(found.file))
    response.headers.update(uploads.download_headers(found.file))
    return response


@bp.post("/partnerships/<slug>/meetings/<int:meeting_id>/cancel")
@login_required
def cancel_meeting(slug: str, meeting_id: int) -> ResponseReturnValue:
    """Call off a scheduled meeting, giving the reason."""
    partnership = load_partnership(slug, edit=True)
    meeting_ = _meeting(partnership, meeting_id)
    form = CancelForm()
    if not form.validate_on_submit():
        return _meeting_page(partnership, meeting_, 422, cancel_form=form)
    try:
        meetings.cancel_meeting(meeting_, reason=form.reason.data or "")
    except (MeetingError, EditConflictError) as error:
        db.session.rollback()
        form.reason.errors.append(error.message)
        return _meeting_page(partnership, meeting_, error.status, cancel_form=form)
    db.session.commit()
    flash(
        f"The meeting on {meetings.day_text(meeting_.held_on)} is cancelled.",
        "success",
    )
    return redirect_after_post(_meeting_url(meeting_))


# Attendance statistics ---------------------------------------------------------------


@bp.get("/partnerships/<slug>/attendance")
@login_required
def attendance_statistics(slug: str) -> ResponseReturnValue:
    """Attendance per organisation over a period, for board members and coordinators."""
    partnership = load_partnership(slug)
    if not sees_confidential(partnership):
        abort(403)
    bodies = meetings.bodies_for(partnership)
    form = PeriodForm(request.args)
    form.body.choices = [(0, "All boards and groups")] + [
        (b.id, b.name) for b in bodies
    ]
    context: dict[str, object] = {"partnership": partnership, "form": form}
    if not form.validate():
        return render_template(
            "record/attendance_statistics.html", rows=None, **context
        ), 400
    end = form.end.data or _show_date(form.end, today())
    start = form.start.data or _show_date(form.start, end - timedelta(days=365))
    if end < start:
        form.end.errors = ["The end of the period must be on or after its start"]
        return render_template(
            "record/attendance_statistics.html", rows=None, **context
        ), 400
    body = next((b for b in bodies if b.id == form.body.data), None)
    rows = meetings.attendance_by_organisation(
        partnership, start=start, end=end, body=body
    )
    return render_template(
        "record/attendance_statistics.html",
        rows=rows,
        held=rows[0].meetings if rows else 0,
        start=start,
        end=end,
        body=body,
        day_text=meetings.day_text,
        **context,
    )


def _show_date(field: Any, day: date) -> date:
    """Fill a blank date field with the default it stands for, and return it."""
    field.data = day
    field.raw_data = None
    return day
