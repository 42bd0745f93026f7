"""Anonymous responses reach results in batches, so no one response can be singled out.

While an anonymous wave is open its sample shows who has just submitted. If the
results moved with every submission, the difference between two looks would be
that one person's answers. So a submitted anonymous response is *held back*:
results, breakdowns, the report (web, CSV, XLSX, ``surveys report``), charts and
board summaries count only released responses (``visible``), and row-level
answers, free text included, wait until the wave closes (``refuse_rows``).

``release_due`` runs after each anonymous submission. When at least twice the
minimum base (``RESULTS_MIN_BASE``, default 5) are held, it releases all but
the minimum base of them. Hence:

- results change only when at least the minimum base of new responses has
  arrived since the last release, and each release is drawn from at least twice
  that many people whose status changed;
- at least the minimum base stay held, so when the wave closes and everything
  counts, that last change also adds at least the minimum base.

Which held responses are released is drawn with the operating system's random
generator, neither by key nor by arrival, so the released set says nothing
about who answered when. Identified surveys and closed waves hold nothing back.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import ColumnElement
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update

from portal import clock
from portal.errors import PortalError
from portal.extensions import db
from surveys.charts import DEFAULT_MIN_BASE
from surveys.models import Response
from surveys.models import Wave


class RowsClosedError(PortalError):
    """Row-level answers of an anonymous wave asked for while it is open."""

    status = 409
    title = "These answers are not available yet"
    advice = "Download them once the wave has closed."


def min_base() -> int:
    """The smallest base shown and released (``PORTAL_RESULTS_MIN_BASE``, default 5)."""
    return int(current_app.config.get("RESULTS_MIN_BASE", DEFAULT_MIN_BASE))


def visible(waves: Sequence[Wave], today: date | None = None) -> ColumnElement[bool]:
    """The condition on ``Response`` rows that results may count today."""
    on = today or clock.today()
    holding = [wave.id for wave in waves if wave.holds_back(on)]
    return or_(Response.held_back.is_(False), Response.wave_id.not_in(holding))


@dataclass(frozen=True)
class Tally:
    """A wave's stored responses: how many results count and how many wait."""

    counted: int
    held: int


def tally(wave: Wave, today: date | None = None) -> Tally:
    """How many of the wave's responses results count today, and how many wait."""
    in_wave = (
        select(func.count()).select_from(Response).where(Response.wave_id == wave.id)
    )
    total = db.session.scalar(in_wave) or 0
    counted = db.session.scalar(in_wave.where(visible([wave], today))) or 0
    return Tally(counted=counted, held=total - counted)


def release_due(wave: Wave) -> int:
    """Release held responses when enough wait (see the module); flush only.

    Returns how many were released. The wave's row is locked first, so two
    submissions at once cannot both release from the same pool.
    """
    db.session.execute(select(Wave.id).where(Wave.id == wave.id).with_for_update())
    held = list(
        db.session.scalars(
            select(Response.id)
            .where(Response.wave_id == wave.id, Response.held_back.is_(True))
            .order_by(Response.id)
        )
    )
    keep = min_base()
    if len(held) < 2 * keep:
        return 0
    # Drawn at random: neither the random key's order nor arrival picks them.
    chosen = secrets.SystemRandom().sample(held, len(held) - keep)
    db.session.execute(
        update(Response)
        .where(Response.id.in_(chosen))
        .values(held_back=False)
        .execution_options(synchronize_session=False)
    )
    return len(chosen)


def refuse_rows(waves: Sequence[Wave], today: date | None = None) -> None:
    """Refuse row-level answers (exports, free text) of an anonymous wave still open.

    :raise RowsClosedError: naming the first such wave.
    """
    on = today or clock.today()
    for wave in waves:
        if wave.holds_back(on):
            raise RowsClosedError(
                f"Wave {wave.number} is anonymous and still open, so its answers "
                "cannot be downloaded yet: a new row could be matched to someone "
                "who has just submitted. They can be downloaded once the wave closes."
            )
