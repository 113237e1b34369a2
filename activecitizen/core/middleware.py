"""Requests refused before any view sees them."""

from __future__ import annotations

from urllib.parse import parse_qsl

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.template import loader
from django.utils.translation import gettext as _


class RejectNulCharactersMiddleware:
    """A NUL character in the path or a query parameter is a 4xx, never a 500.

    PostgreSQL text cannot hold U+0000, so a NUL in a search word or a filter would fail deep
    inside a query. Bodies are left to the fields that read them (they refuse NUL with a 422
    naming the field, or drop it where it is noise, as in a device name); query parameters
    have no such field-by-field check, so they are refused here, naming the parameter.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path:
            return self._refuse(request, None)
        query = request.META.get("QUERY_STRING", "")
        if "%00" in query or "\x00" in query:
            for name, value in parse_qsl(query, keep_blank_values=True, errors="replace"):
                if "\x00" in name or "\x00" in value:
                    return self._refuse(request, name.replace("\x00", ""))
        return self.get_response(request)

    @staticmethod
    def _refuse(request: HttpRequest, parameter: str | None) -> HttpResponse:
        message = _("The request contains a NUL character, which no field may hold.")
        if request.path.startswith("/api/"):
            from activecitizen.core.api import error_response

            if parameter is None:
                return error_response(400, "malformed", message)
            return error_response(422, "invalid", message, parameter)
        return HttpResponseBadRequest(loader.render_to_string("400.html", request=request))
