"""How API callers prove who they are: a bearer token from the app, or the site's session."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, django_auth

from activecitizen.accounts.services import authenticate_token, hash_token


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = authenticate_token(token)
        if user is not None:
            request.user = user
        return user


bearer_token = BearerToken()
# Either way in; the session variant checks CSRF on unsafe methods.
signed_in = [bearer_token, django_auth]


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


signed_in_deferred = [DeferredBearerToken(), django_auth]
