"""A strategy on partnership X with three themes, a delivery group each, and factories."""

from datetime import UTC
from datetime import date
from datetime import datetime

import pytest

from governance import plans
from governance.models import ActionStatus
from portal.extensions import db

LAUNCH = datetime(2015, 10, 1, 10, tzinfo=UTC)


def at(day: date, hour: int = 12) -> datetime:
    """Noon (UTC) on ``day``: the moment a test change happens."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@pytest.fixture
def plan(world):
    """Strategy ``x-plan`` on partnership X, 2015-18, and what its tests need."""
    strategy = plans.create_strategy(
        slug="x-plan",
        title="Reducing offending 2015-18",
        partnership=world["x"],
        starts_on=date(2015, 10, 1),
        ends_on=date(2018, 3, 31),
    )
    themes = {
        name: plans.create_theme(strategy, name=name)
        for name in ("Prevention", "Diversion", "Offender Management")
    }
    groups = {
        name: plans.create_group(
            strategy,
            name=f"{name} Group",
            theme=theme,
            chair=world["x_person"],
            members=[world["x_person"]],
        )
        for name, theme in themes.items()
    }
    db.session.commit()
    return {
        **world,
        "strategy": strategy,
        "themes": themes,
        "groups": groups,
        "coordinator": world["x_coordinator"],
    }


@pytest.fixture
def make_action(plan):
    """Create and commit an action in ``x-plan``; keyword arguments override defaults."""
    counter = iter(range(1, 1000))

    def _make(**overrides):
        values = {
            "ref": f"A{next(counter)}",
            "title": "Do something useful",
            "theme": plan["themes"]["Prevention"],
            "delivery_group": plan["groups"]["Prevention"],
            "lead_organisation": plan["x_lead"],
            "owner": plan["x_person"],
            "start_date": date(2015, 10, 1),
            "due_date": date(2018, 3, 31),
            "status": ActionStatus.NOT_STARTED,
            "by": plan["coordinator"],
            "at": LAUNCH,
        }
        values.update(overrides)
        action = plans.create_action(plan["strategy"], **values)
        db.session.commit()
        return action

    return _make
