"""Action-plan pages: the plan, actions and their history, structure, indicators,
progress, owners' updates (signed in or from an emailed link), import and export.

Who may do what (every route, fragment and download checks it):

- A strategy belongs to its partnership. Anyone with a role there reads it:
  coordinators, board members and partner contacts (the plan is the
  partnership's shared record, and partner staff own many of its actions).
  Members of other partnerships get 404, as for a strategy that does not exist.
- Coordinators of the partnership and site administrators change it: structure,
  actions, statuses, carry-forward, indicators, imports and reminders. Others
  who can read get 403.
- The "Survey questions" page lists every linked question to anyone who reads
  the plan, but shows its answers only to those who may see the survey's
  results (``surveys.access.can_see_respondents``).
- An action's owner may add progress updates to it, from the action page, from
  "My actions", or from an emailed single-use link without signing in
  (``governance.plan_tokens``); nothing else.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from typing import Any
from typing import TypeVar
from urllib.parse import parse_qsl
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import Blueprint
from flask import Response
from flask import abort
from flask import current_app
from flask import flash
from flask import make_response
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask.typing import ResponseReturnValue
from markupsafe import Markup
from sqlalchemy import or_
from sqlalchemy import select

from governance import completion
from governance import meetings
from governance import plan_charts
from governance import plan_csv
from governance import plan_survey
from governance import plan_tokens
from governance import plans
from governance import queries
from governance.completion import Breakdown
from governance.completion import CompletionRow
from governance.models import Action
from governance.models import ActionEvent
from governance.models import ActionStatus
from governance.models import DeliveryGroup
from governance.models import Direction
from governance.models import Indicator
from governance.models import Rag
from governance.models import Strategy
from governance.models import Theme
from governance.plan_forms import ActionForm
from governance.plan_forms import AsOfForm
from governance.plan_forms import CarryForwardForm
from governance.plan_forms import GroupForm
from governance.plan_forms import IndicatorForm
from governance.plan_forms import IndicatorValueForm
from governance.plan_forms import LinkForm
from governance.plan_forms import MergeForm
from governance.plan_forms import PlanConfirmForm
from governance.plan_forms import PlanUploadForm
from governance.plan_forms import RemindForm
from governance.plan_forms import SinceForm
from governance.plan_forms import StatusForm
from governance.plan_forms import StrategyForm
from governance.plan_forms import ThemeForm
from governance.plan_forms import UpdateForm
from governance.plan_forms import status_choices
from governance.plan_tokens import PlanUpdateToken
from governance.plans import PlanError
from portal import clock
from portal.access import can_edit_partnership
from portal.access import editable_partnership_ids
from portal.access import login_required
from portal.access import user
from portal.access import visible_partnership_ids
from portal.errors import EditConflictError
from portal.extensions import db
from portal.htmx import is_partial_request
from portal.htmx import redirect_after_post
from portal.htmx import render_page_or_partial
from portal.models import Membership
from portal.models import Organisation
from portal.models import Participation
from portal.models import Partnership
from portal.models import Person
from portal.models import utcnow
from portal.throttling import bad_links_per_address
from surveys.access import can_see_respondents
from surveys.models import Item
from surveys.models import Survey
from surveys.release import min_base

bp = Blueprint("plans", __name__, url_prefix="/plans")
_T = TypeVar("_T")

#: The plan page's query-string arguments (filters and sort).
FILTER_KEYS = ("theme", "group", "owner", "lead", "status", "rag", "overdue", "sort")
SORT_CHOICES = {
    "ref": "Reference",
    "due_date": "Due date",
    "overdue": "Overdue first",
    "status": "Status",
    "rag": "RAG (red first)",
    "progress": "Progress",
    "owner": "Owner",
    "lead": "Lead organisation",
    "theme": "Theme",
    "group": "Delivery group",
}
INVALID_LINK = (
    "This link is not valid. Links work once and expire after 14 days. Ask your "
    "coordinator for a new one, or sign in and choose “My actions”."
)
_LINK_SESSION_KEY = "plan_update_link"
_CONFLICT = (
    "Someone else saved this action while you were editing it. Your changes are "
    "below and have not been saved: save again to replace theirs, or cancel to "
    "keep theirs."
)
_WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")


class _RedactPlanLinks(logging.Filter):
    """Keep update-link tokens out of the access log."""

    pattern = re.compile(r"/plans/link/(?!actions/)[A-Za-z0-9_\-]+")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(
                self.pattern.sub("/plans/link/[redacted]", arg)
                if isinstance(arg, str)
                else arg
                for arg in record.args
            )
        record.msg = self.pattern.sub("/plans/link/[redacted]", str(record.msg))
        return True


logging.getLogger("werkzeug").addFilter(_RedactPlanLinks())


def today() -> date:
    """Today's date in the portal's time zone (patched in tests)."""
    return clock.today()


def local_time(moment: datetime) -> str:
    """A recorded moment as people read it, in the portal's time zone."""
    zone = ZoneInfo(str(current_app.config.get("TIMEZONE", "Europe/London")))
    local = moment.astimezone(zone)
    return f"{local.day} {local:%B %Y, %H:%M}"


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"day_text": plans.day_text, "local_time": local_time, "Rag": Rag}


@bp.after_request
def _not_cached(response: Response) -> Response:
    """Plans hold personal data and emailed-link pages have no sign-in: never cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _download(content: str, filename: str) -> Response:
    response = make_response(content)
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# Access -------------------------------------------------------------------------------


def can_edit(strategy: Strategy) -> bool:
    """Administrators and the coordinators of the strategy's partnership."""
    return can_edit_partnership(user(), strategy.partnership)


def load_strategy(slug: str, *, edit: bool = False) -> Strategy:
    """The strategy, or 404 if the account cannot see it, 403 if it may not change it."""
    account = user()
    strategy: Strategy = db.one_or_404(select(Strategy).where(Strategy.slug == slug))
    visible = visible_partnership_ids(account)
    if visible is not None and strategy.partnership_id not in visible:
        abort(404)
    if edit and not can_edit(strategy):
        abort(403)
    return strategy


def _action(strategy: Strategy, action_id: int) -> Action:
    action = db.session.get(Action, action_id)
    if action is None or action.strategy_id != strategy.id:
        abort(404)
    return action


def _theme(strategy: Strategy, theme_id: int | None) -> Theme:
    theme = db.session.get(Theme, theme_id) if theme_id is not None else None
    if theme is None or theme.strategy_id != strategy.id:
        abort(404)
    return theme


def _group(strategy: Strategy, group_id: int | None) -> DeliveryGroup:
    group = db.session.get(DeliveryGroup, group_id) if group_id is not None else None
    if group is None or group.strategy_id != strategy.id:
        abort(404)
    return group


def _indicator(strategy: Strategy, indicator_id: int | None) -> Indicator:
    indicator = (
        db.session.get(Indicator, indicator_id) if indicator_id is not None else None
    )
    if indicator is None or indicator.strategy_id != strategy.id:
        abort(404)
    return indicator


def _is_owner(action: Action) -> bool:
    account = user()
    return account.person_id is not None and action.owner_id == account.person_id


# Choices ------------------------------------------------------------------------------


