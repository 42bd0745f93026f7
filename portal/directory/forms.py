"""Directory forms: programmes, partnerships, organisations, people, import."""

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed
from flask_wtf.file import FileField
from flask_wtf.file import FileRequired
from govuk_frontend_wtf.wtforms_widgets import GovFileInput
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput
from govuk_frontend_wtf.wtforms_widgets import GovSelect
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from govuk_frontend_wtf.wtforms_widgets import GovTextArea
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import EmailField
from wtforms import HiddenField
from wtforms import RadioField
from wtforms import SelectField
from wtforms import StringField
from wtforms import SubmitField
from wtforms import TextAreaField
from wtforms.validators import Email
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import Regexp
from wtforms.validators import ValidationError

from portal.fields import DateOptional
from portal.fields import DayMonthYearField
from portal.models import MemberRole
from portal.models import PartnerRole
from portal.models import Scope
from portal.models import Sector

SLUG_RULE = Regexp(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
    message="Use lower-case letters, numbers and single hyphens, like north-tayside",
)
SECTOR_CHOICES = [(sector.value, sector.label) for sector in Sector]
PARTNER_ROLE_CHOICES = [(role.value, role.label) for role in PartnerRole]
MEMBER_ROLE_CHOICES = [(role.value, role.label) for role in MemberRole]


class VersionedForm(FlaskForm):  # type: ignore[misc]
    """An edit form that carries the version it was opened at (optimistic locking)."""

    version = HiddenField()

    def opened_version(self) -> int:
        """The record version this form was rendered from."""
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return 0


class ProgrammeForm(FlaskForm):  # type: ignore[misc]
    """Create or edit a programme."""

    slug = StringField(
        "Short name for web addresses",
        widget=GovTextInput(),
        validators=[InputRequired("Enter a short name"), Length(max=64), SLUG_RULE],
    )
    name = StringField(
        "Name",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the programme's name"), Length(max=200)],
    )
    description = TextAreaField(
        "Description", widget=GovTextArea(), validators=[Length(max=5000)]
    )
    submit = SubmitField("Save programme", widget=GovSubmitInput())


