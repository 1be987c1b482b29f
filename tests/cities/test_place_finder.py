import pytest
from django.urls import reverse

from cities.models import Place, State, search_names
from tests.factories import PlaceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def places(states):
    def state(code):
        return State.objects.get(usps_code=code)

    return {
        "tucson": PlaceFactory(name="Tucson", state=state("AZ"), population=542_629),
        "st_louis": PlaceFactory(name="St. Louis", slug="st-louis", state=state("MO")),
        "nyc": PlaceFactory(
            name="New York City",
            state=state("NY"),
            population=8_804_190,
            search_names=search_names("New York City", ["Brooklyn", "Queens"]),
        ),
        "boise": PlaceFactory(name="Boise", state=state("ID"), population=235_684),
        "boise_county": PlaceFactory(
            name="Boise County", state=state("ID"), kind=Place.Kind.COUNTY, population=None
        ),
        "ketchum": PlaceFactory(name="Ketchum", state=state("ID"), population=3_555),
    }


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Tucsón", "tucson"),
        ("TUCSON", "tucson"),
        ("st. louis", "st_louis"),
        ("Saint Louis", "st_louis"),
        ("new york city", "nyc"),
        ("Brooklyn", "nyc"),
        ("ketch", "ketchum"),
        ("Boise, Idaho", "boise"),
        ("boise id", "boise"),
    ],
)
def test_finder_forgives_accents_case_and_abbreviations(places, typed, expected):
    assert Place.objects.matching(typed).first() == places[expected]


def test_exact_name_comes_before_longer_names(places):
    assert list(Place.objects.matching("boise")) == [places["boise"], places["boise_county"]]


def test_finder_page_lists_places_and_states(client, places):
    response = client.get(reverse("place_finder"), {"q": "Tucsón"})
    assert response.status_code == 200
    html = response.content.decode()
    assert places["tucson"].get_absolute_url() in html
    response = client.get(reverse("place_finder"), {"q": "idaho"})
    assert "/states/id/" in response.content.decode()


def test_finder_answers_htmx_with_the_suggestions_only(client, places):
    response = client.get(reverse("place_finder"), {"q": "boi"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html
    assert "Boise, Idaho" in html
    assert "HX-Request" in response["Vary"]


def test_finder_says_when_nothing_matches(client, places):
    response = client.get(reverse("place_finder"), {"q": "Atlantis"})
    assert response.status_code == 200
    assert "0 places match" in response.content.decode()


@pytest.mark.parametrize("typed", ["x" * 101, "bo\x00ise"])
def test_finder_rejects_bad_input_without_error(client, places, typed):
    response = client.get(reverse("place_finder"), {"q": typed})
    assert response.status_code in (200, 400)


def test_finder_query_count(client, places, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        client.get(reverse("place_finder"), {"q": "boise idaho"})


def test_api_places_search_matches_like_the_finder(client, places):
    response = client.get("/api/v1/places/", {"q": "Tucsón"})
    assert response.status_code == 200
    assert [p["name"] for p in response.json()["results"]] == ["Tucson"]


def test_header_and_home_carry_the_finder(client, states):
    html = client.get(reverse("home")).content.decode()
    assert 'id="header-place-q"' in html
    assert 'id="home-place-q"' in html
    for name in ("events", "priorities:form", "solutions:list"):
        assert f'href="{reverse(name)}"' in html
