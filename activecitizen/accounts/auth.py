"""How API callers prove who they are: a bearer token from the app, or the site's session."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, django_auth

from activecitizen.accounts.services import authenticate_token


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = authenticate_token(token)
        if user is not None:
            request.user = user
        return user


bearer_token = BearerToken()
# Either way in; the session variant checks CSRF on unsafe methods.
signed_in = [bearer_token, django_auth]
