"""Pulse of the capital: city facilities, the aspects residents rate them on, their ratings, and
the monthly aggregates that the rankings read instead of scanning ratings."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from activecitizen.core.models import LocalizedNameMixin
from activecitizen.geo.models import District

SCORE_MIN = 1
SCORE_MAX = 5
COMMENT_MAX_LENGTH = 1000


class Category(models.TextChoices):
    PARK = "park", _("park")
    CLINIC = "clinic", _("clinic")
    LIBRARY = "library", _("library")
    SERVICE_CENTRE = "service_centre", _("public service centre (MFC)")
    SCHOOL = "school", _("school")
    TRANSPORT_HUB = "transport_hub", _("transport hub")
    SPORTS_CENTRE = "sports_centre", _("sports centre")
    THEATRE_MUSEUM = "theatre_museum", _("theatre or museum")


class Facility(models.Model):
    """A place residents use and rate: a park, a clinic, a library, a public service centre …

    `ratings_count` and `score_sum` are running totals kept by `services.rate_facility` in the
    rating's own transaction, so that rankings never scan the ratings.
    """

    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    address = models.CharField(_("address"), max_length=300)
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="facilities", verbose_name=_("district")
    )
    lat = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    lon = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)
    is_active = models.BooleanField(_("active"), default=True)
    responsible = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="pulse_facilities",
        verbose_name=_("responsible staff"),
        help_text=_("Staff who see this facility's dashboard and its ratings in the admin."),
    )
    ratings_count = models.PositiveIntegerField(_("ratings"), default=0, editable=False)
    score_sum = models.PositiveBigIntegerField(_("sum of scores"), default=0, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        ordering = ["name"]
        indexes = [
            models.Index(fields=["category", "name"], name="pulse_facility_category_name"),
            models.Index(fields=["district", "category"], name="pulse_facility_district_cat"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def average(self) -> float | None:
        return self.score_sum / self.ratings_count if self.ratings_count else None


class Aspect(LocalizedNameMixin, models.Model):
    """Something residents score a facility of one category on: cleanliness, staff, waiting …"""

    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    code = models.SlugField(_("code"), max_length=40)
    name_ru = models.CharField(_("name (Russian)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("aspect")
        verbose_name_plural = _("aspects")
        ordering = ["category", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="pulse_aspect_unique_code")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_category_display()})"


class FacilityRating(models.Model):
    """One person's rating of a facility in one calendar month (the database refuses a second).

    `aspects` is {aspect code: 1..5} for some of the category's aspects, checked by the service.
    The comment is shown to others only once a moderator has published it.
    """

    class CommentStatus(models.TextChoices):
        NONE = "none", _("no comment")
        PENDING = "pending", _("awaiting moderation")
        PUBLISHED = "published", _("published")
        REJECTED = "rejected", _("rejected")

    facility = models.ForeignKey(
        Facility, on_delete=models.CASCADE, related_name="ratings", verbose_name=_("facility")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="facility_ratings",
        verbose_name=_("resident"),
    )
    score = models.PositiveSmallIntegerField(_("score"))
    aspects = models.JSONField(_("aspect scores"), default=dict, blank=True)
    comment = models.TextField(_("comment"), max_length=COMMENT_MAX_LENGTH, blank=True)
    comment_status = models.CharField(
        _("comment status"),
        max_length=10,
        choices=CommentStatus.choices,
        default=CommentStatus.NONE,
    )
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("moderated by"),
    )
    moderated_at = models.DateTimeField(_("moderated"), null=True, blank=True)
    month = models.DateField(_("month"), help_text=_("The first day of the rating's month."))
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("facility rating")
        verbose_name_plural = _("facility ratings")
        ordering = ["-created_at"]
        permissions = [("moderate_facilityrating", _("Can publish or reject rating comments"))]
        constraints = [
            # Once per facility per person per calendar month: the database decides, race-safe.
            models.UniqueConstraint(
                fields=["facility", "user", "month"], name="pulse_one_rating_per_month"
            ),
            models.CheckConstraint(
                condition=Q(score__gte=SCORE_MIN, score__lte=SCORE_MAX),
                name="pulse_rating_score_1_to_5",
            ),
        ]
        indexes = [
            # The facility page's published comments, newest first; the dashboard's pending count.
            models.Index(
                fields=["facility", "comment_status", "-created_at"],
                name="pulse_rating_comments",
            ),
            # The moderation queue.
            models.Index(fields=["comment_status", "created_at"], name="pulse_rating_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.facility} · {self.score}/5 · {self.month:%Y-%m}"


class FacilityMonth(models.Model):
    """A facility's ratings of one month, summed: the trend and the rankings read these."""

    facility = models.ForeignKey(
        Facility, on_delete=models.CASCADE, related_name="months", verbose_name=_("facility")
    )
    month = models.DateField(_("month"))
    ratings_count = models.PositiveIntegerField(_("ratings"), default=0)
    score_sum = models.PositiveBigIntegerField(_("sum of scores"), default=0)

    class Meta:
        verbose_name = _("facility month")
        verbose_name_plural = _("facility months")
        constraints = [
            models.UniqueConstraint(fields=["facility", "month"], name="pulse_month_unique")
        ]

    def __str__(self) -> str:
        return f"{self.facility_id} · {self.month:%Y-%m}"


class FacilityMonthAspect(models.Model):
    """One aspect's scores of a facility in one month, summed (only ratings that scored it)."""

    facility = models.ForeignKey(
        Facility, on_delete=models.CASCADE, related_name="aspect_months", verbose_name=_("facility")
    )
    month = models.DateField(_("month"))
    aspect_code = models.SlugField(_("aspect"), max_length=40)
    ratings_count = models.PositiveIntegerField(_("ratings"), default=0)
    score_sum = models.PositiveBigIntegerField(_("sum of scores"), default=0)

    class Meta:
        verbose_name = _("facility month's aspect")
        verbose_name_plural = _("facility months' aspects")
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "month", "aspect_code"], name="pulse_month_aspect_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.facility_id} · {self.month:%Y-%m} · {self.aspect_code}"


class CommentToModerate(FacilityRating):
    """The moderation queue in the admin: ratings whose comment waits for a moderator."""

    class Meta:
        proxy = True
        verbose_name = _("comment to moderate")
        verbose_name_plural = _("comments to moderate")
