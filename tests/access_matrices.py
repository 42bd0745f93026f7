"""The endpoint-by-role access matrix, one builder per blueprint.

Each ``*_matrix(w)`` gives endpoint -> (method, url, {role: status}) for the
roles in ``ROLES``; each ``add_matrix_*(world)`` adds what its matrix needs to the
``world`` fixture's partnerships. ``tests/portal/test_access.py`` joins them all and
fails on any endpoint nobody has classified; the blueprints' own test modules run
their part on its own.
"""

from datetime import date
from datetime import timedelta

from governance import agreements
from governance import meetings
from governance import plans
from governance import summary as summaries
from governance.agreements import AgreementContent
from governance.agreements import PartyTerms
from governance.meetings import BodyKind
from portal.directory import services as directory_services
from portal.extensions import db
from surveys import fieldwork
from surveys import services
from surveys.models import ItemType
from surveys.models import Survey
from surveys.models import SurveyMode
from tests.helpers import JANUARY
from tests.helpers import LAUNCH
from tests.helpers import TODAY
from tests.helpers import YEAR_END

ROLES = ["anonymous", "x_contact", "x_board", "x_coordinator", "y_coordinator", "admin"]
#: The ``world`` fixture's account for each signed-in role.
EMAILS = {
    "x_contact": "contact-x@example.org",
    "x_board": "board-x@example.org",
    "x_coordinator": "coord-x@example.org",
    "y_coordinator": "coord-y@example.org",
    "admin": "admin@example.org",
}


def add_matrix_survey(world: dict) -> dict:
    """A survey on X with one section, one item, one open wave and one invitation."""
    survey = Survey(
        slug="x-matrix",
        title="X matrix survey",
        partnership=world["x"],
        mode=SurveyMode.IDENTIFIED,
    )
    db.session.add(survey)
    section = services.add_section(survey, title="Working together")
    item = services.add_item(
        section,
        code="clear_vision",
        text="The partnership has a clear vision",
        item_type=ItemType.LIKERT,
        scale="agree5",
    )
    db.session.flush()
    wave = services.add_wave(
        survey, opens_on=TODAY - timedelta(days=1), closes_on=TODAY + timedelta(days=14)
    )
    db.session.flush()
    invitation = fieldwork.add_person(wave, world["x_person"])
    db.session.commit()
    return {
        **world,
        "survey": survey,
        "section": section,
        "item": item,
        "wave": wave,
        "invitation": invitation,
    }


