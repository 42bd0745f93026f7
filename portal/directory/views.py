"""Directory pages: programmes, partnerships, organisations and people."""

import csv
import io
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

from portal.access import can_edit_partnership
from portal.access import editable_partnership_ids
from portal.access import load_organisation
from portal.access import load_partnership
from portal.access import load_person
from portal.access import login_required
from portal.access import user
from portal.directory import queries
from portal.directory import services
from portal.directory.forms import ConfirmImportForm
from portal.directory.forms import MembershipForm
from portal.directory.forms import NewOrganisationForm
from portal.directory.forms import OrganisationForm
from portal.directory.forms import ParticipationForm
from portal.directory.forms import PartnershipForm
from portal.directory.forms import PeopleImportForm
from portal.directory.forms import PersonForm
from portal.directory.forms import ProgrammeForm
from portal.directory.forms import SearchForm
from portal.extensions import db
from portal.htmx import is_partial_request
from portal.htmx import redirect_after_post
from portal.htmx import render_page_or_partial
from portal.models import MemberRole
from portal.models import Organisation
from portal.models import PartnerRole
from portal.models import Partnership
from portal.models import Person
from portal.models import Programme
from portal.models import Scope
from portal.models import Sector
from portal.spreadsheets import safe_cell

bp = Blueprint("directory", __name__)


def _archived_flag() -> bool:
    return request.args.get("archived") == "1"


def _toggle_archive(item: Programme | Partnership | Organisation | Person) -> None:
    """Archive the record, or restore it if archived, then commit and say so."""
    if item.is_archived:
        item.restore()
        flash(f"{item.name} restored.", "success")
    else:
        item.archive()
        flash(f"{item.name} archived. It is kept, and can be restored.", "success")
    db.session.commit()


def _invalid(page: str, partial: str, **context: Any) -> Response:
    """Re-render a form with its errors: 422, as a page or as the inline partial."""
    return render_page_or_partial(page, partial, status=422, **context)


def _programme_choices() -> list[tuple[str, str]]:
    return [
        (str(p.id), p.name)
        for p in db.session.scalars(select(Programme).order_by(Programme.name))
    ]


def _programme_from(value: str | None) -> Programme | None:
    return db.session.get(Programme, int(value)) if value and value.isdigit() else None


# Programmes ---------------------------------------------------------------------------


@bp.get("/programmes")
@login_required
def programmes() -> ResponseReturnValue:
    """Programmes that hold the account's partnerships, with search."""
    search = SearchForm(request.args)
    return render_page_or_partial(
        "directory/programmes.html",
        "directory/_programme_rows.html",
        programmes=queries.programmes_for(
            user(), search=search.q.data or "", archived=_archived_flag()
        ),
        search=search,
        archived=_archived_flag(),
    )


@bp.route("/programmes/new", methods=["GET", "POST"])
@login_required
def create_programme() -> ResponseReturnValue:
    """Administrators add a programme."""
    if not user().is_admin:
        abort(403)
    form = ProgrammeForm()
    if form.validate_on_submit():
        try:
            programme = services.create_programme(
                slug=form.slug.data,
                name=form.name.data,
                description=form.description.data,
            )
        except services.DuplicateError as error:
            form.slug.errors.append(error.message)
        else:
            db.session.commit()
            flash(f"Programme {programme.name} added.", "success")
            return redirect_after_post(url_for(".programme", slug=programme.slug))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "directory/programme_form.html", form=form, programme=None
    ), status


@bp.get("/programmes/<slug>")
@login_required
def programme(slug: str) -> ResponseReturnValue:
    """One programme and the partnerships in it that the account may see."""
    item = db.one_or_404(select(Programme).where(Programme.slug == slug))
    if item not in queries.programmes_for(user(), archived=None):
        abort(404)
    visible = {p.id for p in queries.partnerships_for(user())}
    return render_template(
        "directory/programme.html",
        programme=item,
        partnerships=[p for p in item.partnerships if p.id in visible],
    )


@bp.route("/programmes/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit_programme(slug: str) -> ResponseReturnValue:
    """Administrators change a programme."""
    item = db.one_or_404(select(Programme).where(Programme.slug == slug))
    if not user().is_admin:
        abort(404 if item not in queries.programmes_for(user(), archived=None) else 403)
    form = ProgrammeForm(obj=item)
    if form.validate_on_submit():
        try:
            services.update_programme(
                item,
                slug=form.slug.data,
                name=form.name.data,
                description=form.description.data,
            )
        except services.DuplicateError as error:
            form.slug.errors.append(error.message)
        else:
            db.session.commit()
            flash("Programme saved.", "success")
            return redirect_after_post(url_for(".programme", slug=item.slug))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "directory/programme_form.html", form=form, programme=item
    ), status


