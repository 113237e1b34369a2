"""Pages of decisions: the list, the map (with the same decisions listed under it) and a
decision. Thin: the selectors read; the forms check the filters."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from activecitizen.decisions import selectors
from activecitizen.decisions.forms import DecisionFilterForm
from activecitizen.decisions.models import Category, Status

PER_PAGE = 20
MAP_LIST_PER_PAGE = 50
MAP_MARKERS_MAX = 2000
MAX_ID = 2**31 - 1
# Marker colours by status; the list says the status in words, so colour is never the only cue.
STATUS_COLOURS = {
    Status.PLANNED: "#1c5fb0",
    Status.IN_PROGRESS: "#c46a00",
    Status.DONE: "#1b7a3a",
    Status.CANCELLED: "#6b6b6b",
}


def _query_without_page(query: QueryDict) -> str:
    kept = query.copy()
    kept.pop("page", None)
    return kept.urlencode()


def _filtered(request: HttpRequest):
    form = DecisionFilterForm(request.GET or None)
    invalid = form.is_bound and not form.is_valid()
    return form, invalid, selectors.decision_list(**form.filters())


def _with_progress(decisions) -> list:
    for decision in decisions:
        decision.progress = selectors.progress(decision)
        decision.status_colour = STATUS_COLOURS[Status(decision.status)]
    return decisions


def _context(form, page, request: HttpRequest) -> dict:
    return {
        "form": form,
        "page": page,
        "decisions": _with_progress(list(page.object_list)),
        "query": _query_without_page(request.GET),
        "status_colours": STATUS_COLOURS,
    }


def decision_list(request: HttpRequest) -> HttpResponse:
    form, invalid, decisions = _filtered(request)
    page = Paginator(decisions, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "decisions/list.html",
        _context(form, page, request),
        status=400 if invalid else 200,
    )


def decision_map(request: HttpRequest) -> HttpResponse:
    form, invalid, decisions = _filtered(request)
    markers = [
        {
            "id": d.pk,
            "title": d.title,
            "status": d.status,
            "status_label": str(Status(d.status).label),
            "colour": STATUS_COLOURS[Status(d.status)],
            "url": reverse("decisions:detail", args=[d.pk]),
            # As text: JSON numbers would pass the decimals through float.
            "lat": str(d.lat),
            "lon": str(d.lon),
        }
        for d in decisions.filter(lat__isnull=False, lon__isnull=False)[:MAP_MARKERS_MAX]
    ]
    page = Paginator(decisions, MAP_LIST_PER_PAGE).get_page(request.GET.get("page"))
    context = _context(form, page, request)
    context.update(
        {
            "markers": markers,
            "tile_url": settings.MAP_TILE_URL,
            "legend": [(Status(s).label, c) for s, c in STATUS_COLOURS.items()],
        }
    )
    return render(request, "decisions/map.html", context, status=400 if invalid else 200)


def decision_detail(request: HttpRequest, decision_id: int) -> HttpResponse:
    decision = selectors.decision_page(decision_id) if 0 < decision_id <= MAX_ID else None
    if decision is None:
        raise Http404(_("There is no such decision."))
    source = None
    if decision.poll_id:
        source = (_("Poll"), decision.poll.title, reverse("polls:detail", args=[decision.poll_id]))
    elif decision.project_id:
        source = (
            _("Public discussion"),
            decision.project.title,
            reverse("discussions:detail", args=[decision.project_id]),
        )
    elif decision.novelty_id:
        source = (
            _("City novelty"),
            decision.novelty.title,
            reverse("novelties:detail", args=[decision.novelty_id]),
        )
    colour = STATUS_COLOURS[Status(decision.status)]
    markers = []
    if decision.has_point:
        markers.append(
            {
                "id": decision.pk,
                "title": decision.title,
                "status_label": "",
                "colour": colour,
                "url": "",
                "lat": str(decision.lat),
                "lon": str(decision.lon),
            }
        )
    return render(
        request,
        "decisions/detail.html",
        {
            "decision": decision,
            "progress": selectors.progress(decision),
            "source": source,
            "category": Category(decision.category).label,
            "colour": colour,
            "markers": markers,
            "tile_url": settings.MAP_TILE_URL,
        },
    )