def survey_matrix(w: dict) -> dict[str, tuple[str, str, dict[str, int]]]:
    """endpoint -> (method, url, {role: status}) for surveys.* and respond.*.

    Partner contacts cannot see a survey at all (404, as for another partnership's);
    board members read it (403 on anything that runs it). A POST sends an empty
    form; changes come last so they do not disturb the cells above.
    """
    base = f"/surveys/{w['survey'].slug}"
    section, item = w["section"].id, w["item"].id
    wave = f"{base}/waves/{w['wave'].number}"
    invitation = w["invitation"].id
    signed_in = ROLES[1:]
    ok_all = dict.fromkeys(signed_in, 200)
    read = {
        "x_contact": 404,
        "x_board": 200,
        "x_coordinator": 200,
        "y_coordinator": 404,
        "admin": 200,
    }

    def run(status: int) -> dict[str, int]:
        return {**read, "x_board": 403, "x_coordinator": status, "admin": status}

    coordinators = {**ok_all, "x_contact": 403, "x_board": 403}
    nobody = dict.fromkeys(ROLES, 404)  # respondent pages without a respondent session
    return {
        "surveys.index": ("GET", "/surveys", ok_all),
        "surveys.create": ("GET", "/surveys/new", coordinators),
        "surveys.survey": ("GET", base, read),
        "surveys.questionnaire": ("GET", f"{base}/questionnaire", read),
        "surveys.export_instrument": ("GET", f"{base}/questionnaire.csv", read),
        "surveys.item_row": ("GET", f"{base}/items/{item}", read),
        "surveys.edit_section": ("GET", f"{base}/sections/{section}/edit", run(200)),
        "surveys.add_item": ("GET", f"{base}/sections/{section}/items", run(200)),
        "surveys.edit_item": ("GET", f"{base}/items/{item}/edit", run(200)),
        "surveys.edit_message": ("GET", f"{base}/messages/invitation", run(200)),
        "surveys.add_wave": ("GET", f"{base}/waves/new", run(200)),
        "surveys.wave": ("GET", wave, read),
        "surveys.rates": ("GET", f"{wave}/rates", read),
        "surveys.export_responses": ("GET", f"{wave}/responses.csv", read),
        "surveys.edit_wave": ("GET", f"{wave}/edit", run(200)),
        "surveys.import_responses": ("GET", f"{wave}/import", run(200)),
        "results.page": ("GET", f"{base}/results", read),
        "results.report": ("GET", f"{base}/results/report.csv", read),
        "results.chart": ("GET", f"{base}/results/charts/clear_vision.svg", read),
        "respond.land": ("GET", "/s/not-a-real-survey-link-token", nobody),
        "respond.resume": ("GET", "/respond", nobody),
        "respond.page": ("GET", "/respond/1", nobody),
        "respond.autosave": ("POST", "/respond/1/autosave", nobody),
        "respond.saved": ("GET", "/respond/saved", nobody),
        "respond.check": ("GET", "/respond/check", nobody),
        "respond.submit": ("POST", "/respond/submit", nobody),
        "respond.done": ("GET", "/respond/done", nobody),
        "respond.mine": ("GET", "/my-surveys", ok_all),
        # Xena, the invited person, has no account: nobody else may take her place.
        "respond.start_mine": (
            "POST",
            f"/my-surveys/{invitation}",
            dict.fromkeys(signed_in, 404),
        ),
        # Refused or invalid empty forms first, then the changes.
        "surveys.add_section": ("POST", f"{base}/sections", run(422)),
        "surveys.move_item": ("POST", f"{base}/items/{item}/move", run(400)),
        "surveys.wave_state": ("POST", f"{wave}/state", run(400)),
        "surveys.draw_sample": ("POST", f"{wave}/sample", run(422)),
        "surveys.add_sample_person": ("POST", f"{wave}/sample/person", run(400)),
        "surveys.carry_forward": ("POST", f"{wave}/sample/carry-forward", run(409)),
        "surveys.confirm_import": ("POST", f"{wave}/import/confirm", run(422)),
        "surveys.invite": ("POST", f"{wave}/invite", run(303)),
        "surveys.remind": ("POST", f"{wave}/remind", run(303)),
        "surveys.withdraw": (
            "POST",
            f"{wave}/sample/{invitation}/withdraw",
            run(303),
        ),
        "surveys.delete_item": ("POST", f"{base}/items/{item}/delete", run(303)),
    }


def results_matrix(w: dict) -> dict[str, tuple[str, str, dict[str, int]]]:
    """endpoint -> (method, url, {role: status}) for results.* on the matrix survey.

    Results are respondent-level: a partnership survey's coordinators and board
    members and administrators see them; partner contacts and other partnerships
    get the 404 of a survey they cannot see.
    """
    base = f"/surveys/{w['survey'].slug}/results"
    code = w["item"].code
    read = {
        "x_contact": 404,
        "x_board": 200,
        "x_coordinator": 200,
        "y_coordinator": 404,
        "admin": 200,
    }
    return {
        "results.page": ("GET", base, read),
        "results.report": ("GET", f"{base}/report.csv", read),
        "results.chart": ("GET", f"{base}/charts/{code}.svg", read),
    }