def _organisations(strategy: Strategy) -> list[Organisation]:
    """The organisations taking part in the strategy's partnership, by name."""
    return list(
        db.session.scalars(
            select(Organisation)
            .join(Participation, Participation.organisation_id == Organisation.id)
            .where(Participation.partnership_id == strategy.partnership_id)
            .where(Organisation.archived_at.is_(None))
            .order_by(Organisation.name)
        )
    )


def _people(strategy: Strategy) -> list[Person]:
    """Everyone in the partnership: its members and its organisations' staff."""
    organisation_ids = select(Participation.organisation_id).where(
        Participation.partnership_id == strategy.partnership_id
    )
    member_ids = select(Membership.person_id).where(
        Membership.partnership_id == strategy.partnership_id
    )
    return list(
        db.session.scalars(
            select(Person)
            .where(
                or_(
                    Person.organisation_id.in_(organisation_ids),
                    Person.id.in_(member_ids),
                )
            )
            .where(Person.archived_at.is_(None))
            .order_by(Person.name)
        )
    )


def _person_choices(
    strategy: Strategy, keep: Sequence[Person | None] = ()
) -> list[tuple[str, str]]:
    people = _people(strategy)
    people += [p for p in keep if p is not None and p not in people]
    return [(str(p.id), f"{p.name}, {p.organisation.name}") for p in people]


def _action_form(
    strategy: Strategy, action: Action | None = None, **kwargs: Any
) -> ActionForm:
    organisations = _organisations(strategy)
    lead = action.lead_organisation if action is not None else None
    if lead is not None and lead not in organisations:
        organisations.append(lead)
    return ActionForm(
        themes=[(str(t.id), t.name) for t in strategy.active_themes],
        groups=[(str(g.id), g.name) for g in strategy.active_groups],
        organisations=[(str(o.id), o.name) for o in organisations],
        people=_person_choices(strategy, [action.owner] if action else []),
        new=action is None,
        **kwargs,
    )


def _get_organisation(organisation_id: int | None) -> Organisation | None:
    return (
        db.session.get(Organisation, organisation_id)
        if organisation_id is not None
        else None
    )


def _get_person(person_id: int | None) -> Person | None:
    return db.session.get(Person, person_id) if person_id is not None else None


def _given(value: _T | None) -> _T:
    """A validated form's required value, which is never None once it has validated."""
    if value is None:
        raise ValueError("validate the form before reading its values")
    return value


def _error_field(form: Any, message: str, rules: Sequence[tuple[str, str]]) -> Any:
    """The field a service's refusal belongs beside: the first rule whose words match."""
    lowered = message.lower()
    for words, name in rules:
        if words in lowered:
            return getattr(form, name)
    return getattr(form, rules[-1][1])


# Strategies -----------------------------------------------------------------------------


@bp.get("")
@login_required
def index() -> ResponseReturnValue:
    """The strategies the account can see, and its own actions."""
    account = user()
    visible = visible_partnership_ids(account)
    query = (
        select(Strategy)
        .join(Partnership, Partnership.id == Strategy.partnership_id)
        .where(Partnership.archived_at.is_(None))
        .order_by(Partnership.name, Strategy.starts_on.desc(), Strategy.title)
    )
    if visible is not None:
        query = query.where(Strategy.partnership_id.in_(visible))
    editable = editable_partnership_ids(account)
    owned = 0
    if account.person_id is not None:
        owned = len(
            [
                action
                for action in db.session.scalars(
                    select(Action).where(Action.owner_id == account.person_id)
                )
                if action.status.is_open
            ]
        )
    return render_template(
        "plans/index.html",
        strategies=list(db.session.scalars(query)),
        can_create=editable is None or bool(editable),
        owned=owned,
    )


def _editable_partnerships() -> list[tuple[str, str]]:
    editable = editable_partnership_ids(user())
    query = select(Partnership).where(Partnership.archived_at.is_(None))
    if editable is not None:
        query = query.where(Partnership.id.in_(editable))
    return [
        (str(p.id), p.name)
        for p in db.session.scalars(query.order_by(Partnership.name))
    ]


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create_strategy() -> ResponseReturnValue:
    """Start a strategy for a partnership the account coordinates."""
    choices = _editable_partnerships()
    if not choices:
        abort(403)
    form = StrategyForm(partnerships=choices)
    if form.validate_on_submit():
        partnership = db.session.get(Partnership, int(form.partnership.data))
        if partnership is None:
            abort(404)
        try:
            strategy = plans.create_strategy(
                slug=form.slug.data,
                title=form.title.data,
                description=form.description.data or "",
                partnership=partnership,
                starts_on=_given(form.starts_on.data),
                ends_on=_given(form.ends_on.data),
            )
        except PlanError as error:
            db.session.rollback()
            _error_field(
                form,
                error.message,
                [("end", "ends_on"), ("title", "title"), ("", "slug")],
            ).errors.append(error.message)
        else:
            db.session.commit()
            flash(
                "Strategy created. Add its themes and delivery groups next.", "success"
            )
            return redirect_after_post(url_for(".structure", slug=strategy.slug))
    status = 422 if form.is_submitted() else 200
    return render_template("plans/strategy_form.html", form=form, strategy=None), status


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit_strategy(slug: str) -> ResponseReturnValue:
    """Change a strategy's title, description or period."""
    strategy = load_strategy(slug, edit=True)
    form = StrategyForm(
        data={
            "title": strategy.title,
            "description": strategy.description,
            "starts_on": strategy.starts_on,
            "ends_on": strategy.ends_on,
            "version": strategy.version,
        }
    )
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            plans.update_strategy(
                strategy,
                opened_version=form.opened_version(),
                title=form.title.data,
                description=form.description.data or "",
                starts_on=_given(form.starts_on.data),
                ends_on=_given(form.ends_on.data),
            )
        except EditConflictError:
            db.session.rollback()
            form.version.data = strategy.version
            form.title.errors.append(_CONFLICT.replace("action", "strategy"))
            status = 409
        except PlanError as error:
            db.session.rollback()
            _error_field(
                form, error.message, [("end", "ends_on"), ("", "title")]
            ).errors.append(error.message)
        else:
            db.session.commit()
            flash("Strategy saved.", "success")
            return redirect_after_post(url_for(".plan", slug=slug))
    return render_template(
        "plans/strategy_form.html", form=form, strategy=strategy
    ), status


# The plan ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowState:
    """What a row says after an inline status change: saved, or why not."""

    chosen: str = ""
    message: str = ""
    saved: bool = False


def _clean_args(args: Mapping[str, str]) -> dict[str, str]:
    """The plan page's arguments that mean something; the rest are dropped."""
    cleaned: dict[str, str] = {}
    for key in FILTER_KEYS:
        value = (args.get(key) or "").strip()
        if not value:
            continue
        if key in ("theme", "group", "owner", "lead") and not _WHOLE_NUMBER.fullmatch(
            value
        ):
            continue
        if key == "status" and value not in {s.value for s in ActionStatus}:
            continue
        if key == "rag" and value not in {r.value for r in Rag}:
            continue
        if key == "overdue" and value != "1":
            continue
        if key == "sort" and value not in SORT_CHOICES:
            continue
        cleaned[key] = value
    return cleaned


def _plan_url(slug: str, args: Mapping[str, str]) -> str:
    """The plan page with the given filters."""
    query = urlencode(args)
    return url_for(".plan", slug=slug) + (f"?{query}" if query else "")


