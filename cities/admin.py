from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.admin import TranslationAdmin

from cities import solutions
from cities.models import (
    OFFICE_FIELDS,
    Bureau,
    Country,
    Delegation,
    EmbassyPartnership,
    LocalSolution,
    NetworkMembership,
    Place,
    PriorityRanking,
    PriorityResponse,
    SisterCity,
    SolutionStatus,
    State,
)
from cities.translation import BUREAU_FIELDS
from lib.bilingual_admin import NeedsSpanishFilter, SpanishColumn
from lib.history_admin import GuardedHistoryAdmin


def tie_inlines(owner: str) -> list[type[admin.StackedInline]]:
    """Inlines for the international ties on a state's (owner="state") or a place's profile."""
    other = "place" if owner == "state" else "state"
    inlines = []
    for model, fields in [
        (SisterCity, ["kind", "city", "country", "since", "source_url", "source_title"]),
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
class BureauAdmin(SpanishColumn, TranslationAdmin):
    translated_fields = BUREAU_FIELDS
    list_display = ["code", "name", "spanish"]
    list_filter = [NeedsSpanishFilter]
    search_fields = ["code", "name_en", "name_es"]


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
class PlaceAdmin(ProfileAdmin, GuardedHistoryAdmin):
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
        (_("Outreach"), {"fields": ["is_underserved", "part_of"]}),
    ]
    autocomplete_fields = ["part_of"]
    history_list_display = ["is_underserved"]
    inlines = tie_inlines("place")


class LocalSolutionAdminForm(forms.ModelForm):
    class Meta:
        model = LocalSolution
        fields = ["status", "decline_reason", "topic", "title", "description", "results"]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and "status" in cleaned:
            previous = LocalSolution.objects.values_list("status", flat=True).get(
                pk=self.instance.pk
            )
            solutions.check_move(previous, cleaned["status"], cleaned.get("decline_reason", ""))
        return cleaned


@admin.register(LocalSolution)
class LocalSolutionAdmin(GuardedHistoryAdmin):
    """Triage: new → under review → published or declined. Unconfirmed submissions stay out."""

    form = LocalSolutionAdminForm
    list_display = ["title", "place", "topic", "status", "confirmed_at", "published_at"]
    list_filter = ["status", "topic", "place__state"]
    search_fields = ["title", "place__name", "contact_name", "contact_email"]
    list_select_related = ["place__state", "topic"]
    readonly_fields = [
        "place", "contact_name", "contact_email", "created_at", "confirmed_at", "published_at",
    ]  # fmt: skip
    fieldsets = [
        (_("Triage"), {"fields": ["status", "decline_reason"]}),
        (_("The solution"), {"fields": ["place", "topic", "title", "description", "results"]}),
        (_("Submitter"), {"fields": ["contact_name", "contact_email"]}),
        (_("Dates"), {"fields": ["created_at", "confirmed_at", "published_at"]}),
    ]
    history_list_display = ["status"]
    actions = ["start_review", "publish"]

    def get_queryset(self, request):
        return super().get_queryset(request).confirmed()

    def has_add_permission(self, request):
        return False  # solutions come from local leaders through the public form

    def has_delete_permission(self, request, obj=None):
        return False  # declined, never deleted

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "status" in form.changed_data:
            solutions.after_move(obj)

    def _move_selected(self, request, queryset, status) -> int:
        moved = skipped = 0
        for solution in queryset:
            try:
                solutions.move_solution(solution, status)
                moved += 1
            except ValidationError:
                skipped += 1
        if skipped:
            left = ngettext(
                "%(count)s solution was left as it was: it cannot move there.",
                "%(count)s solutions were left as they were: they cannot move there.",
                skipped,
            )
            self.message_user(request, left % {"count": skipped}, messages.WARNING)
        return moved

    @admin.action(description=_("Start reviewing the selected solutions"), permissions=["change"])
    def start_review(self, request, queryset):
        if moved := self._move_selected(request, queryset, SolutionStatus.UNDER_REVIEW):
            done = ngettext(
                "%(count)s solution is now under review.",
                "%(count)s solutions are now under review.",
                moved,
            )
            self.message_user(request, done % {"count": moved}, messages.SUCCESS)

    @admin.action(description=_("Publish the selected solutions"), permissions=["change"])
    def publish(self, request, queryset):
        if moved := self._move_selected(request, queryset, SolutionStatus.PUBLISHED):
            done = ngettext(
                "%(count)s solution is published.", "%(count)s solutions are published.", moved
            )
            self.message_user(request, done % {"count": moved}, messages.SUCCESS)


class PriorityRankingInline(admin.TabularInline):
    model = PriorityRanking
    fields = ["rank", "topic"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(PriorityResponse)
class PriorityResponseAdmin(GuardedHistoryAdmin):
    """Read-only: answers belong to the local leaders who gave them."""

    revert_allowed = False
    list_display = ["place", "respondent_name", "respondent_email", "confirmed_at", "is_current"]
    list_filter = ["is_current", "place__state"]
    search_fields = ["place__name", "respondent_name", "respondent_email"]
    list_select_related = ["place__state"]
    inlines = [PriorityRankingInline]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(confirmed_at__isnull=False)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
