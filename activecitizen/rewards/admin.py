"""Points in the admin: status levels to edit; accounts and the ledger to read, never to edit.

A balance is corrected only through `adjust_points` (the "Correct a balance" form), which adds
an ADJUSTMENT entry and records who made it and why.
"""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from activecitizen.accounts.models import User
from activecitizen.accounts.phones import normalize_phone
from activecitizen.core.errors import DomainError
from activecitizen.rewards import services
from activecitizen.rewards.models import Adjustment, LedgerEntry, PointsAccount, StatusLevel


class PhoneSearchMixin:
    """Staff type numbers the way people say them: "8 916 123-45-67" finds +79161234567."""

    phone_lookup = "user__phone"

    def get_search_results(self, request, queryset, search_term):
        found, may_have_duplicates = super().get_search_results(  # type: ignore[misc]
            request, queryset, search_term
        )
        try:
            phone = normalize_phone(search_term)
        except DomainError:
            return found, may_have_duplicates
        return found | queryset.filter(**{self.phone_lookup: phone}), True


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by services: staff with the view permission may look, nobody edits."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StatusLevel)
class StatusLevelAdmin(admin.ModelAdmin):
    list_display = ["name_ru", "name_en", "code", "min_lifetime_points"]
    search_fields = ["code", "name_ru", "name_en"]
    ordering = ["min_lifetime_points"]


class AdjustmentForm(forms.Form):
    phone = forms.CharField(label=_("Phone"), max_length=32)
    amount = forms.IntegerField(
        label=_("Points"),
        min_value=-services.ADJUSTMENT_LIMIT,
        max_value=services.ADJUSTMENT_LIMIT,
        help_text=_("Positive to add points, negative to take them away."),
    )
    note = forms.CharField(
        label=_("Why"),
        max_length=services.NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept with the correction for audits; the person does not see it."),
    )
    # One token per rendered form: submitting the same form twice corrects once.
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def clean_phone(self) -> User:
        try:
            phone = normalize_phone(self.cleaned_data["phone"])
        except DomainError as error:
            raise forms.ValidationError(str(error.message)) from error
        person = User.objects.filter(phone=phone).first()
        if person is None:
            raise forms.ValidationError(gettext("Nobody has signed up with this phone."))
        return person

    def clean_amount(self) -> int:
        amount = self.cleaned_data["amount"]
        if amount == 0:
            raise forms.ValidationError(gettext("A correction of 0 points changes nothing."))
        return amount


@admin.register(PointsAccount)
class PointsAccountAdmin(PhoneSearchMixin, ReadOnlyAdmin):
    list_display = ["user", "balance", "lifetime", "status", "updated_at"]
    search_fields = ["user__phone", "user__last_name", "user__first_name"]
    list_select_related = ["user"]
    ordering = ["-updated_at"]
    fields = ["user", "balance", "lifetime", "status", "updated_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        # The status in the same query as the account: one query per page, not one per row.
        reached = StatusLevel.objects.filter(
            min_lifetime_points__lte=OuterRef("lifetime")
        ).order_by("-min_lifetime_points")
        return (
            super()
            .get_queryset(request)
            .annotate(
                status_ru=Subquery(reached.values("name_ru")[:1]),
                status_en=Subquery(reached.values("name_en")[:1]),
            )
        )

    @admin.display(description=_("status"))
    def status(self, account: PointsAccount) -> str:
        ru, en = getattr(account, "status_ru", None), getattr(account, "status_en", None)
        return StatusLevel(name_ru=ru or "", name_en=en or "").name if ru else "—"

    def get_urls(self):
        adjust = self.admin_site.admin_view(self.adjust_view)
        return [
            path("adjust/", adjust, name="rewards_pointsaccount_adjust"),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, *args, **kwargs):
        context["can_adjust"] = request.user.has_perm("rewards.adjust_points")
        return super().render_change_form(request, context, *args, **kwargs)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_adjust": request.user.has_perm("rewards.adjust_points"),
        }
        return super().changelist_view(request, extra_context)

    def adjust_view(self, request: HttpRequest) -> HttpResponse:
        """The "Correct a balance" form; `?phone=` fills in the person."""
        if not request.user.has_perm("rewards.adjust_points"):
            raise PermissionDenied
        initial = {"phone": request.GET.get("phone", ""), "token": uuid.uuid4().hex}
        form = AdjustmentForm(request.POST or None, initial=initial)
        status = 200
        if request.method == "POST":
            status = 422
            if form.is_valid():
                person = form.cleaned_data["phone"]
                try:
                    services.adjust_points(
                        user_id=person.pk,
                        amount=form.cleaned_data["amount"],
                        by=request.user,
                        note=form.cleaned_data["note"],
                        idempotency_key=f"admin:{form.cleaned_data['token']}",
                    )
                except DomainError as error:
                    field = error.field if error.field in form.fields else None
                    form.add_error(field, str(error.message))
                    status = error.status
                else:
                    self.message_user(
                        request,
                        gettext("The balance of %(person)s is corrected.") % {"person": person},
                        messages.SUCCESS,
                    )
                    return redirect(reverse("admin:rewards_pointsaccount_change", args=[person.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Correct a balance"),
            "form": form,
        }
        return TemplateResponse(
            request, "admin/rewards/pointsaccount/adjust.html", context, status=status
        )


@admin.register(LedgerEntry)
class LedgerEntryAdmin(PhoneSearchMixin, ReadOnlyAdmin):
    phone_lookup = "account__user__phone"
    list_display = ["created_at", "account", "amount", "reason", "reference"]
    list_filter = ["reason"]
    date_hierarchy = "created_at"
    search_fields = ["account__user__phone", "reference", "=idempotency_key"]
    list_select_related = ["account__user"]
    fields = [
        "account",
        "amount",
        "reason",
        "reference",
        "idempotency_key",
        "created_at",
        "correction",
    ]
    readonly_fields = fields

    @admin.display(description=_("correction"))
    def correction(self, entry: LedgerEntry) -> str:
        adjustment = Adjustment.objects.filter(entry=entry).select_related("made_by").first()
        if adjustment is None:
            return "—"
        return f"{adjustment.made_by}: {adjustment.note}"


@admin.register(Adjustment)
class AdjustmentAdmin(PhoneSearchMixin, ReadOnlyAdmin):
    phone_lookup = "entry__account__user__phone"
    list_display = ["created_at", "account", "amount", "made_by", "note"]
    search_fields = ["entry__account__user__phone", "made_by__phone", "note"]
    list_select_related = ["entry__account__user", "made_by"]
    fields = ["entry", "made_by", "note", "created_at"]
    readonly_fields = fields

    @admin.display(description=_("account"))
    def account(self, adjustment: Adjustment) -> PointsAccount:
        return adjustment.entry.account

    @admin.display(description=_("points"))
    def amount(self, adjustment: Adjustment) -> int:
        return adjustment.entry.amount
