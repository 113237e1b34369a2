"""Pages of points and of the shop: "My points", the catalogue, a reward with its order form,
the voucher, "My orders", the map of issue points, and the partner's cashier desk."""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import cast

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from activecitizen.accounts.models import User
from activecitizen.core.errors import DomainError, NotFound
from activecitizen.rewards import selectors, services
from activecitizen.rewards.forms import CatalogueFilterForm, MapFilterForm, VoucherLookupForm
from activecitizen.rewards.models import Order, Reward

ENTRIES_PER_PAGE = 50
REWARDS_PER_PAGE = 24
ORDERS_PER_PAGE = 20
ISSUE_POINTS_PER_PAGE = 50


@login_required
def my_points(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    summary = selectors.points_summary(person.pk, limit=0)
    paginator = Paginator(selectors.ledger_entries(person.pk), ENTRIES_PER_PAGE)
    # get_page: a page number out of range or not a number shows the nearest page, never a 404.
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "rewards/points.html", {"summary": summary, "page": page})


# --- The catalogue --------------------------------------------------------------------------------


# A category's picture when a reward has no image of its own (decorative: the category is
# also written out beside it).
CATEGORY_ICONS: dict[str, str] = {
    Reward.Category.TICKETS: "🎭",
    Reward.Category.TRANSPORT: "🚇",
    Reward.Category.BIKES: "🚲",
    Reward.Category.SOUVENIRS: "🎁",
    Reward.Category.PROMO_CODES: "🏷️",
    Reward.Category.CHARITY: "💚",
}


@dataclass(frozen=True)
class Card:
    """A reward as the catalogue shows it."""

    reward: Reward
    category: str  # its name, translated once per page rather than once per card
    icon: str
    sold_out: bool
    on_sale_from: datetime | None  # when the sale starts, if it has not started yet


def _query_without_page(query: QueryDict) -> str:
    """The query string of the filters, for page links that keep them."""
    kept = query.copy()
    kept.pop("page", None)
    return kept.urlencode()


