"""Filters of the local solutions library (`/solutions/`)."""

import django_filters
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from cities.models import LocalSolution, State
from cities.models.solutions import SEARCH_CONFIG
from opportunities.models import Topic


class LocalSolutionFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search words"), method="filter_text", max_length=200)
    topic = django_filters.ModelChoiceFilter(
        label=_("Topic"),
        queryset=Topic.objects.order_by("name"),
        to_field_name="slug",
        empty_label=_("All topics"),
    )
    state = django_filters.ModelChoiceFilter(
        label=_("State or territory"),
        field_name="place__state",
        queryset=State.objects.order_by("name"),
        to_field_name="usps_code",
        empty_label=_("All states"),
    )

    class Meta:
        model = LocalSolution
        fields: list[str] = []

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        query = SearchQuery(value, search_type="websearch", config=SEARCH_CONFIG)
        return (
            queryset.filter(search_vector=query)
            .annotate(rank=SearchRank(F("search_vector"), query))
            .order_by("-rank", "-published_at", "-id")
        )
