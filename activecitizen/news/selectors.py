"""Reads of the news section that pages, the API and the feeds share."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from activecitizen.news.models import NewsItem, Subscription, Tag


def published(
    *, kind: str | None = None, tag: str | None = None, district_id: int | None = None
) -> QuerySet[NewsItem]:
    """Published items, newest first. A district filter keeps that district's news and the
    city-wide news (which concerns every district)."""
    items = NewsItem.objects.filter(is_published=True, published_at__lte=timezone.now())
    if kind:
        items = items.filter(kind=kind)
    if tag:
        items = items.filter(tags__slug=tag)
    if district_id:
        items = items.filter(pk__in=_in_district(district_id))
    return items.prefetch_related(
        Prefetch("tags", queryset=Tag.objects.order_by("name")), "districts"
    ).order_by("-published_at", "-pk")


def _in_district(district_id: int) -> QuerySet[NewsItem, Any]:
    # A subquery of ids: joining the districts in the outer query would repeat rows.
    return NewsItem.objects.filter(Q(districts=district_id) | Q(districts__isnull=True)).values(
        "pk"
    )


def item_by_slug(slug: str) -> NewsItem | None:
    return published().filter(slug=slug).first()


def all_tags() -> QuerySet[Tag]:
    return Tag.objects.order_by("name")


def subscription_counts() -> dict[str, int]:
    """How many subscriptions are waiting for confirmation, confirmed, unsubscribed."""
    rows = Subscription.objects
    return {
        "pending": rows.filter(confirmed_at__isnull=True, unsubscribed_at__isnull=True).count(),
        "confirmed": rows.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True).count(),
        "unsubscribed": rows.filter(unsubscribed_at__isnull=False).count(),
    }
