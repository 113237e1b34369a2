"""RSS 2.0 and Atom feeds of the latest published news (all kinds, or one kind)."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from activecitizen.news import selectors
from activecitizen.news.models import NewsItem

FEED_SIZE = 30


class NewsRssFeed(Feed):
    def get_object(self, request: HttpRequest, kind: str | None = None) -> str | None:
        if kind is not None and kind not in NewsItem.Kind.values:
            raise Http404(_("There is no such kind of news."))
        return kind

    def title(self, kind: str | None) -> str:
        if kind:
            return _("Active Citizen news: %(kind)s") % {"kind": NewsItem.Kind(kind).label}
        return _("Active Citizen news")

    def link(self, kind: str | None) -> str:
        return reverse("news:list") + (f"?kind={kind}" if kind else "")

    def description(self, kind: str | None) -> str:
        return _("Project news and the stories of people who take part.")

    def items(self, kind: str | None):
        return selectors.published(kind=kind)[:FEED_SIZE]

    def item_title(self, item: NewsItem) -> str:
        return item.title

    def item_description(self, item: NewsItem) -> str:
        # Plain text: the feed generator escapes it, so no editor's markup reaches a reader.
        return item.lead or item.body[:500]

    def item_pubdate(self, item: NewsItem):
        return item.published_at

    def item_updateddate(self, item: NewsItem):
        return item.updated_at

    def item_categories(self, item: NewsItem) -> list[str]:
        return [t.name for t in item.tags.all()]


class NewsAtomFeed(NewsRssFeed):
    feed_type = Atom1Feed

    def subtitle(self, kind: str | None) -> str:
        return self.description(kind)