def _plan_filter(args: Mapping[str, str]) -> queries.PlanFilter:
    def number(key: str) -> int | None:
        return int(args[key]) if key in args else None

    return queries.PlanFilter(
        theme_id=number("theme"),
        group_id=number("group"),
        owner_id=number("owner"),
        lead_organisation_id=number("lead"),
        status=ActionStatus(args["status"]) if "status" in args else None,
        rag=Rag(args["rag"]) if "rag" in args else None,
        overdue_on=today() if "overdue" in args else None,
        sort=args.get("sort", "ref"),
        today=today(),
    )


def _filters(strategy: Strategy) -> list[tuple[str, str, list[tuple[Any, str]], str]]:
    """The plan page's selects: (name, label, options, blank option's text)."""
    every = strategy.actions
    owners = sorted({a.owner for a in every if a.owner}, key=lambda p: p.name)
    leads = sorted(
        {a.lead_organisation for a in every if a.lead_organisation},
        key=lambda o: o.name,
    )
    return [
        (
            "theme",
            "Theme",
            [(t.id, t.name) for t in strategy.active_themes],
            "All themes",
        ),
        (
            "group",
            "Delivery group",
            [(g.id, g.name) for g in strategy.active_groups],
            "All groups",
        ),
        ("owner", "Owner", [(p.id, p.name) for p in owners], "Everyone"),
        (
            "lead",
            "Lead organisation",
            [(o.id, o.name) for o in leads],
            "All organisations",
        ),
        ("status", "Status", [(s.value, s.label) for s in ActionStatus], "Any status"),
        ("rag", "RAG rating", [(r.value, r.label) for r in Rag], "Any rating"),
        ("sort", "Sort by", list(SORT_CHOICES.items()), ""),
    ]


def _plan_context(
    strategy: Strategy, args: dict[str, str], rows: Mapping[int, RowState]
) -> dict[str, Any]:
    """What the plan page and its fragments need (the actions list aside)."""
    return {
        "strategy": strategy,
        "total": len(strategy.actions),
        "args": args,
        "return_query": urlencode(args),
        "rows": rows,
        "can_edit": can_edit(strategy),
        "today": today(),
        "status_choices": status_choices,
    }


def _plan_page(
    strategy: Strategy,
    args: dict[str, str],
    status: int = 200,
    rows: Mapping[int, RowState] | None = None,
) -> ResponseReturnValue:
    return render_page_or_partial(
        "plans/plan.html",
        "plans/_actions.html",
        status=status,
        actions=queries.plan_actions(strategy, _plan_filter(args)),
        filters=_filters(strategy),
        **_plan_context(strategy, args, rows or {}),
    )


@bp.get("/<slug>")
@login_required
def plan(slug: str) -> ResponseReturnValue:
    """The plan: every action, filtered and sorted; htmx swaps the table alone."""
    strategy = load_strategy(slug)
    return _plan_page(strategy, _clean_args(request.args))


def _row(
    strategy: Strategy,
    action: Action,
    args: dict[str, str],
    state: RowState,
    status: int,
) -> ResponseReturnValue:
    """One row for htmx, or the whole plan page with the row's message."""
    if not is_partial_request():
        return _plan_page(strategy, args, status, {action.id: state})
    context = _plan_context(strategy, args, {action.id: state})
    response = make_response(
        render_template("plans/_action_row.html", action=action, **context), status
    )
    response.vary.add("HX-Request")
    return response


@bp.post("/<slug>/actions/<int:action_id>/status")
@login_required
def set_status(slug: str, action_id: int) -> ResponseReturnValue:
    """Change an action's status from its row on the plan (htmx, or a plain form)."""
    strategy = load_strategy(slug, edit=True)
    action = _action(strategy, action_id)
    args = _clean_args(dict(parse_qsl(request.form.get("return", ""))))
    form = StatusForm()
    chosen = form.status.data or ""
    if not form.validate_on_submit():
        message = next(iter(form.errors.values()), ["Choose a status"])[0]
        return _row(strategy, action, args, RowState(chosen, message), 422)
    try:
        plans.change_status(
            action,
            ActionStatus(chosen),
            opened_version=form.opened_version(),
            by=user(),
        )
    except EditConflictError:
        db.session.rollback()
        message = (
            "Someone else changed this action after you opened the page: it is now "
            f"“{action.status.label}”. Your choice, “{ActionStatus(chosen).label}”, "
            "has not been saved: save again to replace theirs."
        )
        return _row(strategy, action, args, RowState(chosen, message), 409)
    except PlanError as error:
        db.session.rollback()
        return _row(strategy, action, args, RowState(chosen, error.message), 422)
    db.session.commit()
    if is_partial_request():
        return _row(strategy, action, args, RowState(saved=True), 200)
    flash(f"{action.ref} is now “{action.status.label}”.", "success")
    return redirect_after_post(_plan_url(slug, args) + f"#action-{action.id}")


# One action ------------------------------------------------------------------------------


def _update_form(action: Action, **kwargs: Any) -> UpdateForm:
    """A progress-update form for ``action``; blank (its current values) unless posted."""
    if "formdata" not in kwargs and request.method != "POST":
        kwargs["formdata"] = None
    return UpdateForm(
        current=action.status,
        data={
            "status": action.status.value,
            "rag": action.rag.value,
            "progress_pct": action.progress_pct,
            "version": action.version,
        },
        **kwargs,
    )


def _survey_items(strategy: Strategy) -> list[tuple[Item, Survey]]:
    """Questions of the partnership's surveys (and its programme's), by survey."""
    partnership = strategy.partnership
    scope = Survey.partnership_id == partnership.id
    if partnership.programme_id is not None:
        scope = or_(scope, Survey.programme_id == partnership.programme_id)
    rows = db.session.execute(
        select(Item, Survey)
        .join(Survey, Survey.id == Item.survey_id)
        .where(scope)
        .order_by(Survey.title, Item.position)
    ).all()
    return [(item, survey) for item, survey in rows]


def _carry_reasons(action: Action) -> list[ActionEvent]:
    """Each time the action was carried forward, with its reason, oldest first."""
    return list(
        db.session.scalars(
            select(ActionEvent)
            .where(
                ActionEvent.action_id == action.id,
                ActionEvent.field == "carried_forward_count",
            )
            .order_by(ActionEvent.id)
        )
    )


def _action_page(
    strategy: Strategy,
    action: Action,
    status: int = 200,
    *,
    update_form: UpdateForm | None = None,
) -> ResponseReturnValue:
    editor = can_edit(strategy)
    linked_items = plans.linked_items(action)
    items = _survey_items(strategy)
    surveys = {survey.id: survey for _, survey in items}
    for item in linked_items:
        if item.survey_id not in surveys:
            found = db.session.get(Survey, item.survey_id)
            if found is not None:
                surveys[found.id] = found
    indicator_form = LinkForm(formdata=None, prefix="indicator")
    indicator_form.target.choices = [
        (str(i.id), i.name) for i in strategy.indicators if i not in action.indicators
    ]
    item_form = LinkForm(formdata=None, prefix="item")
    item_form.target.choices = [
        (str(item.id), f"{survey.title}: {item.text}")
        for item, survey in items
        if item not in linked_items
    ]
    account = user()
    return render_template(
        "plans/action.html",
        strategy=strategy,
        action=action,
        can_edit=editor,
        can_update=editor or _is_owner(action),
        update_form=update_form or _update_form(action, formdata=None),
        updates=list(reversed(action.updates)),
        history=queries.history(action),
        carries=_carry_reasons(action),
        arose_at=meetings.meeting_of_action(action),
        linked_items=[(item, surveys.get(item.survey_id)) for item in linked_items],
        can_see_results=lambda survey: (
            survey is not None and can_see_respondents(account, survey)
        ),
        indicator_form=indicator_form,
        item_form=item_form,
        today=today(),
    ), status


