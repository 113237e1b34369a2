"""The inbox page: a person's notifications, newest first, the unread ones marked."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from activecitizen.notifications import selectors, services

PER_PAGE = 30


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
