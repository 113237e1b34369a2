"""Django's test Client, sending its requests through the site's WSGI application.

The test Client calls Django's handler directly, so it never sees what `activecitizen.wsgi`
puts in front of Django (the app's ballots' lane, polls/fast_ballots.py). `WsgiClient` has the
same methods and answers, but each request goes through the site's WSGI application
(settings.WSGI_APPLICATION, `activecitizen.wsgi.application`) as a server would send it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.core.handlers.wsgi import WSGIRequest
from django.core.servers.basehttp import get_internal_wsgi_application
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.http import HttpResponse
from django.test import Client


class WsgiHandler:
    def __init__(self, application: Callable[[dict, Callable], Iterable[bytes]] | None = None):
        self._application = application

    @property
    def application(self) -> Callable[[dict, Callable], Iterable[bytes]]:
        if self._application is None:
            # The application WSGI_APPLICATION names, as runserver loads it: core does not
            # import the project's modules above it.
            self._application = get_internal_wsgi_application()
        return self._application

    def __call__(self, environ: dict) -> HttpResponse:
        answer: dict = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info=None) -> None:
            answer.update(status=status, headers=headers)

        # As Django's ClientHandler: the test's database connection (inside the test's
        # transaction) must outlive the request.
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            chunks = self.application(environ, start_response)
            try:
                content = b"".join(chunks)
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
        response = HttpResponse(content, status=int(answer["status"].split(" ", 1)[0]))
        del response["Content-Type"]
        for name, value in answer["headers"]:
            if name.lower() == "set-cookie":
                response.cookies.load(value)
            else:
                response[name] = value
        # What the test Client reads of the request the answer is for (its URL resolution).
        response.wsgi_request = WSGIRequest(environ)  # type: ignore[attr-defined]
        return response


class WsgiClient(Client):
    """A test Client whose requests go through the site's WSGI application."""

    def __init__(self, application=None, **defaults) -> None:
        super().__init__(**defaults)
        self.handler = WsgiHandler(application)  # type: ignore[assignment]
