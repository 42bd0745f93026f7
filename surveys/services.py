"""Questionnaire and wave changes. Nothing here commits; callers do, once."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import exists
from sqlalchemy import func
from sqlalchemy import select

from portal.errors import EditConflictError
from portal.errors import PortalError
from portal.extensions import db
from portal.models import User
from surveys.answers import SCALES
from surveys.models import DraftAnswer
from surveys.models import Item
from surveys.models import ItemRevision
from surveys.models import ItemType
from surveys.models import Response
from surveys.models import Section
from surveys.models import Survey
from surveys.models import Wave
from surveys.models import WaveOverride

CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class SurveyError(PortalError):
    """A change the survey's rules refuse; the message says why."""


def check_version(current: int, opened: int) -> None:
    """Refuse a save made from a form that someone else has saved since."""
    if current != opened:
        raise EditConflictError(
            "Someone else changed this while you were editing. "
            "Reload to see their changes, then make yours again."
        )


def waves_with_answers(survey: Survey) -> list[int]:
    """Numbers of the survey's waves that hold at least one response."""
    return list(
        db.session.scalars(
            select(Wave.number)
            .where(Wave.survey_id == survey.id)
            .where(exists().where(Response.wave_id == Wave.id))
            .order_by(Wave.number)
        )
    )


def is_locked(survey: Survey) -> bool:
    """A questionnaire with answers keeps its structure; only wording may change."""
    return bool(waves_with_answers(survey))


def _refuse_if_locked(survey: Survey) -> None:
    if is_locked(survey):
        raise SurveyError(
            "This questionnaire has answers, so its questions cannot be added, "
            "removed, reordered or change type. You can still edit their wording."
        )


def _check_item_fields(
    item_type: ItemType, scale: str, options: list[str], text: str
) -> None:
    if not text.strip():
        raise SurveyError("Enter the question text")
    if item_type is ItemType.LIKERT and scale not in SCALES:
        raise SurveyError("Choose a scale for a likert question")
    if item_type in (ItemType.SINGLE, ItemType.MULTI) and len(options) < 2:
        raise SurveyError("Give at least two choices, one per line")


def add_section(survey: Survey, *, title: str, preamble: str = "") -> Section:
    """Add a section at the end of the questionnaire."""
    _refuse_if_locked(survey)
    position = len(survey.sections) + 1
    section = Section(survey=survey, position=position, title=title, preamble=preamble)
    db.session.add(section)
    return section


def update_section(section: Section, *, title: str, preamble: str) -> None:
    """Change a section's title or preamble (allowed while locked: it is wording)."""
    section.title = title
    section.preamble = preamble


def add_item(
    section: Section,
    *,
    code: str,
    text: str,
    item_type: ItemType,
    scale: str = "",
    options: list[str] | None = None,
    required: bool = False,
) -> Item:
    """Add a question at the end of a section."""
    survey = section.survey
    _refuse_if_locked(survey)
    options = [option.strip() for option in options or [] if option.strip()]
    if not CODE_PATTERN.match(code):
        raise SurveyError(
            "Code must start with a letter and use only lower-case letters, "
            "digits and underscores"
        )
    if any(item.code == code for item in survey.items):
        raise SurveyError(f"Code {code} is already used in this questionnaire")
    _check_item_fields(item_type, scale, options, text)
    in_section = [item.position for item in section.items]
    after = max(in_section) if in_section else _last_position_before(section)
    for item in survey.items:
        if item.position > after:
            item.position += 1
    item = Item(
        survey=survey,
        section=section,
        position=after + 1,
        code=code,
        text=text.strip(),
        type=item_type,
        scale=scale if item_type is ItemType.LIKERT else "",
        options="|".join(options)
        if item_type in (ItemType.SINGLE, ItemType.MULTI)
        else "",
        required=required,
    )
    db.session.add(item)
    return item


def _last_position_before(section: Section) -> int:
    earlier = [
        item.position
        for item in section.survey.items
        if item.section.position < section.position
    ]
    return max(earlier, default=0)


