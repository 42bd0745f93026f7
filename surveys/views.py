"""Survey pages: the coordinator's questionnaire, waves, sample, messages and rates."""

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
from sqlalchemy import select

from portal import clock
from portal.access import editable_partnership_ids
from portal.access import login_required
from portal.access import user
from portal.errors import EditConflictError
from portal.extensions import db
from portal.htmx import is_partial_request
from portal.htmx import redirect_after_post
from portal.htmx import render_page_or_partial
from portal.models import Partnership
from portal.models import Person
from portal.models import Programme
from surveys import fieldwork
from surveys import instrument
from surveys import services
from surveys import transfer
from surveys.access import can_run
from surveys.access import can_see_respondents
from surveys.access import load_survey
from surveys.access import load_wave
from surveys.access import visible_surveys
from surveys.forms import CHOICE_TYPES
from surveys.forms import ConfirmImportForm
from surveys.forms import ItemForm
from surveys.forms import MessageForm
from surveys.forms import SampleForm
from surveys.forms import SectionForm
from surveys.forms import SurveyForm
from surveys.forms import UploadForm
from surveys.forms import WaveForm
from surveys.models import Invitation
from surveys.models import Item
from surveys.models import ItemType
from surveys.models import MessageKind
from surveys.models import Response as SurveyResponse
from surveys.models import Section
from surveys.models import Survey
from surveys.models import SurveyMode
from surveys.models import Wave
from surveys.models import WaveOverride

bp = Blueprint("surveys", __name__, url_prefix="/surveys")

#: As ``services`` words it when it refuses a change to a locked questionnaire.
LOCKED = (
    "This questionnaire has answers, so its questions cannot be added, "
    "removed, reordered or change type. You can still edit their wording."
)


def today() -> date:
    """Today's date (patched in tests)."""
    return clock.today()


def _download(content: str | bytes, filename: str, mimetype: str) -> Response:
    response = make_response(content)
    response.headers["Content-Type"] = mimetype
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# Surveys ----------------------------------------------------------------------------


@bp.get("")
@login_required
def index() -> ResponseReturnValue:
    """Surveys the account can see."""
    account = user()
    editable = editable_partnership_ids(account)
    return render_template(
        "surveys/index.html",
        surveys=visible_surveys(account),
        can_create=editable is None or bool(editable),
    )


def _scope_choices() -> list[tuple[str, str]]:
    account = user()
    editable = editable_partnership_ids(account)
    query = select(Partnership).where(Partnership.archived_at.is_(None))
    if editable is not None:
        query = query.where(Partnership.id.in_(editable))
    choices = [
        (f"partnership:{p.slug}", p.name)
        for p in db.session.scalars(query.order_by(Partnership.name))
    ]
    if account.is_admin:
        choices += [
            (f"programme:{p.slug}", f"Every partnership in {p.name}")
            for p in db.session.scalars(
                select(Programme)
                .where(Programme.archived_at.is_(None))
                .order_by(Programme.name)
            )
        ]
    return choices


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create() -> ResponseReturnValue:
    """Start a survey, from the Partnership working survey or from nothing."""
    scopes = _scope_choices()
    if not scopes:
        abort(403)
    form = SurveyForm(scopes=scopes)
    if form.validate_on_submit():
        kind, _, slug = form.scope.data.partition(":")
        partnership = programme = None
        if kind == "partnership":
            partnership = db.session.scalar(
                select(Partnership).where(Partnership.slug == slug)
            )
        else:
            programme = db.session.scalar(
                select(Programme).where(Programme.slug == slug)
            )
        try:
            if form.start_from.data == "template":
                survey = instrument.create_survey_from_instrument(
                    instrument.check_instrument_csv(instrument.template_csv()),
                    slug=form.slug.data,
                    title=form.title.data,
                    partnership=partnership,
                    programme=programme,
                    mode=SurveyMode(form.mode.data),
                )
            else:
                survey = _blank_survey(
                    slug=form.slug.data,
                    title=form.title.data,
                    partnership=partnership,
                    programme=programme,
                    mode=SurveyMode(form.mode.data),
                )
        except instrument.InstrumentError as error:
            form.slug.errors.append(error.message)
        else:
            db.session.commit()
            flash(f"Survey {survey.title} created.", "success")
            return redirect_after_post(url_for(".survey", slug=survey.slug))
    status = 422 if form.is_submitted() else 200
    return render_template("surveys/new.html", form=form), status


