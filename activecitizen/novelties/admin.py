"""Novelties in the admin: editors keep novelties and their photos; staff read the ratings with
their feedback, which no public page shows. Ratings and the totals are written only by
`services.rate_novelty`, so both are read-only here."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from activecitizen.novelties import selectors, services
from activecitizen.novelties.models import Novelty, NoveltyPhoto, Rating

TOTALS = (
    "ratings_count",
    "average",
    "stars_sum",
    "stars_5",
    "stars_4",
    "stars_3",
    "stars_2",
    "stars_1",
)


class NoveltyPhotoInline(admin.TabularInline):
    model = NoveltyPhoto
    extra = 1
    fields = ("image", "caption", "position")


@admin.register(Novelty)
class NoveltyAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "category",
        "district",
        "launched_on",
        "is_published",
        "ratings_count",
        "average",
    )
    list_filter = ("is_published", "category", ("district", admin.RelatedOnlyFieldListFilter))
    search_fields = ("title", "description")
    date_hierarchy = "launched_on"
    list_select_related = ("district",)
    readonly_fields = ("created_at", *TOTALS)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "title",
                    "description",
                    "photo",
                    "category",
                    "district",
                    "launched_on",
                    "points",
                    "is_published",
                    "created_at",
                )
            },
        ),
        (_("Ratings"), {"fields": TOTALS}),
    )
    inlines = [NoveltyPhotoInline]

    @admin.display(description=_("average"))
    def average(self, novelty: Novelty):
        return (
            selectors.average_stars(stars_sum=novelty.stars_sum, count=novelty.ratings_count) or "—"
        )

    def save_model(self, request: HttpRequest, obj: Novelty, form, change: bool) -> None:
        services.save_novelty(novelty=obj, is_new=not change)


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    """Read-only: what residents think, with their words for the city's staff."""

    list_display = ("novelty", "stars", "short_feedback", "created_at")
    list_filter = ("stars", "novelty__category")
    search_fields = ("novelty__title", "feedback")
    list_select_related = ("novelty",)
    date_hierarchy = "created_at"
    fields = ("novelty", "user", "stars", "feedback", "created_at")
    readonly_fields = fields

    @admin.display(description=_("feedback"))
    def short_feedback(self, rating: Rating) -> str:
        # The admin escapes it like any value; cut so that one long text keeps the list readable.
        return Truncator(rating.feedback).chars(120) or "—"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Rating]:
        return super().get_queryset(request).select_related("novelty", "user")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Rating | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Rating | None = None) -> bool:
        return False
