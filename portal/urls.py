"""Absolute links for emails, built from the configured base URL, never the Host header."""

from typing import Any

from flask import current_app
from flask import url_for


def external_url(endpoint: str, **values: Any) -> str:
    """``BASE_URL`` joined with the path of ``endpoint``."""
    base = str(current_app.config["BASE_URL"]).rstrip("/")
    return base + url_for(endpoint, **values)
