"""Facets combine values of one group with OR and groups with AND; each chosen group keeps its
other values visible with the counts they would give. Checked against a brute-force count."""

import random

import pytest
from django.urls import reverse

from cities.models import Bureau
from opportunities.filters import DeadlineWindow
from opportunities.models import Audience, Format, Kind, Listing, Topic
from tests.factories import ListingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(states):
    rng = random.Random(11)
    topics = list(Topic.objects.all()[:5])
    bureaus = list(Bureau.objects.all())
    kinds = [Kind.FUNDING, Kind.EVENT, Kind.EXCHANGE, Kind.CITY_NETWORK]
    for n in range(40):
        listing = ListingFactory(
            title=f"Listing {n}",
            kind=rng.choice(kinds),
            format=rng.choice(Format.values),
            audiences=rng.sample(Audience.values, rng.randint(1, 2)),
            topics=rng.sample(topics, rng.randint(1, 2)),
            is_global=rng.random() < 0.2,
        )
        listing.bureaus.set(rng.sample(bureaus, rng.randint(0, 2)))
    return {"topics": topics, "bureaus": bureaus}


def brute_force(listings, params, skip=None):
    """Which listings match, read value by value in Python."""

    def matches(listing, group, values):
        if group == "kind":
            return listing.kind in values
        if group == "format":
            return listing.format in values
        if group == "audience":
            return bool(set(listing.audiences) & set(values))
        if group == "topic":
            return bool({t.slug for t in listing.topics.all()} & set(values))
        if group == "region":
            codes = {b.code for b in listing.bureaus.all()} | (
                {"global"} if listing.is_global else set()
            )
            return bool(codes & set(values))
        raise AssertionError(group)

    return [
        listing
        for listing in listings
        if all(matches(listing, g, v) for g, v in params.items() if g != skip and v)
    ]


CASES = [
    {"kind": ["funding", "event"]},
    {"kind": ["funding"], "topic": ["climate"]},
    {"kind": ["event", "exchange"], "format": ["virtual", "hybrid"], "audience": ["students"]},
    {"region": ["global", "WHA"], "kind": ["city_network"]},
]


@pytest.mark.parametrize("params", CASES)
def test_facet_counts_agree_with_a_brute_force_count(client, catalogue, params):
    listings = list(Listing.objects.published().prefetch_related("topics", "bureaus"))
    response = client.get(reverse("opportunities:search"), params)
    results = response.context["results"]
    assert results.total == len(brute_force(listings, params))
    for group, facets in results.facets.items():
        if group in ("deadline", "level", "underserved"):
            continue
        pool = brute_force(listings, params, skip=group)  # own group left out: disjunctive
        for facet in facets:
            expected = len(brute_force(pool, {group: [facet.value]}))
            assert facet.count == expected, (group, facet.value)


def test_ticking_one_kind_keeps_the_other_kinds_listed(client, catalogue):
    html = client.get(reverse("opportunities:search"), {"kind": "funding"}).content.decode()
    for kind in ("event", "exchange", "city_network", "trade_lead"):
        assert f'id="kind-{kind}"' in html  # trade_lead has no listing: listed, quietly
    assert "facet-option--empty" in html


def test_one_query_per_chosen_group_at_most(client, catalogue, django_assert_max_num_queries):
    params = {"kind": ["funding", "event"], "topic": ["climate"], "format": ["virtual"]}
    # form choices (2) + page ids + page rows + prefetches (2) + main facets (1 without topic)
    # + region (1) + one per chosen group (3) + cache and session bookkeeping
    with django_assert_max_num_queries(12):
        client.get(reverse("opportunities:search"), params)


def test_text_search_facets_are_disjunctive_too(client, catalogue):
    response = client.get(reverse("opportunities:search"), {"q": "money", "kind": "funding"})
    kinds = {f.value: f.count for f in response.context["results"].facets["kind"]}
    assert kinds["event"] == Listing.objects.filter(kind=Kind.EVENT).count()


def test_deadline_windows_combine_with_or(client, catalogue):
    response = client.get(reverse("opportunities:search"), {"deadline": ["month", "week"]})
    windows = {f.value: f.count for f in response.context["results"].facets["deadline"]}
    assert response.context["results"].total == windows["month"] + windows["week"]
    assert set(windows) == {value for value, _ in DeadlineWindow.choices}


def test_results_are_announced_after_swaps(client, catalogue):
    html = client.get(reverse("opportunities:search")).content.decode()
    assert 'id="result-announcement"' in html and 'aria-live="polite"' in html
    assert "js/search-filters.js" in html
    assert 'class="usa-search__submit-icon" alt="Search"' in html