def _blank_survey(
    *,
    slug: str,
    title: str,
    partnership: Partnership | None,
    programme: Programme | None,
    mode: SurveyMode,
) -> Survey:
    """A survey with no questions yet (the instrument import needs at least one)."""
    if db.session.scalar(select(Survey.id).where(Survey.slug == slug)) is not None:
        raise instrument.InstrumentError(f"A survey called {slug!r} already exists")
    survey = Survey(
        slug=slug,
        title=title.strip(),
        mode=mode,
        partnership=partnership,
        programme=programme,
    )
    db.session.add(survey)
    db.session.flush()
    return survey


def _wave_rows(survey: Survey) -> list[tuple[Wave, fieldwork.RateRow, int]]:
    rows = []
    for wave in survey.waves:
        rates = fieldwork.response_rates(wave)
        responses = db.session.query(SurveyResponse).filter_by(wave_id=wave.id).count()
        rows.append((wave, rates[0] if rates else fieldwork.RateRow("All"), responses))
    return rows


@bp.get("/<slug>")
@login_required
def survey(slug: str) -> ResponseReturnValue:
    """A survey's waves, with their response rates, and links to everything else."""
    item = load_survey(slug)
    return render_template(
        "surveys/survey.html",
        survey=item,
        waves=_wave_rows(item),
        today=today(),
        can_run=can_run(user(), item),
        respondents=can_see_respondents(user(), item),
        locked=services.is_locked(item),
    )


# Questionnaire ------------------------------------------------------------------------


def _questionnaire(
    survey: Survey, status: int = 200, problem: str = "", **extra: Any
) -> ResponseReturnValue:
    """The questionnaire page, or its sections alone for htmx; ``problem`` on top."""
    return render_page_or_partial(
        "surveys/questionnaire.html",
        "surveys/_sections.html",
        status=status,
        survey=survey,
        can_run=can_run(user(), survey),
        locked=services.is_locked(survey),
        problem=problem,
        section_form=extra.pop("section_form", SectionForm(formdata=None)),
        **extra,
    )


def _refused(survey: Survey, error: services.SurveyError) -> ResponseReturnValue:
    """The questionnaire again, saying why a change was refused; nothing is saved."""
    db.session.rollback()
    return _questionnaire(survey, status=409, problem=error.message)


@bp.get("/<slug>/questionnaire")
@login_required
def questionnaire(slug: str) -> ResponseReturnValue:
    """The questionnaire, section by section, editable by those who run it."""
    return _questionnaire(load_survey(slug))


@bp.get("/<slug>/questionnaire.csv")
@login_required
def export_instrument(slug: str) -> ResponseReturnValue:
    """The questionnaire as the instrument CSV."""
    item = load_survey(slug)
    return _download(
        instrument.export_instrument_csv(item),
        f"{item.slug}-instrument.csv",
        "text/csv",
    )


@bp.post("/<slug>/sections")
@login_required
def add_section(slug: str) -> ResponseReturnValue:
    """Add a section at the end."""
    item = load_survey(slug, run=True)
    form = SectionForm()
    if form.validate_on_submit():
        try:
            section = services.add_section(
                item, title=form.title.data, preamble=form.preamble.data
            )
        except services.SurveyError as error:
            return _refused(item, error)
        db.session.commit()
        flash("Section added.", "success")
        return redirect_after_post(
            url_for(".questionnaire", slug=slug) + f"#section-{section.id}"
        )
    return _questionnaire(item, status=422, section_form=form)


def _section(survey: Survey, section_id: int) -> Section:
    section = db.session.get(Section, section_id)
    if section is None or section.survey_id != survey.id:
        abort(404)
    return section


