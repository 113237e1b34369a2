"""The back office of the news: items (with an image preview), tags, and the newsletter's
subscriptions, read only, with how many are pending, confirmed and unsubscribed."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from activecitizen.news import selectors
from activecitizen.news.models import NewsItem, Subscription, Tag


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(NewsItem)
class NewsItemAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "is_published", "published_at"]
    list_filter = ["kind", "is_published", "tags"]
    search_fields = ["title", "lead"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["tags", "districts"]
    readonly_fields = ["image_preview", "portrait_preview", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["kind", "title", "slug", "lead", "body"]}),
        (_("Image"), {"fields": ["image", "image_alt", "image_preview"]}),
        (_("Where and what about"), {"fields": ["tags", "districts"]}),
        (
            _("Project in faces"),
            {
                "fields": [
                    "person_name",
                    "person_portrait",
                    "portrait_preview",
                    "person_quote",
                    "person_story",
                ],
                "description": _("Only for stories of the kind “Project in faces”."),
            },
        ),
        (
            _("Publication"),
            {"fields": ["is_published", "published_at", "created_at", "updated_at"]},
        ),
    ]

    @admin.display(description=_("preview"))
    def image_preview(self, item: NewsItem) -> str:
        if not item.image:
            return "—"
        return format_html(
            '<img src="{}" alt="{}" style="max-width:240px">', item.image.url, item.image_alt
        )

    @admin.display(description=_("portrait preview"))
    def portrait_preview(self, item: NewsItem) -> str:
        if not item.person_portrait:
            return "—"
        return format_html(
            '<img src="{}" alt="" style="max-width:120px">', item.person_portrait.url
        )


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    """Read only: subscriptions change only through their owners' signed links."""

    list_display = ["email", "status_label", "created_at", "confirmed_at", "unsubscribed_at"]
    list_filter = [
        ("confirmed_at", admin.EmptyFieldListFilter),
        ("unsubscribed_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["email"]
    fields = [
        "email",
        "topics",
        "districts",
        "user",
        "created_at",
        "confirmed_at",
        "unsubscribed_at",
        "last_sent_at",
    ]
    readonly_fields = fields

    @admin.display(description=_("status"))
    def status_label(self, subscription: Subscription) -> str:
        labels = {
            "pending": _("awaiting confirmation"),
            "confirmed": _("confirmed"),
            "unsubscribed": _("unsubscribed"),
        }
        return str(labels[subscription.status])

    def changelist_view(self, request, extra_context=None):
        counts = selectors.subscription_counts()
        self.message_user(
            request,
            _(
                "Awaiting confirmation: %(pending)d · confirmed: %(confirmed)d · "
                "unsubscribed: %(unsubscribed)d"
            )
            % counts,
        )
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
