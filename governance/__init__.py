"""The governance record: memoranda, meetings, minutes and action plans."""

# Imported for their models, so the tables exist whenever the app does.
from governance import agreements  # noqa: F401
from governance import meetings  # noqa: F401
