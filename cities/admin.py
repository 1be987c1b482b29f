from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from cities.models import (
    Bureau,
    Country,
    Delegation,
    EmbassyPartnership,
    NetworkMembership,
    Place,
    SisterCity,
    State,
)

OFFICE_FIELDS = (
    "office_name",
    "leader_name",
    "leader_title",
    "office_email",
    "office_phone",
    "office_website",
    "office_address",
)


def tie_inlines(owner: str) -> list[type[admin.StackedInline]]:
    """Inlines for the international ties on a state's (owner="state") or a place's profile."""
    other = "place" if owner == "state" else "state"
    inlines = []
    for model, fields in [
        (SisterCity, ["kind", "city", "country", "since"]),
        (NetworkMembership, ["network", "website", "since"]),
        (Delegation, ["direction", "date", "countries", "purpose", "topics"]),
        (EmbassyPartnership, ["mission", "country", "description", "since"]),
    ]:
        attrs = {
            "model": model,
            "fk_name": owner,
            "exclude": [other],
            "fields": fields,
            "extra": 0,
            "autocomplete_fields": [f for f in ("country", "countries") if f in fields],
            "formfield_overrides": {models.URLField: {"assume_scheme": "https"}},
        }
        if model is Delegation:
            attrs["filter_horizontal"] = ["topics"]
        name = f"{owner.title()}{model.__name__}Inline"
        inlines.append(type(name, (admin.TabularInline,), attrs))
    return inlines


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
    inlines = tie_inlines("state")


@admin.register(Place)
class PlaceAdmin(ProfileAdmin):
    list_display = [
        "name", "state", "kind", "population", "is_underserved", "leader_name", "updated_at",
    ]  # fmt: skip
    list_filter = ["kind", "is_underserved", "state"]
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
        (_("Outreach"), {"fields": ["is_underserved"]}),
    ]
    inlines = tie_inlines("place")
