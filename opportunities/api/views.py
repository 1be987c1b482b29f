"""The read-only JSON API: listings (the search page's filters and full-text search, cursor
pages), states and places. Every response is JSON, errors included."""

from __future__ import annotations

import re

import django_filters
from django.db.models import prefetch_related_objects
from django.http import JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from cities.models import Place, State
from opportunities.api.errors import ErrorSerializer
from opportunities.api.language import LANG, InLanguage
from opportunities.api.params import (
    NO_NUL,
    filterset_parameters,
    read_listing_search,
    strict_errors,
)
from opportunities.api.serializers import (
    ListingPageSerializer,
    ListingSerializer,
    PlaceSerializer,
    StateSerializer,
)
from opportunities.filters import ListingFilter
from opportunities.filters import PlaceFilter as ListingPlaceFilter
from opportunities.models import Listing, Status
from opportunities.search import PAGE_SIZE, BadCursor, search

MAX_PAGE_SIZE = 100
BIGGEST_ID = 2**63 - 1
RELATIONS = ["topics", "bureaus", "countries", "target_states", "source"]

ERRORS = {
    # Any request may get one: a NUL byte or bytes that are not UTF-8 anywhere in it are a 400
    # before the endpoint is reached (diplomacy/bad_input.py).
    400: OpenApiResponse(ErrorSerializer, description="A parameter is not valid."),
    401: OpenApiResponse(ErrorSerializer, description="The API key is not valid or revoked."),
    404: OpenApiResponse(ErrorSerializer, description="Nothing with that identifier."),
    429: OpenApiResponse(
        ErrorSerializer,
        description="Too many requests: wait the number of seconds in the Retry-After header.",
    ),
}
PAGING = [
    OpenApiParameter(
        "cursor",
        {"type": "string", "pattern": NO_NUL},
        description="Opaque: copy it from the `next` link of the previous page.",
    ),
    OpenApiParameter(
        "page_size",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": PAGE_SIZE},
        description=f"Results per page (1–{MAX_PAGE_SIZE}).",
    ),
]


def errors(*statuses):
    return {status: ERRORS[status] for status in statuses}


def detail_schema(summary: str, serializer, name: str, schema: dict, description: str):
    """The schema of an endpoint for one object, identified by one path parameter."""
    return extend_schema(
        summary=summary,
        parameters=[
            OpenApiParameter(name, schema, OpenApiParameter.PATH, description=description),
            LANG,
        ],
        responses={200: serializer, **errors(400, 401, 404, 429)},
    )


PAGE_SIZE_ERROR = gettext_lazy("Use a whole number from 1 to 100.")
PLACE_ID_ERROR = gettext_lazy("Use a whole number from 1 to 9223372036854775807.")
PLACE_NAME_MAX_LENGTH = 100


def page_size(params) -> int | None:
    """The page size asked for, the default, or None when it is not a number from 1 to 100."""
    if "page_size" not in params:
        return PAGE_SIZE
    value = params["page_size"]
    if not value.isdigit() or not 1 <= int(value) <= MAX_PAGE_SIZE:
        return None
    return int(value)


class ApiRootSerializer(serializers.Serializer):
    listings = serializers.URLField()
    states = serializers.URLField()
    places = serializers.URLField()
    schema = serializers.URLField()
    docs = serializers.URLField()


class ApiRoot(InLanguage, APIView):
    @extend_schema(
        summary="Where everything is",
        parameters=[LANG],
        responses={200: ApiRootSerializer, **errors(400, 401, 429)},
    )
    def get(self, request):
        return Response(
            {
                name: request.build_absolute_uri(reverse(f"api:{name}"))
                for name in ("listings", "states", "places", "schema", "docs")
            }
        )


class ListingSearchSchema(AutoSchema):
    """The filter parameters are read from the FilterSet when the schema is generated, so the
    topic and region choices are the ones in the database."""

    def get_override_parameters(self):
        return [*filterset_parameters(ListingFilter), *PAGING, LANG]


class ListingList(InLanguage, APIView):
    schema = ListingSearchSchema()

    @extend_schema(
        operation_id="listings_list",
        summary="Search published listings",
        description="The same filters and text search as the search page. `q` takes words, "
        '"quoted phrases", `or`, `-not` and `word*` prefixes. The default order is best match '
        "for a text search and newest first otherwise; ties are broken by id, so pages never "
        "repeat or skip a listing.",
        responses={200: ListingPageSerializer, **errors(400, 401, 404, 429)},
    )
    def get(self, request):
        filterset, problems = read_listing_search(request.query_params)
        if list(problems) == ["place"] and re.match(
            ListingPlaceFilter.pattern, request.query_params.get("place", "")
        ):
            raise NotFound(
                _("We know no place “%(place)s”.") % {"place": request.query_params["place"]}
            )
        size = page_size(request.query_params)
        if size is None:
            problems["page_size"] = [PAGE_SIZE_ERROR]
        if problems:
            raise ValidationError(problems)
        cleaned = filterset.form.cleaned_data
        cursor = request.query_params.get("cursor", "")
        try:
            results = search(
                filterset,
                text=cleaned.get("q") or "",
                sort=cleaned.get("sort") or "",
                cursor=cursor,
                page_size=size,
            )
        except BadCursor:
            raise ValidationError(
                {"cursor": [_("This cursor is damaged; copy the next link again.")]}
            ) from None
        prefetch_related_objects(results.listings, *RELATIONS[1:])
        next_url = None
        if results.next_cursor:
            params = request.query_params.copy()
            params["cursor"] = results.next_cursor
            next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
        context = {"request": request}
        return Response(
            {
                "count": results.total,
                "count_is_capped": results.capped,
                "sort": results.sort,
                "next": next_url,
                "results": ListingSerializer(results.listings, many=True, context=context).data,
                "facets": {
                    name: [
                        {"value": f.value, "label": str(f.label), "count": f.count} for f in values
                    ]
                    for name, values in results.facets.items()
                },
            }
        )


