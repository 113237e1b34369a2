"""News: items of the newsfeed ("Project in faces" stories and novelty announcements among
them), their tags, and the e-mail newsletter's subscriptions."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from activecitizen.geo.models import District

TITLE_MAX_LENGTH = 200
LEAD_MAX_LENGTH = 500
# Paths of the section itself: an item with one of these slugs could never be opened.
RESERVED_SLUGS = frozenset({"stories", "rss", "atom", "subscribe", "subscription", "subscriptions"})


def validate_item_slug(value: str) -> None:
    if value in RESERVED_SLUGS:
        raise ValidationError(_("This address is taken by the news section; choose another."))


class Tag(models.Model):
    """A topic of the news (transport, parks, health …); subscribers choose tags as topics."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    slug = models.SlugField(_("slug"), max_length=60, unique=True, allow_unicode=False)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class NewsItem(models.Model):
    """One piece of news. The body is plain text (paragraphs split by blank lines), never HTML:
    pages escape it, so an editor cannot break the page or inject a script."""

    class Kind(models.TextChoices):
        NEWS = "news", _("news")
        STORY = "story", _("Project in faces")
        NOVELTY = "novelty", _("novelty announcement")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.NEWS)
    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH)
    slug = models.SlugField(
        _("slug"), max_length=TITLE_MAX_LENGTH, unique=True, validators=[validate_item_slug]
    )
    lead = models.TextField(_("lead"), max_length=LEAD_MAX_LENGTH, blank=True)
    body = models.TextField(
        _("text"), blank=True, help_text=_("Plain text; a blank line starts a new paragraph.")
    )
    image = models.ImageField(_("image"), upload_to="news/%Y/%m/", blank=True)
    image_alt = models.CharField(
        _("image description"),
        max_length=300,
        blank=True,
        help_text=_("What the image shows, for people who cannot see it."),
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="items", verbose_name=_("tags"))
    districts = models.ManyToManyField(
        District,
        blank=True,
        related_name="news_items",
        verbose_name=_("districts"),
        help_text=_("Leave empty for news of the whole city."),
    )
    # "Project in faces": a participant of the project tells their story.
    person_name = models.CharField(_("participant's name"), max_length=120, blank=True)
    person_portrait = models.ImageField(
        _("participant's portrait"), upload_to="news/faces/", blank=True
    )
    person_quote = models.TextField(_("quote"), max_length=500, blank=True)
    person_story = models.TextField(_("story"), blank=True)
    is_published = models.BooleanField(_("published"), default=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("news item")
        verbose_name_plural = _("news items")
        ordering = ["-published_at", "-pk"]
        constraints = [
            # A published item has a date: the feeds and the list order by it.
            models.CheckConstraint(
                condition=Q(is_published=False) | Q(published_at__isnull=False),
                name="news_published_has_date",
            )
        ]
        indexes = [
            models.Index(fields=["is_published", "-published_at"], name="news_item_published"),
            models.Index(fields=["kind", "is_published", "-published_at"], name="news_item_kind"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("news:item", kwargs={"slug": self.slug})

    @property
    def is_story(self) -> bool:
        return self.kind == self.Kind.STORY

    @property
    def person_initials(self) -> str:
        return "".join(part[0] for part in self.person_name.split()[:2]).upper()


class Subscription(models.Model):
    """One address's newsletter subscription (one row per address: re-subscribing updates it).

    Nothing is sent before `confirmed_at` (double opt-in); `unsubscribed_at` stops everything.
    Empty topics mean every topic; empty districts mean every district (city-wide news goes to
    every subscriber anyway).
    """

    email = models.EmailField(_("e-mail"), unique=True)
    topics = models.ManyToManyField(
        Tag, blank=True, related_name="subscriptions", verbose_name=_("topics")
    )
    districts = models.ManyToManyField(
        District, blank=True, related_name="news_subscriptions", verbose_name=_("districts")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="news_subscriptions",
        verbose_name=_("person"),
    )
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True)
    last_sent_at = models.DateTimeField(_("last newsletter"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.email

    @property
    def is_active(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None

    @property
    def status(self) -> str:
        if self.unsubscribed_at is not None:
            return "unsubscribed"
        return "confirmed" if self.confirmed_at is not None else "pending"