def add_matrix_plan(world: dict) -> dict:
    """X's strategy with a theme, a group, an action owned by Xena and an indicator."""
    strategy = plans.create_strategy(
        slug="x-matrix-plan",
        title="X matrix plan",
        partnership=world["x"],
        starts_on=date(2015, 10, 1),
        ends_on=date(2018, 3, 31),
    )
    theme = plans.create_theme(strategy, name="Prevention")
    group = plans.create_group(strategy, name="Prevention Group", theme=theme)
    action = plans.create_action(
        strategy,
        ref="M1",
        title="Matrix action",
        theme=theme,
        delivery_group=group,
        owner=world["x_person"],
        due_date=date(2017, 3, 31),
        at=LAUNCH,
    )
    indicator = plans.create_indicator(strategy, name="Compliance", target_pct=60)
    db.session.commit()
    return {
        **world,
        "plan_strategy": strategy,
        "plan_theme": theme,
        "plan_group": group,
        "plan_action": action,
        "plan_indicator": indicator,
    }


def plans_matrix(w: dict) -> dict[str, tuple[str, str, dict[str, int]]]:
    """endpoint -> (method, url, {role: status}) for plans.*.

    Everyone in X reads its plan (partner contacts too); coordinators and
    administrators change it (403 for the others); Y gets 404. A POST sends an
    empty form, which every change refuses (422 or 400), so the order is free.
    """
    base = f"/plans/{w['plan_strategy'].slug}"
    action = f"{base}/actions/{w['plan_action'].id}"
    theme, group = w["plan_theme"].id, w["plan_group"].id
    indicator = w["plan_indicator"].id
    signed_in = ROLES[1:]
    ok_all = dict.fromkeys(signed_in, 200)
    read = {
        "x_contact": 200,
        "x_board": 200,
        "x_coordinator": 200,
        "y_coordinator": 404,
        "admin": 200,
    }

    def edit(status: int) -> dict[str, int]:
        return {**read, "x_contact": 403, "x_board": 403, "x_coordinator": status}

    def edit_admin(status: int) -> dict[str, int]:
        return {**edit(status), "admin": status}

    nobody = dict.fromkeys(ROLES, 404)  # emailed-link pages without a link
    return {
        "plans.index": ("GET", "/plans", ok_all),
        "plans.create_strategy": (
            "GET",
            "/plans/new",
            {**ok_all, "x_contact": 403, "x_board": 403},
        ),
        "plans.mine": ("GET", "/plans/mine", ok_all),
        # Xena, the owner, has no account: nobody else may update in her name.
        "plans.mine_update": (
            "POST",
            f"/plans/mine/{w['plan_action'].id}",
            dict.fromkeys(signed_in, 404),
        ),
        "plans.land": ("GET", "/plans/link/not-a-real-plan-update-link", nobody),
        "plans.link_actions": ("GET", "/plans/link", nobody),
        "plans.link_update": (
            "POST",
            f"/plans/link/actions/{w['plan_action'].id}",
            nobody,
        ),
        "plans.plan": ("GET", base, read),
        "plans.edit_strategy": ("GET", f"{base}/edit", edit_admin(200)),
        "plans.structure": ("GET", f"{base}/structure", read),
        "plans.rename_theme": (
            "GET",
            f"{base}/themes/{theme}/rename",
            edit_admin(200),
        ),
        "plans.add_group": ("GET", f"{base}/groups/new", edit_admin(200)),
        "plans.edit_group": ("GET", f"{base}/groups/{group}/edit", edit_admin(200)),
        "plans.add_action": ("GET", f"{base}/actions/new", edit_admin(200)),
        "plans.action": ("GET", action, read),
        "plans.edit_action": ("GET", f"{action}/edit", edit_admin(200)),
        "plans.carry_forward": ("GET", f"{action}/carry-forward", edit_admin(200)),
        "plans.indicators": ("GET", f"{base}/indicators", read),
        "plans.progress": ("GET", f"{base}/progress", read),
        "plans.questions": ("GET", f"{base}/questions", read),
        "plans.completion_csv": ("GET", f"{base}/completion.csv", read),
        "plans.export": ("GET", f"{base}/plan.csv", read),
        "plans.import_plan": ("GET", f"{base}/import", edit_admin(200)),
        "plans.updates": ("GET", f"{base}/updates", edit_admin(200)),
        # Empty forms: refused, nothing changes.
        "plans.set_status": ("POST", f"{action}/status", edit_admin(422)),
        "plans.add_update": (
            "POST",
            f"{action}/updates",
            {**edit_admin(422), "x_contact": 403},
        ),
        "plans.link_indicator": ("POST", f"{action}/indicators", edit_admin(400)),
        "plans.link_item": ("POST", f"{action}/items", edit_admin(400)),
        "plans.unlink_indicator": (
            "POST",
            f"{action}/indicators/{indicator}/remove",
            edit_admin(303),
        ),
        "plans.unlink_item": ("POST", f"{action}/items/999999/remove", edit_admin(404)),
        "plans.add_theme": ("POST", f"{base}/themes", edit_admin(422)),
        "plans.merge_themes": ("POST", f"{base}/themes/merge", edit_admin(422)),
        "plans.merge_groups": ("POST", f"{base}/groups/merge", edit_admin(422)),
        "plans.add_indicator": ("POST", f"{base}/indicators", edit_admin(422)),
        "plans.record_value": (
            "POST",
            f"{base}/indicators/{indicator}/values",
            edit_admin(422),
        ),
        "plans.confirm_import": ("POST", f"{base}/import/confirm", edit_admin(422)),
        "plans.remind": ("POST", f"{base}/updates/remind", edit_admin(400)),
    }