@detail_schema(
    "One listing",
    ListingSerializer,
    "slug",
    {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$"},
    "The listing's slug, the last part of its address on the portal.",
)
class ListingDetail(InLanguage, generics.RetrieveAPIView):
    """A published listing, or an archived one (its status says so)."""

    serializer_class = ListingSerializer
    lookup_field = "slug"
    queryset = Listing.objects.filter(
        status__in=[Status.PUBLISHED, Status.ARCHIVED]
    ).prefetch_related(*RELATIONS)


class StatePagination(CursorPagination):
    ordering = "usps_code"
    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    invalid_cursor_message = gettext_lazy("This cursor is damaged; copy the next link again.")

    def decode_cursor(self, request):
        # A damaged cursor is a bad parameter (400), not a missing page (DRF says 404).
        try:
            return super().decode_cursor(request)
        except NotFound as error:
            raise ValidationError({"cursor": [error.detail]}) from None


class PlacePagination(StatePagination):
    ordering = "id"


class StrictPageSize:
    """CursorPagination quietly uses the default for a bad page_size; say so instead."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if page_size(request.query_params) is None:
            raise ValidationError({"page_size": [PAGE_SIZE_ERROR]})


@extend_schema(
    summary="States, DC and territories",
    parameters=[*PAGING, LANG],
    responses={200: StateSerializer(many=True), **errors(400, 401, 429)},
)
class StateList(InLanguage, StrictPageSize, generics.ListAPIView):
    serializer_class = StateSerializer
    queryset = State.objects.all()
    pagination_class = StatePagination


@detail_schema(
    "One state, DC or territory",
    StateSerializer,
    "usps_code",
    {"type": "string", "pattern": "^[A-Za-z]{2}$"},
    "Postal code, such as CO.",
)
class StateDetail(InLanguage, generics.RetrieveAPIView):
    serializer_class = StateSerializer
    queryset = State.objects.all()

    def get_object(self):
        code = self.kwargs["usps_code"].upper()
        state = State.objects.filter(usps_code=code).first()
        if state is None:
            raise NotFound(_("No state or territory has that postal code."))
        return state


class PlaceFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(
        label=gettext_lazy("State (postal code)"), method="filter_state"
    )
    kind = django_filters.ChoiceFilter(label=gettext_lazy("Type"), choices=Place.Kind.choices)
    q = django_filters.CharFilter(
        label=gettext_lazy("Name (as the place finder matches it: accents and case ignored)"),
        method="filter_name",
        max_length=PLACE_NAME_MAX_LENGTH,
    )

    class Meta:
        model = Place
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["state"].extra["choices"] = [
            (code, code)
            for code in State.objects.order_by("usps_code").values_list("usps_code", flat=True)
        ]

    def filter_state(self, queryset, name, value):
        return queryset.filter(state__usps_code=value)

    def filter_name(self, queryset, name, value):
        return queryset.matching(value)


class PlaceListSchema(AutoSchema):
    def get_override_parameters(self):
        return [*filterset_parameters(PlaceFilter), *PAGING, LANG]


@extend_schema(
    summary="US cities and counties with a profile",
    responses={200: PlaceSerializer(many=True), **errors(400, 401, 429)},
)
class PlaceList(InLanguage, StrictPageSize, generics.ListAPIView):
    schema = PlaceListSchema()
    serializer_class = PlaceSerializer
    pagination_class = PlacePagination

    def get_queryset(self):
        params = self.request.query_params
        filterset = PlaceFilter(params, queryset=Place.objects.select_related("state"))
        problems = strict_errors(PlaceFilter, params)
        if not filterset.is_valid():
            problems.update({name: list(m) for name, m in filterset.form.errors.items()})
        if problems:
            raise ValidationError(problems)
        return filterset.qs


@detail_schema(
    "One city or county",
    PlaceSerializer,
    "id",
    {"type": "integer", "minimum": 1, "maximum": BIGGEST_ID},
    "The place's id.",
)
class PlaceDetail(InLanguage, generics.RetrieveAPIView):
    serializer_class = PlaceSerializer
    lookup_field = "id"
    queryset = Place.objects.select_related("state")

    def get_object(self):
        # Outside the schema's range, as the query parameters are: a 400 naming the parameter
        # (PostgreSQL would refuse to compare a number past BIGGEST_ID).
        if not 1 <= self.kwargs["id"] <= BIGGEST_ID:
            raise ValidationError({"id": [PLACE_ID_ERROR]})
        return super().get_object()


class SchemaView(SpectacularAPIView):
    throttle_classes: list = []


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI from drf-spectacular-sidecar, inside a page of the portal; its start-up
    script is a separate file (?script), as the Content Security Policy allows no inline one."""

    throttle_classes: list = []
    template_name = "api/docs.html"
    title = "Subnational Diplomacy Portal API"


def not_found(request, path=""):
    return JsonResponse(
        {"status": 404, "detail": _("There is no API endpoint at this address.")}, status=404
    )
