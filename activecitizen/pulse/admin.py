"""The back office of Pulse of the capital: facilities (with their responsible staff and map
coordinates), aspects, ratings (read only), and the comment moderation queue.

A facility's responsible staff (staff accounts without the editors' permissions) see only
their own facilities and those facilities' ratings; only moderators publish or reject comments,
through `services.moderate_comment`, which checks the role again.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from activecitizen.core.errors import DomainError
from activecitizen.pulse import services
from activecitizen.pulse.models import Aspect, CommentToModerate, Facility, FacilityRating


def _responsible_scope(request: HttpRequest) -> set[int] | None:
    """The facilities a staff member is responsible for, or None when they see all of them
    (superusers and anyone holding the permission through a role)."""
    user = request.user
    if user.is_superuser or user.has_perm("pulse.view_facility"):
        return None
    if not hasattr(request, "_pulse_scope"):
        request._pulse_scope = set(  # type: ignore[attr-defined]
            Facility.objects.filter(responsible=user).values_list("pk", flat=True)
        )
    return request._pulse_scope  # type: ignore[attr-defined]


class ResponsibleScopedAdmin(admin.ModelAdmin):
    """Everything for roles with the permission; for a facility's staff, only its rows (a row
    outside their scope is a 404, exactly as one that does not exist)."""

    facility_lookup = "facility"

    def _scope(self, request: HttpRequest) -> set[int] | None:
        if not request.user.is_active or not request.user.is_staff:
            return set()
        return _responsible_scope(request)

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        scope = self._scope(request)
        if scope is None:
            return rows
        return rows.filter(**{f"{self.facility_lookup}__in": scope})

    def get_object(self, request, object_id, from_field=None):
        found = super().get_object(request, object_id, from_field)
        if found is None:
            raise Http404(gettext("There is no such row, or it is not one of your facilities."))
        return found

    def has_module_permission(self, request) -> bool:
        return super().has_module_permission(request) or bool(self._scope(request))

    def has_view_permission(self, request, obj=None) -> bool:
        return super().has_view_permission(request, obj) or bool(self._scope(request))


@admin.register(Facility)
class FacilityAdmin(ResponsibleScopedAdmin):
    facility_lookup = "pk"
    list_display = ["name", "category", "district", "ratings_count", "is_active"]
    list_filter = ["category", "is_active", "district__okrug"]
    search_fields = ["name", "address"]
    autocomplete_fields = ["district"]
    filter_horizontal = ["responsible"]
    readonly_fields = ["ratings_count", "score_sum", "created_at"]
    fieldsets = [
        (None, {"fields": ["name", "category", "is_active"]}),
        (_("Where"), {"fields": ["address", "district", ("lat", "lon")]}),
        (_("Responsible staff"), {"fields": ["responsible"]}),
        (_("Ratings"), {"fields": ["ratings_count", "score_sum", "created_at"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("district")


@admin.register(Aspect)
class AspectAdmin(admin.ModelAdmin):
    list_display = ["category", "code", "name_ru", "name_en", "position"]
    list_filter = ["category"]
    ordering = ["category", "position"]


class ReadOnlyRatingAdmin(ResponsibleScopedAdmin):
    list_display = ["facility", "score", "comment_status", "month", "created_at"]
    list_filter = ["comment_status", "facility__category"]
    search_fields = ["facility__name"]
    list_select_related = ["facility"]
    date_hierarchy = "created_at"
    # The resident is not shown: staff judge the words, not the person.
    fields = [
        "facility",
        "score",
        "aspects",
        "comment",
        "comment_status",
        "month",
        "created_at",
        "moderated_by",
        "moderated_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FacilityRating)
class FacilityRatingAdmin(ReadOnlyRatingAdmin):
    pass


@admin.register(CommentToModerate)
class CommentToModerateAdmin(ReadOnlyRatingAdmin):
    list_display = ["comment_excerpt", "facility", "score", "created_at"]
    list_filter = ["facility__category"]
    ordering = ["created_at"]
    actions = ["publish", "reject"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(comment_status=FacilityRating.CommentStatus.PENDING)
        )

    def _scope(self, request: HttpRequest) -> set[int] | None:
        # The queue is the moderators' (and superusers'): facility staff do not see it.
        return set() if not services.may_moderate(request.user) else None

    def has_module_permission(self, request) -> bool:
        return services.may_moderate(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return services.may_moderate(request.user)

    def has_moderate_permission(self, request) -> bool:
        return services.may_moderate(request.user)

    @admin.display(description=_("comment"))
    def comment_excerpt(self, rating: FacilityRating) -> str:
        return rating.comment if len(rating.comment) <= 120 else rating.comment[:119] + "…"

    def _decide(self, request: HttpRequest, queryset: QuerySet, decision: str) -> None:
        done, refused = 0, 0
        for rating in queryset:
            try:
                services.moderate_comment(rating=rating.pk, decision=decision, by=request.user)
            except DomainError:
                refused += 1
            else:
                done += 1
        self.message_user(
            request,
            ngettext("%(n)d comment decided.", "%(n)d comments decided.", done) % {"n": done},
            messages.SUCCESS,
        )
        if refused:
            self.message_user(
                request,
                gettext("%(n)d were already decided by someone else.") % {"n": refused},
                messages.WARNING,
            )

    @admin.action(description=_("Publish the selected comments"), permissions=["moderate"])
    def publish(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._decide(request, queryset, "publish")

    @admin.action(description=_("Reject the selected comments"), permissions=["moderate"])
    def reject(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._decide(request, queryset, "reject")
