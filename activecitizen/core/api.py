"""The API's shared shapes and the handlers that give every error API.md's form."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import (
    ObjectDoesNotExist,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError
from ninja.renderers import JSONRenderer

from activecitizen.core.errors import DomainError, RateLimited

logger = logging.getLogger(__name__)


class Utf8JSONRenderer(JSONRenderer):
    """Russian text as UTF-8, not \\u escapes: a third of the size and readable in logs."""

    json_dumps_params = {"ensure_ascii": False}


class Error(Schema):
    """Every API error: a machine code, a message for people, and the field at fault."""

    code: str
    message: str
    field: str | None = None


# Responses every endpoint may give, for the OpenAPI document.
COMMON_ERRORS: dict[int, Any] = {400: Error, 413: Error, 422: Error}
AUTH_ERRORS: dict[int, Any] = {401: Error, 403: Error}


def error_response(
    status: int, code: str, message: str, field: str | None = None, **headers: str
) -> JsonResponse:
    response = JsonResponse(
        {"code": code, "message": message, "field": field},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )
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


def _suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    if isinstance(exc, RequestDataTooBig):
        return error_response(413, "too_large", _("The request is too large."))
    return error_response(400, "malformed", _("The request is malformed."))


def _forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(403, "forbidden", _("You may not do this."))


def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    if isinstance(exc, DataError) and "NUL (0x00)" in str(exc):
        # The last line of defence: every field should refuse U+0000 itself (PostgreSQL text
        # cannot hold it), but one that lets it through must cost the client a 422, not a 500.
        # The statement failed, so it wrote nothing; the service's transaction rolls back.
        logger.warning("NUL reached the database on %s %s", request.method, request.path)
        return error_response(
            422, "invalid", _("The request contains a NUL character, which no field may hold.")
        )
    logger.exception("API error on %s %s", request.method, request.path, exc_info=exc)
    return error_response(500, "server_error", _("Something went wrong on our side."))


def install_error_handlers(api: NinjaAPI) -> None:
    api.add_exception_handler(ValidationError, _validation_error)
    api.add_exception_handler(HttpError, _http_error)
    api.add_exception_handler(DomainError, _domain_error)
    api.add_exception_handler(Http404, _not_found)
    api.add_exception_handler(ObjectDoesNotExist, _not_found)
    api.add_exception_handler(SuspiciousOperation, _suspicious)
    api.add_exception_handler(DjangoPermissionDenied, _forbidden)
    api.add_exception_handler(Exception, _server_error)


class ApiErrorShapeMiddleware:
    """Errors that never reach the API's handlers still get the API's error shape.

    Django and ninja answer some requests themselves (a method the path does not allow, a
    CSRF failure, a 404 outside any router); a mobile client must still get JSON it can read.
    """

    MESSAGES = {
        400: ("malformed", gettext_lazy("The request is malformed.")),
        403: ("forbidden", gettext_lazy("You may not do this.")),
        404: ("not_found", gettext_lazy("Not found.")),
        405: ("method_not_allowed", gettext_lazy("This method is not allowed here.")),
        413: ("too_large", gettext_lazy("The request is too large.")),
    }

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            code, message = self.MESSAGES.get(
                response.status_code, ("error", gettext_lazy("The request failed."))
            )
            shaped = error_response(response.status_code, code, str(message))
            if response.has_header("Allow"):
                shaped["Allow"] = response["Allow"]
            return shaped
        return response
