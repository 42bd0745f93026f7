"""Emailed links that let an action's owner update their actions without signing in.

Each reminder makes a new link for one owner and one strategy. Only the SHA-256
hash of its token is stored; the token itself exists only in the email, which is
sent after the commit (``portal.mail.send_after_commit``), so a rolled-back
reminder sends nothing. A link is single-use: opening it spends it and gives the
browser a short grant (``UPDATE_GRANT``) to update that owner's open actions in
that strategy, and nothing else. Opening it again, or after ``LINK_LIFETIME``,
shows the same "link not valid" page as a made-up link, and every miss counts
towards the per-address limit that ``surveys.responding`` applies to survey links.
"""

from __future__ import annotations

import secrets
from datetime import date
from datetime import datetime
from datetime import timedelta

from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from governance.models import Action
from governance.models import Strategy
from governance.plans import PlanError
from governance.plans import day_text
from governance.queries import natural_key
from portal.extensions import Base
from portal.extensions import db
from portal.mail import Mail
from portal.mail import send_after_commit
from portal.models import Person
from portal.models import User
from portal.models import UTCDateTime
from portal.models import utcnow
from portal.urls import external_url
from surveys.fieldwork import hash_token

#: How long an unopened link stays valid.
LINK_LIFETIME = timedelta(days=14)
#: How long an opened link lets the browser update the owner's actions.
UPDATE_GRANT = timedelta(hours=2)


class PlanUpdateToken(Base):
    """The hash of one emailed update link, for one owner and one strategy."""

    __tablename__ = "plan_update_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    strategy_id: Mapped[int] = mapped_column(
        ForeignKey("plan_strategy.id", ondelete="CASCADE"), index=True
    )
    #: The coordinator who sent the reminder.
    sent_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: When the link was opened (and so spent).
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    person: Mapped[Person] = relationship()
    strategy: Mapped[Strategy] = relationship()
    sent_by: Mapped[User | None] = relationship()

    def grants_access(self, now: datetime) -> bool:
        """True while the browser that opened the link may still update."""
        return self.used_at is not None and now < self.used_at + UPDATE_GRANT


def open_actions(strategy: Strategy, person: Person) -> list[Action]:
    """The person's actions in the strategy that still have work to do, in plan order."""
    actions = db.session.scalars(
        select(Action).where(
            Action.strategy_id == strategy.id, Action.owner_id == person.id
        )
    )
    return sorted(
        (action for action in actions if action.status.is_open),
        key=lambda action: natural_key(action.ref),
    )


def _body(
    strategy: Strategy,
    person: Person,
    actions: list[Action],
    link: str,
    since: date,
    board_meets_on: date | None,
) -> str:
    listed = "\n".join(f"- {action.ref}: {action.title}" for action in actions)
    when = (
        f", before the board meets on {day_text(board_meets_on)}"
        if board_meets_on is not None
        else ""
    )
    return (
        f"Dear {person.name},\n\n"
        f"Please give a short progress update on the actions you own in the "
        f"{strategy.title}{when}. We have no update from you since "
        f"{day_text(since)} on:\n\n"
        f"{listed}\n\n"
        f"Open this link to update them without signing in:\n{link}\n\n"
        f"The link works once, for {int(UPDATE_GRANT.total_seconds() // 3600)} hours "
        f"after you open it, and expires on {day_text((utcnow() + LINK_LIFETIME).date())}. "
        "Please do not forward this email: the link is for you alone. If it has "
        "expired, sign in to the portal and choose “My actions”.\n"
    )


def queue_reminder(
    strategy: Strategy,
    person: Person,
    *,
    since: date,
    by: User | None,
    board_meets_on: date | None = None,
) -> PlanUpdateToken:
    """Make a new link for ``person`` and queue the reminder to go after the commit.

    ``board_meets_on``, the next board meeting, is named in the message.

    :raise PlanError: if the person owns no open action in the strategy.
    """
    actions = open_actions(strategy, person)
    if not actions:
        raise PlanError(f"{person.name} has no open actions in this plan to update")
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = PlanUpdateToken(
        token_hash=hash_token(token),
        person=person,
        strategy=strategy,
        sent_by=by,
        created_at=now,
        expires_at=now + LINK_LIFETIME,
    )
    db.session.add(row)
    db.session.flush()
    link = external_url("plans.land", token=token)
    send_after_commit(
        Mail(
            to=person.email,
            subject=f"Please update your actions: {strategy.title}",
            body=_body(strategy, person, actions, link, since, board_meets_on),
        )
    )
    return row


def last_reminded(strategy: Strategy) -> dict[int, datetime]:
    """When each owner was last sent a link for the strategy, by person id."""
    rows: list[tuple[int, datetime]] = db.session.execute(  # type: ignore[assignment]
        select(PlanUpdateToken.person_id, func.max(PlanUpdateToken.created_at))
        .where(PlanUpdateToken.strategy_id == strategy.id)
        .group_by(PlanUpdateToken.person_id)
    ).all()
    return dict(rows)


def redeem(token: str) -> PlanUpdateToken | None:
    """Spend a link and return it; None if it is not valid.

    Flushes; the caller commits, whichever the answer.
    """
    now = utcnow()
    found = None
    if 20 <= len(token) <= 100:
        found = db.session.scalar(
            select(PlanUpdateToken).where(
                PlanUpdateToken.token_hash == hash_token(token)
            )
        )
    # A conditional UPDATE, so of two requests opening one link only one wins.
    spent = found is not None and found.expires_at > now and _spend(found.id, now)
    if found is None or not spent:
        return None
    db.session.refresh(found)
    return found


def _spend(token_id: int, now: datetime) -> bool:
    result = db.session.execute(
        update(PlanUpdateToken)
        .where(PlanUpdateToken.id == token_id, PlanUpdateToken.used_at.is_(None))
        .values(used_at=now)
    )
    return bool(getattr(result, "rowcount", 0) == 1)
