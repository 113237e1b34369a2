"""Staff see the logs, their checkpoints and witnesses' cosignatures; nobody edits them here
(the sealer writes them, and on PostgreSQL triggers refuse any change)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from activecitizen.transparency.models import Checkpoint, Cosignature, Log
from activecitizen.transparency.services import oldest_unsealed_age


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class CheckpointInline(admin.TabularInline):
    model = Checkpoint
    fields = ["size", "created_at", "note"]
    readonly_fields = fields
    ordering = ["-size"]
    extra = 0
    max_num = 0
    show_change_link = True

    def get_queryset(self, request):
        # The latest few: a busy log signs a checkpoint every second.
        latest = Checkpoint.objects.filter(log_id=request.resolver_match.kwargs.get("object_id"))
        ids = list(latest.order_by("-size").values_list("pk", flat=True)[:20])
        return super().get_queryset(request).filter(pk__in=ids)


@admin.register(Log)
class LogAdmin(ReadOnlyAdmin):
    list_display = ["origin", "origin_id", "kind", "size", "created_at"]
    list_filter = ["kind"]
    search_fields = ["origin", "origin_id"]
    fields = ["origin", "origin_id", "kind", "size", "root_hex", "created_at", "queue"]
    readonly_fields = fields
    inlines = [CheckpointInline]

    @admin.display(description=_("root hash"))
    def root_hex(self, obj: Log) -> str:
        return bytes(obj.root).hex()

    @admin.display(description=_("oldest unsealed ballot (any log)"))
    def queue(self, obj: Log) -> str:
        return _("%(s).1f s") % {"s": oldest_unsealed_age()}


class CosignatureInline(admin.TabularInline):
    model = Cosignature
    fields = ["witness", "timestamp", "received_at", "line"]
    readonly_fields = fields
    extra = 0
    max_num = 0


@admin.register(Checkpoint)
class CheckpointAdmin(ReadOnlyAdmin):
    list_display = ["log", "size", "created_at"]
    list_select_related = ["log"]
    search_fields = ["log__origin"]
    fields = ["log", "size", "created_at", "note"]
    readonly_fields = fields
    inlines = [CosignatureInline]
    show_full_result_count = False
