"""The unread count beside "Notifications" in every page's header."""

from __future__ import annotations

from django.http import HttpRequest

from activecitizen.notifications import selectors


def unread(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Lazy: pages that do not render the header (files, redirects) do not pay for the query.
    return {"unread_notifications": lambda: selectors.unread_count(user.pk)}
