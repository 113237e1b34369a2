"""News items, tags and subscriptions for the news tests."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta

from django.core import mail
from django.utils import timezone

from activecitizen.geo.models import District
from activecitizen.news import services
from activecitizen.news.models import NewsItem, Subscription, Tag

_numbers = itertools.count(1)


def make_tag(slug: str = "transport", name: str | None = None) -> Tag:
    return Tag.objects.get_or_create(slug=slug, defaults={"name": name or slug.title()})[0]


def make_item(
    title: str | None = None,
    *,
    kind: str = NewsItem.Kind.NEWS,
    tags: list[Tag] = (),  # type: ignore[assignment]
    districts: list[District] = (),  # type: ignore[assignment]
    published: bool = True,
    days_ago: float = 1,
    **fields,
) -> NewsItem:
    n = next(_numbers)
    item = NewsItem.objects.create(
        title=title or f"Новость {n}",
        slug=fields.pop("slug", f"novost-{n}"),
        kind=kind,
        lead=fields.pop("lead", "Коротко о главном."),
        body=fields.pop("body", "Первый абзац.\n\nВторой абзац."),
        is_published=published,
        published_at=timezone.now() - timedelta(days=days_ago) if published else None,
        **fields,
    )
    item.tags.set(tags)
    item.districts.set(districts)
    return item


def districts(n: int = 2) -> list[District]:
    return list(District.objects.order_by("pk")[:n])


def link_in(message, name: str) -> str:
    """The path of the first link to `/news/subscription/<name>/…` in an e-mail's text."""
    prefix = "/news/subscription/" + (f"{name}/" if name else "")
    found = re.search(r"https?://[^/\s]+(" + re.escape(prefix) + r"[^\s]+/)", message.body)
    assert found, message.body
    return found.group(1)


def confirmed_subscription(email: str, **kwargs) -> Subscription:
    services.subscribe(email=email, **kwargs)
    token = link_in(mail.outbox[-1], "confirm").rstrip("/").rsplit("/", 1)[1]
    return services.confirm(token=token)
