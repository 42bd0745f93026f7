"""Today's date where the partnerships are: wave dates are local calendar dates."""

from datetime import date
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app


def today() -> date:
    """The current date in the portal's time zone (``TIMEZONE``, default Europe/London)."""
    return datetime.now(ZoneInfo(str(current_app.config["TIMEZONE"]))).date()
