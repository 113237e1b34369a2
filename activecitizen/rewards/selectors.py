"""Reads of points and of the shop: a person's balance, status and history, the status levels,
the catalogue, a person's orders, partners' reports."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from activecitizen.rewards.models import (
    IssuePoint,
    LedgerEntry,
    Order,
    PartnerMember,
    PointsAccount,
    PromoCode,
    Reward,
    StatusLevel,
    Stock,
)

# Shown when staff have deleted every level: everybody starts somewhere.
FALLBACK_LEVEL = StatusLevel(
    code="newcomer", name_ru="Новичок", name_en="Newcomer", min_lifetime_points=0
)


def status_levels() -> list[StatusLevel]:
    """Every level, lowest threshold first."""
    return list(StatusLevel.objects.order_by("min_lifetime_points"))


def status_for(lifetime: int, levels: Sequence[StatusLevel] | None = None) -> StatusLevel:
    """The highest level whose threshold `lifetime` points reach.

    Below the lowest threshold (staff may have raised it above 0) the lowest level is shown:
    a status names where a person is on the ladder, and everybody is on it.
    """
    ladder = status_levels() if levels is None else sorted(levels, key=_threshold)
    if not ladder:
        return FALLBACK_LEVEL
    reached = [level for level in ladder if level.min_lifetime_points <= lifetime]
    return reached[-1] if reached else ladder[0]


def next_level(lifetime: int, levels: Sequence[StatusLevel] | None = None) -> StatusLevel | None:
    """The level after the one `lifetime` points give, or None at the top."""
    ladder = status_levels() if levels is None else sorted(levels, key=_threshold)
    floor = max(lifetime, status_for(lifetime, ladder).min_lifetime_points)
    return next((level for level in ladder if level.min_lifetime_points > floor), None)


def _threshold(level: StatusLevel) -> int:
    return level.min_lifetime_points


def ledger_entries(user_id: int) -> QuerySet[LedgerEntry]:
    """A person's history, newest first (served by the (account, -created_at) index)."""
    return LedgerEntry.objects.filter(account_id=user_id).order_by("-created_at", "-id")