def record_matrix(w: dict) -> dict[str, tuple[str, str, dict[str, int]]]:
    """endpoint -> (method, url, {role: status}) for record.*, on a held meeting of X.

    Partner contacts read meetings of their partnership but not the minutes'
    history; board members read; coordinators edit; Y's coordinator gets 404.
    The meeting's minutes are a draft, which only editors read.
    """
    if "record_meeting" not in w:
        body = meetings.create_body(w["x"], name="Matrix Board", kind=BodyKind.BOARD)
        meeting = meetings.create_meeting(body, held_on=JANUARY, place="Town Hall")
        meetings.mark_held(meeting, today=JANUARY)
        meetings.start_minutes(meeting, by=None)
        w["record_agreement"] = agreements.create_agreement(
            w["x"],
            title="Matrix memorandum",
            content=AgreementContent(
                purpose="Work together",
                starts_on=JANUARY,
                parties=[PartyTerms(w["x_lead"], "Lead organisation")],
            ),
            by=None,
        )
        db.session.commit()
        w["record_meeting"] = meeting
    x = w["x"].slug
    base = f"/partnerships/{x}/meetings/{w['record_meeting'].id}"
    read_x = {
        "x_contact": 200,
        "x_board": 200,
        "x_coordinator": 200,
        "y_coordinator": 404,
        "admin": 200,
    }
    no_edit = {"x_contact": 403, "x_board": 403, "y_coordinator": 404}
    mou = f"/partnerships/{x}/memoranda/{w['record_agreement'].id}"
    item = f"{base}/items/{w['record_meeting'].items[0].id}"
    return {
        "record.memoranda": ("GET", f"/partnerships/{x}/memoranda", read_x),
        "record.memorandum": ("GET", mou, read_x),
        "record.memorandum_diff": ("GET", f"{mou}/diff", read_x),
        # No such document: 404 for everyone, as another partnership's would be.
        "record.document": ("GET", f"{mou}/documents/0", dict.fromkeys(read_x, 404)),
        "record.sign": (
            "POST",
            f"{mou}/versions/1/sign",
            no_edit | {"x_coordinator": 422, "admin": 422},
        ),
        "record.index": ("GET", "/meetings", read_x | {"y_coordinator": 200}),
        "record.meetings_list": ("GET", f"/partnerships/{x}/meetings", read_x),
        "record.boards": ("GET", f"/partnerships/{x}/boards", read_x),
        "record.add_body": (
            "POST",
            f"/partnerships/{x}/boards",
            no_edit | {"x_coordinator": 422, "admin": 422},
        ),
        "record.body_members": (
            "POST",
            f"/partnerships/{x}/boards/{w['record_meeting'].body_id}/members",
            no_edit | {"x_coordinator": 303, "admin": 303},
        ),
        "record.quorum": (
            "POST",
            f"/partnerships/{x}/boards/quorum",
            no_edit | {"x_coordinator": 422, "admin": 422},
        ),
        "record.calendar": ("GET", f"/partnerships/{x}/meetings.ics", read_x),
        "record.decisions": ("GET", f"/partnerships/{x}/decisions", read_x),
        "record.meeting": ("GET", base, read_x),
        # The matrix minutes are a draft: editors only (see draft_minutes_matrix).
        "record.history": (
            "GET",
            f"{base}/minutes/history",
            no_edit
            | {"x_contact": 404, "x_board": 404}
            | {"x_coordinator": 200, "admin": 200},
        ),
        "record.create_meeting": (
            "GET",
            f"/partnerships/{x}/meetings/new",
            no_edit | {"x_coordinator": 200, "admin": 200},
        ),
        "record.attendance": (
            "GET",
            f"{base}/attendance",
            no_edit | {"x_coordinator": 200, "admin": 200},
        ),
        "record.edit_minutes": (
            "GET",
            f"{base}/minutes",
            no_edit | {"x_coordinator": 200, "admin": 200},
        ),
        # Empty forms: refused as invalid or out of date, never saved.
        "record.mark_held": (
            "POST",
            f"{base}/held",
            no_edit | {"x_coordinator": 422, "admin": 422},
        ),
        "record.add_decision": (
            "POST",
            f"{base}/decisions",
            no_edit | {"x_coordinator": 422, "admin": 422},
        ),
        "record.add_action": (
            "POST",
            f"{base}/actions",
            no_edit | {"x_coordinator": 422, "admin": 422},
        ),
        "record.circulate": (
            "POST",
            f"{base}/minutes/circulate",
            no_edit | {"x_coordinator": 409, "admin": 409},
        ),
        "record.approve": (
            "POST",
            f"{base}/minutes/approve",
            no_edit | {"x_coordinator": 422, "admin": 422},
        ),
        # Memoranda from the web: the matrix memorandum is a draft version 1.
        "record.create_memorandum": (
            "GET",
            f"/partnerships/{x}/memoranda/new",
            no_edit | {"x_coordinator": 200, "admin": 200},
        ),
        "record.edit_memorandum": (
            "GET",
            f"{mou}/draft",
            no_edit | {"x_coordinator": 200, "admin": 200},
        ),
        # A draft exists, so amending sends the editor to it.
        "record.amend_memorandum": (
            "GET",
            f"{mou}/amend",
            no_edit | {"x_coordinator": 302, "admin": 302},
        ),
        "record.agree_memorandum": (
            "POST",
            f"{mou}/versions/1/agree",
            no_edit | {"x_coordinator": 422, "admin": 422},
        ),
        "record.end_memorandum": (
            "POST",
            f"{mou}/versions/1/end",
            no_edit | {"x_coordinator": 422, "admin": 422},
        ),
        "record.attach_document": (
            "POST",
            f"{mou}/versions/1/documents",
            no_edit | {"x_coordinator": 422, "admin": 422},
        ),
        # The agenda: the matrix item is the standing "Minutes of the last meeting".
        "record.add_item": (
            "POST",
            f"{base}/items",
            no_edit | {"x_coordinator": 422, "admin": 422},
        ),
        "record.edit_item": (
            "GET",
            f"{item}",
            no_edit | {"x_coordinator": 200, "admin": 200},
        ),
        "record.move_item": (
            "POST",
            f"{item}/move",
            no_edit | {"x_coordinator": 400, "admin": 400},
        ),
        "record.remove_item": (
            "POST",
            f"{item}/remove",
            no_edit | {"x_coordinator": 422, "admin": 422},
        ),
        "record.attach_paper": (
            "POST",
            f"{item}/papers",
            no_edit | {"x_coordinator": 422, "admin": 422},
        ),
        # No such paper: 404 for everyone, as another partnership's would be.
        "record.paper": ("GET", f"{base}/papers/0", dict.fromkeys(read_x, 404)),
        # No paper named: 404, as another item's paper would be.
        "record.remove_paper": (
            "POST",
            f"{item}/papers/remove",
            no_edit | {"x_coordinator": 404, "admin": 404},
        ),
        "record.cancel_meeting": (
            "POST",
            f"{base}/cancel",
            no_edit | {"x_coordinator": 422, "admin": 422},
        ),
        "record.attendance_statistics": (
            "GET",
            f"/partnerships/{x}/attendance",
            read_x | {"x_contact": 403},
        ),
    }


