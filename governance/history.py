"""Append-only, hash-chained audit rows: what memorandum and minutes history share.

A chain is the events of one record (a memorandum, a meeting's minutes) in
``seq`` order. Each row's ``digest`` is ``chain_digest(previous row's digest, the
row's canonical fields)``, so altering or removing a row without recomputing the
digests after it breaks the chain, and ``first_break`` finds where. Rows refuse
updates and deletes in the ORM; the database does not enforce that, the digest is
unkeyed (whoever can rewrite rows can rewrite digests) and removing the last rows
breaks nothing, so this catches slips and casual edits, not a determined DBA.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from collections.abc import Mapping
from datetime import UTC
from datetime import datetime
from typing import Any
from typing import ClassVar

from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import event
from sqlalchemy import select
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import declared_attr
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from portal.extensions import db
from portal.models import User
from portal.models import UTCDateTime
from portal.models import utcnow


def chain_digest(previous: str, record: Mapping[str, object]) -> str:
    """``sha256(previous ‖ canonical JSON of record)``: one link of an audit hash chain."""
    canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((previous + canonical).encode()).hexdigest()


class ChainedEvent:
    """Columns and behaviour of one recorded change in a hash chain (a mixin).

    A subclass names the column that says which chain a row belongs to
    (``chain_column``) and gives its own digested fields in ``own_fields``.
    """

    #: The attribute holding the id of the record whose chain this row is in.
    chain_column: ClassVar[str]

    seq: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(32))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    digest: Mapped[str] = mapped_column(String(64))

    @declared_attr
    def user_id(cls) -> Mapped[int | None]:  # noqa: N805 - declared_attr takes the class
        """No ON DELETE action: the database must never rewrite an audit row."""
        return mapped_column(ForeignKey("user_account.id"))

    @declared_attr
    def user(cls) -> Mapped[User | None]:  # noqa: N805 - declared_attr takes the class
        """The account that made the change; None for the system."""
        return relationship(User)

    def own_fields(self) -> dict[str, object]:
        """The subclass's fields the digest covers, besides the shared ones."""
        raise NotImplementedError

    def canonical(self) -> dict[str, object]:
        """The fields the digest covers."""
        return {
            **self.own_fields(),
            "seq": self.seq,
            "field": self.field,
            "old": self.old_value,
            "new": self.new_value,
            "note": self.note,
            "user": self.user_id,
            "at": self.changed_at.astimezone(UTC).isoformat(),
        }

    @property
    def author_name(self) -> str:
        """Who made the change, as people read it."""
        return self.user.name if self.user is not None else "System"


def append_event(row: ChainedEvent) -> None:
    """Give ``row`` the next ``seq`` of its chain and its digest, then save it."""
    kind: Any = type(row)
    chain = getattr(kind, kind.chain_column)
    last = db.session.execute(
        select(kind.seq, kind.digest)
        .where(chain == getattr(row, kind.chain_column))
        .order_by(kind.seq.desc())
        .limit(1)
    ).first()
    row.seq, previous = (last[0] + 1, last[1]) if last else (1, "")
    row.digest = chain_digest(previous, row.canonical())
    db.session.add(row)
    db.session.flush()


def first_break(rows: Iterable[ChainedEvent]) -> int | None:
    """The ``seq`` of the first of a chain's rows (in order) that breaks it, or None."""
    previous = ""
    expected = 1
    for row in rows:
        if row.seq != expected or row.digest != chain_digest(previous, row.canonical()):
            return row.seq
        previous = row.digest
        expected += 1
    return None


def refuse_changes(*kinds: type, message: str) -> None:
    """Make the ORM refuse to update or delete rows of ``kinds`` (history is append-only)."""

    def refuse(*_: object) -> None:
        raise ValueError(message)

    for kind in kinds:
        event.listen(kind, "before_update", refuse)
        event.listen(kind, "before_delete", refuse)
