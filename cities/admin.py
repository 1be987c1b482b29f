from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from cities.models import Bureau, Country, Place, State

OFFICE_FIELDS = (
    "office_name",
    "leader_name",
    "leader_title",
    "office_email",
    "office_phone",
    "office_website",
    "office_address",
)


class ProfileAdmin(admin.ModelAdmin):
    """Staff keep the leader's office current; the reference data itself is read-only."""

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    view_on_site = True

    def has_add_permission(self, request):
        return False  # states and places come from reference data (manage.py load_places)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Bureau)
class BureauAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
    list_display = ["name", "iso_code", "bureau"]
    list_filter = ["bureau"]
    search_fields = ["name", "iso_code"]
    list_select_related = ["bureau"]


@admin.register(State)
class StateAdmin(ProfileAdmin):
    list_display = ["name", "usps_code", "kind", "capital", "leader_name", "updated_at"]
    list_filter = ["kind"]
    search_fields = ["name", "usps_code", "capital", "leader_name"]
    readonly_fields = [
        "usps_code", "fips_code", "name", "kind", "capital", "statehood_year", "time_zones",
        "updated_at",
    ]  # fmt: skip
    fieldsets = [
        (_("Reference data (from the us package)"), {"fields": readonly_fields}),
        (_("Leader's office"), {"fields": OFFICE_FIELDS}),
    ]


@admin.register(Place)
class PlaceAdmin(ProfileAdmin):
    list_display = ["name", "state", "kind", "population", "leader_name", "updated_at"]
    list_filter = ["kind", "state"]
    search_fields = ["name", "slug", "leader_name"]
    list_select_related = ["state"]
    show_full_result_count = False
    readonly_fields = [
        "state", "kind", "name", "slug", "population", "latitude", "longitude", "time_zone",
        "geonames_id", "fips_code", "updated_at",
    ]  # fmt: skip
    fieldsets = [
        (_("Reference data (from GeoNames)"), {"fields": readonly_fields}),
        (_("Leader's office"), {"fields": OFFICE_FIELDS}),
    ]
