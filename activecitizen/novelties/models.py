"""City novelties that residents try and rate from 1 to 5 stars, once per person."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

STARS = (1, 2, 3, 4, 5)
FEEDBACK_MAX = 500
DEFAULT_POINTS = 3  # DESIGN.md: rating a city novelty gives +3 points


class Novelty(models.Model):
    """An innovation the city launched, with the running totals of its ratings.

    The totals (count, sum, count per star) are moved by `services.rate_novelty` in the same
    transaction as the rating, so that lists and pages never scan the ratings; constraints keep
    them consistent with one another.
    """

    class Category(models.TextChoices):
        TRANSPORT = "transport", _("transport")
        PARKS = "parks", _("parks")
        HEALTHCARE = "healthcare", _("healthcare")
        CULTURE = "culture", _("culture")
        DIGITAL_SERVICES = "digital_services", _("digital services")
        HOUSING = "housing", _("housing")
        EDUCATION = "education", _("education")
        ECOLOGY = "ecology", _("ecology")
        CITY_LIFE = "city_life", _("city life")

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    photo = models.ImageField(_("main photo"), upload_to="novelties/", blank=True)
    category = models.CharField(_("category"), max_length=30, choices=Category.choices)
    district = models.ForeignKey(
        "geo.District",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="novelties",
        verbose_name=_("district"),
        help_text=_("Empty: the novelty is for all of the city."),
    )
    launched_on = models.DateField(_("launch date"))
    points = models.PositiveSmallIntegerField(_("points for a rating"), default=DEFAULT_POINTS)
    is_published = models.BooleanField(_("published"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    ratings_count = models.PositiveIntegerField(_("ratings"), default=0, editable=False)
    stars_sum = models.PositiveBigIntegerField(_("sum of stars"), default=0, editable=False)
    stars_1 = models.PositiveIntegerField(_("1 star"), default=0, editable=False)
    stars_2 = models.PositiveIntegerField(_("2 stars"), default=0, editable=False)
    stars_3 = models.PositiveIntegerField(_("3 stars"), default=0, editable=False)
    stars_4 = models.PositiveIntegerField(_("4 stars"), default=0, editable=False)
    stars_5 = models.PositiveIntegerField(_("5 stars"), default=0, editable=False)

    class Meta:
        verbose_name = _("city novelty")
        verbose_name_plural = _("city novelties")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["is_published", "-created_at"], name="novelty_published_new"),
            models.Index(fields=["category", "-created_at"], name="novelty_category_new"),
        ]
        constraints = [
            # The totals can only be moved together; a partial update is refused.
            models.CheckConstraint(
                condition=Q(
                    ratings_count=F("stars_1")
                    + F("stars_2")
                    + F("stars_3")
                    + F("stars_4")
                    + F("stars_5")
                ),
                name="novelty_count_is_sum_of_stars",
            ),
            models.CheckConstraint(
                condition=Q(
                    stars_sum=F("stars_1")
                    + 2 * F("stars_2")
                    + 3 * F("stars_3")
                    + 4 * F("stars_4")
                    + 5 * F("stars_5")
                ),
                name="novelty_sum_matches_stars",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def star_counts(self) -> dict[int, int]:
        return {n: getattr(self, f"stars_{n}") for n in STARS}


class NoveltyPhoto(models.Model):
    """One more photo of a novelty, after the main one."""

    novelty = models.ForeignKey(
        Novelty, on_delete=models.CASCADE, related_name="photos", verbose_name=_("novelty")
    )
    image = models.ImageField(_("photo"), upload_to="novelties/")
    caption = models.CharField(
        _("caption"), max_length=200, blank=True, help_text=_("What the photo shows.")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.caption or self.image.name or ""


class Rating(models.Model):
    """A person's stars for a novelty. One per person, refused a second time by the database."""

    novelty = models.ForeignKey(
        Novelty, on_delete=models.PROTECT, related_name="ratings", verbose_name=_("novelty")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="novelty_ratings",
        verbose_name=_("person"),
    )
    stars = models.PositiveSmallIntegerField(_("stars"))
    # For the city's staff only: never shown on public pages or in the public API.
    feedback = models.CharField(_("feedback"), max_length=FEEDBACK_MAX, blank=True)
    # The client's key: a retry with it is answered with this rating, not refused.
    idempotency_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["novelty", "-created_at"], name="rating_novelty_new")]
        constraints = [
            models.UniqueConstraint(fields=["user", "novelty"], name="rating_once_per_person"),
            models.CheckConstraint(
                condition=Q(stars__gte=1) & Q(stars__lte=5), name="rating_stars_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.novelty_id}: {self.stars}★"
