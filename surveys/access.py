"""Who may see and run a survey.

A partnership survey belongs to its partnership: coordinators run it, board
members read it, partner contacts only answer their own invitations. A
programme-wide survey spans partnerships, so only site administrators (the
programme team) run it or see its respondent-level pages; members of its
partnerships see its questionnaire and waves.
"""

from flask import abort
from sqlalchemy import select

from portal.access import roles_by_partnership
from portal.access import user
from portal.extensions import db
from portal.models import MemberRole
from portal.models import Partnership
from portal.models import User
from surveys.models import Survey
from surveys.models import Wave


def _member_roles(account: User, survey: Survey) -> set[MemberRole]:
    roles = roles_by_partnership(account)
    if survey.partnership_id is not None:
        role = roles.get(survey.partnership_id)
        return set() if role is None else {role}
    programme_partnerships = set(
        db.session.scalars(
            select(Partnership.id).where(
                Partnership.programme_id == survey.programme_id
            )
        )
    )
    return {role for pid, role in roles.items() if pid in programme_partnerships}


def can_see(account: User, survey: Survey) -> bool:
    """Administrators, and coordinators or board members of the survey's partnerships."""
    if account.is_admin:
        return True
    return bool(
        _member_roles(account, survey)
        & {MemberRole.COORDINATOR, MemberRole.BOARD_MEMBER}
    )


def can_run(account: User, survey: Survey) -> bool:
    """Administrators, and a partnership survey's coordinators."""
    if account.is_admin:
        return True
    if survey.partnership_id is None:
        return False
    return MemberRole.COORDINATOR in _member_roles(account, survey)


def can_see_respondents(account: User, survey: Survey) -> bool:
    """Sample, response rates and answers: those who run it, and its board members."""
    if account.is_admin:
        return True
    if survey.partnership_id is None:
        return False
    return can_see(account, survey)


def visible_surveys(account: User) -> list[Survey]:
    """Every survey the account may see, by title."""
    surveys = db.session.scalars(select(Survey).order_by(Survey.title))
    return [survey for survey in surveys if can_see(account, survey)]


def load_survey(slug: str, *, run: bool = False, respondents: bool = False) -> Survey:
    """The survey, or 404 if it is hidden from the account, 403 if it may not do this."""
    account = user()
    survey: Survey = db.one_or_404(select(Survey).where(Survey.slug == slug))
    if not can_see(account, survey):
        abort(404)
    if run and not can_run(account, survey):
        abort(403)
    if respondents and not can_see_respondents(account, survey):
        abort(403)
    return survey


def load_wave(
    slug: str, number: int, *, run: bool = False, respondents: bool = False
) -> Wave:
    """A wave of a survey the account may see (same rules as ``load_survey``)."""
    survey = load_survey(slug, run=run, respondents=respondents)
    wave: Wave = db.one_or_404(
        select(Wave).where(Wave.survey_id == survey.id, Wave.number == number)
    )
    return wave
