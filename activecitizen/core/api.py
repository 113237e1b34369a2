"""The API's shared shapes and the handlers that give every error API.md's form."""

from __future__ import annotations

import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from activecitizen.core.errors import DomainError, RateLimited

logger = logging.getLogger(__name__)


class Error(Schema):
    """Every API error: a machine code, a message for people, and the field at fault."""

    code: str
    message: str
    field: str | None = None


# Responses every endpoint may give, for the OpenAPI document.
COMMON_ERRORS: dict[int, Any] = {400: Error, 422: Error}
AUTH_ERRORS: dict[int, Any] = {401: Error, 403: Error}


def error_response(
    status: int, code: str, message: str, field: str | None = None, **headers: str
) -> JsonResponse:
    response = JsonResponse({"code": code, "message": message, "field": field}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _field_of(loc: tuple | list) -> str | None:
    parts = [str(p) for p in loc]
    if not parts:
        return None
    if parts[0] == "body":
        # loc is ("body", <parameter name>, field, …); the parameter name means nothing to clients
        parts = parts[2:]
    elif parts[0] in {"query", "path", "header", "cookie", "form", "file"}:
        parts = parts[1:]
    return ".".join(parts) or None


def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    kind = first.get("type", "")
    field = _field_of(first.get("loc", ()))
    if kind == "missing":
        code, message = "required", _("This field is required.")
        if field is None:
            code, message = "malformed", _("The request body is missing.")
            return error_response(400, code, message)
    else:
        code, message = "invalid", str(first.get("msg", _("Invalid value.")))
    return error_response(422, code, message, field)


def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    status = exc.status_code
    if isinstance(exc, AuthenticationError) or status == 401:
        return error_response(401, "not_authenticated", _("Sign in first."))
    if isinstance(exc, AuthorizationError) or status == 403:
        return error_response(403, "forbidden", _("You may not do this."))
    if status == 400:
        return error_response(400, "malformed", _("The request body is not valid JSON."))
    if status == 429:
        wait = getattr(exc, "wait", None) or 1
        return error_response(429, "rate_limited", _("Too many requests."), Retry_After=str(wait))
    return error_response(status, "error", str(exc))


def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    headers = {}
    if isinstance(exc, RateLimited):
        headers["Retry_After"] = str(exc.retry_after)
    return error_response(exc.status, exc.code, str(exc.message), exc.field, **headers)


def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(404, "not_found", _("Not found."))


def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error on %s %s", request.method, request.path, exc_info=exc)
    return error_response(500, "server_error", _("Something went wrong on our side."))


def install_error_handlers(api: NinjaAPI) -> None:
    api.add_exception_handler(ValidationError, _validation_error)
    api.add_exception_handler(HttpError, _http_error)
    api.add_exception_handler(DomainError, _domain_error)
    api.add_exception_handler(Http404, _not_found)
    api.add_exception_handler(Exception, _server_error)
