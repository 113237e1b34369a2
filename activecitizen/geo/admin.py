"""The city's structure in the admin."""

from django.contrib import admin

from activecitizen.geo.models import District, Okrug


class DistrictInline(admin.TabularInline):
    model = District
    fields = ["code", "kind", "name_ru", "name_en", "centre_lat", "centre_lon"]
    extra = 0
    show_change_link = True


@admin.register(Okrug)
class OkrugAdmin(admin.ModelAdmin):
    list_display = ["name_ru", "name_en", "abbreviation", "code"]
    search_fields = ["name_ru", "name_en", "abbreviation", "code"]
    exclude = ["boundary"]
    inlines = [DistrictInline]


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["name_ru", "name_en", "kind", "okrug", "code"]
    list_filter = ["okrug", "kind"]
    search_fields = ["name_ru", "name_en", "code"]
    list_select_related = ["okrug"]
    exclude = ["boundary"]