@bp.get("/<slug>/actions/<int:action_id>")
@login_required
def action(slug: str, action_id: int) -> ResponseReturnValue:
    """An action: details, carry-forwards, progress updates, links and full history."""
    strategy = load_strategy(slug)
    return _action_page(strategy, _action(strategy, action_id))


_UPDATE_RULES = (
    ("carry", "status"),
    ("progress must", "progress_pct"),
    ("date", "written_on"),
    ("", "narrative"),
)


def _record_update(
    action: Action, form: UpdateForm, by: plans.Actor
) -> tuple[bool, int]:
    """Save a posted progress update; (saved, status) with errors on the form if not."""
    if not form.validate_on_submit():
        return False, 422
    try:
        plans.record_update(
            action,
            opened_version=form.opened_version(),
            narrative=form.narrative.data,
            status=ActionStatus(form.status.data),
            rag=Rag(form.rag.data),
            progress_pct=_given(form.progress_pct.data),
            written_on=form.written_on.data,
            by=by,
        )
    except EditConflictError:
        db.session.rollback()
        form.version.data = action.version
        form.narrative.errors.append(
            "Someone else changed this action while you were writing: it is now "
            f"“{action.status.label}”, RAG {action.rag.label.lower()}, "
            f"{action.progress_pct}% done. Your update is below and has not been "
            "saved: check it and save again."
        )
        return False, 409
    except PlanError as error:
        db.session.rollback()
        _error_field(form, error.message, _UPDATE_RULES).errors.append(error.message)
        return False, 422
    db.session.commit()
    return True, 303


@bp.post("/<slug>/actions/<int:action_id>/updates")
@login_required
def add_update(slug: str, action_id: int) -> ResponseReturnValue:
    """Add a dated progress update (coordinators, or the action's owner)."""
    strategy = load_strategy(slug)
    action = _action(strategy, action_id)
    if not (can_edit(strategy) or _is_owner(action)):
        abort(403)
    form = _update_form(action)
    saved, status = _record_update(action, form, user())
    if saved:
        flash(f"Progress update on {action.ref} saved.", "success")
        return redirect_after_post(
            url_for(".action", slug=slug, action_id=action.id) + "#updates"
        )
    return _action_page(strategy, action, status, update_form=form)


def _action_data(action: Action) -> dict[str, Any]:
    return {
        "ref": action.ref,
        "title": action.title,
        "description": action.description,
        "theme": str(action.theme_id),
        "delivery_group": str(action.delivery_group_id or ""),
        "lead_organisation": str(action.lead_organisation_id or ""),
        "owner": str(action.owner_id or ""),
        "start_date": action.start_date,
        "due_date": action.due_date,
        "rag": action.rag.value,
        "progress_pct": action.progress_pct,
        "version": action.version,
    }


_ACTION_RULES = (
    ("reference", "ref"),
    ("already has an action", "ref"),
    ("due date", "due_date"),
    ("progress", "progress_pct"),
    ("theme", "theme"),
    ("delivery group", "delivery_group"),
    ("take part", "lead_organisation"),
    ("carried forward", "status"),
    ("is not in", "owner"),
    ("", "title"),
)


@bp.route("/<slug>/actions/new", methods=["GET", "POST"])
@login_required
def add_action(slug: str) -> ResponseReturnValue:
    """Add an action to the plan; bad input is refused with nothing saved."""
    strategy = load_strategy(slug, edit=True)
    form = _action_form(strategy)
    if form.validate_on_submit():
        try:
            created = plans.create_action(
                strategy,
                ref=form.ref.data,
                title=form.title.data,
                description=form.description.data or "",
                theme=_theme(strategy, form.theme.id_or_none()),
                delivery_group=_group(strategy, form.delivery_group.id_or_none())
                if form.delivery_group.data
                else None,
                lead_organisation=_get_organisation(
                    form.lead_organisation.id_or_none()
                ),
                owner=_get_person(form.owner.id_or_none()),
                start_date=form.start_date.data,
                due_date=_given(form.due_date.data),
                status=ActionStatus(form.status.data),
                rag=Rag(form.rag.data),
                progress_pct=_given(form.progress_pct.data),
                by=user(),
            )
        except PlanError as error:
            db.session.rollback()
            _error_field(form, error.message, _ACTION_RULES).errors.append(
                error.message
            )
        else:
            db.session.commit()
            flash(f"Action {created.ref} added.", "success")
            return redirect_after_post(
                url_for(".action", slug=slug, action_id=created.id)
            )
    status = 422 if form.is_submitted() else 200
    return render_template(
        "plans/action_form.html", strategy=strategy, action=None, form=form
    ), status


@bp.route("/<slug>/actions/<int:action_id>/edit", methods=["GET", "POST"])
@login_required
def edit_action(slug: str, action_id: int) -> ResponseReturnValue:
    """Change an action's details, unless someone saved since the form was opened."""
    strategy = load_strategy(slug, edit=True)
    action = _action(strategy, action_id)
    form = _action_form(strategy, action, data=_action_data(action))
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            plans.update_action(
                action,
                opened_version=form.opened_version(),
                ref=form.ref.data,
                title=form.title.data,
                description=form.description.data or "",
                theme=_theme(strategy, form.theme.id_or_none()),
                delivery_group=_group(strategy, form.delivery_group.id_or_none())
                if form.delivery_group.data
                else None,
                lead_organisation=_get_organisation(
                    form.lead_organisation.id_or_none()
                ),
                owner=_get_person(form.owner.id_or_none()),
                start_date=form.start_date.data,
                due_date=_given(form.due_date.data),
                rag=Rag(form.rag.data),
                progress_pct=_given(form.progress_pct.data),
                by=user(),
            )
        except EditConflictError:
            db.session.rollback()
            form.version.data = action.version
            form.title.errors.append(_CONFLICT)
            status = 409
        except PlanError as error:
            db.session.rollback()
            _error_field(form, error.message, _ACTION_RULES).errors.append(
                error.message
            )
        else:
            db.session.commit()
            flash(f"Action {action.ref} saved.", "success")
            return redirect_after_post(
                url_for(".action", slug=slug, action_id=action.id)
            )
    return render_template(
        "plans/action_form.html", strategy=strategy, action=action, form=form
    ), status


