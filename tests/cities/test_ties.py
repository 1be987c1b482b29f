import datetime

import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError

from cities.models import (
    Country,
    Delegation,
    EmbassyPartnership,
    NetworkMembership,
    Place,
    SisterCity,
    State,
)
from tests.factories import PlaceFactory, topic

pytestmark = pytest.mark.django_db

INLINES = ["sistercity_set", "networkmembership_set", "delegation_set", "embassypartnership_set"]


def inline_data(**rows) -> dict:
    """The admin's management forms for the four tie inlines, with the given rows."""
    data = {}
    for prefix in INLINES:
        given = rows.get(prefix, [])
        data.update({f"{prefix}-TOTAL_FORMS": len(given), f"{prefix}-INITIAL_FORMS": 0})
        for i, row in enumerate(given):
            data.update({f"{prefix}-{i}-{key}": value for key, value in row.items()})
    return data


def test_curator_records_a_sister_city_and_the_profile_shows_it(client, states, curator):
    place = PlaceFactory(name="Boulder")
    japan = Country.objects.get(iso_code="JP")
    response = client.post(
        f"/admin/cities/place/{place.pk}/change/",
        inline_data(
            sistercity_set=[
                {"kind": "sister", "city": "Yamagata", "country": japan.pk, "since": 1994}
            ],
            networkmembership_set=[{"network": "ICLEI", "website": "iclei.org"}],
        ),  # fmt: skip
    )
    assert response.status_code == 302
    html = client.get(place.get_absolute_url()).content.decode()
    ties = html[html.index('id="ties-heading"') :]
    assert "Yamagata, Japan" in ties and "since 1994" in ties
    assert 'href="https://iclei.org"' in ties


def test_state_profile_shows_the_states_own_ties(client, states):
    colorado = State.objects.get(usps_code="CO")
    delegation = Delegation.objects.create(
        state=colorado,
        direction=Delegation.Direction.SENT,
        date=datetime.date(2025, 5, 12),
        purpose="Aerospace trade mission",
    )
    delegation.countries.set(Country.objects.filter(iso_code__in=["DE", "FR"]))
    EmbassyPartnership.objects.create(
        state=colorado, country=Country.objects.get(iso_code="MX"),
        mission="Consulate General of Mexico in Denver", description="Trade desk",
    )  # fmt: skip
    html = client.get("/states/co/").content.decode()
    ties = html[html.index('id="ties-heading"') :]
    assert "Sent abroad" in ties and "Aerospace trade mission" in ties
    assert "France, Germany" in ties
    assert "Consulate General of Mexico in Denver (Mexico): Trade desk" in ties
    assert "have not been recorded" not in ties


def test_profile_without_ties_says_so(client, states):
    place = PlaceFactory()
    html = client.get(place.get_absolute_url()).content.decode()
    assert "Sister cities, city networks and delegations have not been recorded" in html


def test_implausible_year_is_refused_with_a_clear_message(client, states, curator):
    place = PlaceFactory()
    response = client.post(
        f"/admin/cities/place/{place.pk}/change/",
        inline_data(networkmembership_set=[{"network": "C40", "since": 1200}]),
    )
    assert response.status_code == 200
    assert "Give the year as four digits, from 1900 on." in response.content.decode()
    assert not NetworkMembership.objects.exists()


def test_a_tie_belongs_to_exactly_one_profile(states):
    place = PlaceFactory()
    with pytest.raises(IntegrityError):
        NetworkMembership.objects.create(
            place=place, state=State.objects.get(usps_code="CO"), network="C40"
        )


def test_curators_may_edit_ties_and_the_public_may_not(client, states):
    curators = Group.objects.get(name="Curator")
    assert curators.permissions.filter(codename="add_sistercity").exists()
    place = PlaceFactory()
    response = client.get(f"/admin/cities/place/{place.pk}/change/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_peer_places_share_networks_or_topics_and_are_of_similar_size(client, states):
    boulder = PlaceFactory(name="Boulder", population=100_000)
    NetworkMembership.objects.create(place=boulder, network="ICLEI")
    climate = Delegation.objects.create(
        place=boulder, direction="sent", date=datetime.date(2025, 1, 1), purpose="Climate"
    )
    climate.topics.set([topic("climate")])
    fort_collins = PlaceFactory(name="Fort Collins", population=170_000)
    NetworkMembership.objects.create(place=fort_collins, network="iclei")  # any capitalization
    austin = PlaceFactory(name="Austin", population=60_000, state=State.objects.get(usps_code="TX"))
    received = Delegation.objects.create(
        place=austin, direction="received", date=datetime.date(2025, 2, 1), purpose="Visit"
    )
    received.topics.set([topic("climate"), topic("energy")])
    giant = PlaceFactory(name="Giant City", population=900_000)  # too large to be a peer
    NetworkMembership.objects.create(place=giant, network="ICLEI")
    unrelated = PlaceFactory(name="Quiet Town", population=110_000)
    NetworkMembership.objects.create(place=unrelated, network="Another Network")
    france = Country.objects.get(iso_code="FR")
    SisterCity.objects.create(place=unrelated, city="Lyon", country=france)

    html = client.get(boulder.get_absolute_url()).content.decode()
    peers = html[html.index('id="peers-heading"') :]
    assert "Fort Collins, Colorado" in peers and "also in iclei" in peers
    assert "Austin, Texas" in peers and "also works on Climate" in peers
    assert "Energy" not in peers  # only what the two have in common
    assert "Giant City" not in peers and "Quiet Town" not in peers


def test_place_profile_query_count_does_not_grow_with_ties_or_peers(
    client, states, django_assert_max_num_queries
):
    place = PlaceFactory(population=50_000)
    france = Country.objects.get(iso_code="FR")
    for i in range(8):
        NetworkMembership.objects.create(place=place, network=f"Network {i}")
        SisterCity.objects.create(place=place, city=f"Ville {i}", country=france)
        delegation = Delegation.objects.create(
            place=place, direction="sent", date=datetime.date(2025, 1, 1 + i), purpose="Trade"
        )
        delegation.countries.set([france])
        peer = PlaceFactory(population=50_000 + i)
        NetworkMembership.objects.create(place=peer, network=f"Network {i}")
    with django_assert_max_num_queries(16):
        response = client.get(place.get_absolute_url())
    assert response.content.decode().count("Ville ") == 8
    assert Place.objects.count() == 9


def test_a_place_with_nothing_recorded_sees_similar_places_with_ties(client, states):
    from cities.models import NetworkMembership, State

    idaho = State.objects.get(usps_code="ID")
    ketchum = PlaceFactory(name="Ketchum", state=idaho, population=3_555)
    sandpoint = PlaceFactory(name="Sandpoint", state=idaho, population=6_000)
    PlaceFactory(name="Quiet Town", state=idaho, population=3_600)  # no ties
    NetworkMembership.objects.create(place=sandpoint, network="ICLEI")
    html = client.get(ketchum.get_absolute_url()).content.decode()
    peers = html[html.index('id="peers-heading"') :]
    assert "Sandpoint" in peers and "ICLEI" in peers
    assert "Quiet Town" not in peers
