"""Forms for the governance record: meetings, agendas, attendance, minutes, memoranda."""

from collections.abc import Sequence
from decimal import Decimal
from decimal import InvalidOperation
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from flask_wtf.file import FileRequired
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput
from govuk_frontend_wtf.wtforms_widgets import GovFileInput
from govuk_frontend_wtf.wtforms_widgets import GovSelect
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from govuk_frontend_wtf.wtforms_widgets import GovTextArea
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import BooleanField
from wtforms import FieldList
from wtforms import Form
from wtforms import FormField
from wtforms import IntegerField
from wtforms import SelectField
from wtforms import StringField
from wtforms import SubmitField
from wtforms import TextAreaField
from wtforms.validators import DataRequired
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional
from wtforms.validators import Regexp
from wtforms.validators import StopValidation
from wtforms.validators import ValidationError

from governance import agreements
from governance import meetings
from governance.plan_forms import ListMultipleField
from governance.plan_forms import ReportDateField
from portal.directory.forms import VersionedForm
from portal.fields import DateOptional
from portal.fields import DateRequired
from portal.fields import DayMonthYearField


def strip(value: str | None) -> str | None:
    """Trim spaces, so that a field of spaces counts as empty."""
    return value.strip() if isinstance(value, str) else value


TIME_RULE = Regexp(
    r"^([01]?\d|2[0-3]):[0-5]\d$", message="Enter the start time as 24-hour hh:mm"
)


class MeetingForm(FlaskForm):  # type: ignore[misc]
    """Schedule a meeting of the board or one of its groups."""

    body = SelectField("Board or group", widget=GovSelect(), coerce=int)
    held_on = DayMonthYearField(
        "Date", validators=[DateRequired("Enter the date of the meeting")]
    )
    starts_at = StringField(
        "Start time (24-hour, for example 10:00)",
        widget=GovTextInput(),
        validators=[Optional(), TIME_RULE],
    )
    place = StringField(
        "Place",
        widget=GovTextInput(),
        validators=[Length(max=meetings.MAX_PLACE)],
    )
    link = StringField(
        "Online meeting link (https)",
        widget=GovTextInput(),
        validators=[Length(max=meetings.MAX_LINK)],
    )
    chair = SelectField("Chair", widget=GovSelect(), coerce=int)
    confidential = BooleanField(
        "Papers are confidential (not shown to partner contacts)",
        widget=GovCheckboxInput(),
    )
    submit = SubmitField("Create meeting", widget=GovSubmitInput())


class AttendanceForm(VersionedForm):
    """The version the attendance form was opened at; statuses come as ``person-<id>``."""

    submit = SubmitField("Save attendance", widget=GovSubmitInput())


class MinutesForm(VersionedForm):
    """The version the minutes were opened at; texts come as ``item-<id>``."""

    reason = StringField(
        "Reason for the correction (approved minutes only)",
        widget=GovTextInput(),
        validators=[Length(max=500)],
    )
    submit = SubmitField("Save minutes", widget=GovSubmitInput())


class DecisionForm(VersionedForm):
    """Record a decision taken under an agenda item."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The meeting page shows several forms: prefixed ids keep labels unique.
        kwargs.setdefault("prefix", "decision")
        super().__init__(*args, **kwargs)

    item = SelectField("Agenda item", widget=GovSelect(), coerce=int)
    text = TextAreaField(
        "Decision",
        widget=GovTextArea(),
        validators=[InputRequired("Enter the decision"), Length(max=5000)],
    )
    submit = SubmitField("Record decision", widget=GovSubmitInput())


class ActionArisingForm(VersionedForm):
    """Add an action arising: it becomes an action of the partnership's plan."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The meeting page shows several forms: prefixed ids keep labels unique.
        kwargs.setdefault("prefix", "action")
        super().__init__(*args, **kwargs)

    item = SelectField("Agenda item", widget=GovSelect(), coerce=int)
    title = StringField(
        "Action",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the action"), Length(max=300)],
    )
    owner = SelectField("Owner", widget=GovSelect(), coerce=int)
    theme = SelectField("Action plan theme", widget=GovSelect(), coerce=int)
    due_date = DayMonthYearField(
        "Due date", validators=[DateRequired("Enter the due date")]
    )
    submit = SubmitField("Add action", widget=GovSubmitInput())