@bp.route("/<slug>/actions/<int:action_id>/carry-forward", methods=["GET", "POST"])
@login_required
def carry_forward(slug: str, action_id: int) -> ResponseReturnValue:
    """Carry an unfinished action into a later period: new due date and a reason."""
    strategy = load_strategy(slug, edit=True)
    action = _action(strategy, action_id)
    form = CarryForwardForm(data={"version": action.version})
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            plans.carry_forward(
                action,
                opened_version=form.opened_version(),
                new_due_date=_given(form.new_due_date.data),
                reason=form.reason.data,
                by=user(),
            )
        except EditConflictError:
            db.session.rollback()
            form.version.data = action.version
            form.new_due_date.errors.append(
                "Someone else changed this action while you were editing it: it is "
                f"now “{action.status.label}”, due {plans.day_text(action.due_date)}. "
                "Your entries are below and have not been saved: save again to "
                "carry it forward anyway, or cancel."
            )
            status = 409
        except PlanError as error:
            db.session.rollback()
            _error_field(
                form, error.message, [("reason", "reason"), ("", "new_due_date")]
            ).errors.append(error.message)
        else:
            db.session.commit()
            flash(
                f"{action.ref} carried forward to {plans.day_text(action.due_date)}.",
                "success",
            )
            return redirect_after_post(
                url_for(".action", slug=slug, action_id=action.id)
            )
    return render_template(
        "plans/carry_forward.html", strategy=strategy, action=action, form=form
    ), status


def _link_target(prefix: str) -> int:
    """The id chosen in a posted link form (400 if there is none)."""
    value = request.form.get(f"{prefix}-target", "")
    if not _WHOLE_NUMBER.fullmatch(value):
        abort(400)
    return int(value)


@bp.post("/<slug>/actions/<int:action_id>/indicators")
@login_required
def link_indicator(slug: str, action_id: int) -> ResponseReturnValue:
    """Say that the action is meant to move an indicator of the same strategy."""
    strategy = load_strategy(slug, edit=True)
    action = _action(strategy, action_id)
    indicator = _indicator(strategy, _link_target("indicator"))
    plans.link_indicator(action, indicator)
    db.session.commit()
    flash(f"{action.ref} linked to “{indicator.name}”.", "success")
    return redirect_after_post(
        url_for(".action", slug=slug, action_id=action.id) + "#links"
    )


@bp.post("/<slug>/actions/<int:action_id>/indicators/<int:indicator_id>/remove")
@login_required
def unlink_indicator(
    slug: str, action_id: int, indicator_id: int
) -> ResponseReturnValue:
    """Remove the link between an action and an indicator."""
    strategy = load_strategy(slug, edit=True)
    action = _action(strategy, action_id)
    plans.unlink_indicator(action, _indicator(strategy, indicator_id))
    db.session.commit()
    flash("Link removed.", "success")
    return redirect_after_post(
        url_for(".action", slug=slug, action_id=action.id) + "#links"
    )


def _partnership_item(strategy: Strategy, item_id: int) -> Item:
    item = db.session.get(Item, item_id)
    if item is None or item.id not in {i.id for i, _ in _survey_items(strategy)}:
        abort(404)
    return item


@bp.post("/<slug>/actions/<int:action_id>/items")
@login_required
def link_item(slug: str, action_id: int) -> ResponseReturnValue:
    """Say that the action is meant to move answers to one of the partnership's questions."""
    strategy = load_strategy(slug, edit=True)
    action = _action(strategy, action_id)
    item = _partnership_item(strategy, _link_target("item"))
    plans.link_survey_item(action, item)
    db.session.commit()
    flash(f"{action.ref} linked to the question “{item.text}”.", "success")
    return redirect_after_post(
        url_for(".action", slug=slug, action_id=action.id) + "#links"
    )


@bp.post("/<slug>/actions/<int:action_id>/items/<int:item_id>/remove")
@login_required
def unlink_item(slug: str, action_id: int, item_id: int) -> ResponseReturnValue:
    """Remove the link between an action and a survey question."""
    strategy = load_strategy(slug, edit=True)
    action = _action(strategy, action_id)
    item = db.session.get(Item, item_id)
    if item is None:
        abort(404)
    plans.unlink_survey_item(action, item)
    db.session.commit()
    flash("Link removed.", "success")
    return redirect_after_post(
        url_for(".action", slug=slug, action_id=action.id) + "#links"
    )


# Structure: themes and delivery groups -------------------------------------------------


def _merge_form(
    items: Sequence[Theme | DeliveryGroup], what: str, **kw: Any
) -> MergeForm:
    form = MergeForm(what=what, **kw)
    choices = [(str(item.id), item.name) for item in items if item.is_active]
    form.sources.choices = choices
    form.into.choices = [("", "Choose…"), *choices]
    return form


def _structure_page(
    strategy: Strategy, status: int = 200, **forms: Any
) -> ResponseReturnValue:
    counts: dict[tuple[str, int | None], int] = defaultdict(int)
    for action in strategy.actions:
        counts[("theme", action.theme_id)] += 1
        counts[("group", action.delivery_group_id)] += 1
    forms.setdefault("theme_form", ThemeForm(formdata=None, prefix="theme"))
    forms.setdefault(
        "merge_themes_form",
        _merge_form(strategy.themes, "themes", formdata=None, prefix="mt"),
    )
    forms.setdefault(
        "merge_groups_form",
        _merge_form(strategy.groups, "delivery groups", formdata=None, prefix="mg"),
    )
    return render_template(
        "plans/structure.html",
        strategy=strategy,
        counts=counts,
        can_edit=can_edit(strategy),
        **forms,
    ), status


@bp.get("/<slug>/structure")
@login_required
def structure(slug: str) -> ResponseReturnValue:
    """Themes and delivery groups, current and merged, and the forms to change them."""
    return _structure_page(load_strategy(slug))


@bp.post("/<slug>/themes")
@login_required
def add_theme(slug: str) -> ResponseReturnValue:
    """Add a theme at the end."""
    strategy = load_strategy(slug, edit=True)
    form = ThemeForm(prefix="theme")
    if form.validate_on_submit():
        try:
            theme = plans.create_theme(strategy, name=form.name.data)
        except PlanError as error:
            db.session.rollback()
            form.name.errors.append(error.message)
        else:
            db.session.commit()
            flash(f"Theme “{theme.name}” added.", "success")
            return redirect_after_post(url_for(".structure", slug=slug))
    return _structure_page(strategy, 422, theme_form=form)


@bp.route("/<slug>/themes/<int:theme_id>/rename", methods=["GET", "POST"])
@login_required
def rename_theme(slug: str, theme_id: int) -> ResponseReturnValue:
    """Correct a theme's name (to keep the old name in earlier reports, merge instead)."""
    strategy = load_strategy(slug, edit=True)
    theme = _theme(strategy, theme_id)
    form = ThemeForm(data={"name": theme.name})
    if form.validate_on_submit():
        try:
            plans.rename_theme(theme, name=form.name.data)
        except PlanError as error:
            db.session.rollback()
            form.name.errors.append(error.message)
        else:
            db.session.commit()
            flash(f"Theme renamed “{theme.name}”.", "success")
            return redirect_after_post(url_for(".structure", slug=slug))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "plans/theme_form.html", strategy=strategy, theme=theme, form=form
    ), status


def _merge(
    strategy: Strategy, form: MergeForm, what: str, form_key: str
) -> ResponseReturnValue:
    if form.validate_on_submit():
        try:
            if what == "themes":
                sources = [_theme(strategy, i) for i in form.sources.ids()]
                into = _theme(strategy, form.into.id_or_none())
                plans.merge_themes(sources, into, by=user())
            else:
                groups = [_group(strategy, i) for i in form.sources.ids()]
                target = _group(strategy, form.into.id_or_none())
                plans.merge_groups(groups, target, by=user())
        except PlanError as error:
            db.session.rollback()
            form.sources.errors.append(error.message)
        else:
            db.session.commit()
            flash(
                f"{len(form.sources.data)} {what} merged. Their actions moved; "
                "reports for earlier dates still show them as they were.",
                "success",
            )
            return redirect_after_post(url_for(".structure", slug=strategy.slug))
    return _structure_page(strategy, 422, **{form_key: form})