@bp.post("/programmes/<slug>/archive")
@login_required
def archive_programme(slug: str) -> ResponseReturnValue:
    """Administrators archive or restore a programme; its partnerships are untouched."""
    item = db.one_or_404(select(Programme).where(Programme.slug == slug))
    if not user().is_admin:
        abort(404 if item not in queries.programmes_for(user(), archived=None) else 403)
    _toggle_archive(item)
    return redirect_after_post(url_for(".programme", slug=item.slug))


# Partnerships -------------------------------------------------------------------------


@bp.get("/partnerships")
@login_required
def partnerships() -> ResponseReturnValue:
    """Partnerships the account belongs to, with search (live with htmx)."""
    search = SearchForm(request.args)
    items = queries.partnerships_for(
        user(), search=search.q.data or "", archived=_archived_flag()
    )
    return render_page_or_partial(
        "directory/partnerships.html",
        "directory/_partnership_rows.html",
        partnerships=items,
        search=search,
        archived=_archived_flag(),
    )


def _partnership_form(**kwargs: object) -> PartnershipForm:
    return PartnershipForm(programmes=_programme_choices(), **kwargs)


@bp.route("/partnerships/new", methods=["GET", "POST"])
@login_required
def create_partnership() -> ResponseReturnValue:
    """Administrators add a partnership."""
    if not user().is_admin:
        abort(403)
    form = _partnership_form()
    if form.validate_on_submit():
        try:
            item = services.create_partnership(
                slug=form.slug.data,
                name=form.name.data,
                description=form.description.data,
                programme=_programme_from(form.programme.data),
                scope=Scope(form.scope.data),
            )
        except services.DuplicateError as error:
            form.slug.errors.append(error.message)
        else:
            db.session.commit()
            flash(f"Partnership {item.name} added.", "success")
            return redirect_after_post(url_for(".partnership", slug=item.slug))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "directory/partnership_form.html", form=form, partnership=None
    ), status


@bp.get("/partnerships/<slug>")
@login_required
def partnership(slug: str) -> ResponseReturnValue:
    """A partnership: its organisations with their roles, and its members."""
    item = load_partnership(slug)
    participations = sorted(
        item.participations,
        key=lambda p: (p.role is not PartnerRole.LEAD, p.organisation.name.lower()),
    )
    memberships = sorted(item.memberships, key=lambda m: (m.role.value, m.person.name))
    return render_template(
        "directory/partnership.html",
        partnership=item,
        participations=participations,
        memberships=memberships,
        can_edit=can_edit_partnership(user(), item),
    )


@bp.route("/partnerships/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit_partnership(slug: str) -> ResponseReturnValue:
    """Coordinators change the partnership's details."""
    item = load_partnership(slug, edit=True)
    form = _partnership_form(
        obj=item,
        data={
            "programme": str(item.programme_id or ""),
            "scope": item.scope.value,
            "version": item.version,
        },
    )
    if form.validate_on_submit():
        try:
            services.update_partnership(
                item,
                opened_version=form.opened_version(),
                slug=form.slug.data,
                name=form.name.data,
                description=form.description.data,
                programme=_programme_from(form.programme.data),
                scope=Scope(form.scope.data),
            )
        except services.DuplicateError as error:
            form.slug.errors.append(error.message)
        else:
            db.session.commit()
            flash("Partnership saved.", "success")
            return redirect_after_post(url_for(".partnership", slug=item.slug))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "directory/partnership_form.html", form=form, partnership=item
    ), status


@bp.post("/partnerships/<slug>/archive")
@login_required
def archive_partnership(slug: str) -> ResponseReturnValue:
    """Administrators archive or restore a partnership."""
    item = load_partnership(slug)
    if not user().is_admin:
        abort(403)
    _toggle_archive(item)
    return redirect_after_post(url_for(".partnership", slug=item.slug))