class ApproveForm(VersionedForm):
    """Approve circulated minutes at a later meeting of the same body."""

    at_meeting = SelectField(
        "Approved at the meeting on", widget=GovSelect(), coerce=int
    )
    submit = SubmitField("Approve minutes", widget=GovSubmitInput())


class ConfirmForm(VersionedForm):
    """A button with the version it was shown at (circulate, mark held)."""

    submit = SubmitField("Confirm", widget=GovSubmitInput())


class SignForm(FlaskForm):  # type: ignore[misc]
    """Record a party organisation's signature of a memorandum version."""

    organisation = SelectField("Organisation", widget=GovSelect(), coerce=int)
    signatory_name = StringField(
        "Signed by",
        widget=GovTextInput(),
        validators=[InputRequired("Enter who signed"), Length(max=200)],
    )
    signatory_role = StringField(
        "Their role",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the signatory's role"), Length(max=200)],
    )
    signed_on = DayMonthYearField(
        "Date signed", validators=[DateRequired("Enter the date it was signed")]
    )
    submit = SubmitField("Record signature", widget=GovSubmitInput())


# Agenda ------------------------------------------------------------------------------


class MinutesAllowedField(IntegerField):  # type: ignore[misc]
    """Optional whole minutes, 1 to a day; "20 minutes" is read as 20."""

    def __init__(self, label: str, **kwargs: Any) -> None:
        kwargs.setdefault("widget", GovTextInput())
        super().__init__(label, **kwargs)

    def process_formdata(self, valuelist: Sequence[str]) -> None:
        """Read a whole number of minutes, or nothing."""
        self.data = None
        text = (valuelist[0] if valuelist else "").strip().lower()
        text = text.removesuffix("minutes").removesuffix("mins").strip()
        if not text:
            return
        if not text.isdigit():
            raise ValueError(
                f"Enter the time allowed as a whole number of minutes, from 1 to "
                f"{meetings.MAX_DURATION}"
            )
        self.data = int(text)

    def pre_validate(self, form: Any) -> None:
        """Refuse a number out of range."""
        if self.process_errors or self.data is None:
            return
        if not 1 <= self.data <= meetings.MAX_DURATION:
            raise StopValidation(
                f"The time allowed must be from 1 to {meetings.MAX_DURATION} minutes"
            )


