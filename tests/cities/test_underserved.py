"""The gaps list counts each city once and shows contacts; staff mark places underserved in
bulk, by criteria or from a CSV of FIPS codes, with history; the dashboards link to the admin
and back."""

import io

import pytest
from django.contrib.auth.models import Permission, User
from django.utils import timezone

from cities import reach
from cities.models import Place, State
from opportunities.models import Subscription, SubscriptionStatus
from tests.factories import PlaceFactory

pytestmark = pytest.mark.django_db
PAGE = "/staff/reach/underserved/"


def ny(name, population, **kwargs):
    return PlaceFactory(name=name, population=population,
                        state=State.objects.get(usps_code="NY"), **kwargs)  # fmt: skip


def test_a_borough_counts_as_its_city_on_the_gaps_list(states):
    city = ny("New York City", 8_000_000)
    brooklyn = ny("Brooklyn", 2_700_000, part_of=city)
    ny("Harlem", 116_000, part_of=city)
    assert list(reach.gaps().filter(state__usps_code="NY")) == [city]
    # Reaching a borough reaches its city.

    Subscription.objects.create(
        email="bk@example.gov",
        place=brooklyn,
        state=brooklyn.state,
        status=SubscriptionStatus.CONFIRMED,
        confirmed_at=timezone.now(),
    )
    assert list(reach.gaps().filter(state__usps_code="NY")) == []


def test_the_gaps_list_shows_contacts(client, curator, states):
    PlaceFactory(name="Pueblo", office_email="mayor@pueblo.example.gov", leader_name="Ana Ruiz")
    PlaceFactory(name="Greeley")
    html = client.get("/staff/reach/gaps/").content.decode()
    assert "mailto:mayor@pueblo.example.gov" in html and "Ana Ruiz" in html
    assert "No contact on file" in html
    csv_text = client.get("/staff/reach/gaps/?format=csv").getvalue().decode()
    assert "mayor@pueblo.example.gov" in csv_text


def test_dashboards_link_back_to_the_admin(client, curator, states):
    for url in ("/staff/reach/", "/staff/reach/gaps/", "/staff/priorities/", PAGE):
        html = client.get(url).content.decode()
        assert 'href="/admin/"' in html, url
        assert 'href="/admin/opportunities/listing/review/"' in html, url


def test_mark_underserved_by_criteria_with_history(client, curator, states):
    small = PlaceFactory(name="Small", population=8_000)
    big = PlaceFactory(name="Big", population=300_000)
    response = client.post(
        PAGE,
        {"criteria-state": "CO", "criteria-max_population": "10000",
         "criteria-not_reached_only": "on", "criteria-reason": "Under 10k, no ties"},
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"] == f"{PAGE}?marked=1"
    assert "1 place marked underserved." in client.get(response["Location"]).content.decode()
    small.refresh_from_db()
    big.refresh_from_db()
    assert small.is_underserved and not big.is_underserved
    latest = small.history.latest()
    assert latest.history_user == curator
    assert latest.history_change_reason == "Marked underserved: Under 10k, no ties"


def test_criteria_must_narrow_and_a_reason_is_needed(client, curator, states):
    PlaceFactory()
    response = client.post(PAGE, {"criteria-reason": ""})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Choose at least a state, a type or a population range." in html
    assert "Say why these places are marked." in html
    assert not Place.objects.filter(is_underserved=True).exists()


def upload(text):
    file = io.BytesIO(text.encode())
    file.name = "fips.csv"
    return file


def county(name, fips):
    return PlaceFactory(name=name, kind=Place.Kind.COUNTY, fips_code=fips, population=None)


def test_mark_underserved_from_a_csv_of_fips_codes(client, curator, states):
    costilla, conejos, denver = (
        county("Costilla", "08023"),
        county("Conejos", "08021"),
        county("Denver", "08031"),
    )
    response = client.post(
        PAGE,
        {"fips-fips_file": upload("fips\n08023\n8021\n"), "fips-fips_reason": "Persistent poverty"},
    )
    assert response.status_code == 302
    assert set(Place.objects.filter(is_underserved=True)) == {costilla, conejos}
    assert denver.history.count() == 1  # created, never marked
    assert costilla.history.latest().history_change_reason == (
        "Marked underserved: Persistent poverty"
    )


def test_a_bad_fips_file_marks_nothing_and_names_each_line(client, curator, states):
    county("Costilla", "08023")
    response = client.post(
        PAGE,
        {"fips-fips_file": upload("08023\nabc\n99999\n"), "fips-fips_reason": "Poverty"},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Line 2: “abc” is not a five-digit FIPS code." in html
    assert "No county or place has the FIPS code 99999." in html
    assert not Place.objects.filter(is_underserved=True).exists()


def test_only_staff_who_change_places_can_mark_them(client, states):
    viewer = User.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_dashboards", "view_place"])
    )
    client.force_login(viewer)
    place = PlaceFactory()
    assert client.get(PAGE).status_code == 403
    client.post(PAGE, {"criteria-state": "CO", "criteria-reason": "x"})
    place.refresh_from_db()
    assert not place.is_underserved
    client.logout()
    assert client.get(PAGE).status_code == 302  # to the sign-in page