@bp.route("/partnerships/<slug>/organisations/add", methods=["GET", "POST"])
@login_required
def add_participation(slug: str) -> ResponseReturnValue:
    """Coordinators add an organisation to the partnership or change its role and dates."""
    item = load_partnership(slug, edit=True)
    choices = [
        (str(o.id), o.name) for o in queries.organisations_for(user(), editable=True)
    ]
    if user().is_admin:
        choices = [
            (str(o.id), o.name)
            for o in db.session.scalars(
                select(Organisation)
                .where(Organisation.archived_at.is_(None))
                .order_by(Organisation.name)
            )
        ]
    form = ParticipationForm(organisations=choices)
    if form.validate_on_submit():
        organisation = db.get_or_404(Organisation, int(form.organisation.data))
        services.set_participation(
            item,
            organisation,
            role=PartnerRole(form.role.data),
            joined_on=form.joined_on.data,
            left_on=form.left_on.data,
        )
        db.session.commit()
        flash(f"{organisation.name} saved in {item.name}.", "success")
        return redirect_after_post(url_for(".partnership", slug=item.slug))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "directory/participation_form.html", form=form, partnership=item
    ), status


@bp.route("/partnerships/<slug>/members/add", methods=["GET", "POST"])
@login_required
def add_member(slug: str) -> ResponseReturnValue:
    """Coordinators give someone from a member organisation a role in the partnership."""
    item = load_partnership(slug, edit=True)
    people = queries.people_of_partnership(item)
    form = MembershipForm(
        people=[(str(p.id), f"{p.name} ({p.organisation.name})") for p in people]
    )
    if form.validate_on_submit():
        person = db.get_or_404(Person, int(form.person.data))
        services.set_membership(item, person, MemberRole(form.role.data))
        db.session.commit()
        flash(
            f"{person.name} is now a {MemberRole(form.role.data).label.lower()}.",
            "success",
        )
        return redirect_after_post(url_for(".partnership", slug=item.slug))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "directory/member_form.html", form=form, partnership=item
    ), status


@bp.get("/partnerships/<slug>/people.csv")
@login_required
def export_people(slug: str) -> ResponseReturnValue:
    """The partnership's people as CSV, in the import format, for those who may see them."""
    item = load_partnership(slug)
    allowed = {p.id for p in queries.people_for(user())}
    roles = {m.person_id: m.role.value for m in item.memberships}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(services.PEOPLE_COLUMNS)
    for person in queries.people_of_partnership(item):
        if person.id not in allowed:
            continue
        role = roles.get(person.id, "")
        writer.writerow(
            [
                safe_cell(value)
                for value in (
                    person.name,
                    person.email,
                    person.job_title,
                    person.organisation.name,
                    item.slug if role else "",
                    role,
                )
            ]
        )
    response = make_response(buffer.getvalue())
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{item.slug}-people.csv"'
    )
    return response


# Organisations ------------------------------------------------------------------------


@bp.get("/organisations")
@login_required
def organisations() -> ResponseReturnValue:
    """Organisations in the account's partnerships, with search."""
    search = SearchForm(request.args)
    items = queries.organisations_for(
        user(), search=search.q.data or "", archived=_archived_flag()
    )
    editable = {
        o.id
        for o in queries.organisations_for(
            user(), editable=True, archived=_archived_flag()
        )
    }
    return render_page_or_partial(
        "directory/organisations.html",
        "directory/_organisation_rows.html",
        organisations=items,
        editable=editable,
        search=search,
        archived=_archived_flag(),
    )


@bp.route("/organisations/new", methods=["GET", "POST"])
@login_required
def create_organisation() -> ResponseReturnValue:
    """Coordinators add an organisation to one of their partnerships."""
    account = user()
    editable = editable_partnership_ids(account)
    choices = [
        (str(p.id), p.name)
        for p in queries.partnerships_for(account)
        if editable is None or p.id in editable
    ]
    if not choices and not account.is_admin:
        abort(403)
    form = NewOrganisationForm(partnerships=choices, allow_none=account.is_admin)
    if form.validate_on_submit():
        partnership = None
        if form.partnership.data:
            partnership = next(
                p
                for p in queries.partnerships_for(account)
                if str(p.id) == form.partnership.data
            )
        try:
            item = services.create_organisation(
                name=form.name.data,
                sector=Sector(form.sector.data),
                partnership=partnership,
                role=PartnerRole(form.role.data),
            )
        except services.DuplicateError as error:
            form.name.errors.append(error.message)
        else:
            db.session.commit()
            flash(f"{item.name} added.", "success")
            return redirect_after_post(
                url_for(".organisation", organisation_id=item.id)
            )
    status = 422 if form.is_submitted() else 200
    return render_template("directory/organisation_new.html", form=form), status


