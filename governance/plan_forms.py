"""Forms for action plans: strategies, structure, actions, updates, indicators, imports.

Choices that name records (themes, groups, organisations, people) are filled in
by the view from the strategy's own partnership, so an id from anywhere else is
"not in the list" and refused with a message, never looked up.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from flask_wtf.file import FileRequired
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput
from govuk_frontend_wtf.wtforms_widgets import GovFileInput
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput
from govuk_frontend_wtf.wtforms_widgets import GovSelect
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from govuk_frontend_wtf.wtforms_widgets import GovTextArea
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import Form
from wtforms import HiddenField
from wtforms import IntegerField
from wtforms import SelectField
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms import SubmitField
from wtforms import TextAreaField
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import StopValidation
from wtforms.validators import ValidationError

from governance.models import ActionStatus
from governance.models import Direction
from governance.models import Rag
from governance.plans import MAX_NAME
from governance.plans import MAX_REF
from governance.plans import MAX_TITLE
from portal.directory.forms import SLUG_RULE
from portal.directory.forms import VersionedForm
from portal.fields import DateOptional
from portal.fields import DateRequired
from portal.fields import DayMonthYearField

#: Addresses under /plans/ that a strategy's short name cannot take.
RESERVED_SLUGS = frozenset({"new", "mine", "link"})
RAG_CHOICES = [(rag.value, rag.label) for rag in Rag]
DIRECTION_CHOICES = [(direction.value, direction.label) for direction in Direction]
STATUS_WORDS = ", ".join(status.label.lower() for status in ActionStatus)


def status_choices(current: ActionStatus | None = None) -> list[tuple[str, str]]:
    """The statuses a person may choose: "carried forward" only if it already is.

    Carrying forward needs a new due date and a reason, so it has its own form.
    """
    return [
        (status.value, status.label)
        for status in ActionStatus
        if status is not ActionStatus.CARRIED_FORWARD or status is current
    ]


class ReportDateField(DayMonthYearField):
    """A GOV.UK date that also accepts one ISO value (links such as ``?as_of=2018-03-31``)."""

    def process_formdata(self, valuelist: Sequence[str]) -> None:
        """Read an ISO date, or the three boxes."""
        if len(valuelist) == 1:
            try:
                day = date.fromisoformat(valuelist[0].strip())
            except ValueError:
                pass
            else:
                self.data = day
                self.raw_data = [str(day.day), str(day.month), str(day.year)]
                return
        super().process_formdata(valuelist)


class RagRadioInput(GovRadioInput):  # type: ignore[misc]
    """RAG radios with the key beside each: "Red" and, under it, what red means."""

    def map_gov_params(self, field: Any, **kwargs: Any) -> dict[str, Any]:
        """Add each rating's meaning as the radio's hint."""
        params: dict[str, Any] = super().map_gov_params(field, **kwargs)
        for item in params["items"]:
            if item.get("value") in {rag.value for rag in Rag}:
                item["hint"] = {"text": Rag(item["value"]).meaning}
        return params


class ListField(SelectField):  # type: ignore[misc]
    """A select whose values must come from its list, with a message that says so."""

    def __init__(self, label: str, *, invalid: str, **kwargs: Any) -> None:
        kwargs.setdefault("widget", GovSelect())
        super().__init__(label, **kwargs)
        self.invalid = invalid

    def pre_validate(self, form: Any) -> None:
        """Refuse anything not offered."""
        if self.data not in {str(value) for value, _ in self.choices}:
            raise ValidationError(self.invalid)

    def id_or_none(self) -> int | None:
        """The chosen record's id, or None for the blank choice."""
        return int(self.data) if self.data else None


class ListMultipleField(SelectMultipleField):  # type: ignore[misc]
    """Checkboxes whose values must come from their list."""

    def __init__(self, label: str, *, invalid: str, **kwargs: Any) -> None:
        kwargs.setdefault("widget", GovCheckboxesInput())
        super().__init__(label, **kwargs)
        self.invalid = invalid

    def pre_validate(self, form: Any) -> None:
        """Refuse anything not offered."""
        offered = {str(value) for value, _ in self.choices}
        if any(value not in offered for value in self.data or []):
            raise ValidationError(self.invalid)

    def ids(self) -> list[int]:
        """The chosen records' ids."""
        return [int(value) for value in self.data or []]


