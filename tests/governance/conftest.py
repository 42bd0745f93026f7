"""Fixtures of the governance tests: the 42 of 53 completion history, and the world
of a board progress summary with its draft. X's strategy (``plan``) and its
``make_action`` factory are in ``tests/conftest.py``: the browser tests use them too."""

from datetime import date

import pytest

from governance import plans
from governance import summary as summaries
from portal.extensions import db
from tests.helpers import YEAR_END
from tests.helpers import _complete
from tests.helpers import _start
from tests.helpers import at
from tests.summary_world import build_summary_world


@pytest.fixture
def staffordshire(plan, make_action):
    """53 actions due by 31 March 2018: 42 completed and 11 in progress on that day.

    Afterwards (as in April 2018) the 11 are carried forward into 2018/19 and
    three of them are completed, so only the history knows the March figures.
    """
    themes = list(plan["themes"].values())
    actions = []
    for number in range(53):
        due = [date(2016, 3, 31), date(2017, 3, 31), YEAR_END][number % 3]
        action = make_action(
            ref=f"A{number + 1}",
            theme=themes[number % 3],
            delivery_group=None,
            start_date=date(2015, 10, 1),
            due_date=due,
        )
        _start(action, date(2015, 11, 2))
        actions.append(action)
    for action in actions[:42]:
        _complete(action, min(action.due_date, date(2018, 3, 20)))
    outstanding = actions[42:]
    for action in outstanding:
        plans.carry_forward(
            action,
            opened_version=action.version,
            new_due_date=date(2019, 3, 31),
            reason="Carried into 2018/19 at the refresh",
            by=None,
            at=at(date(2018, 4, 20)),
        )
    for action in outstanding[:3]:
        _complete(action, date(2018, 6, 1))
    db.session.commit()
    return {**plan, "actions": actions, "outstanding": outstanding}


@pytest.fixture
def summary_world(plan):
    """X's plan, survey and record (see ``tests/summary_world.py``)."""
    return build_summary_world(plan)


@pytest.fixture
def draft(summary_world):
    """A draft for the April meeting, made by X's coordinator."""
    made = summaries.create_draft(
        summary_world["x"],
        meeting=summary_world["april"],
        by=summary_world["x_coordinator"],
        today=date(2018, 4, 10),
    )
    db.session.commit()
    return made
