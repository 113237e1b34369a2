"""Points and the shop in the admin: status levels to edit; accounts and the ledger to read,
never to edit; partners, issue points, rewards, campaigns for staff to keep; orders to look at.

A balance is corrected only through `adjust_points` (the "Correct a balance" form), which adds
an ADJUSTMENT entry and records who made it and why. Orders, their events, donations and promo
codes already given out are written only by the shop's services.

A partner's manager sees only their partners' rows (see `partner_scope`); city staff see all.
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Greatest
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from activecitizen.accounts.models import User
from activecitizen.accounts.phones import normalize_phone
from activecitizen.core.errors import DomainError
from activecitizen.core.uploads import read_uploaded_text
from activecitizen.geo.models import District
from activecitizen.geo.selectors import district_at
from activecitizen.rewards import selectors, services
from activecitizen.rewards.models import (
    Adjustment,
    Campaign,
    Donation,
    IssuePoint,
    LedgerEntry,
    Order,
    OrderEvent,
    Partner,
    PartnerMember,
    PointsAccount,
    PromoCode,
    Reward,
    StatusLevel,
    Stock,
)
from activecitizen.rewards.reports import may_download_partner_report, report_bounds


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


# --- The shop: who sees what ---------------------------------------------------------------------

CITY_WIDE_PERMISSION = "rewards.view_partner_report"


def partner_scope(user) -> set[int] | None:
    """The partners whose shop rows a staff member may see in the admin; None: every partner.

    Superusers and city staff holding "Can download partner reports" (editors, auditors) see
    every partner; anyone else sees only the active partners they manage, and nothing when they
    manage none, so a wrongly granted model permission still shows no other partner's rows.
    """
    if user.is_superuser or user.has_perm(CITY_WIDE_PERMISSION):
        return None
    return set(selectors.partners_of(user.pk, role=PartnerMember.Role.MANAGER))


def _scope(request: HttpRequest) -> set[int] | None:
    if not hasattr(request, "_shop_partner_scope"):
        request._shop_partner_scope = partner_scope(request.user)  # type: ignore[attr-defined]
    return request._shop_partner_scope  # type: ignore[attr-defined]


class PartnerScopedAdmin(admin.ModelAdmin):
    """Rows limited to the partners in the staff member's scope, and so are the choices of
    partner, issue point and reward in its forms. A row outside the scope is a 404, exactly as a
    row that does not exist, so a manager cannot even learn which ids other partners use."""

    partner_lookup = "partner"  # the path from a row to its partner's id

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        scope = _scope(request)
        if scope is None:
            return rows
        return rows.filter(**{f"{self.partner_lookup}__in": scope})

    def get_object(self, request, object_id, from_field=None):
        found = super().get_object(request, object_id, from_field)
        if found is None:
            raise Http404(gettext("There is no such row, or it belongs to another partner."))
        return found

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        limited = scoped_choices(db_field.related_model, _scope(request))
        if limited is not None:
            kwargs["queryset"] = limited
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def scoped_choices(model, scope: set[int] | None) -> QuerySet | None:
    """Choices of a partner-bound model within the scope; None when the model is not bound."""
    if model is Partner:
        rows: QuerySet = Partner.objects.all()
        return rows if scope is None else rows.filter(pk__in=scope)
    if model is IssuePoint:
        rows = IssuePoint.objects.select_related("partner")
        return rows if scope is None else rows.filter(partner__in=scope)
    if model is Reward:
        rows = Reward.objects.select_related("partner")
        return rows if scope is None else rows.filter(partner__in=scope)
    return None


class ShopReadOnlyAdmin(PartnerScopedAdmin, ReadOnlyAdmin):
    """Rows only the shop's services write (orders, their events, donations)."""


def report_url(partner_id: int, **params: str) -> str:
    url = reverse("rewards:partner_report", args=[partner_id])
    wanted = {k: v for k, v in params.items() if v}
    return f"{url}?{urlencode(wanted)}" if wanted else url


# --- Partners ----------------------------------------------------------------------------------


