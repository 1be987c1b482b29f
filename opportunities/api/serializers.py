"""What the API (and the bulk JSON download) says about listings, states and places."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cities.models import OFFICE_FIELDS, Place, State
from lib.bilingual import missing
from opportunities import dates
from opportunities.models import Listing
from opportunities.translation import LISTING_FIELDS


def absolute_url(path: str, request=None) -> str:
    """A full address: from the request when there is one, else from SITE_URL."""
    if request is not None:
        return request.build_absolute_uri(path)
    return settings.SITE_URL.rstrip("/") + path


class WebUrlField(serializers.Field):
    """The page of the object on the portal."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, obj):
        return absolute_url(obj.get_absolute_url(), self.context.get("request"))


WebUrlField = extend_schema_field(OpenApiTypes.URI)(WebUrlField)


class ListingTimeField(serializers.Field):
    """A listing's time with the offset of the listing's own zone at that moment (the same wall
    time the listing's page shows), e.g. 2027-04-30T17:00:00+10:00 for Guam; null when unset.
    23:59:59.999999 (a deadline or an end) means the whole day."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, allow_null=True, **kwargs)

    def bind(self, field_name, parent):
        super().bind(field_name, parent)
        self.moment_field = field_name

    def to_representation(self, listing):
        return dates.iso(getattr(listing, self.moment_field), listing.time_zone)


ListingTimeField = extend_schema_field({"type": "string", "format": "date-time", "nullable": True})(
    ListingTimeField
)


class BlankAsNullMixin:
    """An empty address is null rather than "", which would not be a valid email or URL."""

    def __init__(self, **kwargs):
        super().__init__(allow_null=True, read_only=True, **kwargs)

    def to_representation(self, value):
        return super().to_representation(value) if value else None


class OptionalEmailField(BlankAsNullMixin, serializers.EmailField):
    pass


class OptionalURLField(BlankAsNullMixin, serializers.URLField):
    pass


class OptionalCharField(BlankAsNullMixin, serializers.CharField):
    pass


class ListingSerializer(serializers.ModelSerializer):
    web_url = WebUrlField(help_text="The listing's page on the portal.")
    apply_url = OptionalURLField(help_text="Where to apply, or null.")
    topics = serializers.SlugRelatedField(many=True, read_only=True, slug_field="slug")
    regions = serializers.SlugRelatedField(
        source="bureaus",
        many=True,
        read_only=True,
        slug_field="code",
        help_text="Regional bureau codes (AF, EAP, EUR, NEA, SCA, WHA); see also is_global.",
    )
    countries = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="iso_code", help_text="ISO 3166 country codes."
    )
    target_states = serializers.SlugRelatedField(
        many=True,
        read_only=True,
        slug_field="usps_code",
        help_text="Only for these states (postal codes); empty means every US place.",
    )
    source = serializers.SlugRelatedField(
        read_only=True,
        slug_field="name",
        allow_null=True,
        help_text="The public source it was imported from (e.g. Grants.gov), or null.",
    )
    external_id = OptionalCharField(
        help_text="Its key at the source (a Grants.gov opportunity number, a feed entry's ID), "
        "or null."
    )
    opens_at = ListingTimeField(help_text="When applications open, with the listing's offset.")
    deadline = ListingTimeField(
        help_text="Application deadline with the offset of the listing's time zone (time_zone) "
        "at that moment; null when rolling. See deadline_kind."
    )
    deadline_kind = serializers.CharField(
        read_only=True,
        help_text="confirmed (announced), expected (projected from the past cycle: only its "
        "month is meaningful; check the official site) or rolling (no deadline).",
    )
    starts_at = ListingTimeField(help_text="Event or program start, with the listing's offset.")
    ends_at = ListingTimeField(help_text="Event or program end, with the listing's offset.")
    time_zone = serializers.CharField(
        read_only=True,
        help_text="IANA time zone of the listing: every time above is given as a wall time in "
        "it, with its UTC offset.",
    )
    time_zone_name = serializers.SerializerMethodField(
        help_text="The time zone in words, in the language asked for (Accept-Language)."
    )

    language = serializers.SerializerMethodField(
        help_text="The language asked for (lang, or Accept-Language): en or es."
    )
    fallback_fields = serializers.SerializerMethodField(
        help_text="The texts given in English because they have no Spanish version yet "
        "(among title, summary, body, duration, location, apply_contact); empty in English."
    )

    def get_time_zone_name(self, listing) -> str:
        return dates.zone_name(listing.time_zone)

    def get_language(self, listing) -> str:
        return translation.get_language() or "en"

    def get_fallback_fields(self, listing) -> list[str]:
        lang = self.get_language(listing)
        return [] if lang == "en" else missing(listing, LISTING_FIELDS, lang)

    class Meta:
        model = Listing
        fields = [
            "slug",
            "web_url",
            "title",
            "kind",
            "status",
            "summary",
            "body",
            "sponsor",
            "topics",
            "is_global",
            "regions",
            "countries",
            "audiences",
            "government_levels",
            "min_population",
            "max_population",
            "targets_underserved",
            "target_states",
            "education_levels",
            "us_citizenship_required",
            "min_age",
            "max_age",
            "is_paid",
            "format",
            "duration",
            "opens_at",
            "deadline",
            "deadline_kind",
            "starts_at",
            "ends_at",
            "time_zone",
            "time_zone_name",
            "location",
            "apply_url",
            "apply_contact",
            "source",
            "external_id",
            "published_at",
            "updated_at",
            "language",
            "fallback_fields",
        ]
        read_only_fields = fields


class FacetSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class ListingPageSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Listings that match (see count_is_capped).")
    count_is_capped = serializers.BooleanField(
        help_text="True when a text search matched more listings than it ranks (the newest "
        "1,000 matches are ranked); add words or filters to narrow it."
    )
    sort = serializers.CharField(help_text="The order the results are in.")
    next = serializers.URLField(
        allow_null=True, help_text="The next page (same filters, a cursor), or null."
    )
    results = ListingSerializer(many=True)
    facets = serializers.DictField(
        child=FacetSerializer(many=True),
        help_text="For each filter, how many matching listings have each value.",
    )


class OfficeFields(serializers.Serializer):
    office_email = OptionalEmailField()
    office_website = OptionalURLField()


class StateSerializer(OfficeFields, serializers.ModelSerializer):
    web_url = WebUrlField(help_text="The state's page on the portal.")

    class Meta:
        model = State
        fields = [
            "usps_code",
            "fips_code",
            "name",
            "kind",
            "capital",
            "statehood_year",
            "web_url",
            *OFFICE_FIELDS,
        ]
        read_only_fields = fields


class PlaceSerializer(OfficeFields, serializers.ModelSerializer):
    state = serializers.SlugRelatedField(read_only=True, slug_field="usps_code")
    web_url = WebUrlField(help_text="The place's page on the portal.")

    class Meta:
        model = Place
        fields = [
            "id",
            "name",
            "kind",
            "state",
            "population",
            "latitude",
            "longitude",
            "time_zone",
            "fips_code",
            "geonames_id",
            "web_url",
            *OFFICE_FIELDS,
        ]
        read_only_fields = fields