class PercentField(IntegerField):  # type: ignore[misc]
    """A whole percentage from 0 to 100; "40%" is read as 40."""

    def __init__(self, label: str, **kwargs: Any) -> None:
        kwargs.setdefault("widget", GovTextInput())
        super().__init__(label, **kwargs)

    def process_formdata(self, valuelist: Sequence[str]) -> None:
        """Read a whole number, with or without a % sign."""
        self.data = None
        if not valuelist or not valuelist[0].strip():
            return
        text = valuelist[0].strip().removesuffix("%").strip()
        try:
            self.data = int(text)
        except ValueError:
            raise ValueError(
                f"{self.label.text} must be a whole number between 0 and 100"
            ) from None

    def pre_validate(self, form: Any) -> None:
        """Refuse a blank and anything outside 0 to 100."""
        if self.process_errors:
            return
        if self.data is None:
            raise StopValidation(f"Enter the {self.label.text.lower()}")
        if not 0 <= self.data <= 100:
            raise StopValidation("Progress must be between 0 and 100")


class NumberField(IntegerField):  # type: ignore[misc]
    """A whole number of at least ``minimum``."""

    def __init__(self, label: str, *, minimum: int, **kwargs: Any) -> None:
        kwargs.setdefault("widget", GovTextInput())
        super().__init__(label, **kwargs)
        self.minimum = minimum

    def process_formdata(self, valuelist: Sequence[str]) -> None:
        """Read a whole number."""
        self.data = None
        if not valuelist or not valuelist[0].strip():
            return
        try:
            self.data = int(valuelist[0].strip().replace(",", ""))
        except ValueError:
            raise ValueError(f"{self.label.text} must be a whole number") from None

    def pre_validate(self, form: Any) -> None:
        """Refuse a blank and a number below the minimum."""
        if self.process_errors:
            return
        if self.data is None:
            raise StopValidation(f"Enter the {self.label.text.lower()}")
        if self.data < self.minimum:
            raise StopValidation(f"{self.label.text} must be {self.minimum} or more")


class FloatPercentField(StringField):  # type: ignore[misc]
    """A percentage that may have decimals, 0 to 100."""

    def __init__(self, label: str, **kwargs: Any) -> None:
        kwargs.setdefault("widget", GovTextInput())
        super().__init__(label, **kwargs)

    def value(self) -> float:
        """The validated number."""
        return float(str(self.data).strip().removesuffix("%"))

    def pre_validate(self, form: Any) -> None:
        """Refuse a blank, a non-number and anything outside 0 to 100."""
        text = str(self.data or "").strip().removesuffix("%")
        if not text:
            raise StopValidation(f"Enter the {self.label.text.lower()}")
        try:
            number = float(text)
        except ValueError:
            raise StopValidation(f"{self.label.text} must be a number") from None
        if not 0 <= number <= 100:
            raise StopValidation(f"{self.label.text} must be between 0 and 100")


# Strategies and structure ------------------------------------------------------------