@bp.post("/<slug>/themes/merge")
@login_required
def merge_themes(slug: str) -> ResponseReturnValue:
    """Merge themes into another at a refresh (three themes into two)."""
    strategy = load_strategy(slug, edit=True)
    form = _merge_form(strategy.themes, "themes", prefix="mt")
    return _merge(strategy, form, "themes", "merge_themes_form")


@bp.post("/<slug>/groups/merge")
@login_required
def merge_groups(slug: str) -> ResponseReturnValue:
    """Merge delivery groups into another at a refresh."""
    strategy = load_strategy(slug, edit=True)
    form = _merge_form(strategy.groups, "delivery groups", prefix="mg")
    return _merge(strategy, form, "delivery groups", "merge_groups_form")


def _group_form(strategy: Strategy, group: DeliveryGroup | None) -> GroupForm:
    data: dict[str, Any] = {}
    if group is not None:
        data = {
            "name": group.name,
            "theme": str(group.theme_id or ""),
            "chair": str(group.chair_id or ""),
            "members": [str(person.id) for person in group.members],
        }
    form = GroupForm(data=data)
    keep = [group.chair, *group.members] if group is not None else []
    people = _person_choices(strategy, keep)
    form.theme.choices = [
        ("", "None"),
        *((str(t.id), t.name) for t in strategy.active_themes),
    ]
    if group is not None and group.theme is not None and not group.theme.is_active:
        form.theme.choices.append((str(group.theme.id), group.theme.name))
    form.chair.choices = [("", "No chair yet"), *people]
    form.members.choices = people
    return form


def _save_group(
    strategy: Strategy, form: GroupForm, group: DeliveryGroup | None
) -> DeliveryGroup | None:
    """Create or change a group from a validated form; None (errors on the form) if refused."""
    theme = _theme(strategy, form.theme.id_or_none()) if form.theme.data else None
    chair = _get_person(form.chair.id_or_none())
    members = [p for p in (_get_person(i) for i in form.members.ids()) if p]
    try:
        if group is None:
            group = plans.create_group(
                strategy, name=form.name.data, theme=theme, chair=chair, members=members
            )
        else:
            plans.update_group(
                group, name=form.name.data, theme=theme, chair=chair, members=members
            )
    except PlanError as error:
        db.session.rollback()
        _error_field(
            form,
            error.message,
            [("theme", "theme"), ("is not in", "members"), ("", "name")],
        ).errors.append(error.message)
        return None
    db.session.commit()
    return group


@bp.route("/<slug>/groups/new", methods=["GET", "POST"])
@login_required
def add_group(slug: str) -> ResponseReturnValue:
    """Add a delivery group with its theme, chair and members."""
    strategy = load_strategy(slug, edit=True)
    form = _group_form(strategy, None)
    if form.validate_on_submit():
        group = _save_group(strategy, form, None)
        if group is not None:
            flash(f"Delivery group “{group.name}” added.", "success")
            return redirect_after_post(url_for(".structure", slug=slug))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "plans/group_form.html", strategy=strategy, group=None, form=form
    ), status


@bp.route("/<slug>/groups/<int:group_id>/edit", methods=["GET", "POST"])
@login_required
def edit_group(slug: str, group_id: int) -> ResponseReturnValue:
    """Change a delivery group's name, theme, chair or members."""
    strategy = load_strategy(slug, edit=True)
    group = _group(strategy, group_id)
    form = _group_form(strategy, group)
    if form.validate_on_submit() and _save_group(strategy, form, group) is not None:
        flash(f"Delivery group “{group.name}” saved.", "success")
        return redirect_after_post(url_for(".structure", slug=slug))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "plans/group_form.html", strategy=strategy, group=group, form=form
    ), status


# Indicators ------------------------------------------------------------------------------


def _value_form(indicator: Indicator, posted: bool = False) -> IndicatorValueForm:
    kwargs: dict[str, Any] = {"prefix": f"ind{indicator.id}"}
    if not posted:
        kwargs["formdata"] = None
    return IndicatorValueForm(**kwargs)


def _indicators_page(
    strategy: Strategy,
    status: int = 200,
    indicator_form: IndicatorForm | None = None,
    value_forms: Mapping[int, IndicatorValueForm] | None = None,
) -> ResponseReturnValue:
    forms = {i.id: _value_form(i) for i in strategy.indicators}
    forms.update(value_forms or {})
    linked: dict[int, list[Action]] = defaultdict(list)
    for action in strategy.actions:
        for indicator in action.indicators:
            linked[indicator.id].append(action)
    return render_template(
        "plans/indicators.html",
        strategy=strategy,
        can_edit=can_edit(strategy),
        indicator_form=indicator_form or IndicatorForm(formdata=None, prefix="new"),
        value_forms=forms,
        linked=linked,
        rag_of=plans.indicator_rag,
        Direction=Direction,
    ), status


@bp.get("/<slug>/indicators")
@login_required
def indicators(slug: str) -> ResponseReturnValue:
    """Outcome indicators: targets, values per period and RAG against target."""
    return _indicators_page(load_strategy(slug))


@bp.post("/<slug>/indicators")
@login_required
def add_indicator(slug: str) -> ResponseReturnValue:
    """Add an outcome indicator with a percentage target."""
    strategy = load_strategy(slug, edit=True)
    form = IndicatorForm(prefix="new")
    if form.validate_on_submit():
        try:
            indicator = plans.create_indicator(
                strategy,
                name=form.name.data,
                description=form.description.data or "",
                target_pct=form.target_pct.value(),
                direction=Direction(form.direction.data),
                amber_margin_pp=form.amber_margin_pp.value(),
            )
        except PlanError as error:
            db.session.rollback()
            _error_field(
                form,
                error.message,
                [("target", "target_pct"), ("margin", "amber_margin_pp"), ("", "name")],
            ).errors.append(error.message)
        else:
            db.session.commit()
            flash(f"Indicator “{indicator.name}” added.", "success")
            return redirect_after_post(
                url_for(".indicators", slug=slug) + f"#indicator-{indicator.id}"
            )
    return _indicators_page(strategy, 422, indicator_form=form)


@bp.post("/<slug>/indicators/<int:indicator_id>/values")
@login_required
def record_value(slug: str, indicator_id: int) -> ResponseReturnValue:
    """Record (or correct) an indicator's value for a period: numerator of denominator."""
    strategy = load_strategy(slug, edit=True)
    indicator = _indicator(strategy, indicator_id)
    form = _value_form(indicator, posted=True)
    if form.validate_on_submit():
        try:
            plans.record_indicator_value(
                indicator,
                period_label=form.period_label.data,
                period_end=_given(form.period_end.data),
                numerator=_given(form.numerator.data),
                denominator=_given(form.denominator.data),
                note=form.note.data or "",
                by=user(),
            )
        except PlanError as error:
            db.session.rollback()
            _error_field(
                form,
                error.message,
                [
                    ("period", "period_label"),
                    ("denominator", "denominator"),
                    ("", "numerator"),
                ],
            ).errors.append(error.message)
        else:
            db.session.commit()
            flash(f"Value recorded for “{indicator.name}”.", "success")
            return redirect_after_post(
                url_for(".indicators", slug=slug) + f"#indicator-{indicator.id}"
            )
    return _indicators_page(strategy, 422, value_forms={indicator.id: form})