class PartnershipForm(VersionedForm):
    """Create or edit a partnership."""

    slug = StringField(
        "Short name for web addresses",
        widget=GovTextInput(),
        validators=[InputRequired("Enter a short name"), Length(max=64), SLUG_RULE],
    )
    name = StringField(
        "Name",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the partnership's name"), Length(max=200)],
    )
    description = TextAreaField(
        "Description", widget=GovTextArea(), validators=[Length(max=5000)]
    )
    programme = SelectField("Programme", widget=GovSelect(), choices=[])
    scope = RadioField(
        "Coverage",
        widget=GovRadioInput(),
        choices=[(Scope.NATIONAL.value, "National"), (Scope.LOCAL.value, "Local")],
        validators=[InputRequired("Choose national or local")],
    )
    submit = SubmitField("Save partnership", widget=GovSubmitInput())

    def __init__(self, *args: Any, programmes: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.programme.choices = [("", "None"), *programmes]


class OrganisationForm(VersionedForm):
    """Edit an organisation's name and sector."""

    name = StringField(
        "Name",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the organisation's name"), Length(max=200)],
    )
    sector = RadioField(
        "Sector",
        widget=GovRadioInput(),
        choices=SECTOR_CHOICES,
        validators=[InputRequired("Choose the sector")],
    )
    submit = SubmitField("Save organisation", widget=GovSubmitInput())


class NewOrganisationForm(OrganisationForm):
    """Create an organisation and say which partnership it takes part in."""

    partnership = SelectField(
        "Partnership it takes part in", widget=GovSelect(), choices=[]
    )
    role = RadioField(
        "Role in that partnership",
        widget=GovRadioInput(),
        choices=PARTNER_ROLE_CHOICES,
        default=PartnerRole.PARTNER.value,
        validators=[InputRequired("Choose the role")],
    )

    def __init__(
        self,
        *args: Any,
        partnerships: list[tuple[str, str]],
        allow_none: bool,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.partnership.choices = (
            [("", "None yet"), *partnerships] if allow_none else partnerships
        )


class ParticipationForm(FlaskForm):  # type: ignore[misc]
    """Add an organisation to a partnership, or change its role and dates."""

    organisation = SelectField("Organisation", widget=GovSelect(), choices=[])
    role = RadioField(
        "Role",
        widget=GovRadioInput(),
        choices=PARTNER_ROLE_CHOICES,
        validators=[InputRequired("Choose the role")],
    )
    joined_on = DayMonthYearField("Joined", validators=[DateOptional()])
    left_on = DayMonthYearField("Left", validators=[DateOptional()])
    submit = SubmitField("Save", widget=GovSubmitInput())

    def __init__(self, *args: Any, organisations: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.organisation.choices = organisations

    def validate_left_on(self, field: DayMonthYearField) -> None:
        """An organisation cannot leave before it joined."""
        if field.data and self.joined_on.data and field.data < self.joined_on.data:
            raise ValidationError(
                "The date it left must be on or after the date it joined"
            )


class PersonForm(VersionedForm):
    """Create or edit a person."""

    name = StringField(
        "Full name",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the person's name"), Length(max=200)],
    )
    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        validators=[
            InputRequired("Enter an email address"),
            Email(
                "Enter an email address in the correct format, like name@example.org"
            ),
            Length(max=254),
        ],
    )
    job_title = StringField(
        "Job title", widget=GovTextInput(), validators=[Length(max=200)]
    )
    organisation = SelectField("Organisation", widget=GovSelect(), choices=[])
    submit = SubmitField("Save person", widget=GovSubmitInput())

    def __init__(self, *args: Any, organisations: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.organisation.choices = organisations


class MembershipForm(FlaskForm):  # type: ignore[misc]
    """Give a person a role in a partnership."""

    person = SelectField("Person", widget=GovSelect(), choices=[])
    role = RadioField(
        "Role",
        widget=GovRadioInput(),
        choices=MEMBER_ROLE_CHOICES,
        validators=[InputRequired("Choose the role")],
    )
    submit = SubmitField("Add member", widget=GovSubmitInput())

    def __init__(self, *args: Any, people: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.person.choices = people


class PeopleImportForm(FlaskForm):  # type: ignore[misc]
    """Upload a people CSV for a preview."""

    file = FileField(
        "People CSV file",
        widget=GovFileInput(),
        validators=[
            FileRequired("Choose a CSV file"),
            FileAllowed(["csv"], "The file must be a CSV"),
        ],
    )
    submit = SubmitField("Check the file", widget=GovSubmitInput())


class ConfirmImportForm(FlaskForm):  # type: ignore[misc]
    """Confirm an import; the CSV travels back and is checked again in full."""

    content = HiddenField(validators=[InputRequired()])
    submit = SubmitField("Import people", widget=GovSubmitInput())


class SearchForm(FlaskForm):  # type: ignore[misc]
    """The search box above a list (GET, so no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField("Search", widget=GovTextInput(), validators=[Length(max=100)])


class InviteForm(FlaskForm):  # type: ignore[misc]
    """An administrator invites someone to the portal."""

    name = StringField(
        "Full name",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the person's name"), Length(max=200)],
    )
    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        validators=[
            InputRequired("Enter an email address"),
            Email(
                "Enter an email address in the correct format, like name@example.org"
            ),
        ],
    )
    organisation = SelectField("Organisation", widget=GovSelect(), choices=[])
    partnership = SelectField("Partnership", widget=GovSelect(), choices=[])
    role = RadioField(
        "Role in that partnership",
        widget=GovRadioInput(),
        choices=MEMBER_ROLE_CHOICES,
        default=MemberRole.PARTNER_CONTACT.value,
        validators=[InputRequired("Choose the role")],
    )
    is_admin = RadioField(
        "Site administrator?",
        widget=GovRadioInput(),
        choices=[("no", "No"), ("yes", "Yes")],
        default="no",
    )
    submit = SubmitField("Send invitation", widget=GovSubmitInput())

    def __init__(
        self,
        *args: Any,
        organisations: list[tuple[str, str]],
        partnerships: list[tuple[str, str]],
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.organisation.choices = organisations
        self.partnership.choices = [("", "None"), *partnerships]
