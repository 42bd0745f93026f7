"""The governance record's pages: meetings, agendas, attendance, minutes, decisions."""

from datetime import date
from datetime import time
from typing import cast

from flask import Blueprint
from flask import abort
from flask import flash
from flask import make_response
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
from governance.agreements import AgreementDocument
from governance.agreements import AgreementError
from governance.agreements import AgreementVersion
from governance.meetings import AttendanceStatus
from governance.meetings import Meeting
from governance.meetings import MeetingError
from governance.meetings import Minutes
from governance.meetings import MinutesConflictError
from governance.meetings import MinutesStatus
from governance.record_forms import ActionArisingForm
from governance.record_forms import ApproveForm
from governance.record_forms import AttendanceForm
from governance.record_forms import ConfirmForm
from governance.record_forms import DecisionForm
from governance.record_forms import MeetingForm
from governance.record_forms import MinutesForm
from governance.record_forms import SignForm
from portal import clock
from portal.access import can_edit_partnership
from portal.access import load_partnership
from portal.access import login_required
from portal.access import roles_by_partnership
from portal.access import user
from portal.access import visible_partnership_ids
from portal.errors import EditConflictError
from portal.extensions import db
from portal.htmx import redirect_after_post
from portal.htmx import render_page_or_partial
from portal.models import MemberRole
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
    )


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
    )
    return render_page_or_partial(
        "record/decisions.html",
        "record/_decisions.html",
        partnership=partnership,
        decisions=found,
        query=query,
    )


# A meeting ---------------------------------------------------------------------------


def _meeting_page(
    partnership: Partnership, meeting: Meeting, status: int = 200, **forms: object
) -> ResponseReturnValue:
    confidential = sees_confidential(partnership)
    items = meetings.visible_items(meeting, sees_confidential=confidential)
    minutes = meeting.minutes
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
        "partnership": partnership,
        "meeting": meeting,
        "items": items,
        "papers_visible": meetings.papers_visible(
            meeting, sees_confidential=confidential
        ),
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
        "matters": meetings.matters_arising(meeting),
        "quorum": meetings.quorum(meeting),
        "can_edit": can_edit,
        "later_meetings": later,
    }
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
        flash("Set up the partnership's board before scheduling meetings.", "error")
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
    if not sees_confidential(partnership):
        abort(403)
    minutes = _minutes(meeting_)
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
    )


def _memorandum_page(
    partnership: Partnership,
    agreement: Agreement,
    version: AgreementVersion,
    status: int = 200,
    sign_form: SignForm | None = None,
) -> ResponseReturnValue:
    can_edit = can_edit_partnership(user(), partnership)
    unsigned = agreements.unsigned_parties(version)
    if can_edit and sign_form is None and unsigned:
        sign_form = SignForm()
    if sign_form is not None:
        sign_form.organisation.choices = [(o.id, o.name) for o in unsigned]
    return render_template(
        "record/memorandum.html",
        partnership=partnership,
        agreement=agreement,
        version=version,
        unsigned=unsigned,
        can_edit=can_edit,
        sign_form=sign_form,
        money=agreements.money,
    ), status


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
        return _memorandum_page(partnership, agreement, version, 422, form)
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
        return _memorandum_page(partnership, agreement, version, error.status, form)
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
