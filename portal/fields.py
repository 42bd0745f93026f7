"""Form fields the domains share: a GOV.UK date typed into day, month and year boxes."""

from collections.abc import Sequence
from datetime import date
from typing import Any

from govuk_frontend_wtf.wtforms_widgets import GovDateInput
from wtforms import DateField
from wtforms.validators import StopValidation


class DayMonthYearField(DateField):  # type: ignore[misc]
    """A date typed into GOV.UK day, month and year boxes, which share one name."""

    PARTS = ("day", "month", "year")

    def __init__(self, label: str, **kwargs: Any) -> None:
        super().__init__(label, widget=GovDateInput(), format="%d %m %Y", **kwargs)

    def process_formdata(self, valuelist: Sequence[str]) -> None:
        """Read the three boxes, naming the one that is missing or wrong."""
        parts = [value.strip() for value in valuelist][:3]
        parts += [""] * (3 - len(parts))
        # The widget shows back exactly three boxes, whatever was sent.
        self.raw_data = parts
        self.data = None
        if not any(parts):
            return
        missing = [
            name for name, value in zip(self.PARTS, parts, strict=True) if not value
        ]
        if missing:
            raise ValueError(
                f"{self.label.text} must include a {' and '.join(missing)}"
            )
        day, month, year = parts
        if not (day.isdigit() and month.isdigit() and year.isdigit()) or len(year) != 4:
            raise ValueError(
                f"{self.label.text} must be a real date, with a 4-digit year, "
                "for example 27 3 2026"
            )
        try:
            self.data = date(int(year), int(month), int(day))
        except ValueError:
            raise ValueError(f"{self.label.text} must be a real date") from None


class DateRequired:
    """Like ``InputRequired`` for the three boxes of a GOV.UK date input."""

    def __init__(self, message: str) -> None:
        self.message = message

    def __call__(self, form: Any, field: DayMonthYearField) -> None:
        """Stop with the message when every box is blank; a bad date speaks for itself."""
        if field.process_errors:
            raise StopValidation()
        if field.data is None:
            raise StopValidation(self.message)


class DateOptional:
    """Like ``Optional`` for a GOV.UK date: blank is fine, half a date is not."""

    def __call__(self, form: Any, field: DayMonthYearField) -> None:
        """Stop quietly when every box is blank; keep a malformed date's message."""
        if field.process_errors:
            raise StopValidation()
        if field.data is None:
            field.errors[:] = []
            raise StopValidation()
