"""One place that decides between a full page and an htmx partial."""

from typing import Any

from flask import Response
from flask import make_response
from flask import redirect
from flask import render_template
from flask import request


def is_htmx() -> bool:
    """True for any request sent by htmx."""
    return request.headers.get("HX-Request") == "true"


def is_partial_request() -> bool:
    """True when htmx will swap this response into part of the current page."""
    headers = request.headers
    return (
        is_htmx()
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )


def render_page_or_partial(
    page: str, partial: str, status: int = 200, **context: Any
) -> Response:
    """Render ``page`` for normal loads and ``partial`` for htmx swaps."""
    template = partial if is_partial_request() else page
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response


def redirect_after_post(location: str) -> Response:
    """Redirect with 303, or tell htmx to navigate there itself."""
    if is_partial_request():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = location
        return response
    return make_response(redirect(location, code=303))
