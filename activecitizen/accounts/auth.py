"""How API callers prove who they are: a bearer token from the app, or the site's session."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from activecitizen.accounts.services import authenticate_token, hash_token


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = authenticate_token(token)
        if user is not None:
            request.user = user
        return user


class SiteSession(SessionAuth):
    """The site's session, for the site's own pages calling the API.

    CSRF is checked when the request carries a session cookie: that cookie is what a forged
    request would borrow. ninja checks it first of all, so a request with no session at all
    (the app with a token that has expired) was a 403 "CSRF check failed" on every POST
    instead of the 401 that tells the app to sign in again.
    """

    def _get_key(self, request: HttpRequest) -> str | None:
        if self.param_name not in request.COOKIES:
            return None
        return super()._get_key(request)


bearer_token = BearerToken()
site_session = SiteSession()
# Either way in; the session variant checks CSRF on unsafe methods.
signed_in = [bearer_token, site_session]


@dataclass(frozen=True)
class TokenHash:
    """A bearer token not yet looked up: the service it is passed to reads it itself."""

    key_hash: str


class DeferredBearerToken(HttpBearer):
    """For an endpoint whose service resolves the token inside its own statement (casting a
    ballot): saves the look-up of the person before it. A token nobody holds is refused by
    that service (401), after checks that reveal nothing beyond the public poll pages."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        if not token or len(token) > 200:
            return None
        return TokenHash(hash_token(token))


signed_in_deferred = [DeferredBearerToken(), site_session]
