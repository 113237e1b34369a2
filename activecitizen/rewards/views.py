"""The "My points" page: balance, status and the history of points."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from activecitizen.rewards import selectors

ENTRIES_PER_PAGE = 50


@login_required
def my_points(request: HttpRequest) -> HttpResponse:
    summary = selectors.points_summary(request.user.pk, limit=0)
    paginator = Paginator(selectors.ledger_entries(request.user.pk), ENTRIES_PER_PAGE)
    # get_page: a page number out of range or not a number shows the nearest page, never a 404.
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "rewards/points.html", {"summary": summary, "page": page})


# The shop's pages: written next (work in progress on this branch, not landed).
def _todo(request: HttpRequest, **kwargs) -> HttpResponse:  # pragma: no cover
    raise NotImplementedError


catalogue = reward = issue_point_map = my_orders = order = order_qr = cancel_order = desk = (
    partner_report
) = _todo
