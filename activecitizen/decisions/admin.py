"""The back office of decisions: a decision with its steps and updates, every write done by the
services — `create_decision` and `edit_decision` for its fields and districts, `set_steps` for
the steps, `post_update` for a new update, `set_status` for the status (the form's "change
status" fields or the list's actions) — so the rules and the voters' notices are those of
everywhere else. A service's refusal is shown on the form, at the field or the step it names,
and nothing of the save is kept."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from activecitizen.core.errors import DomainError
from activecitizen.decisions import services
from activecitizen.decisions.models import Decision, DecisionStep, DecisionUpdate, Status

# The decision's own fields, as the form and `create_decision`/`edit_decision` name them.
DECISION_FIELDS = (
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
)
# Where a refusal waits for the page to be built again (see DecisionAdmin.changeform_view).
REFUSAL_ATTRIBUTE = "_decisions_admin_refusal"


@dataclass(frozen=True)
class Refusal:
    """A service's refusal and where the page shows it: the decision's form (`inline` None) or
    an inline's row (`row`, None for the inline as a whole), at `field` if the form has one."""

    message: str
    inline: str | None = None
    row: int | None = None
    field: str | None = None


class Refused(Exception):
    """Raised out of the admin's transaction, so that nothing of the save is kept."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


def _show(form: forms.BaseForm, field: str | None, message: str) -> None:
    form.add_error(field if field in form.fields else None, message)


class RefusalFormSet(BaseInlineFormSet):
    """An inline that shows a service's refusal of its rows when the page is built again."""

    refusal: Refusal | None = None

    def clean(self) -> None:
        super().clean()
        refusal = self.refusal
        if refusal is None:
            return
        if refusal.row is not None and refusal.row < len(self.forms):
            _show(self.forms[refusal.row], refusal.field, refusal.message)
        else:
            raise ValidationError(refusal.message)