class PartnerMemberInline(admin.TabularInline):
    model = PartnerMember
    extra = 0
    raw_id_fields = ["user"]
    fields = ["user", "role", "can_sign_in_to_admin"]
    readonly_fields = ["can_sign_in_to_admin"]
    verbose_name_plural = _("staff: managers keep the catalogue, cashiers issue vouchers")

    @admin.display(description=_("can open the admin"), boolean=True)
    def can_sign_in_to_admin(self, member: PartnerMember) -> bool | None:
        if member.pk is None:
            return None
        if member.role != PartnerMember.Role.MANAGER:
            return None
        return bool(member.user.is_active and member.user.is_staff)


class ReportPeriodForm(forms.Form):
    since = forms.DateField(
        label=_("Orders from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("to (inclusive)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError(gettext("The period ends before it starts."))
        return data


@admin.register(Partner)
class PartnerAdmin(PartnerScopedAdmin):
    partner_lookup = "pk"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["name", "kind", "is_active", "issue_point_count", "reward_count", "donated"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "contact_name", "phone", "email"]
    inlines = [PartnerMemberInline]
    actions = ["open_report"]
    fieldsets = [
        (None, {"fields": ["name", "kind", "description", "is_active"]}),
        (_("Contacts"), {"fields": ["contact_name", "phone", "email", "website"]}),
        (
            _("In the shop"),
            {"fields": ["issue_points_link", "rewards_link", "report_link", "donated"]},
        ),
    ]
    readonly_fields = ["issue_points_link", "rewards_link", "report_link", "donated"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                issue_point_total=Count("issue_points", distinct=True),
                reward_total=Count("rewards", distinct=True),
            )
        )

    @admin.display(description=_("issue points"), ordering="issue_point_total")
    def issue_point_count(self, partner: Partner) -> int:
        return getattr(partner, "issue_point_total", 0)

    @admin.display(description=_("rewards"), ordering="reward_total")
    def reward_count(self, partner: Partner) -> int:
        return getattr(partner, "reward_total", 0)

    @admin.display(description=_("points received"))
    def donated(self, partner: Partner) -> str:
        # Only a charity receives points; it moves with each donation, never by hand.
        if partner.kind != Partner.Kind.CHARITY:
            return "—"
        return f"{partner.points_received:,}".replace(",", "\u202f")

    @admin.display(description=_("issue points"))
    def issue_points_link(self, partner: Partner) -> str:
        if partner.pk is None:
            return "—"
        listing = reverse("admin:rewards_issuepoint_changelist")
        add = reverse("admin:rewards_issuepoint_add")
        count = partner.issue_points.count()
        return format_html(
            '<a href="{}?partner__id__exact={}">{}</a> · <a href="{}?partner={}">{}</a>',
            listing,
            partner.pk,
            ngettext("%(n)d issue point", "%(n)d issue points", count) % {"n": count},
            add,
            partner.pk,
            gettext("add an issue point"),
        )

    @admin.display(description=_("rewards"))
    def rewards_link(self, partner: Partner) -> str:
        if partner.pk is None:
            return "—"
        count = partner.rewards.count()
        return format_html(
            '<a href="{}?partner__id__exact={}">{}</a> · <a href="{}?partner={}">{}</a>',
            reverse("admin:rewards_reward_changelist"),
            partner.pk,
            ngettext("%(n)d reward", "%(n)d rewards", count) % {"n": count},
            reverse("admin:rewards_reward_add"),
            partner.pk,
            gettext("add a reward"),
        )

    @admin.display(description=_("report"))
    def report_link(self, partner: Partner) -> str:
        if partner.pk is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:rewards_partner_report", args=[partner.pk]),
            gettext("orders by reward"),
            report_url(partner.pk),
            gettext("download CSV"),
        )

    @admin.action(description=_("Report on orders of the selected partner"))
    def open_report(self, request: HttpRequest, queryset: QuerySet[Partner]):
        chosen = list(queryset.values_list("pk", flat=True)[:2])
        if len(chosen) != 1:
            self.message_user(
                request, gettext("Choose one partner for its report."), messages.WARNING
            )
            return None
        return redirect(reverse("admin:rewards_partner_report", args=chosen))

    def get_urls(self):
        report = self.admin_site.admin_view(self.report_view)
        return [
            path("<int:partner_id>/report/", report, name="rewards_partner_report"),
            *super().get_urls(),
        ]

    def report_view(self, request: HttpRequest, partner_id: int) -> HttpResponse:
        """The partner's orders by reward for a period, with a link to the same as CSV."""
        partner = self.get_object(request, str(partner_id))
        if not may_download_partner_report(request.user, partner.pk):
            raise PermissionDenied
        form = ReportPeriodForm(request.GET or None)
        rows: list[selectors.PartnerReportRow] = []
        download = ""
        status = 200
        if form.is_bound and not form.is_valid():
            status = 400
        else:
            data = form.cleaned_data if form.is_bound else {}
            since, until = data.get("since"), data.get("until")
            rows = selectors.partner_report(partner.pk, **report_bounds(since, until))
            download = report_url(
                partner.pk,
                since=since.isoformat() if since else "",
                until=until.isoformat() if until else "",
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": partner,
            "title": gettext("Orders of %(partner)s by reward") % {"partner": partner},
            "form": form,
            "rows": rows,
            "totals": _report_totals(rows),
            "download": download,
        }
        return TemplateResponse(
            request, "admin/rewards/partner/report.html", context, status=status
        )


