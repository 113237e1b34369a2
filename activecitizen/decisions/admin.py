"""The back office of decisions: the decision with its steps and updates; status changes go
through `services.set_status` (the form's "change status" fields or the list's actions), so
the transitions are checked and the poll's voters told exactly as from anywhere else."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from activecitizen.core.errors import DomainError
from activecitizen.decisions import services
from activecitizen.decisions.models import Decision, DecisionStep, DecisionUpdate, Status


class DecisionStepInline(admin.TabularInline):
    model = DecisionStep
    extra = 0
    fields = ["position", "title", "weight", "percent"]


class DecisionUpdateInline(admin.StackedInline):
    model = DecisionUpdate
    extra = 0
    fields = ["text", "photo", "author", "created_at"]
    readonly_fields = ["author", "created_at"]


class DecisionForm(forms.ModelForm):
    new_status = forms.ChoiceField(
        label=_("Change status to"),
        required=False,
        choices=[("", "—"), *Status.choices],
        help_text=_("Planned → in progress → done; any open decision may be cancelled."),
    )
    reason = forms.CharField(
        label=_("Reason for cancelling"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    class Meta:
        model = Decision
        fields = [
            "title",
            "description",
            "category",
            "department",
            "is_published",
            "poll",
            "project",
            "novelty",
            "planned_start",
            "planned_finish",
            "lat",
            "lon",
            "districts",
        ]

    def clean(self):
        cleaned = super().clean()
        wanted = cleaned.get("new_status")
        if wanted:
            current = self.instance.status if self.instance.pk else Status.PLANNED
            try:
                services.check_transition(current, wanted, cleaned.get("reason") or "")
            except DomainError as error:
                field = "reason" if error.field == "reason" else "new_status"
                raise ValidationError({field: str(error)}) from error
        return cleaned


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    form = DecisionForm
    inlines = [DecisionStepInline, DecisionUpdateInline]
    list_display = ["title", "status", "category", "planned_finish", "done_on", "is_published"]
    list_filter = ["status", "category", "is_published", "districts__okrug"]
    search_fields = ["title", "department"]
    autocomplete_fields = ["districts"]
    raw_id_fields = ["poll", "project", "novelty"]
    readonly_fields = ["status", "cancel_reason", "done_on", "created_by", "created_at"]
    actions = ["start_work", "mark_done"]
    fieldsets = [
        (None, {"fields": ["title", "description", "category", "department", "is_published"]}),
        (_("Source"), {"fields": ["poll", "project", "novelty"]}),
        (
            _("Status"),
            {"fields": ["status", "done_on", "cancel_reason", "new_status", "reason"]},
        ),
        (_("Dates"), {"fields": ["planned_start", "planned_finish"]}),
        (_("Place"), {"fields": [("lat", "lon"), "districts"]}),
        (_("Record"), {"fields": ["created_by", "created_at"]}),
    ]

    def save_model(self, request: HttpRequest, obj: Decision, form, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        wanted = form.cleaned_data.get("new_status")
        if wanted:
            try:
                services.set_status(
                    decision=form.instance,
                    status=wanted,
                    by=request.user,
                    reason=form.cleaned_data.get("reason") or "",
                )
            except DomainError as error:
                messages.error(request, str(error))

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        if formset.model is DecisionUpdate:
            # A new update is posted by the service (it checks the editor and the text); an
            # editor may still correct or remove an earlier one here.
            for row in formset.forms:
                if row in formset.deleted_forms or not row.has_changed():
                    continue
                if row.instance.pk is None:
                    try:
                        services.post_update(
                            decision=form.instance,
                            by=request.user,
                            text=row.cleaned_data.get("text", ""),
                            photo=row.cleaned_data.get("photo") or None,
                        )
                    except DomainError as error:
                        messages.error(request, str(error))
                else:
                    row.save()
            for row in formset.deleted_forms:
                if row.instance.pk is not None:
                    row.instance.delete()
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            return
        super().save_formset(request, form, formset, change)

    def _move(self, request: HttpRequest, decisions: QuerySet[Decision], status: str) -> None:
        moved = 0
        for decision in decisions:
            try:
                services.set_status(decision=decision, status=status, by=request.user)
                moved += 1
            except DomainError as error:
                messages.error(request, f"{decision}: {error}")
        if moved:
            messages.success(request, _("%(n)d decisions changed status.") % {"n": moved})

    @admin.action(description=_("Start work (planned → in progress)"), permissions=["change"])
    def start_work(self, request: HttpRequest, decisions: QuerySet[Decision]) -> None:
        self._move(request, decisions, Status.IN_PROGRESS)

    @admin.action(description=_("Mark done (in progress → done)"), permissions=["change"])
    def mark_done(self, request: HttpRequest, decisions: QuerySet[Decision]) -> None:
        self._move(request, decisions, Status.DONE)