# Progress ---------------------------------------------------------------------------------


def _as_of() -> tuple[AsOfForm, date | None]:
    """The as-of form from the query string, and its date (today if blank; None if bad)."""
    form = AsOfForm(request.args)
    if not form.validate():
        return form, None
    chosen: date | None = form.as_of.data
    if chosen is None:
        chosen = _show_date(form.as_of, today())
    return form, chosen


def _show_date(field: Any, day: date) -> date:
    """Fill a blank date field with the default it stands for, and return it."""
    field.data = day
    field.raw_data = None
    return day


def _status_chart(
    strategy: Strategy, rows: Sequence[CompletionRow], as_of: date
) -> Markup:
    chart = plan_charts.StatusChart(
        chart_id=f"progress-{strategy.slug}",
        title=f"Actions due by {plans.day_text(as_of)}, by theme and status",
        bars=tuple(
            plan_charts.StatusBar(
                label=row.group,
                counts=(
                    row.completed,
                    row.in_progress,
                    row.carried_forward,
                    row.not_started,
                ),
            )
            for row in rows
        ),
    )
    return Markup(plan_charts.status_chart_svg(chart))  # noqa: S704 - ours, sanitised


def _trend_chart(
    strategy: Strategy, trend: Sequence[tuple[date, CompletionRow]]
) -> Markup:
    chart = plan_charts.TrendChart(
        chart_id=f"trend-{strategy.slug}",
        title="Completion rate at the end of each quarter",
        points=tuple(
            (
                f"{day:%b %Y}",
                float(row.completion_pct) if row.completion_pct is not None else None,
            )
            for day, row in trend
        ),
    )
    return Markup(plan_charts.trend_chart_svg(chart))  # noqa: S704 - ours, sanitised


def _periods(strategy: Strategy) -> list[date]:
    """Quarter ends from the strategy's start to the last due date, up to today."""
    last_due = max((a.due_date for a in strategy.actions), default=strategy.ends_on)
    last = min(today(), max(strategy.ends_on, last_due))
    return completion.quarter_ends(strategy.starts_on, last)


@bp.get("/<slug>/progress")
@login_required
def progress(slug: str) -> ResponseReturnValue:
    """Completion rate as at any date, by theme, group and lead, with the trend."""
    strategy = load_strategy(slug)
    form, as_of = _as_of()
    context: dict[str, Any] = {
        "strategy": strategy,
        "form": form,
        "as_of": as_of,
        "can_edit": can_edit(strategy),
    }
    if as_of is None:
        return render_template("plans/progress.html", **context), 400
    states = completion.states_as_of(strategy, as_of)
    overall = completion.rows_for(strategy, states, as_of)[0]
    by_theme = completion.rows_for(strategy, states, as_of, Breakdown.THEME)[1:]
    trend = completion.completion_trend(strategy, _periods(strategy))
    context.update(
        overall=overall,
        breakdowns=[
            ("theme", "Theme", by_theme),
            (
                "group",
                "Delivery group",
                completion.rows_for(strategy, states, as_of, Breakdown.GROUP)[1:],
            ),
            (
                "lead",
                "Lead organisation",
                completion.rows_for(strategy, states, as_of, Breakdown.LEAD)[1:],
            ),
        ],
        chart=_status_chart(strategy, by_theme, as_of) if by_theme else None,
        trend=trend,
        trend_chart=_trend_chart(strategy, trend) if trend else None,
        is_today=as_of == today(),
        refreshes=queries.structure_changes(strategy),
        notes=queries.merged_later(strategy, as_of),
    )
    return render_template("plans/progress.html", **context)


@bp.get("/<slug>/completion.csv")
@login_required
def completion_csv(slug: str) -> ResponseReturnValue:
    """The completion CSV of DESIGN.md for the as-of date and breakdown asked for."""
    strategy = load_strategy(slug)
    _, as_of = _as_of()
    if as_of is None:
        abort(400)
    by_text = request.args.get("by", "")
    if by_text and by_text not in {b.value for b in Breakdown}:
        abort(400)
    by = Breakdown(by_text) if by_text else None
    rows = completion.completion(strategy, as_of=as_of, by=by)
    name = f"{strategy.slug}-completion-{as_of.isoformat()}"
    return _download(
        completion.completion_csv(rows), f"{name}{'-by-' + by_text if by else ''}.csv"
    )


# Survey questions ----------------------------------------------------------------------------


@bp.get("/<slug>/questions")
@login_required
def questions(slug: str) -> ResponseReturnValue:
    """Each survey question the plan's actions are meant to move: its answers by
    wave beside those actions. Figures only for readers of the survey's results."""
    strategy = load_strategy(slug)
    account = user()
    return render_template(
        "plans/questions.html",
        strategy=strategy,
        can_edit=can_edit(strategy),
        questions=plan_survey.linked_questions(
            strategy,
            shown=lambda survey: can_see_respondents(account, survey),
            min_base=min_base(),
        ),
        flag_label=plan_survey.flag_label,
        today=today(),
    )


# Import and export -------------------------------------------------------------------------


@bp.get("/<slug>/plan.csv")
@login_required
def export(slug: str) -> ResponseReturnValue:
    """The plan as the action-plan CSV of DESIGN.md."""
    strategy = load_strategy(slug)
    return _download(plan_csv.export_plan_csv(strategy), f"{strategy.slug}-plan.csv")


@bp.route("/<slug>/import", methods=["GET", "POST"])
@login_required
def import_plan(slug: str) -> ResponseReturnValue:
    """Upload an action-plan CSV; a preview names every problem before anything is saved."""
    strategy = load_strategy(slug, edit=True)
    form = PlanUploadForm()
    if form.validate_on_submit():
        try:
            text = form.file.data.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            form.file.errors.append("The file must be a CSV saved as UTF-8")
        else:
            check = plan_csv.check_plan_csv(
                text, partnership=strategy.partnership, strategy=strategy
            )
            return render_template(
                "plans/import_preview.html",
                strategy=strategy,
                check=check,
                confirm=PlanConfirmForm(formdata=None, content=text),
            ), (200 if check.is_valid else 422)
    status = 422 if form.is_submitted() else 200
    return render_template(
        "plans/import.html", strategy=strategy, form=form, columns=plan_csv.PLAN_COLUMNS
    ), status


@bp.post("/<slug>/import/confirm")
@login_required
def confirm_import(slug: str) -> ResponseReturnValue:
    """Import the checked file, checking it again: every action or none."""
    strategy = load_strategy(slug, edit=True)
    form = PlanConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    check = plan_csv.check_plan_csv(
        form.content.data or "", partnership=strategy.partnership, strategy=strategy
    )
    if check.is_valid:
        try:
            actions = plan_csv.import_plan(strategy, check, by=user())
        except PlanError as error:
            db.session.rollback()
            check.problems.append(error.message)
        else:
            db.session.commit()
            flash(f"{len(actions)} actions imported.", "success")
            return redirect_after_post(url_for(".plan", slug=slug))
    return render_template(
        "plans/import_preview.html", strategy=strategy, check=check, confirm=form
    ), 422