def _item(survey: Survey, item_id: int) -> Item:
    found = db.session.get(Item, item_id)
    if found is None or found.survey_id != survey.id:
        abort(404)
    return found


@bp.route("/<slug>/sections/<int:section_id>/edit", methods=["GET", "POST"])
@login_required
def edit_section(slug: str, section_id: int) -> ResponseReturnValue:
    """Change a section's title or preamble."""
    item = load_survey(slug, run=True)
    section = _section(item, section_id)
    form = SectionForm(obj=section)
    if form.validate_on_submit():
        services.update_section(
            section, title=form.title.data, preamble=form.preamble.data
        )
        db.session.commit()
        flash("Section saved.", "success")
        return redirect_after_post(url_for(".questionnaire", slug=slug))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "surveys/section_form.html", survey=item, section=section, form=form
    ), status


@bp.route("/<slug>/sections/<int:section_id>/items", methods=["GET", "POST"])
@login_required
def add_item(slug: str, section_id: int) -> ResponseReturnValue:
    """Add a question at the end of a section."""
    item = load_survey(slug, run=True)
    section = _section(item, section_id)
    if services.is_locked(item):
        return _questionnaire(item, status=409, problem=LOCKED)
    form = ItemForm()
    if form.validate_on_submit():
        try:
            question = services.add_item(
                section,
                code=form.code.data,
                text=form.text.data,
                item_type=ItemType(form.type.data),
                scale=form.scale.data,
                options=form.option_list(),
                required=form.required.data,
            )
        except services.SurveyError as error:
            # Field rules are checked by the form; what is left is a code in use.
            db.session.rollback()
            form.code.errors.append(error.message)
        else:
            db.session.commit()
            flash(f"Question {question.code} added.", "success")
            return redirect_after_post(
                url_for(".questionnaire", slug=slug) + f"#item-{question.id}"
            )
    status = 422 if form.is_submitted() else 200
    return render_template(
        "surveys/item_form.html", survey=item, section=section, form=form, question=None
    ), status


@bp.route("/<slug>/items/<int:item_id>/edit", methods=["GET", "POST"])
@login_required
def edit_item(slug: str, item_id: int) -> ResponseReturnValue:
    """Edit a question inline (htmx) or on its own page; old wording is kept."""
    survey_ = load_survey(slug, run=True)
    question = _item(survey_, item_id)
    # The prefix keeps ids unique when several rows are edited in place at once.
    form = ItemForm(
        obj=question,
        version=question.version,
        item_type=question.type,
        prefix=f"item{question.id}",
    )
    if request.method == "GET":
        form.options.data = "\n".join(question.option_labels)
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            services.update_item(
                question,
                opened_version=form.opened_version(),
                text=form.text.data,
                scale=form.scale.data,
                options=form.option_list(),
                required=form.required.data,
                by=user(),
            )
        except EditConflictError:
            db.session.rollback()
            status = 409
            # Keep what this person typed, show what the other saved, and let a
            # second save replace it knowingly.
            form.version.data = question.version
            form.text.errors.append(
                "Someone else saved this question while you were editing it. "
                f"It now reads: “{question.text}”. Your changes are below and have "
                "not been saved: save again to replace theirs, or cancel to keep theirs."
            )
        except services.SurveyError as error:
            db.session.rollback()
            field = form.options if question.type in CHOICE_TYPES else form.text
            field.errors.append(error.message)
        else:
            db.session.commit()
            if is_partial_request():
                return _item_row(survey_, question, saved=True)
            flash(f"Question {question.code} saved.", "success")
            return redirect_after_post(
                url_for(".questionnaire", slug=slug) + f"#item-{question.id}"
            )
    return render_page_or_partial(
        "surveys/item_form.html",
        "surveys/_item_edit.html",
        status=status,
        survey=survey_,
        section=question.section,
        form=form,
        question=question,
    )


def _item_row(
    survey: Survey, question: Item, *, saved: bool = False
) -> ResponseReturnValue:
    """One question's row for htmx, or the whole questionnaire."""
    return render_page_or_partial(
        "surveys/questionnaire.html",
        "surveys/_item_row.html",
        survey=survey,
        question=question,
        saved=saved,
        can_run=can_run(user(), survey),
        locked=services.is_locked(survey),
        problem="",
        section_form=SectionForm(formdata=None),
    )