DRAFT_TEXT = "Draft wording nobody has agreed"
DRAFT_DECISION = "Draft decision to close the hub"


def add_draft_minutes(w: dict) -> dict:
    """A held meeting of X whose draft minutes have a minute and a decision."""
    body = meetings.create_body(w["x"], name="Draft Board", kind=BodyKind.BOARD)
    meeting = meetings.create_meeting(body, held_on=JANUARY, place="Town Hall")
    meetings.mark_held(meeting, today=JANUARY)
    item = meetings.add_item(meeting, title="Hub review")
    minutes = meetings.start_minutes(meeting, by=None)
    meetings.edit_minutes(
        minutes, {item.id: DRAFT_TEXT}, opened_version=minutes.version, by=None
    )
    meetings.record_decision(
        minutes, item, DRAFT_DECISION, opened_version=minutes.version, by=None
    )
    db.session.commit()
    return {**w, "draft_meeting": meeting}


def draft_minutes_matrix(
    w: dict,
) -> dict[str, tuple[str, str, dict[str, tuple[int, bool]]]]:
    """T24: case -> (url, what gives the draft away, {role: (status, shown)}).

    Until they are circulated, minutes are for the partnership's editors: a board
    member or partner contact sees the meeting as if it had no minutes yet, and
    the history answers 404 as for minutes that do not exist.
    """
    x = w["x"].slug
    base = f"/partnerships/{x}/meetings/{w['draft_meeting'].id}"
    hidden, shown, gone = (200, False), (200, True), (404, False)
    readers = {"x_contact": hidden, "x_board": hidden, "y_coordinator": gone}
    editors = {"x_coordinator": shown, "admin": shown}
    return {
        "meeting page: minute": (base, DRAFT_TEXT, readers | editors),
        "meeting page: decision": (base, DRAFT_DECISION, readers | editors),
        "minutes history": (
            f"{base}/minutes/history",
            "History of the minutes",
            readers | {"x_contact": gone, "x_board": gone} | editors,
        ),
        "decision log": (
            f"/partnerships/{x}/decisions",
            DRAFT_DECISION,
            readers | editors,
        ),
        "meetings list: status": (
            f"/partnerships/{x}/meetings",
            "Draft</td>",
            readers | editors,
        ),
    }


