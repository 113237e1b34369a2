"""Pages of Pulse of the capital: the rankings, the map, a facility with its rating form, and the
dashboard of a facility's responsible staff. Thin: the services decide, the selectors read."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from activecitizen.core.errors import DomainError, NotFound
from activecitizen.pulse import selectors, services
from activecitizen.pulse.forms import RankingFilterForm, RatingForm
from activecitizen.pulse.models import Category

FACILITIES_PER_PAGE = 20
COMMENTS_PER_PAGE = 20
MAX_ID = 2**31 - 1
CATEGORY_LABELS = dict(Category.choices)


def _query_without_page(query: QueryDict) -> str:
    kept = query.copy()
    kept.pop("page", None)
    return kept.urlencode()


def _filters(request: HttpRequest) -> tuple[RankingFilterForm, bool]:
    form = RankingFilterForm(request.GET or None)
    invalid = form.is_bound and not form.is_valid()
    return form, invalid


def rankings(request: HttpRequest) -> HttpResponse:
    form, invalid = _filters(request)
    facilities = selectors.rankings(
        category=form.value("category"),
        district_id=form.value("district"),
        sort=form.value("sort") or "index",
    )
    page = Paginator(facilities, FACILITIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "pulse/list.html",
        {
            "form": form,
            "page": page,
            "first_place": page.start_index(),
            "by_index": (form.value("sort") or "index") == "index",
            "query": _query_without_page(request.GET),
            "prior_weight": services.prior_weight(),
            "category_labels": CATEGORY_LABELS,
            # Staff responsible for facilities reach their dashboard from here (residents are
            # never staff: their page costs no query for it).
            "has_dashboard": request.user.is_staff
            and selectors.responsible_facilities(request.user).exists(),
        },
        status=400 if invalid else 200,
    )


def facility_map(request: HttpRequest) -> HttpResponse:
    form, invalid = _filters(request)
    facilities = list(
        selectors.rankings(category=form.value("category"), district_id=form.value("district"))
    )
    markers = [
        {
            "id": f.pk,
            "name": f.name,
            "category": str(CATEGORY_LABELS.get(f.category, f.category)),
            "address": f.address,
            "index": formats.number_format(f.index, 2),
            "count": f.ratings_count,
            "url": f"/pulse/{f.pk}/",
            # As text: JSON numbers would pass the decimals through float.
            "lat": str(f.lat),
            "lon": str(f.lon),
        }
        for f in facilities
    ]
    page = Paginator(facilities, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "pulse/map.html",
        {
            "form": form,
            "page": page,
            "markers": markers,
            "tile_url": settings.MAP_TILE_URL,
            "query": _query_without_page(request.GET),
            "category_labels": CATEGORY_LABELS,
        },
        status=400 if invalid else 200,
    )


def _facility_page(request: HttpRequest, facility_id: int):
    found = (
        selectors.facility_page(facility_id, request.user) if 0 < facility_id <= MAX_ID else None
    )
    if found is None:
        raise Http404(_("There is no such facility."))
    return found


def _render_facility(request: HttpRequest, data, form: RatingForm | None, status: int = 200):
    comments = Paginator(
        selectors.published_comments(data.facility.pk), COMMENTS_PER_PAGE
    ).get_page(request.GET.get("page"))
    counted = [p for p in data.trend if p.ratings_count]
    return render(
        request,
        "pulse/facility.html",
        {
            "data": data,
            "facility": data.facility,
            "category": CATEGORY_LABELS.get(data.facility.category, data.facility.category),
            "form": form,
            "comments": comments,
            "trend_bars": _trend_bars(data.trend),
            "trend_has_ratings": bool(counted),
        },
        status=status,
    )


def _trend_bars(points) -> list[dict]:
    """Geometry of the trend's SVG bars: one per month, height by the month's average."""
    bars = []
    for i, point in enumerate(points):
        height = round((point.average or 0) / 5 * 100, 1)
        bars.append(
            {"x": i * 30 + 5, "y": round(110 - height, 1), "height": height, "point": point}
        )
    return bars


def facility(request: HttpRequest, facility_id: int) -> HttpResponse:
    data = _facility_page(request, facility_id)
    form = None
    if request.user.is_authenticated and data.my_rating is None:
        form = RatingForm(aspects=data.category_aspects)
    return _render_facility(request, data, form)


@require_POST
@login_required
def rate(request: HttpRequest, facility_id: int) -> HttpResponse:
    data = _facility_page(request, facility_id)
    form = RatingForm(request.POST, aspects=data.category_aspects)
    if form.is_valid():
        try:
            services.rate_facility(
                facility_id=data.facility.pk,
                user=request.user,
                score=form.cleaned_data["score"],
                aspects=form.aspect_scores(),
                comment=form.cleaned_data["comment"],
            )
        except NotFound as error:
            raise Http404(str(error)) from error
        except DomainError as error:
            if error.status == 409:
                messages.info(request, str(error))
                return redirect("pulse:facility", facility_id=data.facility.pk)
            field = {"aspects": None}.get(error.field or "", error.field)
            form.add_error(field if field in form.fields else None, str(error))
            return _render_facility(request, data, form, status=error.status)
        messages.success(request, _("Thank you! Your rating is counted."))
        return redirect("pulse:facility", facility_id=data.facility.pk)
    return _render_facility(request, data, form, status=422)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Only for the staff responsible for facilities, and only their facilities."""
    rows = selectors.staff_dashboard(request.user)
    if not rows:
        raise DjangoPermissionDenied(_("You are not responsible for any facility."))
    return render(
        request, "pulse/dashboard.html", {"rows": rows, "category_labels": CATEGORY_LABELS}
    )