@bp.get("/organisations/<int:organisation_id>")
@login_required
def organisation(organisation_id: int) -> ResponseReturnValue:
    """An organisation, its partnerships and its people."""
    item = load_organisation(organisation_id)
    visible = {p.id for p in queries.partnerships_for(user())}
    return render_template(
        "directory/organisation.html",
        organisation=item,
        participations=[p for p in item.participations if p.partnership_id in visible],
        people=queries.people_for(user(), organisation=item),
        can_edit=item.id
        in {o.id for o in queries.organisations_for(user(), editable=True)},
    )


@bp.get("/organisations/<int:organisation_id>/row")
@login_required
def organisation_row(organisation_id: int) -> ResponseReturnValue:
    """One row of the organisations table (used to cancel an inline edit)."""
    item = load_organisation(organisation_id)
    return render_page_or_partial(
        "directory/organisation_row_page.html",
        "directory/_organisation_row.html",
        organisation=item,
        editable={item.id},
    )


@bp.route("/organisations/<int:organisation_id>/edit", methods=["GET", "POST"])
@login_required
def edit_organisation(organisation_id: int) -> ResponseReturnValue:
    """Edit an organisation in place (htmx) or on its own page."""
    item = load_organisation(organisation_id, edit=True)
    # The prefix keeps ids unique when several rows are edited in place at once.
    form = OrganisationForm(
        obj=item,
        data={"sector": item.sector.value, "version": item.version},
        prefix=f"organisation{item.id}",
    )
    context: dict[str, Any] = {"organisation": item, "form": form}
    if form.validate_on_submit():
        try:
            services.update_organisation(
                item,
                opened_version=form.opened_version(),
                name=form.name.data,
                sector=Sector(form.sector.data),
            )
        except services.DuplicateError as error:
            form.name.errors.append(error.message)
        else:
            db.session.commit()
            if is_partial_request():
                return render_page_or_partial(
                    "directory/organisation_row_page.html",
                    "directory/_organisation_row.html",
                    organisation=item,
                    editable={item.id},
                    saved=True,
                )
            flash("Organisation saved.", "success")
            return redirect_after_post(
                url_for(".organisation", organisation_id=item.id)
            )
    if form.is_submitted():
        return _invalid(
            "directory/organisation_edit.html",
            "directory/_organisation_edit_row.html",
            **context,
        )
    return render_page_or_partial(
        "directory/organisation_edit.html",
        "directory/_organisation_edit_row.html",
        **context,
    )


@bp.post("/organisations/<int:organisation_id>/archive")
@login_required
def archive_organisation(organisation_id: int) -> ResponseReturnValue:
    """Archive or restore an organisation; its history stays."""
    item = load_organisation(organisation_id, edit=True)
    _toggle_archive(item)
    return redirect_after_post(url_for(".organisation", organisation_id=item.id))


# People -------------------------------------------------------------------------------


def _person_org_choices() -> list[tuple[str, str]]:
    return [
        (str(o.id), o.name) for o in queries.organisations_for(user(), editable=True)
    ]


def _organisation_for_person(form: PersonForm) -> Organisation:
    chosen = {str(o.id): o for o in queries.organisations_for(user(), editable=True)}
    organisation = chosen.get(form.organisation.data)
    if organisation is None:
        abort(404)
    return organisation


@bp.get("/people")
@login_required
def people() -> ResponseReturnValue:
    """People the account may see, with search."""
    search = SearchForm(request.args)
    items = queries.people_for(
        user(), search=search.q.data or "", archived=_archived_flag()
    )
    editable_orgs = {o.id for o in queries.organisations_for(user(), editable=True)}
    return render_page_or_partial(
        "directory/people.html",
        "directory/_person_rows.html",
        people=items,
        editable_orgs=editable_orgs,
        search=search,
        archived=_archived_flag(),
    )


@bp.route("/people/new", methods=["GET", "POST"])
@login_required
def create_person() -> ResponseReturnValue:
    """Coordinators add a person to an organisation in their partnerships."""
    choices = _person_org_choices()
    if not choices:
        abort(403)
    form = PersonForm(organisations=choices)
    if form.validate_on_submit():
        try:
            item = services.create_person(
                name=form.name.data,
                email=form.email.data,
                job_title=form.job_title.data or "",
                organisation=_organisation_for_person(form),
            )
        except services.DuplicateError as error:
            form.email.errors.append(error.message)
        else:
            db.session.commit()
            flash(f"{item.name} added.", "success")
            return redirect_after_post(url_for(".person", person_id=item.id))
    status = 422 if form.is_submitted() else 200
    return render_template("directory/person_new.html", form=form), status


