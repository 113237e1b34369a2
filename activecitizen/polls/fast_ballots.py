"""The app's ballots, taken before Django's request machinery.

In a city-wide vote most requests are one kind: the app casting a ballot with its bearer token.
Django's handler, its middleware and ninja cost more of such a request than casting the ballot
does (about 0.4 of the 0.75 ms of Python it took; the lane's own share is about 0.15 ms,
BENCHMARKS.md), so `with_fast_ballots` puts a lane in front of the site's WSGI application that
takes exactly this request:

    POST /api/v1/polls/{id}/ballots, `Authorization: Bearer <token>`, a JSON body that the API's
    `BallotIn` accepts, no query string, an allowed host, HTTPS where the site insists on it.

It casts the ballot through the same service as the API view (`polls.services.cast_ballot`,
channel "app") and answers 201 with the same receipt, rendered by the API's renderer, with the
headers Django's middleware gives every answer (security headers, X-Frame-Options,
Content-Length; not Content-Language, since a receipt has no words).

Anything else goes to Django untouched, and so does every refusal the service raises: a
refusal writes nothing, so Django's second look comes to the same answer and says it as the
API says every error, in the reader's language. The lane answers only "201 here is your
receipt"; errors have one source. Tests send the same requests through both ways and compare.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core import signals
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.common import CommonMiddleware
from django.middleware.security import SecurityMiddleware
from pydantic import ValidationError

from activecitizen.accounts.services import hash_token
from activecitizen.core.api import Utf8JSONRenderer
from activecitizen.core.errors import DomainError
from activecitizen.polls import services
from activecitizen.polls.api import BallotIn, ReceiptOut, receipt_dict

logger = logging.getLogger(__name__)

WSGIApplication = Callable[[dict, Callable], Iterable[bytes]]

# The API view's path, with its poll id as the view's Path(ge=1, le=2**31 - 1) takes it.
BALLOTS_PATH = re.compile(r"/api/v1/polls/([1-9][0-9]{0,9})/ballots")
MAX_POLL_ID = 2**31 - 1
# The app's tokens are URL-safe base64 (secrets.token_urlsafe); ninja's HttpBearer would also
# take other spellings, which the lane leaves to it.
BEARER = re.compile(r"Bearer ([A-Za-z0-9_-]{1,200})")


def _not_used(request: Any) -> None:
    # Middleware is built with the next step of the chain; the lane never calls it.
    raise AssertionError("the lane runs only the middleware's response step")


class FastBallots:
    """A WSGI application: the app's ballots here, everything else to `django_application`."""

    def __init__(self, django_application: WSGIApplication) -> None:
        self.django_application = django_application
        self.renderer = Utf8JSONRenderer()
        self.content_type = f"{self.renderer.media_type}; charset={self.renderer.charset}"
        # The response steps of the middleware that add headers to every API answer, in the
        # order Django applies them (the reverse of settings.MIDDLEWARE).
        self.response_steps = [
            XFrameOptionsMiddleware(_not_used).process_response,
            CommonMiddleware(_not_used).process_response,
            SecurityMiddleware(_not_used).process_response,
        ]

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        taken = self._take(environ)
        if taken is None:
            return self.django_application(environ, start_response)
        request, poll_id, token, body = taken
        response = self._cast(request, poll_id, token, body)
        if response is None:
            # Django reads the body again from the start.
            environ["wsgi.input"] = io.BytesIO(body)
            return self.django_application(environ, start_response)
        status = f"{response.status_code} {response.reason_phrase}"
        start_response(status, list(response.items()))
        # The server closes the response when it is sent, which tells Django the request is
        # finished (database connections past their age are closed then), as for any response.
        return response

    def _take(self, environ: dict) -> tuple[WSGIRequest, int, str, bytes] | None:
        """The request's parts when it is an app's ballot the lane may take; None otherwise.
        Reads the body only once everything else qualifies."""
        if environ.get("REQUEST_METHOD") != "POST" or environ.get("QUERY_STRING"):
            return None
        path = BALLOTS_PATH.fullmatch(environ.get("PATH_INFO", ""))
        bearer = BEARER.fullmatch(environ.get("HTTP_AUTHORIZATION", ""))
        if path is None or bearer is None:
            return None
        poll_id = int(path.group(1))
        if poll_id > MAX_POLL_ID:
            return None
        if len(environ.get("HTTP_IDEMPOTENCY_KEY", "")) > services.IDEMPOTENCY_KEY_MAX:
            return None
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None
        if not 0 < length <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return None
        request = WSGIRequest(environ)
        try:
            request.get_host()
        except DisallowedHost:
            return None
        if settings.SECURE_SSL_REDIRECT and not request.is_secure():
            return None
        body = environ["wsgi.input"].read(length)
        return request, poll_id, bearer.group(1), body

    def _cast(
        self, request: WSGIRequest, poll_id: int, token: str, body: bytes
    ) -> HttpResponse | None:
        """Cast the ballot and answer with its receipt; None when Django should answer."""
        try:
            # As ninja reads a JSON body: json.loads, then the schema.
            payload = BallotIn.model_validate(json.loads(body))
        except (ValueError, ValidationError):  # JSONDecodeError and UnicodeDecodeError too
            return None
        signals.request_started.send(sender=self.__class__, environ=request.environ)
        try:
            receipt = services.cast_ballot(
                poll_id=poll_id,
                token_hash=hash_token(token),
                channel="app",
                answers=[answer.model_dump() for answer in payload.answers],
                idempotency_key=request.environ.get("HTTP_IDEMPOTENCY_KEY", ""),
            )
            data = ReceiptOut.model_validate(receipt_dict(receipt)).model_dump()
        except DomainError:
            signals.request_finished.send(sender=self.__class__)
            return None
        except Exception:
            # Django meets the same fault again and answers it as it answers any (logged, 500
            # in the API's shape); or, had the ballot been written, with its receipt.
            logger.warning("an app's ballot failed in the fast lane", exc_info=True)
            signals.request_finished.send(sender=self.__class__)
            return None
        response = HttpResponse(
            self.renderer.render(request, data, response_status=201),
            status=201,
            content_type=self.content_type,
        )
        response._handler_class = self.__class__  # the sender of request_finished, as Django's
        for step in self.response_steps:
            response = step(request, response)
        return response


def with_fast_ballots(django_application: WSGIApplication) -> WSGIApplication:
    return FastBallots(django_application)
