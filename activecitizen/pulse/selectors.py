"""Reads of Pulse of the capital: rankings by index, a facility's page and monthly trend, and the
dashboard of a facility's responsible staff. They read running totals and monthly aggregates,
never the ratings themselves (except a page of comments)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import (
    Case,
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.utils import timezone

from activecitizen.accounts.models import User
from activecitizen.pulse.models import (
    Aspect,
    Category,
    Facility,
    FacilityMonth,
    FacilityMonthAspect,
    FacilityRating,
)
from activecitizen.pulse.services import (
    add_months,
    bayesian_index,
    default_prior_mean,
    month_of,
    next_month,
    prior_weight,
)

TREND_MONTHS = 12
SORTS = ("index", "name")


def category_means() -> dict[str, float]:
    """The mean score of each category's ratings (the prior m of the index).

    One grouped sum over the facilities' running totals: a few thousand rows, not the ratings.
    """
    rows = (
        Facility.objects.filter(is_active=True)
        .values("category")
        .annotate(total=Sum("score_sum"), count=Sum("ratings_count"))
        .order_by()
    )
    means = {value: default_prior_mean() for value in Category.values}
    for row in rows:
        if row["count"]:
            means[row["category"]] = row["total"] / row["count"]
    return means


def index_expression(means: dict[str, float] | None = None, weight: int | None = None):
    """`services.bayesian_index` as SQL over a facility's running totals."""
    means = means if means is not None else category_means()
    weight = prior_weight() if weight is None else weight
    prior = Case(
        *(When(category=c, then=Value(float(m))) for c, m in means.items()),
        default=Value(default_prior_mean()),
        output_field=FloatField(),
    )
    return ExpressionWrapper(
        (Value(float(weight)) * prior + F("score_sum"))
        / (Value(float(weight)) + F("ratings_count")),
        output_field=FloatField(),
    )


def rankings(
    *, category: str | None = None, district_id: int | None = None, sort: str = "index"
) -> QuerySet[Facility]:
    """Active facilities with their `index`, best first (or by name); filters are optional."""
    facilities = Facility.objects.filter(is_active=True).select_related("district")
    if category:
        facilities = facilities.filter(category=category)
    if district_id:
        facilities = facilities.filter(district_id=district_id)
    facilities = facilities.annotate(index=index_expression())
    if sort == "name":
        return facilities.order_by("name", "pk")
    # Ties: more ratings first (the index is surer), then by name so pages are stable.
    return facilities.order_by("-index", "-ratings_count", "name", "pk")


def index_of(facility: Facility, means: dict[str, float] | None = None) -> float:
    means = means if means is not None else category_means()
    return bayesian_index(
        score_sum=facility.score_sum,
        ratings_count=facility.ratings_count,
        prior_mean=means.get(facility.category, default_prior_mean()),
        weight=prior_weight(),
    )


# --- A facility --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthPoint:
    month: date
    ratings_count: int
    average: float | None


def trend(facility_id: int, *, months: int = TREND_MONTHS, now: datetime | None = None):
    """The last `months` calendar months up to this one, oldest first, empty months included."""
    last = month_of(now or timezone.now())
    first = add_months(last, -(months - 1))
    found = {
        row.month: row
        for row in FacilityMonth.objects.filter(
            facility_id=facility_id, month__gte=first, month__lte=last
        )
    }
    points = []
    for i in range(months):
        month = add_months(first, i)
        row = found.get(month)
        points.append(
            MonthPoint(
                month=month,
                ratings_count=row.ratings_count if row else 0,
                average=row.score_sum / row.ratings_count if row and row.ratings_count else None,
            )
        )
    return points


@dataclass(frozen=True)
class AspectAverage:
    code: str
    name: str
    ratings_count: int
    average: float | None


def aspect_averages(facility: Facility) -> list[AspectAverage]:
    """Every aspect of the facility's category with the mean of the scores it got (all time)."""
    sums = {
        row["aspect_code"]: row
        for row in FacilityMonthAspect.objects.filter(facility=facility)
        .values("aspect_code")
        .annotate(total=Sum("score_sum"), count=Sum("ratings_count"))
        .order_by()
    }
    averages = []
    for aspect in Aspect.objects.filter(category=facility.category):
        row = sums.get(aspect.code)
        count = row["count"] if row else 0
        averages.append(
            AspectAverage(
                code=aspect.code,
                name=aspect.name,
                ratings_count=count,
                average=row["total"] / count if row and count else None,
            )
        )
    return averages


def published_comments(facility_id: int) -> QuerySet[FacilityRating]:
    return (
        FacilityRating.objects.filter(
            facility_id=facility_id, comment_status=FacilityRating.CommentStatus.PUBLISHED
        )
        .only("pk", "score", "comment", "created_at")
        .order_by("-created_at", "-pk")
    )


def my_rating(facility_id: int, user: User | None, *, now: datetime | None = None):
    """The person's rating of the facility this month, if any."""
    if user is None or not user.is_authenticated:
        return None
    return FacilityRating.objects.filter(
        facility_id=facility_id, user=user, month=month_of(now or timezone.now())
    ).first()


@dataclass
class FacilityPage:
    facility: Facility
    index: float
    prior_mean: float
    prior_weight: int
    aspects: list[AspectAverage]
    trend: list[MonthPoint]
    my_rating: FacilityRating | None
    next_rating_from: date
    category_aspects: list[Aspect] = field(default_factory=list)


def facility_page(facility_id: int, user: User | None, *, now: datetime | None = None):
    """Everything the facility's page and the API's detail show; None for an unknown or
    inactive facility."""
    now = now or timezone.now()
    facility = (
        Facility.objects.filter(pk=facility_id, is_active=True)
        .select_related("district__okrug")
        .first()
    )
    if facility is None:
        return None
    means = category_means()
    return FacilityPage(
        facility=facility,
        index=index_of(facility, means),
        prior_mean=means[facility.category],
        prior_weight=prior_weight(),
        aspects=aspect_averages(facility),
        trend=trend(facility.pk, now=now),
        my_rating=my_rating(facility.pk, user, now=now),
        next_rating_from=next_month(month_of(now)),
        category_aspects=list(Aspect.objects.filter(category=facility.category)),
    )


# --- The staff dashboard -----------------------------------------------------------------------


@dataclass
class DashboardRow:
    facility: Facility
    index: float
    trend: list[MonthPoint]
    aspects: list[AspectAverage]
    latest_comments: list[FacilityRating]
    pending_comments: int


def responsible_facilities(user: User) -> QuerySet[Facility]:
    return Facility.objects.filter(responsible=user).select_related("district")


def staff_dashboard(user: User, *, now: datetime | None = None) -> list[DashboardRow]:
    """The facilities `user` is responsible for, each with its index, trend, aspects, latest
    published comments and how many comments wait for a moderator."""
    now = now or timezone.now()
    facilities = list(
        responsible_facilities(user)
        .annotate(
            pending=Count(
                "ratings", filter=Q(ratings__comment_status=FacilityRating.CommentStatus.PENDING)
            )
        )
        .order_by("name", "pk")
    )
    means = category_means()
    return [
        DashboardRow(
            facility=facility,
            index=index_of(facility, means),
            trend=trend(facility.pk, now=now),
            aspects=aspect_averages(facility),
            latest_comments=list(published_comments(facility.pk)[:5]),
            pending_comments=facility.pending,  # type: ignore[attr-defined]
        )
        for facility in facilities
    ]