def summary_matrix(w: dict) -> dict[str, tuple[str, str, dict[str, int]]]:
    """endpoint -> (method, url, {role: status}) for summaries.*, on partnership X.

    Board members and coordinators read published summaries (and their PDF);
    coordinators draft, edit, publish and discard; partner contacts get 403 and
    Y's coordinator 404.
    """
    if "summary_published" not in w:
        body = meetings.create_body(w["x"], name="Summary Board", kind=BodyKind.BOARD)
        meeting = meetings.create_meeting(
            body, held_on=date(2018, 4, 17), place="Town Hall"
        )
        published = summaries.create_draft(
            w["x"], meeting=meeting, as_of=YEAR_END, by=None
        )
        db.session.flush()
        summaries.publish(
            published, meeting=None, opened_version=published.version, by=None
        )
        later = meetings.create_meeting(
            body, held_on=date(2018, 7, 17), place="Town Hall"
        )
        draft_summary = summaries.create_draft(w["x"], meeting=later, by=None)
        db.session.commit()
        w["summary_published"] = published
        w["summary_draft"] = draft_summary
    x = w["x"].slug
    base = f"/partnerships/{x}/summaries"
    published = f"{base}/{w['summary_published'].id}"
    draft_url = f"{base}/{w['summary_draft'].id}"
    read_x = {
        "x_contact": 403,
        "x_board": 200,
        "x_coordinator": 200,
        "y_coordinator": 404,
        "admin": 200,
    }
    manage = read_x | {"x_board": 403}
    return {
        "summaries.index": (
            "GET",
            "/summaries",
            read_x | {"x_contact": 200, "y_coordinator": 200},
        ),
        "summaries.listing": ("GET", base, read_x),
        "summaries.compare": ("GET", f"{base}/compare", read_x),
        "summaries.summary": ("GET", published, read_x),
        "summaries.pdf": ("GET", f"{published}.pdf", read_x),
        "summaries.new": ("GET", f"{base}/new", manage),
        "summaries.edit_text": ("GET", f"{draft_url}/text", manage),
        # Empty forms: refused as out of date (no version), never saved.
        "summaries.publish": (
            "POST",
            f"{draft_url}/publish",
            manage | {"x_coordinator": 409, "admin": 409},
        ),
        "summaries.discard": (
            "POST",
            f"{draft_url}/discard",
            manage | {"x_coordinator": 409, "admin": 409},
        ),
    }


