"""Places in the United States (states, cities, counties) and the world they engage with."""

from functools import cache

from babel import Locale, UnknownLocaleError
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Count, F, Func, Q, Value
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from lib.text import fold


class Bureau(models.Model):
    """A State Department regional bureau (AF, EAP, EUR, NEA, SCA, WHA)."""

    code = models.CharField(_("code"), max_length=3, unique=True)
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        ordering = ["code"]
        verbose_name = _("regional bureau")
        verbose_name_plural = _("regional bureaus")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Country(models.Model):
    """A country or area abroad, in the regional bureau that covers it."""

    iso_code = models.CharField(_("ISO code"), max_length=2, unique=True)
    name = models.CharField(_("name"), max_length=120)
    bureau = models.ForeignKey(
        Bureau,
        on_delete=models.PROTECT,
        related_name="countries",
        null=True,
        blank=True,
        verbose_name=_("regional bureau"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("country")
        verbose_name_plural = _("countries")
        constraints = [
            models.CheckConstraint(
                condition=Q(iso_code__regex=r"^[A-Z]{2}$"), name="country_iso_code_two_letters"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def local_name(self) -> str:
        """The country's name in the reader's language (CLDR's, through Babel: "México" on a
        Spanish page), else the stored (English) name."""
        language = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
        if language == "en":
            return self.name
        return _territory_names(language).get(self.iso_code, self.name)


@cache
def _territory_names(language: str) -> dict[str, str]:
    try:
        return dict(Locale.parse(language).territories)
    except (UnknownLocaleError, ValueError):
        return {}


# The leader's office fields, as staff edit them and the API shows them.
OFFICE_FIELDS = (
    "office_name",
    "leader_name",
    "leader_title",
    "office_email",
    "office_phone",
    "office_website",
    "office_address",
)


class LeaderOffice(models.Model):
    """Contact details of a place's leader's office, kept current by staff."""

    office_name = models.CharField(_("office name"), max_length=200, blank=True)
    leader_name = models.CharField(_("leader's name"), max_length=200, blank=True)
    leader_title = models.CharField(_("leader's title"), max_length=120, blank=True)
    office_email = models.EmailField(_("office email"), blank=True)
    office_phone = models.CharField(_("office phone"), max_length=40, blank=True)
    office_website = models.URLField(_("office website"), blank=True)
    office_address = models.TextField(_("office address"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True

    @property
    def has_office_contact(self) -> bool:
        return any(
            (
                self.office_name,
                self.leader_name,
                self.office_email,
                self.office_phone,
                self.office_website,
                self.office_address,
            )
        )


class StateQuerySet(models.QuerySet):
    def with_place_counts(self):
        return self.order_by("name").annotate(
            place_count=Count("places"),
            city_count=Count("places", filter=Q(places__kind=Place.Kind.CITY)),
            county_count=Count("places", filter=Q(places__kind=Place.Kind.COUNTY)),
        )


class State(LeaderOffice):
    """A US state, the District of Columbia, or an inhabited territory."""

    class Kind(models.TextChoices):
        STATE = "state", _("State")
        DISTRICT = "district", _("Federal district")
        TERRITORY = "territory", _("Territory")

    usps_code = models.CharField(_("USPS code"), max_length=2, unique=True)
    fips_code = models.CharField(_("FIPS code"), max_length=2, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    capital = models.CharField(_("capital"), max_length=100, blank=True)
    statehood_year = models.PositiveSmallIntegerField(_("statehood year"), null=True, blank=True)
    time_zones = models.TextField(_("time zones"), blank=True)

    objects = StateQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("state or territory")
        verbose_name_plural = _("states and territories")
        constraints = [
            models.CheckConstraint(
                condition=Q(usps_code__regex=r"^[A-Z]{2}$"), name="state_usps_code_two_letters"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("cities:state", args=[self.slug])

    @property
    def slug(self) -> str:
        return self.usps_code.lower()

    @property
    def parameter(self) -> str:
        """The value of ?place= that chooses this state: "id"."""
        return self.slug

    @property
    def government_level(self) -> str:
        return "territory" if self.kind == self.Kind.TERRITORY else "state"

    @property
    def leader_office_label(self) -> str:
        if self.kind == self.Kind.DISTRICT:
            return _("Mayor's office")
        return _("Governor's office")


class PlaceQuerySet(models.QuerySet):
    def largest_first(self):
        return self.order_by(models.F("population").desc(nulls_last=True), "name")

    def search(self, text: str):
        """Places one of whose names contains the words typed, forgiving accents and case."""
        folded = fold(text)
        return self.filter(search_names__contains=folded) if folded else self

    def _typed(self, text: str):
        """(places, folded names) for the words typed: a trailing state name or postal code
        ("Boise, Idaho", "tucson az") narrows the places; None when nothing is left to match."""
        folded = fold(text)
        if not folded:
            return None
        places = self
        state = _trailing_state(folded)
        if state is not None:
            folded, places = state[0], self.filter(state=state[1])
            if not folded:
                return None
        variants = {folded}
        if folded.endswith(" city"):  # "Boise City" is Boise; "New York City" keeps its name
            variants.add(folded.removesuffix(" city"))
        return places, variants

    def matching(self, text: str):
        """Places one of whose names starts with the words typed, forgiving accents, case and
        punctuation ("Tucsón", "st. louis", "new york city"); exact names first, then the
        largest. A trailing state name or postal code ("Boise, Idaho", "tucson az") narrows."""
        typed = self._typed(text)
        if typed is None:
            return self.annotate(exact=models.Value(0)).none()
        places, variants = typed
        starts, exact = Q(), Q()
        for variant in variants:
            starts |= Q(search_names__contains=f"|{variant}")
            exact |= Q(search_names__contains=f"|{variant}|")
        return (
            places.filter(starts)
            .annotate(exact=models.Case(models.When(exact, then=1), default=0))
            .order_by("-exact", models.F("population").desc(nulls_last=True), "name", "id")
        )

    def named(self, text: str):
        """Places one of whose whole names is the words typed (matching()'s exact matches,
        largest first), found through the names index rather than by reading every place."""
        typed = self._typed(text)
        if typed is None:
            return self.none()
        places, variants = typed
        return (
            places.alias(names=NAMES)
            .filter(names__overlap=sorted(variants))
            .order_by(models.F("population").desc(nulls_last=True), "name", "id")
        )

    def from_parameter(self, value: str):
        """The place named by ?place=<state>/<place-slug>, or None."""
        code, _slash, slug = value.partition("/")
        slug = slugify(slug)  # a typed name forgives accents and case: "az/Tucsón"
        if not slug or len(code) != 2:
            return None
        return self.select_related("state").filter(state__usps_code=code.upper(), slug=slug).first()


def _trailing_state(folded: str):
    """("boise", <Idaho>) for "boise idaho" or "boise id"; None when no state ends the text."""
    words = folded.split()
    if len(words) < 2:
        return None
    for state in State.objects.only("id", "name", "usps_code"):
        for suffix in (fold(state.name), state.usps_code.lower()):
            if folded.endswith(" " + suffix):
                return folded.removesuffix(" " + suffix).strip(), state
    return None


def states_matching(text: str):
    """States, DC and territories whose name starts with the words typed, or whose postal code
    they are ("id", "Puerto Rico", "district of columbia")."""
    folded = fold(text)
    if not folded:
        return []
    return [
        state
        for state in State.objects.order_by("name")
        if fold(state.name).startswith(folded) or state.usps_code.lower() == folded
    ]


# Every folded name of a place as an array, for the GIN index that finds whole names.
NAMES = Func(
    F("search_names"),
    Value("|"),
    function="string_to_array",
    output_field=ArrayField(models.TextField()),
)


def search_names(name: str, aliases=()) -> str:
    """The folded names a place is found by, each between bars: "|new york city|brooklyn|"."""
    return "|" + "|".join(fold(n) for n in [name, *aliases] if fold(n)) + "|"


class Place(LeaderOffice):
    """A US city or county with a public profile."""

    class Kind(models.TextChoices):
        CITY = "city", _("City")
        COUNTY = "county", _("County")

    state = models.ForeignKey(
        State, on_delete=models.PROTECT, related_name="places", verbose_name=_("state")
    )
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=220)
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=60, blank=True)
    geonames_id = models.PositiveIntegerField(_("GeoNames ID"), null=True, blank=True, unique=True)
    fips_code = models.CharField(_("FIPS code"), max_length=5, null=True, blank=True, unique=True)
    # Folded names to match what people type (see lib.text.fold), boroughs with their city.
    search_names = models.TextField(_("names to find it by"), blank=True, editable=False)
    # Set by staff (no census indicator ships in a package we can use); see README, "Reach".
    is_underserved = models.BooleanField(
        _("underserved"),
        default=False,
        help_text=_("Staff mark places the Department should reach out to first."),
    )
    # GeoNames lists some boroughs and neighbourhoods (Brooklyn, Harlem) as cities of their own
    # and carries no feature code to tell them apart, so staff link them to their city.
    part_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="parts",
        limit_choices_to={"kind": "city", "part_of__isnull": True},
        verbose_name=_("part of the city"),
        help_text=_(
            "For a borough or neighbourhood: the city it belongs to. It then counts as that "
            "city on the reach dashboard and the gaps list."
        ),
    )

    objects = PlaceQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["latitude", "longitude", "time_zone"])

    class Meta:
        ordering = ["state__name", "name"]
        verbose_name = _("city or county")
        verbose_name_plural = _("cities and counties")
        constraints = [
            models.UniqueConstraint(fields=["state", "slug"], name="place_slug_unique_in_state"),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="place_latitude_in_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="place_longitude_in_range",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "kind", "-population"]),
            GinIndex(NAMES, name="place_names"),
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.state.usps_code}"

    def save(self, *args, **kwargs):
        if not self.search_names or fold(self.name) not in self.search_names.split("|"):
            self.search_names = search_names(self.name)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("cities:place", args=[self.state.slug, self.slug])

    @property
    def parameter(self) -> str:
        """The value of ?place= that chooses this place: "id/boise"."""
        return f"{self.state.slug}/{self.slug}"

    @property
    def government_level(self) -> str:
        return "county" if self.kind == self.Kind.COUNTY else "city"

    @property
    def leader_office_label(self) -> str:
        if self.kind == self.Kind.COUNTY:
            return _("County executive's office")
        return _("Mayor's office")
