"""A place name is found however it is typed, accents and case forgiven, everywhere a person
types one (issue #15: "Tucsón" was rejected as an unknown city)."""

import pytest

from cities.models import LocalSolution, PriorityResponse, State
from opportunities.models import Subscription
from tests.cities.test_priorities import form_data as priorities_data
from tests.cities.test_solutions import form_data as solution_data
from tests.factories import PlaceFactory

pytestmark = pytest.mark.django_db

SPELLINGS = ["Tucsón", "TUCSÓN", "tucson", " Tucson "]


@pytest.fixture
def tucson(states):
    arizona = State.objects.get(usps_code="AZ")
    PlaceFactory(name="Tucson Estates", state=arizona, population=12_000)
    return PlaceFactory(name="Tucson", state=arizona, population=542_629)


@pytest.mark.parametrize("typed", SPELLINGS)
def test_the_solution_form_finds_the_city(client, tucson, mailbox, typed):
    response = client.post("/es/solutions/submit/", solution_data(state="AZ", place_name=typed))
    assert response.status_code == 302
    assert LocalSolution.objects.get().place == tucson


@pytest.mark.parametrize("typed", SPELLINGS)
def test_the_priorities_form_finds_the_city(client, tucson, mailbox, typed):
    response = client.post("/es/priorities/", priorities_data(state="AZ", place_name=typed))
    assert response.status_code == 302
    assert PriorityResponse.objects.get().place == tucson


def test_a_misspelled_name_is_answered_with_suggestions_found_without_accents(client, tucson):
    response = client.post("/es/solutions/submit/", solution_data(state="AZ", place_name="Tucsó"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "¿Quiso decir: Tucson, Tucson Estates?" in html


@pytest.mark.parametrize("typed", SPELLINGS)
def test_the_subscription_form_finds_the_city(client, tucson, mailbox, typed):
    data = {"email": "ana@tucsonaz.gov", "role": "local_government", "frequency": "weekly"}
    response = client.post("/es/subscribe/", {**data, "state": "AZ", "place_name": typed})
    assert response.status_code == 302
    assert Subscription.objects.get().place == tucson


def test_the_api_finds_the_city_by_name(client, tucson):
    names = client.get("/api/v1/places/", {"q": "Tucsón"}).json()["results"]
    assert {place["name"] for place in names} == {"Tucson", "Tucson Estates"}


def test_a_place_parameter_typed_by_hand_forgives_accents_and_case(client, tucson):
    response = client.get("/es/opportunities/", {"place": "AZ/Tucsón"})
    assert response.status_code == 200
    assert response.context["place"] == tucson


def test_the_state_pages_place_search_forgives_accents(client, tucson):
    response = client.get("/es/states/az/", {"q": "TUCSÓN"})
    assert "Tucson" in [place.name for place in response.context["page"]]