@bp.get("/<slug>/items/<int:item_id>")
@login_required
def item_row(slug: str, item_id: int) -> ResponseReturnValue:
    """One question's row (htmx cancel of an inline edit)."""
    survey_ = load_survey(slug)
    return _item_row(survey_, _item(survey_, item_id))


@bp.post("/<slug>/items/<int:item_id>/move")
@login_required
def move_item(slug: str, item_id: int) -> ResponseReturnValue:
    """Move a question up or down within its section."""
    survey_ = load_survey(slug, run=True)
    question = _item(survey_, item_id)
    direction = {"up": -1, "down": 1}.get(request.form.get("direction", ""))
    if direction is None:
        abort(400)
    try:
        services.move_item(question, direction)
    except services.SurveyError as error:
        return _refused(survey_, error)
    db.session.commit()
    db.session.expire_all()
    if is_partial_request():
        return _questionnaire(survey_)
    return redirect_after_post(
        url_for(".questionnaire", slug=slug) + f"#item-{item_id}"
    )


@bp.post("/<slug>/items/<int:item_id>/delete")
@login_required
def delete_item(slug: str, item_id: int) -> ResponseReturnValue:
    """Remove a question that has never been answered."""
    survey_ = load_survey(slug, run=True)
    question = _item(survey_, item_id)
    code = question.code
    try:
        services.delete_item(question)
    except services.SurveyError as error:
        return _refused(survey_, error)
    db.session.commit()
    flash(f"Question {code} removed.", "success")
    return redirect_after_post(url_for(".questionnaire", slug=slug))


# Messages ------------------------------------------------------------------------------


@bp.route("/<slug>/messages/<kind>", methods=["GET", "POST"])
@login_required
def edit_message(slug: str, kind: str) -> ResponseReturnValue:
    """Edit the invitation, reminder or receipt email, with merge fields."""
    survey_ = load_survey(slug, run=True)
    try:
        message_kind = MessageKind(kind)
    except ValueError:
        abort(404)
    template = fieldwork.template_for(survey_, message_kind)
    form = MessageForm(obj=template, version=template.version or 1)
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            fieldwork.save_template(
                survey_,
                message_kind,
                subject=form.subject.data,
                body=form.body.data,
                opened_version=form.opened_version(),
            )
        except EditConflictError:
            db.session.rollback()
            form.version.data = template.version
            form.body.errors.append(
                "Someone else saved this email while you were editing it. Your "
                "version is below and has not been saved: save again to replace "
                "theirs, or cancel to keep theirs."
            )
            status = 409
        except services.SurveyError as error:
            db.session.rollback()
            form.body.errors.append(error.message)
        else:
            db.session.commit()
            flash(f"The {message_kind.value} email is saved.", "success")
            return redirect_after_post(url_for(".survey", slug=slug))
    return render_template(
        "surveys/message_form.html",
        survey=survey_,
        kind=message_kind,
        form=form,
        fields=fieldwork.MERGE_FIELDS,
    ), status


# Waves ---------------------------------------------------------------------------------


@bp.route("/<slug>/waves/new", methods=["GET", "POST"])
@login_required
def add_wave(slug: str) -> ResponseReturnValue:
    """Add the next wave with its fieldwork dates."""
    survey_ = load_survey(slug, run=True)
    form = WaveForm()
    if form.validate_on_submit():
        opens_on, closes_on = form.dates()
        try:
            wave = services.add_wave(
                survey_,
                opens_on=opens_on,
                closes_on=closes_on,
                context_notes=form.context_notes.data,
            )
        except services.SurveyError as error:
            db.session.rollback()
            form.opens_on.errors.append(error.message)
        else:
            db.session.commit()
            flash(f"Wave {wave.number} added.", "success")
            return redirect_after_post(url_for(".wave", slug=slug, number=wave.number))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "surveys/wave_form.html", survey=survey_, form=form, wave=None
    ), status


