"""Absolute links for emails, built from the configured base URL, never the Host header."""

from typing import Any
from urllib.parse import urlsplit

from flask import current_app


def external_url(endpoint: str, **values: Any) -> str:
    """``BASE_URL`` joined with the path of ``endpoint``; works outside a request too.

    Workers and commands send email with no request to borrow a URL adapter from,
    so the adapter is bound to ``BASE_URL`` itself.
    """
    base = urlsplit(str(current_app.config["BASE_URL"]))
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path.rstrip("/") or "/", url_scheme=base.scheme
    )
    return adapter.build(endpoint, values, force_external=True)
