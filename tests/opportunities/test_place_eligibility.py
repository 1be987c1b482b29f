"""Choosing a place applies its eligibility everywhere listings are listed."""

import pytest
from django.urls import reverse

from cities.models import Place, State
from opportunities.models import Audience, GovernmentLevel, Kind, Listing
from tests.factories import ListingFactory, PlaceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def idaho(states):
    state = State.objects.get(usps_code="ID")
    return {
        "state": state,
        "boise": PlaceFactory(name="Boise", state=state, population=235_684),
        "ketchum": PlaceFactory(name="Ketchum", state=state, population=3_555),
        "ada": PlaceFactory(
            name="Ada County", state=state, kind=Place.Kind.COUNTY, population=None
        ),
    }


@pytest.fixture
def listings(idaho):
    arizona = State.objects.get(usps_code="AZ")
    made = {
        "everyone": ListingFactory(title="Open to all", government_levels=[]),
        "idaho_only": ListingFactory(title="Idaho only"),
        "arizona_only": ListingFactory(title="Arizona only"),
        "cities_mid": ListingFactory(
            title="Mid-size cities",
            government_levels=[GovernmentLevel.CITY],
            min_population=10_000,
            max_population=500_000,
        ),
        "counties": ListingFactory(
            title="Counties only", government_levels=[GovernmentLevel.COUNTY]
        ),
        "states": ListingFactory(
            title="State governments", government_levels=[GovernmentLevel.STATE]
        ),
        "student": ListingFactory(
            title="Student exchange", kind=Kind.EXCHANGE, audiences=[Audience.STUDENTS]
        ),
    }
    made["idaho_only"].target_states.set([idaho["state"]])
    made["arizona_only"].target_states.set([arizona])
    return made


def titles(queryset):
    return set(queryset.values_list("title", flat=True))


def test_a_city_sees_what_its_state_level_and_size_allow(idaho, listings):
    assert titles(Listing.objects.for_place(idaho["boise"])) == {
        "Open to all", "Idaho only", "Mid-size cities", "Student exchange"
    }  # fmt: skip


def test_a_small_town_is_outside_a_population_range(idaho, listings):
    assert "Mid-size cities" not in titles(Listing.objects.for_place(idaho["ketchum"]))


def test_a_county_sees_county_listings_not_city_ones(idaho, listings):
    found = titles(Listing.objects.for_place(idaho["ada"]))
    assert "Counties only" in found
    assert "Mid-size cities" not in found


def test_a_state_is_its_own_government(idaho, listings):
    assert titles(Listing.objects.for_place(idaho["state"])) == {
        "Open to all", "Idaho only", "State governments", "Student exchange"
    }  # fmt: skip


def test_search_page_applies_the_place_and_says_why_each_fits(client, idaho, listings):
    response = client.get(reverse("opportunities:search"), {"place": "id/boise"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Arizona only" not in html
    assert "Counties only" not in html
    assert "Open to cities of 10,000–500,000 anywhere in the US" in html
    assert "in Idaho" in html
    assert "For Boise, Idaho" in html
    assert response.cookies["place"].value == "id/boise"


def test_the_place_is_remembered_for_the_visit(client, idaho, listings):
    client.get(reverse("opportunities:search"), {"place": "id/boise"})
    response = client.get(reverse("opportunities:search"), {"kind": "funding"})
    assert response.status_code == 302
    assert "place=id%2Fboise" in response["Location"]
    assert "kind=funding" in response["Location"]
    response = client.get(reverse("opportunities:search"), {"place": ""})
    assert response.status_code == 200
    assert response.cookies["place"].value == ""


@pytest.mark.parametrize("value", ["zz/nowhere", "id/atlantis", "idaho", "i" * 500])
def test_an_unknown_place_is_a_clear_400(client, idaho, listings, value):
    response = client.get(reverse("opportunities:search"), {"place": value})
    assert response.status_code == 400
    assert "We know no place" in response.content.decode()


def test_a_place_with_a_nul_byte_is_refused_before_the_search(client, idaho, listings):
    # The site-wide bad-input guard answers first, naming the parameter.
    response = client.get(reverse("opportunities:search"), {"place": "id/\x00"})
    assert response.status_code == 400
    assert "place" in response.content.decode()


@pytest.mark.parametrize(
    "url", ["/opportunities/feed.rss", "/opportunities/export.csv", "/opportunities/calendar.ics"]
)
def test_feeds_and_exports_apply_the_place(client, idaho, listings, url):
    response = client.get(url, {"place": "id/ketchum"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"Arizona only" not in body
    assert b"Mid-size cities" not in body
    assert client.get(url, {"place": "zz"}).status_code == 400


def test_api_applies_the_place(client, idaho, listings):
    response = client.get("/api/v1/listings/", {"place": "id"})
    assert response.status_code == 200
    assert {r["title"] for r in response.json()["results"]} == {
        "Open to all", "Idaho only", "State governments", "Student exchange"
    }  # fmt: skip
    assert client.get("/api/v1/listings/", {"place": "id/nowhere"}).status_code == 404
    assert client.get("/api/v1/listings/", {"place": "not a place"}).status_code == 400


def test_programs_apply_the_place(client, idaho, listings):
    response = client.get(reverse("programs"), {"place": "az"})
    assert response.status_code == 200
    assert "Student exchange" in response.content.decode()
    assert client.get(reverse("programs"), {"place": "qq/x"}).status_code == 400


def test_typing_a_place_into_search_suggests_it(client, idaho, listings):
    html = client.get(reverse("opportunities:search"), {"q": "Boise"}).content.decode()
    assert "Show opportunities for Boise, Idaho?" in html
    assert "?place=id/boise" in html
    html = client.get(reverse("opportunities:search"), {"q": " IDAHO "}).content.decode()
    assert "Show opportunities for Idaho?" in html
    assert "?place=id&quot;" in html or '?place=id"' in html


def test_the_suggestion_follows_a_new_or_renamed_place_at_once(client, idaho, listings):
    """Suggestions are kept per words and content version: a place saved moves it on."""
    url = reverse("opportunities:search")
    assert "Show opportunities for" not in client.get(url, {"q": "Meridian"}).content.decode()
    PlaceFactory(name="Meridian", state=idaho["state"], population=117_635)
    assert (
        "Show opportunities for Meridian, Idaho?"
        in client.get(url, {"q": "Meridian"}).content.decode()
    )
    assert (
        "Show opportunities for Boise, Idaho?" in client.get(url, {"q": "Boise"}).content.decode()
    )
    boise = idaho["boise"]
    boise.name, boise.search_names = "Boisetown", "|boisetown|"
    boise.save()
    assert "Show opportunities for" not in client.get(url, {"q": "Boise"}).content.decode()
    assert (
        "Show opportunities for Boisetown, Idaho?"
        in client.get(url, {"q": "Boisetown"}).content.decode()
    )


def test_search_with_a_place_query_count(client, idaho, listings, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        client.get(reverse("opportunities:search"), {"place": "id/boise", "kind": "funding"})