@bp.route("/<slug>/waves/<int:number>/edit", methods=["GET", "POST"])
@login_required
def edit_wave(slug: str, number: int) -> ResponseReturnValue:
    """Change a wave's dates or context notes."""
    wave_ = load_wave(slug, number, run=True)
    form = WaveForm(obj=wave_, version=wave_.version)
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        opens_on, closes_on = form.dates()
        try:
            services.update_wave(
                wave_,
                opened_version=form.opened_version(),
                opens_on=opens_on,
                closes_on=closes_on,
                context_notes=form.context_notes.data,
            )
        except EditConflictError:
            db.session.rollback()
            form.version.data = wave_.version
            form.opens_on.errors.append(
                "Someone else saved this wave while you were editing it: it now runs "
                f"from {wave_.opens_on:%-d %B %Y} to {wave_.closes_on:%-d %B %Y}. "
                "Your changes are below and have not been saved: save again to "
                "replace theirs, or cancel to keep theirs."
            )
            status = 409
        except services.SurveyError as error:
            db.session.rollback()
            form.closes_on.errors.append(error.message)
        else:
            db.session.commit()
            flash(f"Wave {wave_.number} saved.", "success")
            return redirect_after_post(url_for(".wave", slug=slug, number=number))
    return render_template(
        "surveys/wave_form.html", survey=wave_.survey, form=form, wave=wave_
    ), status


@bp.post("/<slug>/waves/<int:number>/state")
@login_required
def wave_state(slug: str, number: int) -> ResponseReturnValue:
    """Open or close a wave by hand, or give it back to its dates."""
    wave_ = load_wave(slug, number, run=True)
    choice = request.form.get("state", "")
    overrides = {
        "open": WaveOverride.OPEN,
        "closed": WaveOverride.CLOSED,
        "dates": None,
    }
    if choice not in overrides:
        abort(400)
    services.set_wave_override(wave_, overrides[choice])
    db.session.commit()
    flash(
        f"Wave {number} is now {'open' if wave_.is_open(today()) else 'closed'}.",
        "success",
    )
    return redirect_after_post(url_for(".wave", slug=slug, number=number))


def _sample_form(wave_: Wave, formdata: Any = None) -> SampleForm:
    """The add-to-sample form; blank unless ``formdata`` is the posted sample form."""
    survey_ = wave_.survey
    form = SampleForm(formdata=formdata)
    partnerships = fieldwork.scope_partnerships(survey_)
    form.partnership.choices = [("", "All partnerships")] + [
        (str(p.id), p.name) for p in partnerships
    ]
    organisations = sorted(
        {person.organisation for person, _ in fieldwork.candidates(survey_)},
        key=lambda org: org.name,
    )
    form.organisation.choices = [("", "All organisations")] + [
        (str(org.id), org.name) for org in organisations
    ]
    if formdata is None:
        form.max_per_organisation.data = survey_.max_per_organisation
    return form


def _wave_page(
    wave_: Wave, status: int = 200, problem: str = "", **extra: Any
) -> ResponseReturnValue:
    by = request.args.get("by", "organisation")
    if by not in fieldwork.BREAKDOWNS:
        by = "organisation"
    survey_ = wave_.survey
    invitations = sorted(
        wave_.invitations, key=lambda inv: (inv.organisation.name, inv.person.name)
    )
    extra.setdefault("sample_form", _sample_form(wave_))
    sampled = {inv.person_id for inv in wave_.invitations}
    people = [
        person
        for person, _ in fieldwork.candidates(survey_)
        if person.id not in sampled
    ]
    return render_template(
        "surveys/wave.html",
        survey=survey_,
        wave=wave_,
        invitations=invitations,
        overall=fieldwork.response_rates(wave_),
        rates=fieldwork.response_rates(wave_, by),
        by=by,
        breakdowns=fieldwork.BREAKDOWNS,
        non_responders=fieldwork.non_responders(wave_),
        responses=db.session.query(SurveyResponse).filter_by(wave_id=wave_.id).count(),
        can_run=can_run(user(), survey_),
        today=today(),
        people=people,
        problem=problem,
        **extra,
    ), status


