"""The governance record: memoranda, meetings, minutes and action plans."""
