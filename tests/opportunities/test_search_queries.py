"""The search page's SQL queries: a small, constant number per page, whatever the page size,
the words, the filters or the place, for the whole page and for htmx's partial; fewer once
the facet counts are cached."""

import pytest
from django.core.cache import cache

from cities.models import State
from opportunities.models import GovernmentLevel, Kind
from tests.factories import ListingFactory, PlaceFactory, topic

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
# Filter choices (topics, regions), the page's ids, its listings (with whether each names
# target states, for the line on why it fits a place), and with a place the place itself.
CACHED = {"plain": 4, "place": 5}
# Uncached facet counts add three queries, and one per facet group chosen (disjunctive). Words
# fetch their candidate matches once for every count, and the first page by relevance is
# picked from those (no query of its own).
COUNTS = 3


@pytest.fixture
def listings(states):
    idaho = State.objects.get(usps_code="ID")
    made = ListingFactory.create_batch(25, summary="A partnership with cities abroad.")
    made += ListingFactory.create_batch(
        25,
        kind=Kind.EVENT,
        summary="A partnership summit for mayors.",
        government_levels=[GovernmentLevel.CITY],
        topics=[topic("climate"), topic("democracy-and-governance")],
    )
    for listing in made[::5]:
        listing.target_states.set([idaho])
    PlaceFactory(name="Boise", state=idaho, population=235_684)
    return made


def get(client, django_assert_max_num_queries, most: int, params: dict, headers=None):
    with django_assert_max_num_queries(most) as captured:
        response = client.get("/opportunities/", params, headers=headers or {})
    assert response.status_code == 200
    assert response.content.count(b'class="usa-collection__item"') == 20, captured
    return response


CASES = {
    "listing page": ({}, "plain", 0),
    "words": ({"q": "partnership"}, "plain", 0),
    "words and two facet groups": (
        {"q": "partnership", "kind": ["event", "funding"], "topic": "climate"},
        "plain",
        2,
    ),
    "place": ({"place": "id/boise"}, "place", 0),
    "state, words and a facet": (
        {"place": "id", "q": "partnership", "kind": "funding"},
        "place",
        1,
    ),
}


@pytest.mark.parametrize("htmx", [False, True], ids=["whole page", "htmx partial"])
@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_search_page_queries_are_few_and_cached_counts_save_more(
    client, listings, django_assert_max_num_queries, case, htmx
):
    params, kind, groups = case
    headers = HTMX if htmx else None
    # A search of words that are no place's name also asks whether they name one (two queries).
    named = 2 if "q" in params and "place" not in params else 0
    cache.clear()
    cold = CACHED[kind] + named + COUNTS + groups
    get(client, django_assert_max_num_queries, cold, params, headers)
    get(client, django_assert_max_num_queries, CACHED[kind] + named, params, headers)


def test_htmx_gets_the_results_and_filters_only(client, listings):
    whole = client.get("/opportunities/", {"q": "partnership"})
    partial = client.get("/opportunities/", {"q": "partnership"}, headers=HTMX)
    assert partial.content.lstrip().startswith(b'<div id="search-layout">')
    assert b"<header" not in partial.content and b"<footer" not in partial.content
    assert b'<div id="search-layout">' in whole.content and b"<footer" in whole.content
    assert "HX-Request" in partial["Vary"] and "HX-Request" in whole["Vary"]
    # htmx restoring a page missing from its history cache needs the whole page.
    restored = client.get(
        "/opportunities/",
        {"q": "partnership"},
        headers={**HTMX, "HX-History-Restore-Request": "true"},
    )
    assert b"<footer" in restored.content
