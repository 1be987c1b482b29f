"""The search parameters shared by the API, the feeds and the CSV export: read strictly (a
value that cannot be understood is an error, not ignored as on the search page), and described
for the OpenAPI schema from the same FilterSet the search page uses."""

from __future__ import annotations

import django_filters
from django.db import DatabaseError
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from opportunities.filters import ListingFilter
from opportunities.models import Listing

BOOLEAN_VALUES = {"true": True, "false": False}
# Strings in URLs may hold any character except NUL, which PostgreSQL cannot store or compare.
NO_NUL = r"^[^\x00]*$"


def strict_errors(filterset_class, params) -> dict[str, list[str]]:
    """What a web form may send but an API call may not: a checkbox filter with a value other
    than true or false, or an empty choice."""
    errors = {}
    for name, filter_ in filterset_class.base_filters.items():
        values = params.getlist(name)
        if isinstance(filter_, django_filters.BooleanFilter):
            if any(value not in BOOLEAN_VALUES for value in values):
                errors[name] = [_("Use true or false.")]
        elif isinstance(filter_, django_filters.ChoiceFilter) and "" in values:
            errors[name] = [_("Choose a value, or leave this parameter out.")]
    return errors


def read_listing_search(params) -> tuple[ListingFilter, dict[str, list[str]]]:
    """The search page's FilterSet bound to these parameters, and the problems found in them."""
    filterset = ListingFilter(params, queryset=Listing.objects.none())
    errors = strict_errors(ListingFilter, params)
    if not filterset.is_valid():
        for name, messages in filterset.form.errors.items():
            errors.setdefault(name, []).extend(messages)
    return filterset, errors


def _choice_schema(values: list[str]) -> dict:
    # An empty database has no choices yet; an empty enum would make the schema invalid.
    return {"type": "string", "enum": values} if values else {"type": "string"}


def _filters_and_fields(filterset_class):
    """Each filter with its form field (choices included), or without fields when the database
    cannot be read: `check --deploy` builds the schema, and may run before `migrate`."""
    try:
        filterset = filterset_class(queryset=filterset_class._meta.model.objects.none())
        fields = filterset.form.fields
        for name, filter_ in filterset.filters.items():
            if isinstance(
                filter_, (django_filters.MultipleChoiceFilter, django_filters.ChoiceFilter)
            ):
                fields[name].choices = list(fields[name].choices)  # reads the database now
        return filterset.filters, fields
    except DatabaseError:
        return filterset_class.base_filters, {}


def filterset_parameters(filterset_class) -> list[OpenApiParameter]:
    """OpenAPI query parameters for every filter, with the choices the database has now."""
    filters, fields = _filters_and_fields(filterset_class)
    parameters = []
    for name, filter_ in filters.items():
        field = fields.get(name)
        choices = field.choices if field is not None and hasattr(field, "choices") else []
        description = str(filter_.label or name)
        if isinstance(filter_, django_filters.MultipleChoiceFilter):
            values = [str(value) for value, _label in choices]
            parameters.append(
                OpenApiParameter(
                    name,
                    {"type": "array", "items": _choice_schema(values)},
                    description=f"{description}: any of these values (repeat the parameter).",
                    explode=True,
                    style="form",
                )
            )
        elif isinstance(filter_, django_filters.ChoiceFilter):
            values = [str(value) for value, _label in choices if value != ""]
            parameters.append(
                OpenApiParameter(name, _choice_schema(values), description=description)
            )
        elif isinstance(filter_, django_filters.BooleanFilter):
            parameters.append(OpenApiParameter(name, OpenApiTypes.BOOL, description=description))
        else:
            schema = {"type": "string", "pattern": getattr(filter_, "pattern", NO_NUL)}
            if getattr(field, "max_length", None):
                schema["maxLength"] = field.max_length
            parameters.append(OpenApiParameter(name, schema, description=description))
    return parameters
