"""Errors that services raise and every caller (page, API, admin, task) shows the same way.

A service never returns an HTTP response; it raises a `DomainError` carrying the machine code,
the human message and the field at fault. The API turns it into API.md's error shape with
`status`; pages turn it into a form error.
"""

from __future__ import annotations

from django.utils.functional import Promise


class DomainError(Exception):
    """A request the city's rules refuse. Nothing has been written when it is raised."""

    status = 422
    code = "invalid"

    def __init__(
        self,
        message: str | Promise,
        *,
        code: str | None = None,
        field: str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(str(message))
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.field = field

    def as_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "message": str(self.message), "field": self.field}


class InvalidInput(DomainError):
    status = 422
    code = "invalid"


class NotSignedIn(DomainError):
    """The request names nobody we know: no session, or a bearer token revoked or unknown."""

    status = 401
    code = "not_authenticated"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class RateLimited(DomainError):
    """Too many requests; `retry_after` is whole seconds until the next one may succeed."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str | Promise, *, retry_after: int, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = max(1, int(retry_after))
