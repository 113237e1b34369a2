"""The log's public key where verifiers look for it without reading the API."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from activecitizen.transparency.services import public_key


@require_safe
def log_key(request: HttpRequest) -> HttpResponse:
    """/.well-known/activecitizen-log-key: the vkey, one line of text/plain."""
    response = HttpResponse(public_key() + "\n", content_type="text/plain; charset=utf-8")
    # The key changes only when the city rotates it, which it announces.
    response["Cache-Control"] = "public, max-age=3600"
    response["Access-Control-Allow-Origin"] = "*"
    return response
