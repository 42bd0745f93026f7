"""Forms for running a survey: the survey itself, questions, waves, messages, imports."""

from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from flask_wtf.file import FileRequired
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput
from govuk_frontend_wtf.wtforms_widgets import GovFileInput
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput
from govuk_frontend_wtf.wtforms_widgets import GovSelect
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from govuk_frontend_wtf.wtforms_widgets import GovTextArea
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import BooleanField
from wtforms import HiddenField
from wtforms import IntegerField
from wtforms import RadioField
from wtforms import SelectField
from wtforms import StringField
from wtforms import SubmitField
from wtforms import TextAreaField
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional
from wtforms.validators import Regexp
from wtforms.validators import ValidationError

from portal.directory.forms import SLUG_RULE
from portal.directory.forms import VersionedForm
from portal.fields import DateRequired
from portal.fields import DayMonthYearField
from surveys.fieldwork import check_merge_fields
from surveys.models import ItemType
from surveys.models import SurveyMode
from surveys.services import SurveyError

SCALE_CHOICES = [
    ("agree5", "Agree (Strongly agree … Strongly disagree)"),
    ("increase5", "Increase (Increased a lot … Decreased a lot)"),
    ("effective5", "Effective (A lot more effective … A lot less effective)"),
]
TYPE_CHOICES = [(item_type.value, item_type.label) for item_type in ItemType]
CHOICE_TYPES = (ItemType.SINGLE, ItemType.MULTI)
MODE_CHOICES = [
    (
        SurveyMode.IDENTIFIED.value,
        "Identified: coordinators can see who gave which answers",
    ),
    (
        SurveyMode.ANONYMOUS.value,
        "Anonymous but tracked: the portal knows who has responded, "
        "but no answer can be linked to a person",
    ),
]