def _wave_refused(wave_: Wave, error: services.SurveyError) -> ResponseReturnValue:
    """The wave page again, saying why an action was refused; nothing is saved."""
    db.session.rollback()
    return _wave_page(wave_, 409, problem=error.message)


@bp.get("/<slug>/waves/<int:number>")
@login_required
def wave(slug: str, number: int) -> ResponseReturnValue:
    """A wave: status, response rates, non-responders and the sample."""
    return _wave_page(load_wave(slug, number, respondents=True))


@bp.get("/<slug>/waves/<int:number>/rates")
@login_required
def rates(slug: str, number: int) -> ResponseReturnValue:
    """The response-rate table alone (htmx refreshes it when asked)."""
    wave_ = load_wave(slug, number, respondents=True)
    by = request.args.get("by", "organisation")
    if by not in fieldwork.BREAKDOWNS:
        abort(404)
    return render_page_or_partial(
        "surveys/rates_page.html",
        "surveys/_rates.html",
        survey=wave_.survey,
        wave=wave_,
        overall=fieldwork.response_rates(wave_),
        rates=fieldwork.response_rates(wave_, by),
        by=by,
        breakdowns=fieldwork.BREAKDOWNS,
        today=today(),
    )


@bp.post("/<slug>/waves/<int:number>/sample")
@login_required
def draw_sample(slug: str, number: int) -> ResponseReturnValue:
    """Add people to the sample, at most N from each organisation."""
    wave_ = load_wave(slug, number, run=True)
    form = _sample_form(wave_, request.form)
    if form.validate_on_submit():
        partnership_ids = (
            [int(form.partnership.data)] if form.partnership.data else None
        )
        organisation_ids = (
            [int(form.organisation.data)] if form.organisation.data else None
        )
        change = fieldwork.draw_sample(
            wave_,
            partnership_ids=partnership_ids,
            organisation_ids=organisation_ids,
            max_per_organisation=form.max_per_organisation.data,
        )
        db.session.commit()
        flash(f"{change.added} people added to the sample.", "success")
        return redirect_after_post(url_for(".wave", slug=slug, number=number))
    return _wave_page(wave_, 422, sample_form=form)


@bp.post("/<slug>/waves/<int:number>/sample/person")
@login_required
def add_sample_person(slug: str, number: int) -> ResponseReturnValue:
    """Add one named person to the sample."""
    wave_ = load_wave(slug, number, run=True)
    try:
        person_id = int(request.form.get("person", ""))
    except ValueError:
        abort(400)
    person = db.session.get(Person, person_id)
    if person is None:
        abort(404)
    try:
        fieldwork.add_person(wave_, person)
    except services.SurveyError:
        abort(404)
    db.session.commit()
    flash(f"{person.name} added to the sample.", "success")
    return redirect_after_post(url_for(".wave", slug=slug, number=number))


@bp.post("/<slug>/waves/<int:number>/sample/carry-forward")
@login_required
def carry_forward(slug: str, number: int) -> ResponseReturnValue:
    """Copy the previous wave's sample, leaving out people who left or moved."""
    wave_ = load_wave(slug, number, run=True)
    try:
        change = fieldwork.carry_forward(wave_)
    except services.SurveyError as error:
        return _wave_refused(wave_, error)
    db.session.commit()
    message = f"{change.added} people carried forward from wave {number - 1}."
    if change.skipped:
        message += " Left out: " + "; ".join(change.skipped) + "."
    flash(message, "success")
    return redirect_after_post(url_for(".wave", slug=slug, number=number))


def _invitation(wave_: Wave, invitation_id: int) -> Invitation:
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.wave_id != wave_.id:
        abort(404)
    return invitation