class ShowsRefusal:
    """For inlines: their formset shows the refusal meant for them."""

    formset = RefusalFormSet

    def get_formset(self, request: HttpRequest, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        refusal: Refusal | None = getattr(request, REFUSAL_ATTRIBUTE, None)
        if refusal is not None and refusal.inline == formset.get_default_prefix():
            formset = type(formset.__name__, (formset,), {"refusal": refusal})
        return formset


def _no_constraints(exclude=None) -> None:
    return None


class CheckedByServices(forms.ModelForm):
    """A model form that leaves the model's constraints to the services: Django would check
    them while validating, with messages like "Constraint “…” is violated"; the services check
    the same rules when the admin saves, and say what is wrong. The fields' own checks (a
    number, a date, a length) still run here, and the database's constraints stay the last
    line."""

    def _post_clean(self) -> None:
        instance = self.instance  # construct_instance fills this same object
        instance.validate_constraints = _no_constraints  # type: ignore[method-assign]
        try:
            super()._post_clean()
        finally:
            del instance.validate_constraints


class DecisionStepForm(CheckedByServices):
    class Meta:
        model = DecisionStep
        fields = ["position", "title", "weight", "percent"]


class DecisionStepInline(ShowsRefusal, admin.TabularInline):
    model = DecisionStep
    form = DecisionStepForm
    extra = 0
    fields = ["position", "title", "weight", "percent"]


class DecisionUpdateInline(ShowsRefusal, admin.StackedInline):
    model = DecisionUpdate
    extra = 0
    fields = ["text", "photo", "author", "created_at"]
    readonly_fields = ["author", "created_at"]


class DecisionForm(CheckedByServices):
    new_status = forms.ChoiceField(
        label=_("Change status to"),
        required=False,
        choices=[("", "—"), *Status.choices],
        help_text=_("Planned → in progress → done; any open decision may be cancelled."),
    )
    reason = forms.CharField(
        label=_("Reason for cancelling"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    # A service's refusal of the last save, shown when the page is built again.
    refusal: Refusal | None = None

    class Meta:
        model = Decision
        fields = list(DECISION_FIELDS)

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
        if self.refusal is not None:
            _show(self, self.refusal.field, self.refusal.message)
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

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except Refused as refused:
            # Django's transaction around the save is rolled back by now. The page is built
            # again from the same POST, the refusal shown by the form it names: the editor sees
            # the error beside what they typed, and the form being invalid, nothing is saved.
            setattr(request, REFUSAL_ATTRIBUTE, refused.refusal)
            for _name, files in request.FILES.lists():
                for upload in files:
                    upload.seek(0)  # the first pass may have stored it before the refusal
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        refusal: Refusal | None = getattr(request, REFUSAL_ATTRIBUTE, None)
        if refusal is not None and refusal.inline is None:
            form = type(form.__name__, (form,), {"refusal": refusal})
        return form

    def save_model(self, request: HttpRequest, obj: Decision, form, change: bool) -> None:
        """The decision's fields and districts, written by the service (`obj` is the form's
        instance: the rest of the admin's save reads it)."""
        data = {name: form.cleaned_data[name] for name in DECISION_FIELDS if name in form.fields}
        try:
            if change:
                services.edit_decision(decision=obj, by=request.user, **data)
            else:
                created = services.create_decision(by=request.user, **data)
                obj.pk = created.pk
                obj._state.adding = False
                obj.refresh_from_db()
        except DomainError as error:
            raise Refused(Refusal(str(error), field=error.field)) from error

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        # No form.save_m2m(): the districts were set by the service in save_model.
        for formset in formsets:
            self.save_formset(request, form, formset, change)
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
                field = "reason" if error.field == "reason" else "new_status"
                raise Refused(Refusal(str(error), field=field)) from error

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        if formset.model is DecisionStep:
            self._save_steps(request, form.instance, formset)
        elif formset.model is DecisionUpdate:
            self._save_updates(request, form.instance, formset)
        else:
            super().save_formset(request, form, formset, change)

    def _save_steps(self, request: HttpRequest, decision: Decision, formset) -> None:
        """The steps as the inline shows them, set together by `services.set_steps` (a step
        left out or marked for deletion is removed); its error names the step by its place
        in the list given, which is mapped back to the row."""
        rows = [
            (index, row)
            for index, row in enumerate(formset.forms)
            if row not in formset.deleted_forms
            and row.cleaned_data
            and (row.instance.pk is not None or row.has_changed())
        ]
        steps = [
            services.StepInput(
                title=row.cleaned_data["title"],
                weight=row.cleaned_data["weight"],
                percent=row.cleaned_data["percent"],
                position=row.cleaned_data["position"],
                step_id=row.instance.pk,
            )
            for _index, row in rows
        ]
        try:
            services.set_steps(decision=decision, steps=steps, by=request.user)
        except DomainError as error:
            raise Refused(_step_refusal(error, [index for index, _row in rows])) from error
        # The admin's history entry reads these; the service, not the formset, wrote the rows.
        formset.new_objects = [row.instance for _i, row in rows if row.instance.pk is None]
        formset.changed_objects = [
            (row.instance, row.changed_data)
            for _i, row in rows
            if row.instance.pk is not None and row.has_changed()
        ]
        formset.deleted_objects = [
            row.instance for row in formset.deleted_forms if row.instance.pk is not None
        ]

    def _save_updates(self, request: HttpRequest, decision: Decision, formset) -> None:
        # A new update is posted by the service (it checks the editor and the text); an editor
        # may still correct or remove an earlier one here.
        for index, row in enumerate(formset.forms):
            if row in formset.deleted_forms or not row.has_changed():
                continue
            if row.instance.pk is None:
                try:
                    services.post_update(
                        decision=decision,
                        by=request.user,
                        text=row.cleaned_data.get("text", ""),
                        photo=row.cleaned_data.get("photo") or None,
                    )
                except DomainError as error:
                    refusal = Refusal(str(error), inline="updates", row=index, field=error.field)
                    raise Refused(refusal) from error
            else:
                row.save()
        for row in formset.deleted_forms:
            if row.instance.pk is not None:
                row.instance.delete()
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

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


def _step_refusal(error: DomainError, rows: list[int]) -> Refusal:
    """Where `set_steps`'s error goes: "steps.<n>.<field>" is the n-th step given, i.e. the
    row `rows[n]` of the inline; any other field is about the steps as a whole."""
    parts = (error.field or "").split(".")
    if len(parts) == 3 and parts[0] == "steps" and parts[1].isdigit() and int(parts[1]) < len(rows):
        return Refusal(str(error), inline="steps", row=rows[int(parts[1])], field=parts[2])
    return Refusal(str(error), inline="steps")