class StrategyForm(VersionedForm):
    """Create a strategy, or edit its title, description and period."""

    partnership = ListField("Partnership", invalid="Choose a partnership from the list")
    slug = StringField(
        "Short name for web addresses",
        description="For example, county-reducing-offending-2015-18",
        widget=GovTextInput(),
        validators=[InputRequired("Enter a short name"), Length(max=64), SLUG_RULE],
    )
    title = StringField(
        "Title",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the strategy's title"), Length(max=MAX_NAME)],
    )
    description = TextAreaField(
        "Description (optional)", widget=GovTextArea(), validators=[Length(max=5000)]
    )
    starts_on = DayMonthYearField(
        "Starts on",
        description="For example, 1 10 2015",
        validators=[DateRequired("Enter the date the strategy starts")],
    )
    ends_on = DayMonthYearField(
        "Ends on",
        description="For example, 31 3 2018",
        validators=[DateRequired("Enter the date the strategy ends")],
    )
    submit = SubmitField("Save strategy", widget=GovSubmitInput())

    def __init__(
        self,
        *args: Any,
        partnerships: Sequence[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        """``partnerships`` for a new strategy; without them, the edit form."""
        super().__init__(*args, **kwargs)
        if partnerships is None:
            del self.partnership
            del self.slug
        else:
            self.partnership.choices = [("", "Choose…"), *partnerships]

    def validate_slug(self, field: StringField) -> None:
        """Some addresses under /plans/ are the portal's own."""
        if field.data in RESERVED_SLUGS:
            raise ValidationError(f"“{field.data}” is taken: choose another short name")

    def validate_ends_on(self, field: DayMonthYearField) -> None:
        """A strategy cannot end before it starts."""
        starts: date | None = self.starts_on.data
        if starts and field.data and field.data < starts:
            raise ValidationError("The strategy must end on or after the day it starts")


class ThemeForm(FlaskForm):  # type: ignore[misc]
    """Add or rename a theme."""

    name = StringField(
        "Theme name",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the theme's name"), Length(max=MAX_NAME)],
    )
    submit = SubmitField("Save theme", widget=GovSubmitInput())


class GroupForm(FlaskForm):  # type: ignore[misc]
    """A delivery group: its name, theme, chair and members."""

    name = StringField(
        "Group name",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the group's name"), Length(max=MAX_NAME)],
    )
    theme = ListField("Theme", invalid="Choose a theme from the list")
    chair = ListField("Chair", invalid="Choose the chair from the list")
    members = ListMultipleField(
        "Members",
        description="The chair is always a member.",
        invalid="Choose members from the list",
    )
    submit = SubmitField("Save group", widget=GovSubmitInput())


class MergeForm(FlaskForm):  # type: ignore[misc]
    """Merge themes (or groups) into another at a refresh."""

    sources = ListMultipleField(
        "Merge these", invalid="Choose what to merge from the list"
    )
    into = ListField("Into", invalid="Choose what to merge them into from the list")
    submit = SubmitField("Merge", widget=GovSubmitInput())

    def __init__(self, *args: Any, what: str, **kwargs: Any) -> None:
        """``what`` is "themes" or "delivery groups", for the labels and messages."""
        super().__init__(*args, **kwargs)
        self.sources.label.text = f"{what.capitalize()} to merge"
        self.into.label.text = "Merge them into"
        self.submit.label.text = f"Merge {what}"
        self.what = what

    def validate_sources(self, field: ListMultipleField) -> None:
        """Something must be chosen, and not the target itself."""
        if not field.data:
            raise ValidationError(f"Choose the {self.what} to merge")
        if self.into.data and self.into.data in field.data:
            raise ValidationError(f"Do not choose the {self.what[:-1]} you merge into")


# Actions -----------------------------------------------------------------------------


class ActionForm(VersionedForm):
    """An action's details. A new action also takes its starting status."""

    ref = StringField(
        "Reference",
        description="For example, P1.3",
        widget=GovTextInput(),
        validators=[InputRequired("Enter a reference"), Length(max=MAX_REF)],
    )
    title = StringField(
        "Title",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the action's title"), Length(max=MAX_TITLE)],
    )
    description = TextAreaField(
        "Description (optional)", widget=GovTextArea(), validators=[Length(max=5000)]
    )
    theme = ListField("Theme", invalid="Choose a theme from the list")
    delivery_group = ListField(
        "Delivery group", invalid="Choose a delivery group from the list"
    )
    lead_organisation = ListField(
        "Lead organisation",
        invalid="Choose a lead organisation from the list: "
        "it must take part in the partnership",
    )
    owner = ListField(
        "Owner",
        invalid="Choose the owner from the list: they must be in the partnership",
    )
    start_date = DayMonthYearField(
        "Start date (optional)",
        description="For example, 1 10 2015",
        validators=[DateOptional()],
    )
    due_date = DayMonthYearField(
        "Due date",
        description="For example, 31 3 2018",
        validators=[DateRequired("Enter the due date")],
    )
    status = ListField(
        "Status",
        choices=status_choices(),
        invalid=f"Choose a status from the list: {STATUS_WORDS}",
    )
    rag = ListField(
        "RAG rating",
        choices=RAG_CHOICES,
        widget=RagRadioInput(),
        default=Rag.NONE.value,
        invalid="Choose red, amber, green or not rated",
    )
    progress_pct = PercentField("Progress (%)", default=0)
    submit = SubmitField("Save action", widget=GovSubmitInput())

    def __init__(
        self,
        *args: Any,
        themes: Sequence[tuple[str, str]],
        groups: Sequence[tuple[str, str]],
        organisations: Sequence[tuple[str, str]],
        people: Sequence[tuple[str, str]],
        new: bool,
        **kwargs: Any,
    ) -> None:
        """The choices come from the strategy; an existing action's status is not here."""
        super().__init__(*args, **kwargs)
        self.theme.choices = [("", "Choose…"), *themes]
        self.delivery_group.choices = [("", "None"), *groups]
        self.lead_organisation.choices = [("", "None"), *organisations]
        self.owner.choices = [("", "No owner yet"), *people]
        if not new:
            del self.status

    def validate_theme(self, field: ListField) -> None:
        """Every action belongs to a theme."""
        if not field.data:
            raise ValidationError(field.invalid)

    def validate_due_date(self, field: DayMonthYearField) -> None:
        """Due on or after the start."""
        start: date | None = self.start_date.data
        if start and field.data and field.data < start:
            raise ValidationError("Due date must be on or after the start date")


class StatusForm(VersionedForm):
    """The inline status change on the plan page (rendered by hand, one per row)."""

    status = ListField(
        "Status",
        choices=[(status.value, status.label) for status in ActionStatus],
        invalid=f"Choose a status from the list: {STATUS_WORDS}",
    )


class UpdateForm(VersionedForm):
    """A dated progress update: what happened, and the status, RAG and progress now."""

    narrative = TextAreaField(
        "Progress since the last update",
        widget=GovTextArea(),
        validators=[InputRequired("Describe the progress made"), Length(max=10000)],
    )
    status = ListField(
        "Status", invalid=f"Choose a status from the list: {STATUS_WORDS}"
    )
    rag = ListField(
        "RAG rating",
        choices=RAG_CHOICES,
        widget=RagRadioInput(),
        invalid="Choose red, amber, green or not rated",
    )
    progress_pct = PercentField("Progress (%)")
    written_on = DayMonthYearField(
        "Date of the update (optional)",
        description="Leave blank for today. For example, 28 3 2018",
        validators=[DateOptional()],
    )
    submit = SubmitField("Save update", widget=GovSubmitInput())

    def __init__(self, *args: Any, current: ActionStatus, **kwargs: Any) -> None:
        """``current`` is the action's status, which may always be kept."""
        super().__init__(*args, **kwargs)
        self.status.choices = status_choices(current)


class CarryForwardForm(VersionedForm):
    """Carry an action into a later period with a new due date and a reason."""

    new_due_date = DayMonthYearField(
        "New due date",
        description="For example, 31 3 2019",
        validators=[DateRequired("Enter the new due date")],
    )
    reason = TextAreaField(
        "Why it is carried forward",
        widget=GovTextArea(),
        validators=[
            InputRequired("Give the reason for carrying the action forward"),
            Length(max=5000),
        ],
    )
    submit = SubmitField("Carry forward", widget=GovSubmitInput())


class LinkForm(FlaskForm):  # type: ignore[misc]
    """Link an action to an indicator or a survey question."""

    target = ListField("Link to", invalid="Choose one from the list")
    submit = SubmitField("Add link", widget=GovSubmitInput())


# Indicators ----------------------------------------------------------------------------


class IndicatorForm(FlaskForm):  # type: ignore[misc]
    """An outcome indicator with a percentage target."""

    name = StringField(
        "Indicator",
        description="For example, increased compliance with helping agencies",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the indicator"), Length(max=MAX_TITLE)],
    )
    description = TextAreaField(
        "How it is measured (optional)",
        widget=GovTextArea(),
        validators=[Length(max=5000)],
    )
    target_pct = FloatPercentField("Target (%)")
    direction = ListField(
        "Direction",
        choices=DIRECTION_CHOICES,
        widget=GovRadioInput(),
        default=Direction.UP.value,
        invalid="Choose whether higher or lower is better",
    )
    amber_margin_pp = FloatPercentField(
        "Amber margin (percentage points)",
        description="How far short of the target is amber rather than red.",
        default="5",
    )
    submit = SubmitField("Add indicator", widget=GovSubmitInput())


class IndicatorValueForm(FlaskForm):  # type: ignore[misc]
    """An indicator's actual value for one reporting period: numerator of denominator."""

    period_label = StringField(
        "Period",
        description="For example, Q4 2017/18",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the period's name"), Length(max=64)],
    )
    period_end = DayMonthYearField(
        "Period ends on",
        description="For example, 31 3 2018",
        validators=[DateRequired("Enter the day the period ends")],
    )
    numerator = NumberField("Number achieving the outcome", minimum=0)
    denominator = NumberField("Number counted", minimum=1)
    note = TextAreaField(
        "Note (optional)", widget=GovTextArea(), validators=[Length(max=2000)]
    )
    submit = SubmitField("Record value", widget=GovSubmitInput())

    def validate_numerator(self, field: NumberField) -> None:
        """No more achieving the outcome than were counted."""
        if (
            field.data is not None
            and self.denominator.data is not None
            and field.data > self.denominator.data
        ):
            raise ValidationError(
                "The number achieving the outcome cannot be more than the number counted"
            )


# Imports and reports ---------------------------------------------------------------------


class PlanUploadForm(FlaskForm):  # type: ignore[misc]
    """An action-plan CSV to check before importing."""

    file = FileField(
        "Action plan CSV file",
        widget=GovFileInput(),
        validators=[FileRequired("Choose a CSV file")],
    )
    submit = SubmitField("Check the file", widget=GovSubmitInput())


class PlanConfirmForm(FlaskForm):  # type: ignore[misc]
    """The checked file, carried to the confirm step so nothing is stored between."""

    content = HiddenField()
    submit = SubmitField("Import", widget=GovSubmitInput())


class AsOfForm(Form):  # type: ignore[misc]
    """The progress page's as-of date (a GET form: no CSRF, nothing changes)."""

    as_of = ReportDateField(
        "As at",
        description="Leave blank for today. For example, 31 3 2018",
        validators=[DateOptional()],
    )


class SinceForm(Form):  # type: ignore[misc]
    """The date from which owners' updates count (a GET form)."""

    since = ReportDateField(
        "Updated since",
        description="For example, the day after the last board meeting: 1 4 2018",
        validators=[DateOptional()],
    )


class RemindForm(FlaskForm):  # type: ignore[misc]
    """Send an owner (or every owner not yet updated) a link to update."""

    person = HiddenField()
    since = HiddenField()
