"""The inbox page: a person's notifications, newest first, the unread ones marked."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from activecitizen.core.errors import InvalidInput
from activecitizen.notifications import kinds, selectors, services
from activecitizen.notifications.models import Channel, Mode

PER_PAGE = 30
# Spelt out as gettext_lazy: makemessages collects only the names it knows (`_`, gettext_lazy
# …), so under an alias such as `_lazy` these were never translated.
GROUP_LABELS = {
    "polls": gettext_lazy("Votes"),
    "decisions": gettext_lazy("Decisions and discussions"),
    "shop": gettext_lazy("Shop and orders"),
    "house": gettext_lazy("Electronic House"),
    "nearby": gettext_lazy("New near my home"),
    "news": gettext_lazy("News and everything else"),
}


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.inbox(request.user.pk), PER_PAGE).get_page(request.GET.get("page"))
    items = [selectors.shown(n) for n in page.object_list]
    return render(request, "notifications/inbox.html", {"page": page, "items": items})


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    services.mark_read(user_id=request.user.pk)
    return redirect("notifications:inbox")


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """One select per group and channel; the inbox is always on, so it is not offered."""
    error = ""
    if request.method == "POST":
        choices = [
            (group, channel, request.POST.get(f"{group}-{channel}", ""))
            for group in kinds.GROUPS
            for channel in selectors.ALLOWED_MODES
            if channel != Channel.INAPP
        ]
        try:
            services.set_preferences(user_id=request.user.pk, choices=choices)
        except InvalidInput as exc:
            error = exc.message
        else:
            messages.success(request, _("Your notification settings are saved."))
            return redirect("notifications:settings")
    current = selectors.preferences(request.user.pk)
    labels = dict(Mode.choices)
    channel_names = dict(Channel.choices)
    rows = [
        {
            "group": group,
            "label": GROUP_LABELS[group],
            "cells": [
                {
                    "name": f"{group}-{channel}",
                    "channel": channel,
                    "channel_label": channel_names[channel],
                    "value": current[(group, channel)],
                    "options": [(m, labels[m]) for m in selectors.ALLOWED_MODES[channel]],
                }
                for channel in selectors.ALLOWED_MODES
                if channel != Channel.INAPP
            ],
        }
        for group in kinds.GROUPS
    ]
    channel_labels = [label for value, label in Channel.choices if value != Channel.INAPP]
    status = 422 if error else 200
    return render(
        request,
        "notifications/settings.html",
        {"rows": rows, "channels": channel_labels, "error": error},
        status=status,
    )
