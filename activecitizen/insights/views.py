"""Insights pages (thin): the dashboard for officials and the open-data downloads for all."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from activecitizen.insights import charts, opendata, selectors
from activecitizen.insights.forms import PeriodForm

PERMISSION = "insights.view_dashboard"


def may_see_dashboard(user) -> bool:
    return bool(
        user.is_authenticated and user.is_active and user.is_staff and user.has_perm(PERMISSION)
    )


def dashboard(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not may_see_dashboard(request.user):
        raise PermissionDenied(_("The dashboard is for city officials."))
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return render(request, "insights/dashboard.html", {"form": form}, status=400)
    data = form.cleaned_data
    poll = data.get("poll")
    board = selectors.dashboard(
        date_from=data["date_from"], date_to=data["date_to"], poll_id=poll.pk if poll else None
    )
    tables = []
    for table in board.tables:
        bars, height = charts.bars(table.rows)
        tables.append({"table": table, "bars": bars, "height": height})
    context = {
        "form": form,
        "board": board,
        "poll": poll,
        "tables": tables,
        "line": charts.line(board.weeks),
        "chart_width": charts.CHART_WIDTH,
        "line_height": charts.LINE_HEIGHT,
        "label_width": charts.LABEL_WIDTH,
        "bar_height": charts.BAR_HEIGHT,
    }
    return render(request, "insights/dashboard.html", context)


def _dataset(name: str) -> opendata.Dataset:
    dataset = opendata.DATASETS.get(name)
    if dataset is None:
        raise Http404(_("There is no such dataset."))
    return dataset


def open_data(request: HttpRequest) -> HttpResponse:
    return render(request, "insights/open_data.html", {"datasets": opendata.DATASETS.values()})


def dataset_csv(request: HttpRequest, dataset: str) -> HttpResponse:
    found = _dataset(dataset)
    response = HttpResponse(opendata.as_csv(found), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{found.name}.csv"'
    return response


def dataset_json(request: HttpRequest, dataset: str) -> HttpResponse:
    found = _dataset(dataset)
    count, items = opendata.page(found)
    return JsonResponse(
        {"dataset": found.as_dict(), "count": count, "items": items},
        json_dumps_params={"ensure_ascii": False},
    )