def update_item(
    item: Item,
    *,
    opened_version: int,
    text: str,
    scale: str,
    options: list[str],
    required: bool,
    by: User | None,
) -> None:
    """Edit a question. Once answered, a wording change keeps the old wording."""
    check_version(item.version, opened_version)
    options = [option.strip() for option in options if option.strip()]
    _check_item_fields(item.type, scale, options, text)
    answered = waves_with_answers(item.survey)
    new_scale = scale if item.type is ItemType.LIKERT else ""
    new_options = (
        "|".join(options) if item.type in (ItemType.SINGLE, ItemType.MULTI) else ""
    )
    if answered:
        if new_options != item.options:
            raise SurveyError(
                "The choices of an answered question cannot change; "
                "add a new question instead"
            )
        if text.strip() != item.text or new_scale != item.scale:
            db.session.add(
                ItemRevision(
                    item=item,
                    text=item.text,
                    scale=item.scale,
                    last_wave=answered[-1],
                    changed_by=by,
                )
            )
    item.text = text.strip()
    item.scale = new_scale
    item.options = new_options
    item.required = required
    item.version += 1


def delete_item(item: Item) -> None:
    """Remove a question that has never been answered, not even in a saved draft."""
    survey = item.survey
    _refuse_if_locked(survey)
    if db.session.scalar(
        select(DraftAnswer.item_id).where(DraftAnswer.item_id == item.id)
    ):
        raise SurveyError(
            "Someone has already answered this question in a response they have not "
            "yet submitted, so it cannot be removed. You can still edit its wording."
        )
    for other in survey.items:
        if other.position > item.position:
            other.position -= 1
    db.session.delete(item)


def move_item(item: Item, direction: int) -> None:
    """Move a question up (-1) or down (+1) within its section."""
    _refuse_if_locked(item.survey)
    siblings = item.section.items
    index = siblings.index(item)
    target = index + direction
    if not 0 <= target < len(siblings):
        return
    other = siblings[target]
    item.position, other.position = other.position, item.position
    db.session.flush()
    db.session.expire(item.section, ["items"])


def wording_changes(item: Item, first_wave: int, last_wave: int) -> list[ItemRevision]:
    """Earlier wordings in force for some wave between ``first_wave`` and ``last_wave``."""
    return [
        revision
        for revision in item.revisions
        if first_wave <= revision.last_wave < last_wave
    ]


def add_wave(
    survey: Survey, *, opens_on: date, closes_on: date, context_notes: str = ""
) -> Wave:
    """Add the next wave; it reuses the questionnaire as it stands."""
    if closes_on < opens_on:
        raise SurveyError("The close date must be on or after the open date")
    if not survey.items:
        raise SurveyError("Add questions before adding a wave")
    latest = db.session.scalar(
        select(func.max(Wave.number)).where(Wave.survey_id == survey.id)
    )
    if survey.waves and opens_on < survey.waves[-1].opens_on:
        raise SurveyError(
            f"Wave {latest} opens on {survey.waves[-1].opens_on:%d %B %Y}; "
            "a new wave must open on or after that"
        )
    wave = Wave(
        survey=survey,
        number=(latest or 0) + 1,
        opens_on=opens_on,
        closes_on=closes_on,
        context_notes=context_notes.strip(),
    )
    db.session.add(wave)
    return wave


def update_wave(
    wave: Wave,
    *,
    opened_version: int,
    opens_on: date,
    closes_on: date,
    context_notes: str,
) -> None:
    """Change a wave's dates or notes."""
    check_version(wave.version, opened_version)
    if closes_on < opens_on:
        raise SurveyError("The close date must be on or after the open date")
    wave.opens_on = opens_on
    wave.closes_on = closes_on
    wave.context_notes = context_notes.strip()
    wave.version += 1


def set_wave_override(wave: Wave, override: WaveOverride | None) -> None:
    """Open or close a wave by hand, or hand it back to its dates."""
    wave.override = override
    wave.version += 1