@bp.post("/<slug>/waves/<int:number>/sample/<int:invitation_id>/withdraw")
@login_required
def withdraw(slug: str, number: int, invitation_id: int) -> ResponseReturnValue:
    """Take a person out of the sample."""
    wave_ = load_wave(slug, number, run=True)
    invitation = _invitation(wave_, invitation_id)
    try:
        fieldwork.withdraw(invitation)
    except services.SurveyError as error:
        return _wave_refused(wave_, error)
    db.session.commit()
    flash(f"{invitation.person.name} taken out of the sample.", "success")
    return redirect_after_post(url_for(".wave", slug=slug, number=number))


@bp.post("/<slug>/waves/<int:number>/invite")
@login_required
def invite(slug: str, number: int) -> ResponseReturnValue:
    """Queue invitations for everyone sampled who has not had one."""
    wave_ = load_wave(slug, number, run=True)
    try:
        count = fieldwork.queue_invitations(wave_, today())
    except services.SurveyError as error:
        return _wave_refused(wave_, error)
    db.session.commit()
    flash(f"{count} invitations queued to send.", "success")
    return redirect_after_post(url_for(".wave", slug=slug, number=number))


@bp.post("/<slug>/waves/<int:number>/remind")
@login_required
def remind(slug: str, number: int) -> ResponseReturnValue:
    """Queue reminders for non-responders (everyone, or one person)."""
    wave_ = load_wave(slug, number, run=True)
    chosen = None
    if "invitation" in request.form:
        try:
            invitation_id = int(request.form["invitation"])
        except ValueError:
            abort(400)
        chosen = [_invitation(wave_, invitation_id).id]
    try:
        count = fieldwork.queue_reminders(wave_, today(), chosen)
    except services.SurveyError as error:
        return _wave_refused(wave_, error)
    db.session.commit()
    flash(f"{count} reminders queued to send.", "success")
    return redirect_after_post(url_for(".wave", slug=slug, number=number))


# Import and export --------------------------------------------------------------------


@bp.route("/<slug>/waves/<int:number>/import", methods=["GET", "POST"])
@login_required
def import_responses(slug: str, number: int) -> ResponseReturnValue:
    """Upload a historical wave's responses; a preview shows every problem first."""
    wave_ = load_wave(slug, number, run=True)
    form = UploadForm()
    if form.validate_on_submit():
        raw = form.file.data.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            form.file.errors.append("The file must be a CSV saved as UTF-8")
        else:
            checked = transfer.check_responses_csv(wave_, text)
            confirm = ConfirmImportForm(formdata=None, content=text)
            return render_template(
                "surveys/import_preview.html",
                survey=wave_.survey,
                wave=wave_,
                checked=checked,
                confirm=confirm,
            ), (200 if checked.is_valid else 422)
    status = 422 if form.is_submitted() else 200
    return render_template(
        "surveys/import.html", survey=wave_.survey, wave=wave_, form=form
    ), status


@bp.post("/<slug>/waves/<int:number>/import/confirm")
@login_required
def confirm_import(slug: str, number: int) -> ResponseReturnValue:
    """Import the checked file, checking it again: all or nothing."""
    wave_ = load_wave(slug, number, run=True)
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        abort(400)
    checked = transfer.check_responses_csv(wave_, form.content.data or "")
    if not checked.is_valid:
        return render_template(
            "surveys/import_preview.html",
            survey=wave_.survey,
            wave=wave_,
            checked=checked,
            confirm=form,
        ), 422
    count = transfer.import_responses(wave_, checked)
    db.session.commit()
    flash(f"{count} responses imported into wave {number}.", "success")
    return redirect_after_post(url_for(".wave", slug=slug, number=number))


@bp.get("/<slug>/waves/<int:number>/responses.<fmt>")
@login_required
def export_responses(slug: str, number: int, fmt: str) -> ResponseReturnValue:
    """A wave's answers as CSV or XLSX (anonymous surveys hide small groups)."""
    wave_ = load_wave(slug, number, respondents=True)
    name = f"{slug}-wave-{number}-responses"
    if fmt == "csv":
        return _download(
            transfer.export_csv(wave_.survey, [wave_]), f"{name}.csv", "text/csv"
        )
    if fmt == "xlsx":
        return _download(
            transfer.export_xlsx(wave_.survey, [wave_]),
            f"{name}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    abort(404)