# Who has updated -------------------------------------------------------------------------


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


@bp.get("/<slug>/updates")
@login_required
def updates(slug: str) -> ResponseReturnValue:
    """Which owners have and have not updated their open actions since a date.

    The date defaults to the day after the partnership's last board meeting (or
    the start of the quarter), so before the next meeting the coordinator sees
    who has nothing new to report.
    """
    strategy = load_strategy(slug, edit=True)
    form = SinceForm(request.args)
    meetings = queries.board_meetings(strategy, today())
    context: dict[str, Any] = {"strategy": strategy, "form": form, "meetings": meetings}
    if not form.validate():
        return render_template("plans/updates.html", since=None, **context), 400
    since: date = form.since.data or _show_date(
        form.since, meetings.since or _quarter_start(today())
    )
    return render_template(
        "plans/updates.html",
        since=since,
        owners=queries.pending_updates(strategy, since=since),
        reminded=plan_tokens.last_reminded(strategy),
        remind_form=RemindForm(formdata=None),
        **context,
    )


@bp.post("/<slug>/updates/remind")
@login_required
def remind(slug: str) -> ResponseReturnValue:
    """Email an owner (or every owner not yet updated) a single-use link to update."""
    strategy = load_strategy(slug, edit=True)
    form = RemindForm()
    chosen = form.person.data or ""
    try:
        since = date.fromisoformat(form.since.data or "")
    except ValueError:
        abort(400)
    if not form.validate_on_submit() or not (
        chosen == "all" or _WHOLE_NUMBER.fullmatch(chosen)
    ):
        abort(400)
    if chosen == "all":
        people = [
            entry.person
            for entry in queries.pending_updates(strategy, since=since)
            if not entry.is_up_to_date
        ]
    else:
        person = db.session.get(Person, int(chosen))
        if person is None or not plan_tokens.open_actions(strategy, person):
            abort(404)
        people = [person]
    upcoming = queries.board_meetings(strategy, today()).next
    for person in people:
        plan_tokens.queue_reminder(
            strategy,
            person,
            since=since,
            by=user(),
            board_meets_on=upcoming.held_on if upcoming else None,
        )
    db.session.commit()
    if not people:
        flash("Every owner is up to date: no reminders were sent.", "success")
    elif len(people) == 1:
        flash(f"Reminder sent to {people[0].name}.", "success")
    else:
        flash(f"Reminders sent to {len(people)} owners.", "success")
    return redirect_after_post(url_for(".updates", slug=slug, since=since.isoformat()))


# Owners: "My actions" ----------------------------------------------------------------------


def _owner_forms(
    actions: Sequence[Action], posted: tuple[int, UpdateForm] | None = None
) -> dict[int, UpdateForm]:
    forms = {
        action.id: _update_form(action, formdata=None, prefix=f"a{action.id}")
        for action in actions
    }
    if posted is not None:
        forms[posted[0]] = posted[1]
    return forms


def _my_actions() -> list[Action]:
    account = user()
    if account.person_id is None:
        return []
    actions = db.session.scalars(
        select(Action)
        .join(Strategy, Strategy.id == Action.strategy_id)
        .join(Partnership, Partnership.id == Strategy.partnership_id)
        .where(Action.owner_id == account.person_id)
        .where(Partnership.archived_at.is_(None))
    )
    return sorted(actions, key=lambda a: (a.strategy.title, queries.natural_key(a.ref)))


def _mine_page(
    status: int = 200, posted: tuple[int, UpdateForm] | None = None
) -> ResponseReturnValue:
    actions = _my_actions()
    open_actions = [a for a in actions if a.status.is_open]
    by_strategy: dict[int, list[Action]] = defaultdict(list)
    for action in open_actions:
        by_strategy[action.strategy_id].append(action)
    return render_template(
        "plans/mine.html",
        has_person=user().person_id is not None,
        groups=[(actions[0].strategy, actions) for actions in by_strategy.values()],
        closed=[a for a in actions if not a.status.is_open],
        forms=_owner_forms(open_actions, posted),
        today=today(),
    ), status


@bp.get("/mine")
@login_required
def mine() -> ResponseReturnValue:
    """The signed-in person's actions, each with a progress-update form."""
    return _mine_page()


@bp.post("/mine/<int:action_id>")
@login_required
def mine_update(action_id: int) -> ResponseReturnValue:
    """Save a progress update on one of the signed-in person's own actions."""
    account = user()
    action = db.session.get(Action, action_id)
    if (
        action is None
        or account.person_id is None
        or action.owner_id != account.person_id
        or action.strategy.partnership.is_archived
    ):
        abort(404)
    form = _update_form(action, prefix=f"a{action.id}")
    saved, status = _record_update(action, form, account)
    if saved:
        flash(f"Progress update on {action.ref} saved. Thank you.", "success")
        return redirect_after_post(url_for(".mine"))
    return _mine_page(status, (action.id, form))


# Owners: the emailed link -------------------------------------------------------------------


def _invalid_link() -> ResponseReturnValue:
    return render_template("plans/link_invalid.html", message=INVALID_LINK), 404


@bp.get("/link/<token>")
@bad_links_per_address("plan-link")
def land(token: str) -> ResponseReturnValue:
    """Spend an emailed link: a session grant and a redirect to a token-free address."""
    found = plan_tokens.redeem(token)
    db.session.commit()
    if found is None:
        return _invalid_link()
    session[_LINK_SESSION_KEY] = found.id
    response = make_response(redirect(url_for(".link_actions"), code=303))
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _granted() -> PlanUpdateToken | None:
    """The link this browser opened, while its grant lasts."""
    token_id = session.get(_LINK_SESSION_KEY)
    found = db.session.get(PlanUpdateToken, token_id) if token_id else None
    if found is None or not found.grants_access(utcnow()):
        return None
    return found


def _link_page(
    grant: PlanUpdateToken,
    status: int = 200,
    posted: tuple[int, UpdateForm] | None = None,
) -> ResponseReturnValue:
    actions = plan_tokens.open_actions(grant.strategy, grant.person)
    return render_template(
        "plans/link_actions.html",
        grant=grant,
        actions=actions,
        forms=_owner_forms(actions, posted),
        until=local_time(grant.used_at + plan_tokens.UPDATE_GRANT)
        if grant.used_at
        else "",
        today=today(),
    ), status


@bp.get("/link")
def link_actions() -> ResponseReturnValue:
    """The owner's open actions in the strategy, each with a progress-update form."""
    grant = _granted()
    if grant is None:
        return _invalid_link()
    return _link_page(grant)


@bp.post("/link/actions/<int:action_id>")
def link_update(action_id: int) -> ResponseReturnValue:
    """Save a progress update through an emailed link: the owner's own open actions only."""
    grant = _granted()
    if grant is None:
        return _invalid_link()
    action = db.session.get(Action, action_id)
    if (
        action is None
        or action.strategy_id != grant.strategy_id
        or action.owner_id != grant.person_id
        or not action.status.is_open
    ):
        abort(404)
    form = _update_form(action, prefix=f"a{action.id}")
    saved, status = _record_update(action, form, grant.person)
    if saved:
        flash(f"Progress update on {action.ref} saved. Thank you.", "success")
        return redirect_after_post(url_for(".link_actions"))
    return _link_page(grant, status, (action.id, form))
