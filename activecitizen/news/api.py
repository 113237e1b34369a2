"""The news for the mobile app: the list with filters, an item, and subscribing to the
newsletter. Thin: the services decide, the selectors read."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema
from ninja.responses import Status

from activecitizen.core.api import COMMON_ERRORS, Error
from activecitizen.core.errors import InvalidInput, NotFound
from activecitizen.core.net import client_ip
from activecitizen.geo.models import District
from activecitizen.news import selectors, services
from activecitizen.news.models import NewsItem, Tag

router = Router(tags=["news"])

MAX_ID = 2**31 - 1
MAX_OFFSET = 1_000_000
KindName = Literal["news", "story", "novelty"]
KIND_FILTER = Query(None, description="Only news of this kind.")


class TagOut(Schema):
    slug: str
    name: str


class DistrictOut(Schema):
    id: int
    name: str


class PersonOut(Schema):
    name: str
    quote: str
    story: str
    portrait: str | None = Field(..., description="The portrait's URL, or null.")


class NewsOut(Schema):
    id: int
    slug: str
    kind: KindName
    kind_label: str = Field(..., description="The kind in the language of the request.")
    title: str
    lead: str
    image: str | None = Field(..., description="The image's URL, or null.")
    image_alt: str
    tags: list[TagOut]
    districts: list[DistrictOut] = Field(..., description="Empty: news of the whole city.")
    published_at: datetime
    url: str = Field(..., description="The item's page.")


class NewsList(Schema):
    count: int
    items: list[NewsOut]


class NewsDetail(NewsOut):
    body: str = Field(..., description="Plain text; a blank line separates paragraphs.")
    person: PersonOut | None = Field(..., description='For "Project in faces" stories.')


class SubscriptionIn(Schema):
    email: str = Field(..., max_length=254)
    topics: list[Annotated[str, Field(max_length=60)]] = Field(
        default_factory=list,
        max_length=services.MAX_TOPICS,
        description="Tag slugs; empty: every topic.",
    )
    districts: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        default_factory=list,
        max_length=services.MAX_DISTRICTS,
        description="District ids; empty: every district (city-wide news comes anyway).",
    )


class SubscriptionAccepted(Schema):
    message: str


def _file_url(request: HttpRequest, file) -> str | None:
    return request.build_absolute_uri(file.url) if file else None


def _item(request: HttpRequest, item: NewsItem) -> dict:
    return {
        "id": item.pk,
        "slug": item.slug,
        "kind": item.kind,
        "kind_label": str(item.get_kind_display()),
        "title": item.title,
        "lead": item.lead,
        "image": _file_url(request, item.image),
        "image_alt": item.image_alt,
        "tags": [{"slug": t.slug, "name": t.name} for t in item.tags.all()],
        "districts": [{"id": d.pk, "name": d.name} for d in item.districts.all()],
        "published_at": item.published_at,
        "url": request.build_absolute_uri(item.get_absolute_url()),
    }


@router.get(
    "/news",
    auth=None,
    response={200: NewsList, **COMMON_ERRORS},
    summary="Published news, newest first, with filters",
    description="`district` keeps that district's news and the city-wide news. An unknown "
    "`tag` or `district` is a 422 naming the field.",
)
def list_news(
    request: HttpRequest,
    kind: KindName | None = KIND_FILTER,
    tag: str | None = Query(None, max_length=60),
    district: int | None = Query(None, ge=1, le=MAX_ID),
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
):
    if tag and not Tag.objects.filter(slug=tag).exists():
        raise InvalidInput(_("There is no such topic."), field="tag", code="unknown_topic")
    if district is not None and not District.objects.filter(pk=district).exists():
        raise InvalidInput(_("There is no such district."), field="district")
    items = selectors.published(kind=kind, tag=tag or None, district_id=district)
    return {
        "count": items.count(),
        "items": [_item(request, i) for i in items[offset : offset + limit]],
    }


@router.post(
    "/news/subscriptions",
    auth=None,
    response={202: SubscriptionAccepted, 429: Error, **COMMON_ERRORS},
    summary="Subscribe an e-mail address to the newsletter (double opt-in)",
    description="Sends a confirmation link; nothing else is sent until it is followed. The "
    "answer is the same whether the address was subscribed before or not. 422 names the field "
    "(`email`, `topics`, `districts`); 429 with Retry-After when asked too often.",
)
def subscribe(request: HttpRequest, body: SubscriptionIn):
    services.subscribe(
        email=body.email,
        topics=body.topics,
        districts=body.districts,
        user=request.user if request.user.is_authenticated else None,
        ip=client_ip(request),
    )
    return Status(
        202,
        {"message": _("If the address is valid, a letter with a confirmation link is on its way.")},
    )


# After the fixed paths: /news/{slug} would otherwise take /news/subscriptions.
@router.get(
    "/news/{slug}",
    auth=None,
    response={200: NewsDetail, 404: Error, **COMMON_ERRORS},
    summary="A published news item with its text (and, for a story, the participant)",
)
def news_item(request: HttpRequest, slug: str = Path(..., max_length=200)):
    item = selectors.item_by_slug(slug)
    if item is None:
        raise NotFound(_("There is no such news item."), code="news_not_found")
    person = None
    if item.is_story:
        person = {
            "name": item.person_name,
            "quote": item.person_quote,
            "story": item.person_story,
            "portrait": _file_url(request, item.person_portrait),
        }
    return {**_item(request, item), "body": item.body, "person": person}