def _report_totals(rows: list[selectors.PartnerReportRow]) -> dict[str, int]:
    names = ["ordered", "issued", "open", "cancelled", "expired", "refunded", "points_spent"]
    return {name: sum(getattr(row, name) for row in rows) for name in names}


# --- Issue points ------------------------------------------------------------------------------


class IssuePointForm(forms.ModelForm):
    class Meta:
        model = IssuePoint
        fields = [
            "partner",
            "name",
            "address",
            "opening_hours",
            "is_active",
            "district",
            "lat",
            "lon",
        ]

    def clean(self) -> dict:
        data = super().clean()
        lat, lon, district = data.get("lat"), data.get("lon"), data.get("district")
        if lat is None or lon is None or district is None:
            return data
        found = district_at(lat=lat, lon=lon)
        mapped = District.objects.filter(boundary__isnull=False)
        if found is None:
            # With no borders loaded at all there is nothing to check against.
            if mapped.exists():
                self.add_error(
                    "lat", gettext("This point is outside the city: check the coordinates.")
                )
        elif found.pk != district.pk and mapped.filter(pk=district.pk).exists():
            self.add_error(
                "district",
                gettext("The point lies in %(found)s, not in %(chosen)s.")
                % {"found": found.name, "chosen": district.name},
            )
        return data


