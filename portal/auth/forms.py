"""Sign-in, forgotten-password and set-password forms."""

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import EmailField
from wtforms import PasswordField
from wtforms import StringField
from wtforms import SubmitField
from wtforms.validators import Email
from wtforms.validators import EqualTo
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import ValidationError

from portal.auth.services import password_problem


class LoginForm(FlaskForm):  # type: ignore[misc]
    """Email and password."""

    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        validators=[InputRequired("Enter your email address")],
    )
    password = PasswordField(
        "Password",
        widget=GovPasswordInput(),
        validators=[InputRequired("Enter your password")],
    )
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class ForgotPasswordForm(FlaskForm):  # type: ignore[misc]
    """The address to send a reset link to."""

    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        validators=[
            InputRequired("Enter your email address"),
            Email(
                "Enter an email address in the correct format, like name@example.org"
            ),
        ],
    )
    submit = SubmitField("Send the link", widget=GovSubmitInput())


class SetPasswordForm(FlaskForm):  # type: ignore[misc]
    """A new password, typed twice."""

    password = PasswordField(
        "New password",
        widget=GovPasswordInput(),
        validators=[InputRequired("Enter a new password")],
    )
    confirm = PasswordField(
        "Confirm new password",
        widget=GovPasswordInput(),
        validators=[
            InputRequired("Confirm your new password"),
            EqualTo("password", "The passwords do not match"),
        ],
    )
    submit = SubmitField("Save password", widget=GovSubmitInput())

    def __init__(self, *args: Any, context: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._context = context

    def validate_password(self, field: PasswordField) -> None:
        """Apply the password policy."""
        problem = password_problem(field.data or "", context=self._context)
        if problem:
            raise ValidationError(problem)


class SecondFactorForm(FlaskForm):  # type: ignore[misc]
    """The code from the authenticator app, or a recovery code, after the password."""

    code = StringField(
        "Code",
        widget=GovTextInput(),
        description=(
            "The 6-digit code your authenticator app shows, or one of your "
            "recovery codes"
        ),
        validators=[InputRequired("Enter the code"), Length(max=40)],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class TwoFactorSetupForm(FlaskForm):  # type: ignore[misc]
    """The first code from the app, proving it holds the secret."""

    code = StringField(
        "Code from your authenticator app",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the 6-digit code"), Length(max=10)],
    )
    submit = SubmitField("Turn on two-factor sign-in", widget=GovSubmitInput())
