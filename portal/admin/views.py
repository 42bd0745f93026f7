"""Site administration: accounts, invitations and the development outbox."""

from datetime import timedelta

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import render_template
from flask import url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from portal.access import admin_required
from portal.admin import services
from portal.directory.forms import InviteForm
from portal.directory.services import DuplicateError
from portal.extensions import db
from portal.htmx import redirect_after_post
from portal.mail import Mail
from portal.mail import outbox
from portal.mail import send_after_commit
from portal.models import MemberRole
from portal.models import Organisation
from portal.models import Partnership
from portal.models import User
from portal.urls import external_url

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/users")
@admin_required
def users() -> ResponseReturnValue:
    """Every account."""
    accounts = db.session.scalars(select(User).order_by(User.name))
    return render_template("admin/users.html", accounts=list(accounts))


@bp.route("/users/invite", methods=["GET", "POST"])
@admin_required
def invite() -> ResponseReturnValue:
    """Invite someone by email; they choose their own password from the link."""
    organisations = db.session.scalars(
        select(Organisation)
        .where(Organisation.archived_at.is_(None))
        .order_by(Organisation.name)
    )
    partnerships = db.session.scalars(
        select(Partnership)
        .where(Partnership.archived_at.is_(None))
        .order_by(Partnership.name)
    )
    form = InviteForm(
        organisations=[(str(o.id), o.name) for o in organisations],
        partnerships=[(str(p.id), p.name) for p in partnerships],
    )
    if form.validate_on_submit():
        organisation = db.get_or_404(Organisation, int(form.organisation.data))
        partnership = (
            db.get_or_404(Partnership, int(form.partnership.data))
            if form.partnership.data
            else None
        )
        days = current_app.config["INVITE_TOKEN_DAYS"]
        try:
            account, raw = services.invite_user(
                email=form.email.data,
                name=form.name.data,
                organisation=organisation,
                partnership=partnership,
                role=MemberRole(form.role.data),
                is_admin=form.is_admin.data == "yes",
                lifetime=timedelta(days=days),
            )
        except DuplicateError as error:
            form.email.errors.append(error.message)
        else:
            send_after_commit(
                Mail(
                    to=account.email,
                    subject="You are invited to the Partnership Portal",
                    body=render_template(
                        "auth/email/invite.txt",
                        account=account,
                        partnership=partnership,
                        link=external_url("auth.accept_invitation", token=raw),
                        days=days,
                    ),
                )
            )
            db.session.commit()
            flash(f"Invitation sent to {account.email}.", "success")
            return redirect_after_post(url_for(".users"))
    status = 422 if form.is_submitted() else 200
    return render_template("admin/invite.html", form=form), status


@bp.get("/outbox")
@admin_required
def outbox_list() -> ResponseReturnValue:
    """Messages written to the outbox folder because no SMTP server is configured."""
    return render_template(
        "admin/outbox.html",
        messages=outbox(),
        smtp=bool(current_app.config["MAIL_SERVER"]),
    )


@bp.get("/outbox/<name>")
@admin_required
def outbox_message(name: str) -> ResponseReturnValue:
    """One message from the outbox."""
    for message in outbox():
        if message.name == name:
            return render_template("admin/outbox_message.html", message=message)
    abort(404)