def add_matrix_programme(world: dict) -> dict:
    """X in programme prog-x, with a survey on X (section, item, wave, invitation)
    and a strategy on X (theme, group, action, indicator)."""
    programme = directory_services.create_programme(slug="prog-x", name="Programme X")
    world["x"].programme = programme
    db.session.commit()
    return add_matrix_plan(add_matrix_survey(world))


def full_matrix(w: dict) -> dict[str, tuple[str, str, dict[str, int]]]:
    """endpoint -> (method, url, {role: status}); POSTs send an empty form.

    Survey and respondent endpoints come from ``survey_matrix``, between the
    directory's reads and its state changes (archiving X would hide the survey).
    """
    x, org, person = w["x"].slug, w["x_partner"].id, w["x_person"].id
    ok_all = dict.fromkeys(ROLES[1:], 200)
    edit_x = {
        "x_contact": 403,
        "x_board": 403,
        "x_coordinator": 200,
        "y_coordinator": 404,
        "admin": 200,
    }
    read_x = {
        "x_contact": 200,
        "x_board": 200,
        "x_coordinator": 200,
        "y_coordinator": 404,
        "admin": 200,
    }
    coordinators = {
        "x_contact": 403,
        "x_board": 403,
        "x_coordinator": 200,
        "y_coordinator": 200,
        "admin": 200,
    }
    admin_only_403 = {**dict.fromkeys(ROLES[1:-1], 403), "admin": 200}
    admin_area = {**dict.fromkeys(ROLES[1:-1], 404), "admin": 200}
    archive_x = {
        "x_contact": 403,
        "x_board": 403,
        "x_coordinator": 303,
        "y_coordinator": 404,
        "admin": 303,
    }
    reads = {
        "portal.index": ("GET", "/", ok_all),
        "auth.login": (
            "GET",
            "/auth/login",
            {**dict.fromkeys(ROLES[1:], 303), "anonymous": 200},
        ),
        "auth.forgot": ("GET", "/auth/forgot", {**ok_all, "anonymous": 200}),
        # Without a password just accepted in this browser, back to sign in.
        "auth.second_factor": (
            "GET",
            "/auth/two-factor",
            {**dict.fromkeys(ROLES[1:], 303), "anonymous": 303},
        ),
        "auth.setup_two_factor": ("GET", "/auth/two-factor/setup", ok_all),
        "auth.reset": (
            "GET",
            "/auth/reset/not-a-token",
            {**dict.fromkeys(ROLES[1:], 400), "anonymous": 400},
        ),
        "auth.accept_invitation": (
            "GET",
            "/auth/invitation/nope",
            {**dict.fromkeys(ROLES[1:], 400), "anonymous": 400},
        ),
        "admin.users": ("GET", "/admin/users", admin_area),
        "admin.invite": ("GET", "/admin/users/invite", admin_area),
        "admin.outbox_list": ("GET", "/admin/outbox", admin_area),
        "admin.outbox_message": (
            "GET",
            "/admin/outbox/none.eml",
            {**admin_area, "admin": 404},
        ),
        "directory.programmes": ("GET", "/programmes", ok_all),
        "directory.create_programme": ("GET", "/programmes/new", admin_only_403),
        "directory.programme": ("GET", "/programmes/prog-x", read_x),
        "directory.edit_programme": (
            "GET",
            "/programmes/prog-x/edit",
            {**admin_only_403, "y_coordinator": 404},
        ),
        "directory.partnerships": ("GET", "/partnerships", ok_all),
        "directory.create_partnership": ("GET", "/partnerships/new", admin_only_403),
        "directory.partnership": ("GET", f"/partnerships/{x}", read_x),
        "directory.edit_partnership": ("GET", f"/partnerships/{x}/edit", edit_x),
        "directory.add_participation": (
            "POST",
            f"/partnerships/{x}/organisations/add",
            {**edit_x, "x_coordinator": 422, "admin": 422},
        ),
        "directory.add_member": (
            "POST",
            f"/partnerships/{x}/members/add",
            {**edit_x, "x_coordinator": 422, "admin": 422},
        ),
        "directory.export_people": ("GET", f"/partnerships/{x}/people.csv", read_x),
        "directory.organisations": ("GET", "/organisations", ok_all),
        "directory.create_organisation": ("GET", "/organisations/new", coordinators),
        "directory.organisation": ("GET", f"/organisations/{org}", read_x),
        "directory.organisation_row": ("GET", f"/organisations/{org}/row", read_x),
        "directory.edit_organisation": ("GET", f"/organisations/{org}/edit", edit_x),
        "directory.people": ("GET", "/people", ok_all),
        "directory.create_person": ("GET", "/people/new", coordinators),
        "directory.person": ("GET", f"/people/{person}", read_x),
        "directory.person_row": ("GET", f"/people/{person}/row", read_x),
        "directory.edit_person": ("GET", f"/people/{person}/edit", edit_x),
        "directory.import_people": ("GET", "/people/import", coordinators),
        "directory.confirm_import_people": (
            "POST",
            "/people/import/confirm",
            {**coordinators, "x_coordinator": 400, "y_coordinator": 400, "admin": 400},
        ),
    }
    # State changes last, so they do not disturb the cells above.
    changes = {
        "directory.archive_programme": (
            "POST",
            "/programmes/prog-x/archive",
            {**archive_x, "x_coordinator": 403},
        ),
        "directory.archive_person": ("POST", f"/people/{person}/archive", archive_x),
        "directory.archive_organisation": (
            "POST",
            f"/organisations/{org}/archive",
            archive_x,
        ),
        "directory.archive_partnership": (
            "POST",
            f"/partnerships/{x}/archive",
            {**archive_x, "x_coordinator": 403},
        ),
        "auth.stay_signed_in": ("POST", "/auth/session", dict.fromkeys(ROLES[1:], 204)),
        "auth.logout": ("POST", "/auth/logout", dict.fromkeys(ROLES[1:], 303)),
    }
    # Results before the survey's own changes, which delete the matrix item.
    return {
        **reads,
        **results_matrix(w),
        **plans_matrix(w),
        **record_matrix(w),
        **summary_matrix(w),
        **survey_matrix(w),
        **changes,
    }
