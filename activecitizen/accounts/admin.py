"""People in the admin: searchable by phone and name, with verification as an action."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from activecitizen.accounts import services
from activecitizen.accounts.models import ApiToken, Interest, User
from activecitizen.accounts.phones import normalize_phone
from activecitizen.core.errors import DomainError


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["-date_joined"]
    list_display = [
        "phone",
        "last_name",
        "first_name",
        "home_district",
        "verification",
        "is_staff",
        "date_joined",
    ]
    list_filter = ["verification", "is_staff", "is_active", "groups", "gender"]
    search_fields = ["phone", "last_name", "first_name", "email"]
    list_select_related = ["home_district"]
    autocomplete_fields = ["home_district", "work_district"]
    readonly_fields = ["verified_by", "verified_at", "last_login", "date_joined"]
    filter_horizontal = ["groups", "user_permissions", "interests"]
    actions = ["mark_resident_verified"]
    fieldsets = (
        (None, {"fields": ("phone",)}),
        (
            _("Profile"),
            {
                "fields": (
                    "first_name",
                    "last_name",
                    "email",
                    "birth_date",
                    "gender",
                    "home_district",
                    "work_district",
                    "interests",
                )
            },
        ),
        (_("Verification"), {"fields": ("verification", "verified_by", "verified_at")}),
        (_("Roles"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("phone",)}),)
    add_form_template = None

    def get_search_results(self, request, queryset, search_term):
        # Staff type numbers the way people say them: "8 916 123-45-67" finds +79161234567.
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        try:
            phone = normalize_phone(search_term)
        except DomainError:
            return found, may_have_duplicates
        return found | queryset.filter(phone=phone), True

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            # A person added by staff signs in with SMS codes like everyone else: no password.
            kwargs["fields"] = ["phone"]
            return admin.ModelAdmin.get_form(self, request, obj, **kwargs)
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.set_unusable_password()
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Roles, districts or a block take effect on the app's next request.
        services.forget_person(form.instance.pk)

    @admin.action(description=_("Mark as resident verified (documents checked)"))
    def mark_resident_verified(self, request, queryset):
        done = 0
        for user in queryset:
            try:
                services.verify_resident(user=user, verified_by=request.user)
            except DomainError as error:
                self.message_user(request, str(error.message), messages.ERROR)
                return
            done += 1
        self.message_user(
            request,
            ngettext("%(n)d person verified.", "%(n)d people verified.", done) % {"n": done},
        )


@admin.register(Interest)
class InterestAdmin(admin.ModelAdmin):
    list_display = ["code", "name_ru", "name_en", "position"]
    list_editable = ["position"]
    search_fields = ["code", "name_ru", "name_en"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "device", "created_at", "last_used_at", "revoked_at"]
    search_fields = ["user__phone", "prefix"]
    list_select_related = ["user"]
    readonly_fields = ["user", "prefix", "key_hash", "device", "created_at", "last_used_at"]

    def has_add_permission(self, request):
        return False