class SurveyForm(FlaskForm):  # type: ignore[misc]
    """Start a survey for a partnership or a programme."""

    title = StringField(
        "Title",
        widget=GovTextInput(),
        validators=[InputRequired("Enter a title"), Length(max=200)],
    )
    slug = StringField(
        "Short name for web addresses",
        widget=GovTextInput(),
        validators=[InputRequired("Enter a short name"), Length(max=64), SLUG_RULE],
    )
    scope = SelectField(
        "Who is surveyed",
        widget=GovSelect(),
        validators=[InputRequired("Choose a partnership or programme")],
    )
    mode = RadioField(
        "Anonymity",
        choices=MODE_CHOICES,
        default=SurveyMode.IDENTIFIED.value,
        widget=GovRadioInput(),
        validators=[InputRequired("Choose how answers are kept")],
    )
    start_from = RadioField(
        "Questionnaire",
        choices=[
            ("template", "Start from the Partnership working survey (32 questions)"),
            ("blank", "Start with an empty questionnaire"),
        ],
        default="template",
        widget=GovRadioInput(),
        validators=[InputRequired("Choose how to start the questionnaire")],
    )
    submit = SubmitField("Create survey", widget=GovSubmitInput())

    def __init__(
        self, *args: Any, scopes: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.scope.choices = [("", "Choose…"), *scopes]


class SectionForm(FlaskForm):  # type: ignore[misc]
    """A section's title and the preamble shown above its questions."""

    title = StringField(
        "Section title",
        widget=GovTextInput(),
        validators=[InputRequired("Enter a section title"), Length(max=200)],
    )
    preamble = TextAreaField(
        "Preamble (optional)",
        description="Shown above every question in the section.",
        widget=GovTextArea(),
        validators=[Length(max=5000)],
    )
    submit = SubmitField("Save section", widget=GovSubmitInput())


class ItemForm(VersionedForm):
    """A question. Code and type are fixed once the question exists."""

    code = StringField(
        "Code",
        description="Stable across waves, e.g. clear_vision. Lower-case letters, digits, _",
        widget=GovTextInput(),
        validators=[
            InputRequired("Enter a code"),
            Regexp(
                r"^[a-z][a-z0-9_]{0,63}$",
                message="Start with a letter; use lower-case letters, digits and _",
            ),
        ],
    )
    type = SelectField("Type", choices=TYPE_CHOICES, widget=GovSelect())
    text = TextAreaField(
        "Question",
        widget=GovTextArea(),
        validators=[InputRequired("Enter the question"), Length(max=2000)],
    )
    # Only likert questions show the scale, so a missing one is checked below.
    scale = SelectField(
        "Scale (likert questions)",
        choices=SCALE_CHOICES,
        widget=GovSelect(),
        validate_choice=False,
        description="Every likert question also offers “Don't know”.",
    )
    options = TextAreaField(
        "Choices (single and multiple choice), one per line",
        widget=GovTextArea(),
        validators=[Length(max=5000)],
    )
    required = BooleanField("An answer is required", widget=GovCheckboxInput())
    submit = SubmitField("Save question", widget=GovSubmitInput())

    def __init__(
        self, *args: Any, item_type: ItemType | None = None, **kwargs: Any
    ) -> None:
        """``item_type`` is an existing question's type; a new one takes it from the form."""
        super().__init__(*args, **kwargs)
        self.fixed_type = item_type
        if item_type is not None:
            # The edit page does not send code and type, so they must not be checked.
            del self.code
            del self.type

    def item_type(self) -> ItemType | None:
        """The question's type: fixed when editing, as chosen when adding."""
        if self.fixed_type is not None:
            return self.fixed_type
        try:
            return ItemType(self.type.data)
        except ValueError:
            return None

    def option_list(self) -> list[str]:
        """The choices, one per line, blanks dropped."""
        return [
            line.strip()
            for line in (self.options.data or "").splitlines()
            if line.strip()
        ]

    def validate_scale(self, field: SelectField) -> None:
        """A likert question needs one of the scales."""
        if self.item_type() is ItemType.LIKERT and field.data not in dict(
            SCALE_CHOICES
        ):
            raise ValidationError("Choose a scale for a likert question")

    def validate_options(self, field: TextAreaField) -> None:
        """A choice question needs two different choices or more."""
        if self.item_type() not in CHOICE_TYPES:
            return
        labels = self.option_list()
        if len(labels) < 2:
            raise ValidationError("Give at least two choices, one per line")
        seen: set[str] = set()
        for label in labels:
            if label.casefold() in seen:
                raise ValidationError(f"“{label}” is listed twice")
            if "|" in label:
                raise ValidationError(f"“{label}”: a choice cannot contain |")
            seen.add(label.casefold())


class WaveForm(VersionedForm):
    """A wave's fieldwork dates and context notes."""

    opens_on = DayMonthYearField(
        "Fieldwork opens",
        description="For example, 27 3 2026",
        validators=[DateRequired("Enter the date fieldwork opens")],
    )
    closes_on = DayMonthYearField(
        "Fieldwork closes",
        description="For example, 10 4 2026",
        validators=[DateRequired("Enter the date fieldwork closes")],
    )
    context_notes = TextAreaField(
        "Context notes (optional)",
        description="Events that help read the results, e.g. "
        "“funding extension announced in June 2014”.",
        widget=GovTextArea(),
        validators=[Length(max=5000)],
    )
    submit = SubmitField("Save wave", widget=GovSubmitInput())

    def dates(self) -> tuple[date, date]:
        """The open and close dates of a validated form."""
        opens: date | None = self.opens_on.data
        closes: date | None = self.closes_on.data
        if opens is None or closes is None:
            raise ValueError("validate the form before reading its dates")
        return opens, closes

    def validate_closes_on(self, field: DayMonthYearField) -> None:
        """Fieldwork cannot close before it opens."""
        opens: date | None = self.opens_on.data
        if opens and field.data and field.data < opens:
            raise ValidationError("The close date must be on or after the open date")


class SampleForm(FlaskForm):  # type: ignore[misc]
    """Draw people into a wave's sample."""

    partnership = SelectField(
        "Partnership", widget=GovSelect(), validators=[Optional()]
    )
    organisation = SelectField(
        "Organisation", widget=GovSelect(), validators=[Optional()]
    )
    max_per_organisation = IntegerField(
        "At most this many people from each organisation",
        widget=GovTextInput(),
        default=3,
        validators=[
            InputRequired("Enter how many people to take from each organisation"),
            NumberRange(min=1, max=50, message="Enter a number from 1 to 50"),
        ],
    )
    submit = SubmitField("Add to sample", widget=GovSubmitInput())


class MessageForm(VersionedForm):
    """An invitation or reminder template with merge fields."""

    subject = StringField(
        "Subject",
        widget=GovTextInput(),
        validators=[InputRequired("Enter a subject"), Length(max=200)],
    )
    body = TextAreaField(
        "Message",
        widget=GovTextArea(),
        validators=[InputRequired("Enter the message"), Length(max=10000)],
    )
    submit = SubmitField("Save message", widget=GovSubmitInput())

    def validate_subject(self, field: StringField) -> None:
        """Only known merge fields, in single braces."""
        _check_merge_fields(field.data or "")

    def validate_body(self, field: TextAreaField) -> None:
        """Only known merge fields, in single braces."""
        _check_merge_fields(field.data or "")


def _check_merge_fields(text: str) -> None:
    try:
        check_merge_fields(text)
    except SurveyError as error:
        raise ValidationError(error.message) from None


class UploadForm(FlaskForm):  # type: ignore[misc]
    """A responses CSV to check before importing."""

    file = FileField(
        "Responses CSV file",
        widget=GovFileInput(),
        validators=[FileRequired("Choose a CSV file")],
    )
    submit = SubmitField("Check the file", widget=GovSubmitInput())


class ConfirmImportForm(FlaskForm):  # type: ignore[misc]
    """The checked file, carried to the confirm step so nothing is stored between."""

    content = HiddenField()
    submit = SubmitField("Import", widget=GovSubmitInput())
