"""Domain exceptions and the error pages, as a full page or an htmx fragment."""

from flask import Flask
from flask import Response
from flask import make_response
from flask import render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portal.htmx import is_partial_request


class PortalError(Exception):
    """Base class for errors a person can act on; ``status`` is the HTTP answer.

    ``title`` and ``advice``, when a subclass sets them, replace the status's own
    wording (a refusal that is not about saving should not say "could not be saved").
    """

    status = 400
    title: str | None = None
    advice: str | None = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class EditConflictError(PortalError):
    """Someone else saved the record after this form was opened."""

    status = 409


MESSAGES = {
    400: (
        "Something was wrong with the request",
        "Go back, reload the page and try again.",
    ),
    403: (
        "You do not have permission to do that",
        "Ask a coordinator of the partnership if you need to.",
    ),
    404: ("Page not found", "If you typed the web address, check it is correct."),
    405: (
        "That action is not allowed here",
        "Go back and use the buttons on the page.",
    ),
    409: ("This could not be saved", "Reload the page to see the latest version."),
    413: ("The file is too large", "Files must be smaller than 10 MB."),
    429: ("Too many attempts", "Wait 15 minutes, then try again."),
    500: (
        "Sorry, there is a problem with the service",
        "Try again later. Nothing you saved has been lost.",
    ),
}


def render_error(
    status: int,
    detail: str | None = None,
    *,
    title: str | None = None,
    advice: str | None = None,
) -> Response:
    """Render the error for ``status``, as a page or as an inline fragment for htmx."""
    default_title, default_advice = MESSAGES.get(status, MESSAGES[400])
    title = title or default_title
    advice = advice or default_advice
    template = (
        "errors/_error_inline.html" if is_partial_request() else "errors/error.html"
    )
    response = make_response(
        render_template(
            template, status=status, title=title, advice=advice, detail=detail
        ),
        status,
    )
    response.vary.add("HX-Request")
    return response


def _handle_http(error: HTTPException) -> Response:
    return render_error(error.code or 500)


def _handle_csrf(error: CSRFError) -> Response:
    return render_error(
        400,
        "The form had expired or was sent from elsewhere. Reload the page and try again.",
    )


def _handle_portal_error(error: PortalError) -> Response:
    return render_error(
        error.status, error.message, title=error.title, advice=error.advice
    )


def _handle_unexpected(error: Exception) -> Response:
    from flask import current_app

    current_app.logger.exception("unhandled error")
    from portal.extensions import db

    db.session.rollback()
    return render_error(500)


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(CSRFError, _handle_csrf)
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(PortalError, _handle_portal_error)
    if not app.testing:
        app.register_error_handler(Exception, _handle_unexpected)