class ItemForm(VersionedForm):
    """Add or change an agenda item: title, presenter, time allowed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The meeting page shows several forms: prefixed ids keep labels unique.
        kwargs.setdefault("prefix", "agenda")
        super().__init__(*args, **kwargs)

    title = StringField(
        "Item",
        widget=GovTextInput(),
        validators=[
            InputRequired("Enter the item's title"),
            Length(max=meetings.MAX_TITLE),
        ],
    )
    presenter = SelectField("Presented by", widget=GovSelect(), coerce=int)
    duration_minutes = MinutesAllowedField(
        "Minutes allotted", description="For example, 20. Leave blank if not timed."
    )
    description = TextAreaField(
        "Notes for members", widget=GovTextArea(), validators=[Length(max=5000)]
    )
    confidential = BooleanField(
        "Confidential item (not shown to partner contacts)",
        widget=GovCheckboxInput(),
    )
    submit = SubmitField("Add item", widget=GovSubmitInput())


class PaperForm(FlaskForm):  # type: ignore[misc]
    """Attach a paper (PDF, DOCX or ODT) to an agenda item."""

    file = FileField(
        "Paper (PDF, Word .docx or OpenDocument .odt)",
        widget=GovFileInput(),
        validators=[FileRequired("Choose the paper to attach")],
    )
    title = StringField(
        "Title of the paper",
        description="Leave blank to use the file's name.",
        widget=GovTextInput(),
        validators=[Length(max=meetings.MAX_NAME)],
    )
    submit = SubmitField("Attach paper", widget=GovSubmitInput())


class CancelForm(FlaskForm):  # type: ignore[misc]
    """Call off a scheduled meeting, with the reason."""

    reason = TextAreaField(
        "Why the meeting is cancelled",
        widget=GovTextArea(),
        filters=[strip],
        validators=[
            DataRequired("Enter why the meeting is cancelled"),
            Length(max=2000),
        ],
    )
    submit = SubmitField("Cancel the meeting", widget=GovSubmitInput())


class PeriodForm(Form):  # type: ignore[misc]
    """The period of the attendance statistics (a GET form: nothing changes)."""

    start = ReportDateField(
        "From", description="For example, 1 4 2017", validators=[DateOptional()]
    )
    end = ReportDateField(
        "To", description="For example, 31 3 2018", validators=[DateOptional()]
    )
    body = SelectField(
        "Board or group", widget=GovSelect(), coerce=int, validators=[Optional()]
    )

    def validate_end(self, field: ReportDateField) -> None:
        """Refuse a period that ends before it starts."""
        if self.start.data and field.data and field.data < self.start.data:
            raise ValidationError("The end of the period must be on or after its start")


# Memoranda ---------------------------------------------------------------------------

#: Most party or funding rows one memorandum form takes.
MAX_ROWS = 40
NO_ORGANISATION = 0


def parse_amount(text: str) -> Decimal:
    """An amount in pounds as typed (£25,000 or 1250.50), or ``ValueError`` saying why."""
    cleaned = text.replace(",", "").replace("£", "").strip()
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError("Enter the amount in pounds, like 25000") from None
    if not amount.is_finite():
        raise ValueError("Enter the amount in pounds, like 25000")
    if amount < 0:
        raise ValueError("The amount cannot be negative")
    if amount >= agreements.MAX_AMOUNT:
        raise ValueError("The amount is too large")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError("The amount must be in pounds and pence")
    return amount


def amount_text(amount: Decimal) -> str:
    """An amount as it is typed back into the form: 25000 or 1250.50."""
    if amount == amount.to_integral_value():
        return str(int(amount))
    return f"{amount:.2f}"


class _RowForm(Form):  # type: ignore[misc]
    """A repeating row whose first field is the organisation."""

    organisation: SelectField

    def organisation_name(self) -> str:
        """The chosen organisation's name, for messages."""
        return str(dict(self.organisation.choices or []).get(self.organisation.data))

    def is_blank(self) -> bool:
        """True when nothing was entered in the row: it is ignored."""
        return not self.organisation.data and not any(
            (field.data or "").strip()
            for field in self
            if field.name != self.organisation.name
        )


class PartyRowForm(_RowForm):
    """One party organisation, its role and responsibilities."""

    organisation = SelectField(
        "Organisation", widget=GovSelect(), coerce=int, default=NO_ORGANISATION
    )
    role = StringField(
        "Role",
        description="For example, Lead organisation or Public sector partner",
        widget=GovTextInput(),
        validators=[Length(max=agreements.MAX_ROLE)],
    )
    responsibilities = TextAreaField(
        "Responsibilities", widget=GovTextArea(), validators=[Length(max=10_000)]
    )

    def validate_organisation(self, field: SelectField) -> None:
        """A row with a role or responsibilities needs its organisation."""
        if not self.is_blank() and not field.data:
            raise ValidationError("Choose the party organisation")

    def validate_role(self, field: StringField) -> None:
        """A party needs a role."""
        if self.organisation.data and not (field.data or "").strip():
            raise ValidationError(f"Enter the role of {self.organisation_name()}")