@dataclass(frozen=True)
class PointsSummary:
    balance: int
    lifetime: int
    status: StatusLevel
    next_status: StatusLevel | None
    points_to_next: int | None  # lifetime points still to earn; None at the top level
    entries: list[LedgerEntry]  # the requested page of the history, newest first
    count: int  # all entries

    @property
    def progress_percent(self) -> int:
        """How far from this status to the next one, 0–100 (100 at the top)."""
        if self.next_status is None:
            return 100
        start = min(self.status.min_lifetime_points, self.lifetime)
        span = self.next_status.min_lifetime_points - start
        if span <= 0:
            return 100
        return max(0, min(100, (self.lifetime - start) * 100 // span))


def points_summary(user_id: int, *, limit: int = 50, offset: int = 0) -> PointsSummary:
    """Balance, lifetime points, status and one page of the history; zeros without an account."""
    account = PointsAccount.objects.filter(pk=user_id).values("balance", "lifetime").first()
    balance, lifetime = (account["balance"], account["lifetime"]) if account else (0, 0)
    levels = status_levels()
    status = status_for(lifetime, levels)
    upcoming = next_level(lifetime, levels)
    history = ledger_entries(user_id)
    entries = list(history[offset : offset + limit]) if account and limit > 0 else []
    return PointsSummary(
        balance=balance,
        lifetime=lifetime,
        status=status,
        next_status=upcoming,
        points_to_next=upcoming.min_lifetime_points - lifetime if upcoming else None,
        entries=entries,
        count=history.count() if account else 0,
    )


# --- The shop ------------------------------------------------------------------------------------

SEARCH_MAX_LENGTH = 100


def balance_of(user_id: int | None) -> int:
    if user_id is None:
        return 0
    return PointsAccount.objects.filter(pk=user_id).values_list("balance", flat=True).first() or 0


def _units_left() -> Coalesce:
    """Units left as an annotation (one reward's page): stock summed over its open issue
    points, or its free codes. Donations have no units: they are never sold out."""
    stock = (
        Stock.objects.filter(reward=OuterRef("pk"), issue_point__is_active=True)
        .order_by()
        .values("reward")
        .annotate(n=Sum("quantity"))
        .values("n")
    )
    codes = (
        PromoCode.objects.filter(reward=OuterRef("pk"), order__isnull=True)
        .order_by()
        .values("reward")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(
        Subquery(stock, output_field=IntegerField()),
        Subquery(codes, output_field=IntegerField()),
        Value(0),
    )


def with_units_left(rewards: Iterable[Reward]) -> list[Reward]:
    """The rewards of one shown page, each given `units_left`, in two grouped queries.

    Counted after the page is cut rather than annotated on the catalogue's query: the database
    would otherwise count units for every reward it sorts or skips (10,000 on a deep page).
    """
    shown = list(rewards)
    ids = [r.pk for r in shown]
    stock = dict(
        Stock.objects.filter(reward_id__in=ids, issue_point__is_active=True)
        .values("reward_id")
        .annotate(n=Sum("quantity"))
        .values_list("reward_id", "n")
    )
    coded = [r.pk for r in shown if r.delivery == Reward.Delivery.PROMO_CODE]
    codes = (
        dict(
            PromoCode.objects.filter(reward_id__in=coded, order__isnull=True)
            .values("reward_id")
            .annotate(n=Count("pk"))
            .values_list("reward_id", "n")
        )
        if coded
        else {}
    )
    for reward in shown:
        reward.units_left = stock.get(reward.pk) or codes.get(reward.pk) or 0  # type: ignore[attr-defined]
    return shown


def on_show(now: datetime | None = None) -> QuerySet[Reward]:
    """Rewards people can see: published, of an active partner, their sale and campaign not
    over (a sale that has not started yet shows with its date)."""
    now = now or timezone.now()
    return Reward.objects.filter(is_published=True, partner__is_active=True).filter(
        Q(sale_ends_at__isnull=True) | Q(sale_ends_at__gt=now),
        Q(campaign__isnull=True) | Q(campaign__ends_at__gt=now),
    )


@dataclass(frozen=True)
class CatalogueFilters:
    category: str | None = None
    district_id: int | None = None
    max_price: int | None = None
    affordable_for: int | None = None  # a user id: only what their balance buys
    search: str = ""
    available_only: bool = False
    order_by: str = "new"  # "new", "price", "-price"


ORDERINGS = {"new": ("-created_at", "-id"), "price": ("price", "id"), "-price": ("-price", "-id")}


def catalogue(filters: CatalogueFilters, *, now: datetime | None = None) -> QuerySet[Reward]:
    """The shop's shelf with the filters applied, in the order asked for. Give the page that is
    shown its units with `with_units_left`."""
    rewards = on_show(now).select_related("partner", "campaign", "min_status")
    if filters.category:
        rewards = rewards.filter(category=filters.category)
    if filters.max_price is not None:
        rewards = rewards.filter(price__lte=filters.max_price)
    if filters.affordable_for is not None:
        rewards = rewards.filter(price__lte=balance_of(filters.affordable_for))
    if filters.district_id is not None:
        # Codes and donations are not tied to a place: they show in every district.
        rewards = rewards.filter(
            ~Q(delivery=Reward.Delivery.PICK_UP)
            | Exists(
                Stock.objects.filter(
                    reward=OuterRef("pk"),
                    issue_point__district_id=filters.district_id,
                    issue_point__is_active=True,
                )
            )
        )
    search = " ".join(filters.search.split())[:SEARCH_MAX_LENGTH]
    if search:
        rewards = rewards.filter(
            Q(title__icontains=search)
            | Q(description__icontains=search)
            | Q(partner__name__icontains=search)
        )
    if filters.available_only:
        rewards = rewards.filter(
            Q(delivery=Reward.Delivery.DONATION)
            | Exists(
                Stock.objects.filter(
                    reward=OuterRef("pk"), quantity__gt=0, issue_point__is_active=True
                )
            )
            | Exists(PromoCode.objects.filter(reward=OuterRef("pk"), order__isnull=True))
        )
    return rewards.order_by(*ORDERINGS.get(filters.order_by, ORDERINGS["new"]))


def is_sold_out(reward: Reward) -> bool:
    """For a reward with `units_left` (`with_units_left`, `reward_detail`): none left, and not a
    donation."""
    return reward.delivery != Reward.Delivery.DONATION and not getattr(reward, "units_left", 0)


def reward_detail(reward_id: int, *, now: datetime | None = None) -> Reward | None:
    return (
        on_show(now)
        .select_related("partner", "campaign", "min_status")
        .annotate(units_left=_units_left())
        .filter(pk=reward_id)
        .first()
    )


def pick_up_points(reward: Reward) -> list[Stock]:
    """Where a reward can be picked up, with units left at each, by district then name."""
    return list(
        Stock.objects.filter(reward=reward, issue_point__is_active=True)
        .select_related("issue_point", "issue_point__district")
        .order_by("issue_point__district__name_ru", "issue_point__name")
    )


def issue_points(*, district_id: int | None = None) -> QuerySet[IssuePoint]:
    """Open issue points of active partners, for the map and its list."""
    points = IssuePoint.objects.filter(is_active=True, partner__is_active=True).select_related(
        "partner", "district"
    )
    if district_id is not None:
        points = points.filter(district_id=district_id)
    return points.order_by("district__name_ru", "name")


def my_orders(user_id: int) -> QuerySet[Order]:
    """A person's orders, newest first (served by the (user, -created_at) index)."""
    return (
        Order.objects.filter(user_id=user_id)
        .select_related("reward", "reward__partner", "issue_point", "promo_code")
        .order_by("-created_at", "-id")
    )


def partners_of(user_id: int, *, role: str | None = None) -> list[int]:
    """The partners a person works for (as `role`, or in any role)."""
    members = PartnerMember.objects.filter(user_id=user_id, partner__is_active=True)
    if role is not None:
        members = members.filter(role=role)
    return list(members.values_list("partner_id", flat=True))


@dataclass(frozen=True)
class PartnerReportRow:
    reward_id: int
    title: str
    ordered: int
    issued: int
    open: int
    cancelled: int
    expired: int
    refunded: int  # cancelled + expired: every one of them got its points back
    points_spent: int  # points of orders not refunded


def partner_report(
    partner_id: int, *, since: datetime | None = None, until: datetime | None = None
) -> list[PartnerReportRow]:
    """Per reward of a partner: orders placed in the period and what became of them."""
    orders = Order.objects.filter(reward__partner_id=partner_id)
    if since is not None:
        orders = orders.filter(created_at__gte=since)
    if until is not None:
        orders = orders.filter(created_at__lt=until)
    status = Order.Status
    rows = (
        orders.values("reward_id", "reward__title")
        .annotate(
            ordered=Count("pk"),
            issued=Count("pk", filter=Q(status=status.ISSUED)),
            open=Count("pk", filter=Q(status__in=Order.OPEN)),
            cancelled=Count("pk", filter=Q(status=status.CANCELLED)),
            expired=Count("pk", filter=Q(status=status.EXPIRED)),
            points_spent=Coalesce(
                Sum("price", filter=~Q(status__in=(status.CANCELLED, status.EXPIRED))), 0
            ),
        )
        .order_by("reward__title", "reward_id")
    )
    return [
        PartnerReportRow(
            reward_id=row["reward_id"],
            title=row["reward__title"],
            ordered=row["ordered"],
            issued=row["issued"],
            open=row["open"],
            cancelled=row["cancelled"],
            expired=row["expired"],
            refunded=row["cancelled"] + row["expired"],
            points_spent=row["points_spent"],
        )
        for row in rows
    ]
