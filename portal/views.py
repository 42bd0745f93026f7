"""The dashboard."""

from flask import Blueprint
from flask import render_template
from flask.typing import ResponseReturnValue

from portal.access import login_required
from portal.access import roles_by_partnership
from portal.access import user
from portal.directory import queries

bp = Blueprint("portal", __name__)


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    """The signed-in person's partnerships and their role in each."""
    account = user()
    roles = roles_by_partnership(account)
    return render_template(
        "portal/index.html",
        partnerships=queries.partnerships_for(account),
        roles=roles,
    )