@bp.get("/people/<int:person_id>")
@login_required
def person(person_id: int) -> ResponseReturnValue:
    """One person and their roles in the partnerships the account may see."""
    item = load_person(person_id)
    visible = {p.id for p in queries.partnerships_for(user())}
    editable_orgs = {o.id for o in queries.organisations_for(user(), editable=True)}
    return render_template(
        "directory/person.html",
        person=item,
        memberships=[m for m in item.memberships if m.partnership_id in visible],
        can_edit=item.organisation_id in editable_orgs,
    )


@bp.get("/people/<int:person_id>/row")
@login_required
def person_row(person_id: int) -> ResponseReturnValue:
    """One row of the people table (used to cancel an inline edit)."""
    item = load_person(person_id)
    return render_page_or_partial(
        "directory/person_row_page.html",
        "directory/_person_row.html",
        person=item,
        editable_orgs={item.organisation_id},
    )


@bp.route("/people/<int:person_id>/edit", methods=["GET", "POST"])
@login_required
def edit_person(person_id: int) -> ResponseReturnValue:
    """Edit a person in place (htmx) or on their own page."""
    item = load_person(person_id, edit=True)
    # The prefix keeps ids unique when several rows are edited in place at once.
    form = PersonForm(
        obj=item,
        organisations=_person_org_choices(),
        data={"organisation": str(item.organisation_id), "version": item.version},
        prefix=f"person{item.id}",
    )
    context: dict[str, Any] = {"person": item, "form": form}
    if form.validate_on_submit():
        try:
            services.update_person(
                item,
                opened_version=form.opened_version(),
                name=form.name.data,
                email=form.email.data,
                job_title=form.job_title.data or "",
                organisation=_organisation_for_person(form),
            )
        except services.DuplicateError as error:
            form.email.errors.append(error.message)
        else:
            db.session.commit()
            if is_partial_request():
                return render_page_or_partial(
                    "directory/person_row_page.html",
                    "directory/_person_row.html",
                    person=item,
                    editable_orgs={item.organisation_id},
                    saved=True,
                )
            flash("Person saved.", "success")
            return redirect_after_post(url_for(".person", person_id=item.id))
    if form.is_submitted():
        return _invalid(
            "directory/person_edit.html", "directory/_person_edit_row.html", **context
        )
    return render_page_or_partial(
        "directory/person_edit.html", "directory/_person_edit_row.html", **context
    )


@bp.post("/people/<int:person_id>/archive")
@login_required
def archive_person(person_id: int) -> ResponseReturnValue:
    """Archive or restore a person."""
    item = load_person(person_id, edit=True)
    _toggle_archive(item)
    return redirect_after_post(url_for(".person", person_id=item.id))


@bp.route("/people/import", methods=["GET", "POST"])
@login_required
def import_people() -> ResponseReturnValue:
    """Upload a people CSV and see every row's problem before anything is saved."""
    editable = editable_partnership_ids(user())
    if editable is not None and not editable:
        abort(403)
    form = PeopleImportForm()
    if form.validate_on_submit():
        raw = form.file.data.read()
        try:
            content = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            form.file.errors.append("The file must be saved as CSV UTF-8")
        else:
            checked = services.check_people_csv(
                content, allowed_partnership_ids=editable
            )
            status = 200 if checked.is_valid else 422
            return render_template(
                "directory/people_import_preview.html",
                checked=checked,
                confirm=ConfirmImportForm(data={"content": content}),
                columns=services.PEOPLE_COLUMNS,
            ), status
    status = 422 if form.is_submitted() else 200
    return render_template(
        "directory/people_import.html", form=form, columns=services.PEOPLE_COLUMNS
    ), status


@bp.post("/people/import/confirm")
@login_required
def confirm_import_people() -> ResponseReturnValue:
    """Save the previewed CSV: everything is checked again, and all rows or none are added."""
    editable = editable_partnership_ids(user())
    if editable is not None and not editable:
        abort(403)
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        abort(400)
    result = services.import_people(form.content.data, allowed_partnership_ids=editable)
    if not result.is_valid:
        db.session.rollback()
        return render_template(
            "directory/people_import_preview.html",
            checked=result,
            confirm=form,
            columns=services.PEOPLE_COLUMNS,
        ), 422
    db.session.commit()
    flash(f"{len(result.rows)} people imported.", "success")
    return redirect_after_post(url_for(".people"))
