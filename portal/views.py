"""The dashboard."""

from flask import Blueprint
from flask import render_template
from flask.typing import ResponseReturnValue

from portal import clock
from portal.access import login_required
from portal.access import roles_by_partnership
from portal.access import user
from portal.directory import queries
from surveys.fieldwork import open_invitations

bp = Blueprint("portal", __name__)


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    """The signed-in person's partnerships, their role in each, and surveys to answer."""
    account = user()
    roles = roles_by_partnership(account)
    return render_template(
        "portal/index.html",
        partnerships=queries.partnerships_for(account),
        roles=roles,
        to_answer=open_invitations(account.person_id, clock.today()),
    )
