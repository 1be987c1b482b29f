"""The filter parameters of the search page (and, later, of feeds and the API)."""

from datetime import datetime, timedelta
from types import SimpleNamespace

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cities.models import Bureau, Place, State
from lib.bilingual import Translated
from lib.page_cache import kept_while_unchanged
from opportunities.models import (
    Audience,
    Format,
    GovernmentLevel,
    Kind,
    Listing,
    Topic,
    many_to_many,
)


class DeadlineWindow:
    WEEK, MONTH, LATER, ROLLING = "week", "month", "later", "rolling"
    choices = [
        (WEEK, _("This week")),
        (MONTH, _("This month")),
        (LATER, _("Later")),
        (ROLLING, _("Rolling (no deadline)")),
    ]

    @classmethod
    def q(cls, window: str, now=None) -> Q:
        now = now or timezone.now()
        week, month = now + timedelta(days=7), now + timedelta(days=31)
        return {
            cls.WEEK: Q(deadline__gte=now, deadline__lt=week),
            cls.MONTH: Q(deadline__gte=week, deadline__lt=month),
            cls.LATER: Q(deadline__gte=month),
            cls.ROLLING: Q(deadline__isnull=True),
        }[window]

    @classmethod
    def windows_of(cls, now):
        """The same conditions as `q` for a deadline in hand (search counts candidates in
        Python): a function giving the windows a deadline falls in, none or one (they do not
        overlap). `now` and the deadlines are datetimes, or both seconds since the epoch (what
        the search fetches: a float is read faster than a time)."""
        day = timedelta(days=1) if isinstance(now, datetime) else 86400.0
        week, month = now + 7 * day, now + 31 * day
        rolling, this_week, this_month, later = (
            (cls.ROLLING,),
            (cls.WEEK,),
            (cls.MONTH,),
            (cls.LATER,),
        )

        def windows(deadline) -> tuple[str, ...]:
            if deadline is None:
                return rolling
            if deadline < now:
                return ()
            if deadline < week:
                return this_week
            return this_month if deadline < month else later

        return windows


class Sort:
    RELEVANCE, CLOSING, NEWEST = "relevance", "closing", "newest"
    choices = [
        (RELEVANCE, _("Best match")),
        (CLOSING, _("Closing soon")),
        (NEWEST, _("Newest")),
    ]


PLACE_PARAMETER_MAX = 120


def chosen_place(value: str) -> Place | State | None:
    """The state (?place=id) or city or county (?place=id/boise) a parameter names, or None."""
    value = (value or "").strip().lower()
    if not value or len(value) > PLACE_PARAMETER_MAX or "\x00" in value:
        return None
    # Asked on every page with a place: kept until a place or state changes (its query and
    # the ORM's building of it cost more than the rest of the filter form).
    return kept_while_unchanged("chosen-place", value, lambda: _find_place(value))


def _find_place(value: str) -> Place | State | None:
    if "/" in value:
        return Place.objects.from_parameter(value)
    if len(value) == 2:
        return State.objects.filter(usps_code=value.upper()).first()
    return None


class PlaceField(forms.Field):
    """?place=<state> or ?place=<state>/<place-slug>, as the place finder's pages link it."""

    def to_python(self, value):
        if value in self.empty_values or not str(value).strip():
            return None
        place = chosen_place(str(value))
        if place is None:
            raise ValidationError(
                _(
                    "We know no place “%(value)s”. Use a state's postal code (place=id) or a "
                    "state and a place (place=id/boise), as the place finder's links do."
                ),
                params={"value": str(value)[:60]},
            )
        return place


class PlaceFilter(django_filters.Filter):
    field_class = PlaceField
    # For the API schema: a well-formed value that names no place is a 404 there, not a 400.
    pattern = r"^([A-Za-z]{2}(/[a-z0-9-]{1,220})?)?$"


def _related_exists(relation: str, lookup: str, values) -> Exists:
    through, source, target = many_to_many(relation)
    return Exists(
        through.objects.filter(**{source: OuterRef("pk"), f"{target}__{lookup}__in": values})
    )


def _choice_rows() -> tuple[list[dict], list[dict]]:
    return (
        list(Topic.objects.values("pk", "slug", "name_en", "name_es")),
        list(Bureau.objects.order_by("code").values("pk", "code", "name_en", "name_es")),
    )


class ListingFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_nothing",  # full-text search is applied by opportunities.search
        max_length=200,
    )
    # No filter joins a to-many table (topics and regions use EXISTS), so no DISTINCT is
    # needed, and without it PostgreSQL can read pages straight from the sort-order index.
    place = PlaceFilter(
        label=_("Eligible place (state, or state/place)"),
        method="filter_place",
        required=False,
    )
    kind = django_filters.MultipleChoiceFilter(
        label=_("Kind"), choices=Kind.choices, widget=forms.CheckboxSelectMultiple, distinct=False
    )
    topic = django_filters.MultipleChoiceFilter(
        label=_("Topic"), method="filter_topic", widget=forms.CheckboxSelectMultiple
    )
    region = django_filters.MultipleChoiceFilter(
        label=_("Region"), method="filter_region", widget=forms.CheckboxSelectMultiple
    )
    audience = django_filters.MultipleChoiceFilter(
        label=_("Audience"),
        choices=Audience.choices,
        method="filter_audience",
        widget=forms.CheckboxSelectMultiple,
        distinct=False,
    )
    level = django_filters.MultipleChoiceFilter(
        label=_("Eligible governments"),
        choices=GovernmentLevel.choices,
        method="filter_level",
        widget=forms.CheckboxSelectMultiple,
        distinct=False,
    )
    underserved = django_filters.BooleanFilter(
        label=_("For underserved communities"),
        field_name="targets_underserved",
        widget=forms.CheckboxInput,
        method="filter_underserved",
    )
    format = django_filters.MultipleChoiceFilter(
        label=_("Format"),
        choices=Format.choices,
        widget=forms.CheckboxSelectMultiple,
        distinct=False,
    )
    deadline = django_filters.MultipleChoiceFilter(
        label=_("Deadline"),
        choices=DeadlineWindow.choices,
        method="filter_deadline",
        widget=forms.CheckboxSelectMultiple,
        distinct=False,
    )
    sort = django_filters.ChoiceFilter(
        label=_("Sort by"),
        choices=Sort.choices,
        method="filter_nothing",  # ordering is applied by opportunities.search
        empty_label=None,
    )

    class Meta:
        model = Listing
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Plain rows, not model instances (built on every search page): what the choices read,
        # kept until a topic or region changes (or any other public row).
        topic_rows, bureau_rows = kept_while_unchanged("filter-choices", "", _choice_rows)
        topics = [SimpleNamespace(**row) for row in topic_rows]
        bureaus = [SimpleNamespace(**row) for row in bureau_rows]
        # Names in the reader's language (an English one marked as such), in its order.
        self.filters["topic"].extra["choices"] = sorted(
            ((t.slug, Translated.of(t, "name")) for t in topics),
            key=lambda choice: str(choice[1]).casefold(),
        )
        self.filters["region"].extra["choices"] = [
            ("global", _("Global")),
            *((b.code, Translated.of(b, "name")) for b in bureaus),
        ]
        # Filters name the ids, not the slugs: PostgreSQL then knows how many listings a
        # topic has and reads the newest first, instead of joining every listing of the topic.
        self.topic_ids = {t.slug: t.pk for t in topics}
        self.bureau_ids = {b.code: b.pk for b in bureaus}

    def filter_queryset_without(self, queryset, excluded: str):
        """The queryset with every filter applied except one group's (disjunctive facets)."""
        for name, value in self.form.cleaned_data.items():
            if name != excluded:
                queryset = self.filters[name].filter(queryset, value)
        return queryset

    def filter_nothing(self, queryset, name, value):
        return queryset

    def filter_place(self, queryset, name, place):
        return queryset.for_place(place) if place is not None else queryset

    def filter_topic(self, queryset, name, values):
        if not values:
            return queryset
        return queryset.filter(_related_exists("topics", "id", [self.topic_ids[v] for v in values]))

    def filter_region(self, queryset, name, values):
        if not values:
            return queryset
        codes = [v for v in values if v != "global"]
        condition = _related_exists("bureaus", "id", [self.bureau_ids[code] for code in codes])
        if "global" in values:
            condition = condition | Q(is_global=True)
        return queryset.filter(condition)

    def filter_audience(self, queryset, name, values):
        return queryset.filter(audiences__overlap=values) if values else queryset

    def filter_level(self, queryset, name, values):
        # A listing with no level restriction is open to every level.
        if not values:
            return queryset
        return queryset.filter(Q(government_levels=[]) | Q(government_levels__overlap=values))

    def filter_underserved(self, queryset, name, value):
        return queryset.filter(targets_underserved=True) if value else queryset

    def filter_deadline(self, queryset, name, values):
        if not values:
            return queryset
        condition = Q()
        for window in values:
            condition |= DeadlineWindow.q(window)
        return queryset.filter(condition)