class FundingRowForm(_RowForm):
    """One funding commitment: who, how much, for which period, on what conditions."""

    organisation = SelectField(
        "Organisation", widget=GovSelect(), coerce=int, default=NO_ORGANISATION
    )
    amount = StringField(
        "Amount",
        description="For example, 25000",
        widget=GovTextInput(),
        validators=[Length(max=32)],
    )
    period = StringField(
        "Period",
        description="For example, 2015-17 or per year from April 2016",
        widget=GovTextInput(),
        validators=[Length(max=agreements.MAX_PERIOD)],
    )
    caveat = StringField(
        "Conditions",
        description="For example, subject to budget approval",
        widget=GovTextInput(),
        validators=[Length(max=2000)],
    )

    def validate_organisation(self, field: SelectField) -> None:
        """A commitment needs the organisation making it."""
        if not self.is_blank() and not field.data:
            raise ValidationError("Choose the organisation making the commitment")

    def validate_amount(self, field: StringField) -> None:
        """A commitment needs an amount in pounds."""
        if self.is_blank():
            return
        if not (field.data or "").strip():
            raise ValidationError("Enter the amount in pounds, like 25000")
        try:
            parse_amount(field.data)
        except ValueError as error:
            raise ValidationError(str(error)) from None

    def validate_period(self, field: StringField) -> None:
        """A commitment needs its period."""
        if not self.is_blank() and not (field.data or "").strip():
            raise ValidationError("Enter the period, for example 2015-17")