@admin.register(IssuePoint)
class IssuePointAdmin(PartnerScopedAdmin):
    form = IssuePointForm
    list_display = ["name", "partner", "district", "address", "opening_hours", "is_active"]
    list_filter = [
        "is_active",
        ("partner", admin.RelatedOnlyFieldListFilter),
        ("district__okrug", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["name", "address", "partner__name", "district__name_ru"]
    list_select_related = ["partner", "district"]
    fieldsets = [
        (None, {"fields": ["partner", "name", "address", "opening_hours", "is_active"]}),
        (
            _("On the map"),
            {
                "fields": ["district", "lat", "lon"],
                "description": _(
                    "Latitude and longitude in degrees (WGS 84), e.g. 55.751244 and 37.618423; "
                    "the point must lie in the district chosen."
                ),
            },
        ),
    ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "district":
            # Borders are large: the choice list needs only the names.
            kwargs["queryset"] = District.objects.defer("boundary").order_by("name_ru")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and (
            _scope(request) is not None or obj.stock.exists() or obj.orders.exists()
        ):
            return ["partner"]
        return []


# --- Rewards, their stock and promo codes ------------------------------------------------------


class StockForm(forms.ModelForm):
    # The page carries the number it showed, so that a save knows how many units were added.
    quantity = forms.IntegerField(
        label=_("units left"), min_value=0, initial=0, show_hidden_initial=True
    )

    class Meta:
        model = Stock
        fields = ["issue_point", "quantity"]

    def shown_quantity(self) -> int:
        """The units the page showed when it was opened (orders may have taken some since)."""
        field = self.fields["quantity"]
        shown = field.hidden_widget().value_from_datadict(
            self.data, self.files, self.add_initial_prefix("quantity")
        )
        try:
            return int(field.to_python(shown))
        except (TypeError, ValueError, ValidationError):
            return int(self.initial.get("quantity") or 0)


class StockFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        reward: Reward = self.instance
        kept = [
            form
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("issue_point")
        ]
        if not kept or reward.partner_id is None:
            return
        if reward.delivery != Reward.Delivery.PICK_UP:
            raise ValidationError(
                gettext("Only a reward picked up at an issue point has stock; remove the rows.")
            )
        for form in kept:
            point = form.cleaned_data["issue_point"]
            if point.partner_id != reward.partner_id:
                form.add_error(
                    "issue_point",
                    gettext("%(point)s belongs to another partner.") % {"point": point.name},
                )


class StockInline(admin.TabularInline):
    model = Stock
    form = StockForm
    formset = StockFormSet
    extra = 0
    verbose_name_plural = _("stock at issue points")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        points = IssuePoint.objects.select_related("partner").order_by("name")
        if obj is not None:
            points = points.filter(partner_id=obj.partner_id)
        else:
            scope = _scope(request)
            if scope is not None:
                points = points.filter(partner__in=scope)
        formset.form.base_fields["issue_point"].queryset = points
        return formset


class RewardForm(forms.ModelForm):
    class Meta:
        model = Reward
        fields = [
            "partner",
            "title",
            "description",
            "image",
            "category",
            "price",
            "delivery",
            "needs_preparation",
            "voucher_valid_days",
            "is_published",
            "sale_starts_at",
            "sale_ends_at",
            "per_person_limit",
            "min_status",
            "campaign",
        ]

    def clean(self) -> dict:
        data = super().clean()
        category, delivery = data.get("category"), data.get("delivery")
        partner: Partner | None = data.get("partner") or (
            self.instance.partner if self.instance.partner_id else None
        )
        if category == Reward.Category.CHARITY and delivery != Reward.Delivery.DONATION:
            self.add_error(
                "delivery", gettext("A charity reward is received as a donation to the partner.")
            )
        if delivery == Reward.Delivery.DONATION:
            if category != Reward.Category.CHARITY:
                self.add_error("category", gettext("A donation belongs to the charity category."))
            if partner is not None and partner.kind != Partner.Kind.CHARITY:
                self.add_error(
                    "delivery", gettext("Only a charity (NGO) partner can receive donations.")
                )
        if category == Reward.Category.PROMO_CODES and delivery != Reward.Delivery.PROMO_CODE:
            self.add_error(
                "delivery", gettext("A reward of the e-promo codes category is a promo code.")
            )
        if data.get("needs_preparation") and delivery != Reward.Delivery.PICK_UP:
            self.add_error(
                "needs_preparation",
                gettext("Only a reward picked up at an issue point is prepared by the partner."),
            )
        starts, ends = data.get("sale_starts_at"), data.get("sale_ends_at")
        if starts and ends and ends <= starts:
            self.add_error("sale_ends_at", gettext("The sale ends before it starts."))
        return data


def _free_codes() -> Subquery:
    return Subquery(
        PromoCode.objects.filter(reward=OuterRef("pk"), order__isnull=True)
        .order_by()
        .values("reward")
        .annotate(n=Count("pk"))
        .values("n")[:1],
        output_field=IntegerField(),
    )


def _units_in_stock() -> Subquery:
    return Subquery(
        Stock.objects.filter(reward=OuterRef("pk"), issue_point__is_active=True)
        .order_by()
        .values("reward")
        .annotate(n=Sum("quantity"))
        .values("n")[:1],
        output_field=IntegerField(),
    )


@admin.register(Reward)
class RewardAdmin(PartnerScopedAdmin):
    form = RewardForm
    inlines = [StockInline]
    list_display = [
        "title",
        "partner",
        "category",
        "delivery",
        "price",
        "units",
        "is_published",
        "campaign",
    ]
    list_filter = [
        "category",
        ("partner", admin.RelatedOnlyFieldListFilter),
        "is_published",
        "delivery",
        ("campaign", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["title", "description", "partner__name"]
    list_select_related = ["partner", "campaign"]
    fieldsets = [
        (None, {"fields": ["partner", "title", "description", "image", "category", "price"]}),
        (
            _("Receiving it"),
            {"fields": ["delivery", "needs_preparation", "voucher_valid_days", "promo_pool"]},
        ),
        (
            _("Who may order, and when"),
            {
                "fields": [
                    "is_published",
                    "sale_starts_at",
                    "sale_ends_at",
                    "per_person_limit",
                    "min_status",
                    "campaign",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(stock_left=_units_in_stock(), codes_free=_free_codes())
        )

    def get_readonly_fields(self, request, obj=None):
        fixed = ["promo_pool"]
        if _scope(request) is not None:
            fixed.append("campaign")  # campaigns are the city's
        if obj is not None:
            if _scope(request) is not None or obj.orders.exists():
                fixed.append("partner")
            if obj.orders.exists():
                fixed.append("delivery")  # orders already taken were received this way
        return fixed

    def save_formset(self, request, form, formset, change) -> None:
        if formset.model is not Stock:
            super().save_formset(request, form, formset, change)
            return
        # Units ordered while the page was open stay ordered: an edited row moves the stock by
        # the difference typed (10 → 15 adds five), never back to the number the page showed.
        moves = {
            row.instance.pk: row.cleaned_data["quantity"] - row.shown_quantity()
            for row in formset.initial_forms
            if row not in formset.deleted_forms
            and row.cleaned_data["quantity"] != row.shown_quantity()
        }
        with transaction.atomic():
            for stock in formset.save(commit=False):
                if not stock._state.adding:  # the quantity moves below
                    stock.save(update_fields=["issue_point"])
                else:
                    stock.save()
            for stock in formset.deleted_objects:
                stock.delete()
            for pk, move in moves.items():
                Stock.objects.filter(pk=pk).update(quantity=Greatest(F("quantity") + move, 0))

    @admin.display(description=_("units left"))
    def units(self, reward: Reward) -> str:
        if reward.delivery == Reward.Delivery.DONATION:
            return gettext("no limit")
        if reward.delivery == Reward.Delivery.PROMO_CODE:
            left = getattr(reward, "codes_free", None) or 0
        else:
            left = getattr(reward, "stock_left", None) or 0
        if left <= 0:
            return format_html('<strong style="color:#ba2121">{}</strong>', gettext("sold out"))
        return str(left)

    @admin.display(description=_("promo codes"))
    def promo_pool(self, reward: Reward) -> str:
        if reward.pk is None or reward.delivery != Reward.Delivery.PROMO_CODE:
            return "—"
        total = reward.promo_codes.count()
        free = reward.promo_codes.filter(order__isnull=True).count()
        return format_html(
            '{} · <a href="{}">{}</a>',
            gettext("%(free)d free of %(total)d") % {"free": free, "total": total},
            reverse("admin:rewards_reward_upload_codes", args=[reward.pk]),
            gettext("upload codes"),
        )

    def get_urls(self):
        upload = self.admin_site.admin_view(self.upload_codes_view)
        return [
            path("<int:reward_id>/codes/", upload, name="rewards_reward_upload_codes"),
            *super().get_urls(),
        ]

    def upload_codes_view(self, request: HttpRequest, reward_id: int) -> HttpResponse:
        """A list of e-promo codes, typed or as a text file, into the reward's pool."""
        reward = self.get_object(request, str(reward_id))
        if not may_upload_codes(request.user, reward):
            raise PermissionDenied
        form = PromoUploadForm(request.POST or None, request.FILES or None)
        report: services.PromoUpload | None = None
        status = 200
        if request.method == "POST":
            status = 422
            if form.is_valid():
                try:
                    report = services.upload_promo_codes(
                        reward_id=reward.pk, text=form.cleaned_data["text"], by=request.user
                    )
                except DomainError as error:
                    field = error.field if error.field in form.fields else None
                    form.add_error(field, str(error.message))
                    status = error.status
                else:
                    status = 200
                    form = PromoUploadForm()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": reward,
            "title": gettext("Upload promo codes: %(reward)s") % {"reward": reward},
            "form": form,
            "report": report,
            "rejected_shown": report.rejected[:REJECTED_SHOWN] if report else [],
            "rejected_more": max(0, len(report.rejected) - REJECTED_SHOWN) if report else 0,
            "free": reward.promo_codes.filter(order__isnull=True).count(),
            "total": reward.promo_codes.count(),
        }
        return TemplateResponse(
            request, "admin/rewards/reward/upload_codes.html", context, status=status
        )


REJECTED_SHOWN = 200
CODES_FILE_MAX_BYTES = 5 * 1024 * 1024


def may_upload_codes(user, reward: Reward) -> bool:
    """The rule `upload_promo_codes` applies, to decide whether to show its form at all."""
    return services.partner_role(user, reward.partner_id) == PartnerMember.Role.MANAGER or (
        user.is_staff and user.has_perm("rewards.add_promocode")
    )


class PromoUploadForm(forms.Form):
    codes = forms.CharField(
        label=_("Codes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "cols": 60, "spellcheck": "false"}),
        help_text=_("One code per line."),
    )
    file = forms.FileField(
        label=_("or a text file"),
        required=False,
        help_text=_("UTF-8 text, one code per line (a CSV with one column will do)."),
    )

    def clean(self) -> dict:
        data = super().clean()
        text = data.get("codes") or ""
        upload = data.get("file")
        if upload is not None:
            # UTF-8 only: a code is exact, and a wrong guess at the encoding would change it.
            codes = read_uploaded_text(
                upload, max_bytes=CODES_FILE_MAX_BYTES, encodings=("utf-8-sig",)
            )
            text = "\n".join(filter(None, [text, codes]))
        if not text.strip():
            raise forms.ValidationError(gettext("Type the codes or choose a file."))
        data["text"] = text
        return data


@admin.register(PromoCode)
class PromoCodeAdmin(PartnerScopedAdmin):
    """The pools, to look at and to take back codes nobody has got yet. Codes come in through
    a reward's "upload codes"; a code given out belongs to its order and stays."""

    partner_lookup = "reward__partner"
    list_display = ["code", "reward", "given_out", "added_at"]
    list_filter = [("reward__partner", admin.RelatedOnlyFieldListFilter), "added_at"]
    search_fields = ["=code", "reward__title"]
    list_select_related = ["reward"]
    fields = ["reward", "code", "order", "added_at"]
    readonly_fields = fields
    actions = ["delete_free_codes"]

    @admin.display(description=_("given out"), boolean=True)
    def given_out(self, code: PromoCode) -> bool:
        return code.order_id is not None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.order_id is not None:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # it would take codes from orders too
        return actions

    @admin.action(
        description=_("Take back the selected codes nobody has got"), permissions=["delete"]
    )
    def delete_free_codes(self, request: HttpRequest, queryset: QuerySet[PromoCode]) -> None:
        taken, _kinds = queryset.filter(order__isnull=True).delete()
        self.message_user(
            request,
            ngettext("%(n)d code taken back.", "%(n)d codes taken back.", taken) % {"n": taken},
            messages.SUCCESS,
        )


# --- Campaigns ---------------------------------------------------------------------------------

REFERENCE_LINE = re.compile(r"[a-z_]+:[0-9]+")


class CampaignForm(forms.ModelForm):
    rewards = forms.ModelMultipleChoiceField(
        label=_("rewards"),
        queryset=Reward.objects.none(),
        required=False,
        widget=FilteredSelectMultiple(_("rewards"), is_stacked=False),
        help_text=_("Rewards of another campaign are not offered: take them out of it first."),
    )

    class Meta:
        model = Campaign
        fields = [
            "title",
            "description",
            "starts_at",
            "ends_at",
            "qualifying_references",
            "per_person_limit",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        free = Q(campaign__isnull=True)
        if self.instance.pk is not None:
            free |= Q(campaign=self.instance)
            self.fields["rewards"].initial = list(
                self.instance.rewards.values_list("pk", flat=True)
            )
        self.fields["rewards"].queryset = (
            Reward.objects.filter(free).select_related("partner").order_by("title")
        )

    def clean_qualifying_references(self) -> str:
        text = self.cleaned_data["qualifying_references"]
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        wrong = [line for line in lines if not REFERENCE_LINE.fullmatch(line)]
        if wrong:
            raise forms.ValidationError(
                gettext('Write each line as a word, a colon and a number, like "poll:12": %(bad)s')
                % {"bad": ", ".join(wrong[:5])}
            )
        if not lines:
            raise forms.ValidationError(gettext("Name at least one activity, like poll:12."))
        return "\n".join(dict.fromkeys(lines))

    def clean(self) -> dict:
        data = super().clean()
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", gettext("The campaign ends before it starts."))
        return data


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    """The city's campaigns: only city-wide staff, since a campaign spans every partner."""

    form = CampaignForm
    list_display = ["title", "starts_at", "ends_at", "running", "per_person_limit", "reward_count"]
    search_fields = ["title", "qualifying_references"]
    date_hierarchy = "starts_at"
    fieldsets = [
        (None, {"fields": ["title", "description", "starts_at", "ends_at"]}),
        (
            _("Who may order, and how much"),
            {"fields": ["qualifying_references", "qualifying_people", "per_person_limit"]},
        ),
        (_("Rewards"), {"fields": ["rewards"]}),
    ]
    readonly_fields = ["qualifying_people", "reward_list"]

    def get_fieldsets(self, request, obj=None):
        if self.has_change_permission(request, obj) or obj is None:
            return self.fieldsets
        # Looking only (auditors): the rewards as a list, not as the form's chooser.
        return [
            (
                name,
                {
                    **opts,
                    "fields": ["reward_list" if f == "rewards" else f for f in opts["fields"]],
                },
            )
            for name, opts in self.fieldsets
        ]

    @admin.display(description=_("rewards"))
    def reward_list(self, campaign: Campaign) -> str:
        titles = campaign.rewards.select_related("partner").order_by("title")
        return ", ".join(f"{r.title} ({r.partner.name})" for r in titles) or "—"

    def has_module_permission(self, request) -> bool:
        return _scope(request) is None and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return _scope(request) is None and super().has_view_permission(request, obj)

    def has_add_permission(self, request) -> bool:
        return _scope(request) is None and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return _scope(request) is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return _scope(request) is None and super().has_delete_permission(request, obj)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(reward_total=Count("rewards"))

    @admin.display(description=_("running now"), boolean=True)
    def running(self, campaign: Campaign) -> bool:
        return campaign.is_running()

    @admin.display(description=_("rewards"), ordering="reward_total")
    def reward_count(self, campaign: Campaign) -> int:
        return getattr(campaign, "reward_total", 0)

    @admin.display(description=_("people who qualify now"))
    def qualifying_people(self, campaign: Campaign) -> str:
        if campaign.pk is None:
            return "—"
        # The rule place_order applies: credited (not debited) for one of the references.
        count = (
            LedgerEntry.objects.filter(reference__in=campaign.references, amount__gt=0)
            .values("account_id")
            .distinct()
            .count()
        )
        return f"{count:,}".replace(",", "\u202f")

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        campaign = form.instance
        chosen = [reward.pk for reward in form.cleaned_data.get("rewards") or []]
        with transaction.atomic():
            Reward.objects.filter(campaign=campaign).exclude(pk__in=chosen).update(campaign=None)
            Reward.objects.filter(pk__in=chosen, campaign__isnull=True).update(campaign=campaign)


# --- Orders: to look at; the services change them ----------------------------------------------


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    fields = ["at", "action", "by"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class VoucherSearchMixin(PhoneSearchMixin):
    """A voucher code typed as printed ("ABCD-EFGH-…", lower case, O for 0) finds its order."""

    voucher_lookup = "voucher_code"

    def get_search_results(self, request, queryset, search_term):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        code = services.normalize_voucher_code(search_term)
        if len(code) == services.VOUCHER_LENGTH:
            found = found | queryset.filter(**{self.voucher_lookup: code})
        return found, may_have_duplicates


@admin.register(Order)
class OrderAdmin(VoucherSearchMixin, ShopReadOnlyAdmin):
    partner_lookup = "reward__partner"
    list_display = [
        "created_at",
        "voucher",
        "reward",
        "partner",
        "user",
        "status",
        "issue_point",
        "price",
    ]
    list_filter = [
        "status",
        ("reward__partner", admin.RelatedOnlyFieldListFilter),
        ("created_at", admin.DateFieldListFilter),
        ("campaign", admin.RelatedOnlyFieldListFilter),
    ]
    date_hierarchy = "created_at"
    search_fields = ["reward__title", "user__phone"]
    list_select_related = ["reward__partner", "user", "issue_point"]
    fields = [
        "voucher",
        "status",
        "user",
        "reward",
        "issue_point",
        "campaign",
        "price",
        "created_at",
        "ready_at",
        "valid_until",
        "issued_at",
        "issued_by",
        "closed_at",
        "reminded_at",
    ]
    readonly_fields = fields
    inlines = [OrderEventInline]
    actions = ["mark_ready", "cancel_and_refund"]

    @admin.display(description=_("voucher code"), ordering="voucher_code")
    def voucher(self, order: Order) -> str:
        return order.voucher_display

    @admin.display(description=_("partner"), ordering="reward__partner__name")
    def partner(self, order: Order) -> Partner:
        return order.reward.partner

    def get_actions(self, request):
        # Marking ready is the partner's own work: only its staff see the action.
        actions = super().get_actions(request)
        if not PartnerMember.objects.filter(user_id=request.user.pk).exists():
            actions.pop("mark_ready", None)
        managers = PartnerMember.objects.filter(
            user_id=request.user.pk, role=PartnerMember.Role.MANAGER
        )
        if not (request.user.has_perm("rewards.cancel_any_order") or managers.exists()):
            actions.pop("cancel_and_refund", None)
        return actions

    @admin.action(description=_("Cancel and refund (the person is told)"))
    def cancel_and_refund(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        done, refused = 0, []
        for order in queryset.filter(status__in=Order.OPEN):
            try:
                services.cancel_order(order_id=order.pk, by=request.user)
            except DomainError as error:
                refused.append(f"{order.voucher_display}: {error.message}")
            else:
                done += 1
        skipped = queryset.exclude(status__in=Order.OPEN).count()
        if done:
            self.message_user(
                request,
                ngettext(
                    "%(n)d order is cancelled and refunded.",
                    "%(n)d orders are cancelled and refunded.",
                    done,
                )
                % {"n": done},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(n)d order was already closed and did not change.",
                    "%(n)d orders were already closed and did not change.",
                    skipped,
                )
                % {"n": skipped},
                messages.WARNING,
            )
        for line in refused:
            self.message_user(request, line, messages.ERROR)

    @admin.action(description=_("Mark ready for pick-up (the person is told)"))
    def mark_ready(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        done, refused = 0, []
        skipped = queryset.exclude(status=Order.Status.RESERVED).count()
        for order in queryset.filter(status=Order.Status.RESERVED):
            try:
                services.mark_ready(order_id=order.pk, by=request.user)
            except DomainError as error:
                refused.append(f"{order.voucher_display}: {error.message}")
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext(
                    "%(n)d order is ready for pick-up.", "%(n)d orders are ready for pick-up.", done
                )
                % {"n": done},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(n)d order was not waiting to be prepared and did not change.",
                    "%(n)d orders were not waiting to be prepared and did not change.",
                    skipped,
                )
                % {"n": skipped},
                messages.WARNING,
            )
        for line in refused:
            self.message_user(request, line, messages.ERROR)


@admin.register(OrderEvent)
class OrderEventAdmin(VoucherSearchMixin, ShopReadOnlyAdmin):
    partner_lookup = "order__reward__partner"
    phone_lookup = "by__phone"
    voucher_lookup = "order__voucher_code"
    list_display = ["at", "order", "action", "by"]
    list_filter = ["action", ("at", admin.DateFieldListFilter)]
    search_fields = ["order__reward__title"]
    list_select_related = ["order__reward", "order__user", "by"]
    fields = ["order", "action", "by", "at"]
    readonly_fields = fields


@admin.register(Donation)
class DonationAdmin(ShopReadOnlyAdmin):
    list_display = ["created_at", "partner", "amount", "order"]
    list_filter = [("partner", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["partner", "order__reward", "order__user"]
    fields = ["order", "partner", "amount", "created_at"]
    readonly_fields = fields
