"""Forms for the governance record: meetings, attendance, minutes, decisions, actions."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput
from govuk_frontend_wtf.wtforms_widgets import GovSelect
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from govuk_frontend_wtf.wtforms_widgets import GovTextArea
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import BooleanField
from wtforms import SelectField
from wtforms import StringField
from wtforms import SubmitField
from wtforms import TextAreaField
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import Optional
from wtforms.validators import Regexp

from governance import meetings
from portal.directory.forms import VersionedForm
from surveys.forms import DateRequired
from surveys.forms import DayMonthYearField

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

    item = SelectField("Agenda item", widget=GovSelect(), coerce=int)
    text = TextAreaField(
        "Decision",
        widget=GovTextArea(),
        validators=[InputRequired("Enter the decision"), Length(max=5000)],
    )
    submit = SubmitField("Record decision", widget=GovSubmitInput())


class ActionArisingForm(VersionedForm):
    """Add an action arising: it becomes an action of the partnership's plan."""

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