class MemorandumForm(VersionedForm):
    """A memorandum version's content, with repeating party and funding rows.

    Blank rows are ignored; the page offers "add another" buttons that post the
    form back with one more row and save nothing.
    """

    purpose = TextAreaField(
        "Purpose",
        widget=GovTextArea(),
        validators=[InputRequired("Enter the purpose"), Length(max=20_000)],
    )
    scope = TextAreaField(
        "Scope", widget=GovTextArea(), validators=[Length(max=20_000)]
    )
    vision = TextAreaField(
        "Vision", widget=GovTextArea(), validators=[Length(max=20_000)]
    )
    decision_protocol = TextAreaField(
        "How decisions are taken between board meetings",
        widget=GovTextArea(),
        validators=[Length(max=20_000)],
    )
    starts_on = DayMonthYearField(
        "Start date", validators=[DateRequired("Enter the start date")]
    )
    review_on = DayMonthYearField("Review date", validators=[DateOptional()])
    ends_on = DayMonthYearField("End date", validators=[DateOptional()])
    change_note = TextAreaField(
        "What this version changes",
        widget=GovTextArea(),
        validators=[Length(max=5000)],
    )
    parties = FieldList(FormField(PartyRowForm), min_entries=3, max_entries=MAX_ROWS)
    funding = FieldList(FormField(FundingRowForm), min_entries=2, max_entries=MAX_ROWS)
    submit = SubmitField("Save draft", widget=GovSubmitInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Problems the service finds that belong to no one field link to the form.
        self._form_error_key = "memorandum-form"

    def set_organisations(self, choices: list[tuple[int, str]]) -> None:
        """Offer ``choices`` in every party and funding row."""
        offered = [(NO_ORGANISATION, "Choose an organisation"), *choices]
        for entry in [*self.parties, *self.funding]:
            entry.form.organisation.choices = offered

    def add_row(self, which: str) -> bool:
        """Add a blank party or funding row (up to the limit); True if one was added."""
        rows = self.parties if which == "party" else self.funding
        if len(rows) >= MAX_ROWS:
            return False
        rows.append_entry()
        return True

    def validate_review_on(self, field: DayMonthYearField) -> None:
        """The review falls between the start and the end."""
        if field.data is None:
            return
        if self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError("The review date must be on or after the start date")
        if self.ends_on.data and field.data > self.ends_on.data:
            raise ValidationError("The review date must be on or before the end date")

    def validate_ends_on(self, field: DayMonthYearField) -> None:
        """The end is not before the start."""
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError("The end date must be on or after the start date")

    def validate(self, extra_validators: Any = None) -> bool:
        """Check each field, then across rows: no party twice, funding only from parties."""
        valid = bool(super().validate(extra_validators))
        seen: set[int] = set()
        for entry in self.parties:
            row = entry.form
            organisation = row.organisation.data
            if organisation and organisation in seen:
                row.organisation.errors.append(
                    f"{row.organisation_name()} is already a party"
                )
                valid = False
            seen.add(organisation)
        for entry in self.funding:
            row = entry.form
            if row.organisation.data and row.organisation.data not in seen:
                row.organisation.errors.append(
                    f"Add {row.organisation_name()} as a party before recording "
                    "its funding"
                )
                valid = False
        for rows in (self.parties, self.funding):
            rows.errors = [entry.errors for entry in rows]
            if not any(rows.errors):
                rows.errors = []
        return valid

    def party_rows(self) -> list[PartyRowForm]:
        """The rows that were filled in."""
        return [entry.form for entry in self.parties if not entry.form.is_blank()]

    def funding_rows(self) -> list[FundingRowForm]:
        """The rows that were filled in."""
        return [entry.form for entry in self.funding if not entry.form.is_blank()]


class NewMemorandumForm(MemorandumForm):
    """Start a memorandum: its title and version 1."""

    title = StringField(
        "Title",
        description="For example, New Routes memorandum of understanding",
        widget=GovTextInput(),
        validators=[
            InputRequired("Enter the memorandum's title"),
            Length(max=agreements.MAX_TITLE),
        ],
    )


class AgreeForm(VersionedForm):
    """Record the date the partners agreed a draft."""

    agreed_on = DayMonthYearField(
        "Date agreed",
        validators=[DateRequired("Enter the date the memorandum was agreed")],
    )
    submit = SubmitField("Record as agreed", widget=GovSubmitInput())


class EndForm(VersionedForm):
    """Bring the memorandum in force to an end."""

    ended_on = DayMonthYearField(
        "Date it ended", validators=[DateRequired("Enter the date it ended")]
    )
    reason = TextAreaField(
        "Why it ended",
        widget=GovTextArea(),
        filters=[strip],
        validators=[
            DataRequired("Enter why the memorandum ended"),
            Length(max=2000),
        ],
    )
    submit = SubmitField("End the memorandum", widget=GovSubmitInput())


class DocumentForm(FlaskForm):  # type: ignore[misc]
    """Attach the signed copy (PDF, DOCX or ODT) to a memorandum version."""

    file = FileField(
        "Document (PDF, Word .docx or OpenDocument .odt)",
        widget=GovFileInput(),
        validators=[FileRequired("Choose the document to attach")],
    )
    description = StringField(
        "Description",
        default="Signed copy",
        widget=GovTextInput(),
        validators=[InputRequired("Enter a description"), Length(max=200)],
    )
    submit = SubmitField("Attach document", widget=GovSubmitInput())


class BodyForm(FlaskForm):  # type: ignore[misc]
    """Add the partnership's board, or one of its delivery groups or sub-groups."""

    name = StringField(
        "Name",
        widget=GovTextInput(),
        filters=[strip],
        validators=[
            InputRequired(message="Enter the name of the board or group"),
            Length(
                max=meetings.MAX_NAME,
                message="Name the board or group in fewer characters",
            ),
        ],
    )
    kind = SelectField(
        "Board or group",
        widget=GovSelect(),
        choices=[(kind.value, kind.label) for kind in meetings.BodyKind],
    )
    quorum_count = IntegerField(
        "Quorum for this body (optional)",
        widget=GovTextInput(),
        description="Leave blank to use the partnership's quorum.",
        validators=[
            Optional(),
            NumberRange(min=1, message="The quorum must be at least 1"),
        ],
    )
    members = ListMultipleField(
        "Members", invalid="Choose members from the list", coerce=str
    )
    submit = SubmitField("Add", widget=GovSubmitInput())


class MembersForm(FlaskForm):  # type: ignore[misc]
    """Replace the members of a board or group: who is expected at its meetings."""

    members = ListMultipleField(
        "Members", invalid="Choose members from the list", coerce=str
    )
    submit = SubmitField("Save members", widget=GovSubmitInput())


class QuorumForm(VersionedForm):
    """The partnership's quorum: how many must be present for decisions to stand."""

    count = IntegerField(
        "Quorum",
        widget=GovTextInput(),
        description="Leave blank for no quorum.",
        validators=[
            Optional(),
            NumberRange(min=1, message="The quorum must be at least 1"),
        ],
    )
    basis = SelectField(
        "Counting",
        widget=GovSelect(),
        choices=[(basis.value, basis.label) for basis in meetings.QuorumBasis],
    )
    submit = SubmitField("Save quorum", widget=GovSubmitInput())