def catalogue(request: HttpRequest) -> HttpResponse:
    user_id = request.user.pk if request.user.is_authenticated else None
    form = CatalogueFilterForm(request.GET or None, signed_in=user_id is not None)
    # A bad filter (a district that is not a number, an unknown category) answers 400 naming
    # the field; the filters that are valid still apply, so the page stays useful.
    invalid = form.is_bound and not form.is_valid()
    now = timezone.now()
    paginator = Paginator(selectors.catalogue(form.filters(user_id), now=now), REWARDS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = selectors.with_units_left(page.object_list)
    categories: dict[str, str] = {value: str(label) for value, label in Reward.Category.choices}
    cards = [
        Card(
            reward=reward,
            category=categories.get(reward.category, reward.category),
            icon=CATEGORY_ICONS.get(reward.category, "★"),
            sold_out=selectors.is_sold_out(reward),
            on_sale_from=reward.sale_starts_at
            if reward.sale_starts_at and reward.sale_starts_at > now
            else None,
        )
        for reward in page.object_list
    ]
    return render(
        request,
        "rewards/catalogue.html",
        {
            "form": form,
            "page": page,
            "cards": cards,
            "query": _query_without_page(request.GET),
            "balance": selectors.balance_of(user_id) if user_id else None,
        },
        status=400 if invalid else 200,
    )


# --- A reward and its order form ------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def reward(request: HttpRequest, reward_id: int) -> HttpResponse:
    item = selectors.reward_detail(reward_id)
    if item is None:
        raise Http404
    if request.method != "POST":
        return _render_reward(request, item)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    raw_point = request.POST.get("issue_point", "").strip()
    issue_point_id: int | None = None
    if item.delivery == Reward.Delivery.PICK_UP and raw_point:
        # Not a number: an id no issue point has, so the service refuses it as any unknown one.
        issue_point_id = int(raw_point) if raw_point.isdigit() else -1
    try:
        placed = services.place_order(
            user=_person(request),
            reward_id=item.pk,
            issue_point_id=issue_point_id,
            # The form's one-time token: a double click or a resubmitted form finds the order
            # the first submission placed instead of placing a second one.
            idempotency_key=request.POST.get("order_token", "")[:200],
        )
    except DomainError as error:
        return _render_reward(request, item, error=error, status=error.status)
    if placed.created:
        messages.success(
            request,
            _("Your order is placed: %(n)d points spent.") % {"n": placed.order.price},
        )
    return redirect("rewards:order", order_id=placed.order.pk)


def _render_reward(
    request: HttpRequest, item: Reward, *, error: DomainError | None = None, status: int = 200
) -> HttpResponse:
    now = timezone.now()
    pick_up = item.delivery == Reward.Delivery.PICK_UP
    stock = selectors.pick_up_points(item) if pick_up else []
    balance = selectors.balance_of(request.user.pk) if request.user.is_authenticated else None
    chosen = request.POST.get("issue_point", "") if request.method == "POST" else ""
    if not chosen:
        # One place with units left: nothing to choose, it is preselected.
        with_units = [s for s in stock if s.quantity > 0]
        chosen = str(with_units[0].issue_point_id) if len(with_units) == 1 else ""
    return render(
        request,
        "rewards/reward.html",
        {
            "reward": item,
            "sold_out": selectors.is_sold_out(item),
            "on_sale_from": item.sale_starts_at
            if item.sale_starts_at and item.sale_starts_at > now
            else None,
            "pick_up": pick_up,
            "icon": CATEGORY_ICONS.get(item.category, "★"),
            "stock": stock,
            "balance": balance,
            "can_afford": balance is not None and balance >= item.price,
            "chosen": chosen,
            "error": error,
            "order_token": secrets.token_hex(16),
        },
        status=status,
    )


# --- A person's orders and vouchers ---------------------------------------------------------------


def _person(request: HttpRequest) -> User:
    """The signed-in person (the view checked they are signed in)."""
    return cast(User, request.user)


def _my_order(request: HttpRequest, order_id: int) -> Order:
    """The signed-in person's order; anyone else's is "not found", not "forbidden"."""
    item = selectors.my_orders(_person(request).pk).filter(pk=order_id).first()
    if item is None:
        raise Http404
    return item


@login_required
def my_orders(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.my_orders(_person(request).pk), ORDERS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "rewards/orders.html", {"page": page})


@login_required
def order(request: HttpRequest, order_id: int) -> HttpResponse:
    return _render_order(request, _my_order(request, order_id))


def _render_order(
    request: HttpRequest, item: Order, *, error: DomainError | None = None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "rewards/order.html",
        {
            "order": item,
            "reward": item.reward,
            "promo_code": getattr(item, "promo_code", None),
            "events": list(item.events.all()),
            "pick_up": item.reward.delivery == Reward.Delivery.PICK_UP,
            "donation": item.reward.delivery == Reward.Delivery.DONATION,
            "error": error,
        },
        status=status,
    )


@login_required
def order_qr(request: HttpRequest, order_id: int) -> HttpResponse:
    """The voucher's QR code: the bare code, which the desk's scanner types for the cashier."""
    item = _my_order(request, order_id)
    svg = io.BytesIO()
    # Black on white whatever the page's colours: scanners need the contrast.
    segno.make(item.voucher_code, error="m", micro=False).save(
        svg, kind="svg", scale=8, border=4, dark="#000", light="#fff", xmldecl=False
    )
    response = HttpResponse(svg.getvalue(), content_type="image/svg+xml")
    # The code is the person's reward: never kept by a shared cache.
    patch_cache_control(response, private=True)
    return response


@login_required
@require_POST
def cancel_order(request: HttpRequest, order_id: int) -> HttpResponse:
    try:
        closed = services.cancel_order(order_id=order_id, by=_person(request))
    except NotFound:
        raise Http404 from None
    except DomainError as error:
        return _render_order(
            request, _my_order(request, order_id), error=error, status=error.status
        )
    messages.success(
        request,
        _("The order is cancelled: %(n)d points are back on your balance.") % {"n": closed.price},
    )
    return redirect("rewards:order", order_id=closed.pk)


# --- The map of issue points ----------------------------------------------------------------------


def issue_point_map(request: HttpRequest) -> HttpResponse:
    form = MapFilterForm(request.GET or None)
    invalid = form.is_bound and not form.is_valid()
    district_id = form.cleaned_data.get("district") if form.is_bound and not invalid else None
    points = list(selectors.issue_points(district_id=district_id))
    markers = [
        {
            "name": point.name,
            "partner": point.partner.name,
            "address": point.address,
            "hours": point.opening_hours,
            # As text: JSON numbers would pass the decimals through float.
            "lat": str(point.lat),
            "lon": str(point.lon),
        }
        for point in points
    ]
    page = Paginator(points, ISSUE_POINTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "rewards/map.html",
        {
            "form": form,
            "page": page,
            "markers": markers,
            "tile_url": settings.MAP_TILE_URL,
            "query": _query_without_page(request.GET),
        },
        status=400 if invalid else 200,
    )


# --- The partner's cashier desk -------------------------------------------------------------------

DESK_ACTIONS = ("find", "ready", "issue")


def desk(request: HttpRequest) -> HttpResponse:
    """Find a voucher (typed or scanned), mark it ready, issue it.

    Who may use it, and which orders they see, the services decide (a cashier sees only their
    partner's orders); the page only keeps out people who work for no partner at all.
    """
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    partner_ids = selectors.partners_of(request.user.pk)
    if not partner_ids:
        raise DjangoPermissionDenied
    if request.method == "POST":
        return _desk_action(request)
    shown = None
    error = None
    raw = request.GET.get("order", "")
    if raw:
        # After an action the desk comes back to the order it acted on (POST-redirect-GET):
        # a read limited to the partners this person works for.
        shown = (
            Order.objects.select_related("reward", "issue_point", "user")
            .filter(pk=int(raw) if raw.isdigit() else 0, reward__partner_id__in=partner_ids)
            .first()
        )
        if shown is None:
            error = NotFound(_("There is no such order."), code="order_not_found")
    return _render_desk(
        request,
        VoucherLookupForm(),
        order=shown,
        error=error,
        status=error.status if error else 200,
    )


def _desk_action(request: HttpRequest) -> HttpResponse:
    action = request.POST.get("action", "find")
    if action not in DESK_ACTIONS:
        action = "find"
    form = VoucherLookupForm(request.POST)
    if not form.is_valid():
        return _render_desk(request, form, status=422)
    code = form.cleaned_data["code"]
    cashier = _person(request)
    try:
        if action == "issue":
            done = services.issue_voucher(code=code, by=cashier)
            messages.success(request, _("Issued: %(reward)s.") % {"reward": done.reward.title})
        elif action == "ready":
            raw = request.POST.get("order", "")
            done = services.mark_ready(order_id=int(raw) if raw.isdigit() else 0, by=cashier)
            messages.success(
                request,
                _("Marked ready: %(reward)s. The person has been told.")
                % {"reward": done.reward.title},
            )
        else:
            done = services.find_voucher(code=code, by=cashier)
    except DomainError as error:
        return _render_desk(request, form, error=error, status=error.status)
    return redirect(f"{reverse('rewards:desk')}?{urlencode({'order': done.pk})}")


def _render_desk(
    request: HttpRequest,
    form: VoucherLookupForm,
    *,
    order: Order | None = None,
    error: DomainError | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "rewards/desk.html",
        {
            "form": form,
            "order": order,
            "expired": order is not None
            and order.valid_until is not None
            and order.valid_until <= timezone.now(),
            "error": error,
        },
        status=status,
    )
