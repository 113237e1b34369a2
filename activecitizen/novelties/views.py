"""Pages of city novelties: the list (newest or best rated, with filters) and a novelty with its
rating distribution and the rating form. Thin: the service decides, the selectors read."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from activecitizen.core.errors import DomainError
from activecitizen.novelties import selectors, services
from activecitizen.novelties.forms import SORT_TABS, NoveltyFilterForm, RatingForm
from activecitizen.novelties.models import Novelty

NOVELTIES_PER_PAGE = 12

# A category's picture when a novelty has no photo (decorative: the category is written too).
CATEGORY_ICONS: dict[str, str] = {
    Novelty.Category.TRANSPORT: "🚌",
    Novelty.Category.PARKS: "🌳",
    Novelty.Category.HEALTHCARE: "🏥",
    Novelty.Category.CULTURE: "🎭",
    Novelty.Category.DIGITAL_SERVICES: "📱",
    Novelty.Category.HOUSING: "🏠",
    Novelty.Category.EDUCATION: "🎓",
    Novelty.Category.ECOLOGY: "♻️",
    Novelty.Category.CITY_LIFE: "🏙️",
}


@dataclass(frozen=True)
class Card:
    novelty: Novelty
    icon: str
    average: Decimal | None
    my_stars: int | None


def novelty_list(request: HttpRequest) -> HttpResponse:
    form = NoveltyFilterForm(request.GET or None)
    # A bad filter answers 400 naming the field; the valid filters still apply.
    invalid = form.is_bound and not form.is_valid()
    sort = form.value("sort") or "new"
    found = selectors.novelty_list(
        sort=sort, category=form.value("category"), district_id=form.value("district")
    )
    # get_page: a page out of range or not a number shows the nearest page, never a 404.
    page = Paginator(found, NOVELTIES_PER_PAGE).get_page(request.GET.get("page"))
    mine = selectors.my_stars(user=request.user, novelty_ids=[n.pk for n in page.object_list])
    cards = [
        Card(
            novelty=n,
            icon=CATEGORY_ICONS.get(n.category, "★"),
            average=selectors.average_stars(stars_sum=n.stars_sum, count=n.ratings_count),
            my_stars=mine.get(n.pk),
        )
        for n in page.object_list
    ]
    filters = {k: v for k in ("category", "district") if (v := form.value(k))}
    return render(
        request,
        "novelties/list.html",
        {
            "form": form,
            "sort": sort,
            "tabs": [
                (value, label, urlencode({"sort": value, **filters})) for value, label in SORT_TABS
            ],
            "page": page,
            "cards": cards,
            "query": urlencode({"sort": sort, **filters}),
        },
        status=400 if invalid else 200,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def novelty_detail(request: HttpRequest, novelty_id: int) -> HttpResponse:
    novelty = selectors.novelty_detail(novelty_id)
    if novelty is None:
        raise Http404
    if request.method != "POST":
        return _render_detail(request, novelty, RatingForm(initial=_fresh_key()))
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    form = RatingForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, novelty, form, status=422)
    try:
        rated = services.rate_novelty(
            novelty_id=novelty.pk,
            user=request.user,  # type: ignore[arg-type]
            stars=form.cleaned_data["stars"],
            feedback=form.cleaned_data["feedback"],
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except services.AlreadyRated as already:
        if already.replay:  # the same form sent twice: the first one was counted
            return redirect("novelties:detail", novelty_id=novelty.pk)
        messages.info(request, str(already.message))
        return redirect("novelties:detail", novelty_id=novelty.pk)
    except DomainError as refused:
        form.add_error(
            refused.field if refused.field in form.fields else None, str(refused.message)
        )
        return _render_detail(request, novelty, form, status=refused.status)
    text = _("Thank you! You rated the novelty %(stars)s of 5.") % {"stars": rated.rating.stars}
    if rated.points:
        text += " " + _("+%(points)s points.") % {"points": rated.points}
    messages.success(request, text)
    return redirect("novelties:detail", novelty_id=novelty.pk)


def _fresh_key() -> dict[str, str]:
    return {"idempotency_key": secrets.token_urlsafe(16)}


def _render_detail(
    request: HttpRequest, novelty: Novelty, form: RatingForm, *, status: int = 200
) -> HttpResponse:
    mine = selectors.my_rating(novelty_id=novelty.pk, user=request.user)  # type: ignore[arg-type]
    return render(
        request,
        "novelties/detail.html",
        {
            "novelty": novelty,
            "icon": CATEGORY_ICONS.get(novelty.category, "★"),
            "summary": selectors.summary_of(novelty),
            "photos": list(novelty.photos.all()),
            "my_rating": mine,
            "form": form,
        },
        status=status,
    )
