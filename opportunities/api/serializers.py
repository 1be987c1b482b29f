"""What the API (and the bulk JSON download) says about listings, states and places."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cities.models import OFFICE_FIELDS, Place, State
from opportunities.models import Listing


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
            "starts_at",
            "ends_at",
            "time_zone",
            "location",
            "apply_url",
            "apply_contact",
            "source",
            "external_id",
            "published_at",
            "updated_at",
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
