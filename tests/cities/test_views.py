import re

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cities.models import Place, State
from diplomacy.bad_input import refused_in_parameter
from tests.factories import PlaceFactory

pytestmark = pytest.mark.django_db


def test_map_links_every_state_dc_and_territory(client, states):
    response = client.get("/states/")
    assert response.status_code == 200
    html = response.content.decode()
    for state in State.objects.all():
        assert f'href="/states/{state.usps_code.lower()}/"' in html
    # Every state and DC on the drawn map, the territories as labelled boxes.
    assert html.count('class="state-map__link"') == 56 + 1  # DC is drawn and boxed


def test_map_colors_states_by_places_with_a_profile(client, states):
    PlaceFactory.create_batch(3)  # Colorado
    html = client.get("/states/", {"metric": "places"}).content.decode()
    colorado = re.search(r'aria-label="Colorado: ([\d,]+) places? with a profile"', html)
    assert colorado.group(1) == "3"
    assert 'aria-label="Wyoming: 0 places with a profile"' in html
    assert "state-map__shape map-bin-1" in html and "map-bin-0" in html


def test_map_table_lists_counts_per_state(client, states):
    PlaceFactory.create_batch(2)
    PlaceFactory(kind=Place.Kind.COUNTY, name="Denver County")
    html = client.get("/states/", {"metric": "places"}).content.decode()
    row = re.search(r"Colorado</a></th>(.*?)</tr>", html, re.S).group(1)
    assert re.findall(r'data-sort-value="(\d+)"', row) == ["3", "2", "1"]


def test_map_query_count_is_constant(client, states, django_assert_max_num_queries):
    PlaceFactory.create_batch(40)
    with django_assert_max_num_queries(2):
        assert client.get("/states/").status_code == 200


def test_state_profile_shows_facts_and_largest_cities_first(client, states):
    PlaceFactory(name="Small Town", population=6_000)
    PlaceFactory(name="Big City", population=700_000)
    PlaceFactory(name="Unknown Size", population=None)
    response = client.get("/states/co/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Colorado</h1>" in html
    assert "Denver" in html and "1876" in html  # capital, statehood
    largest = html[html.index('id="largest-heading"') : html.index('id="opportunities-heading"')]
    assert largest.index("Big City") < largest.index("Small Town") < largest.index("Unknown Size")
    assert "700,000" in largest


def test_state_profile_shows_the_governors_office_once_recorded(client, states):
    html = client.get("/states/co/").content.decode()
    assert "Contact details for this office have not been added yet." in html
    state = State.objects.get(usps_code="CO")  # as staff save it in the admin
    state.leader_name, state.leader_title = "Pat Example", "Governor"
    state.office_email = "governor@example.gov"
    state.save()
    html = client.get("/states/co/").content.decode()
    assert "Governor Pat Example" in html
    assert 'href="mailto:governor@example.gov"' in html


def test_state_profile_search_finds_places_by_name(client, states):
    PlaceFactory(name="Boulder")
    PlaceFactory(name="Aurora")
    html = client.get("/states/co/", {"q": "boul"}).content.decode()
    listing = html[html.index('id="places-heading"') :]
    assert "Boulder" in listing and "Aurora" not in listing
    assert "1 place matches “boul”." in listing


def test_state_profile_paginates_places(client, states):
    PlaceFactory.create_batch(30)
    first = client.get("/states/co/").content.decode()
    second = client.get("/states/co/", {"page": 2}).content.decode()
    assert "Page 1 of 2" in first and "Page 2 of 2" in second
    on_first, on_second = _listed_names(first), _listed_names(second)
    assert len(on_first) == 25 and len(on_second) == 5
    assert not on_first & on_second


def _listed_names(html):
    return set(re.findall(r"(Testville \d+)</a> <span", html))


def test_state_profile_query_count_does_not_grow_with_places(
    client, states, django_assert_max_num_queries
):
    PlaceFactory.create_batch(60)
    # state, largest, count, page, four of listings (for leaders, students, closing soon, how
    # many) and their prefetches (3), four kinds of ties, solutions
    with django_assert_max_num_queries(16):
        assert client.get("/states/co/").status_code == 200


def test_city_profile_shows_facts_and_marks_the_city_on_the_state_map(client, states):
    PlaceFactory(name="Denver", slug="denver", population=715_522)
    response = client.get("/states/co/denver/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Denver, Colorado</h1>" in html
    assert "715,522" in html
    assert "Mayor&#x27;s office" in html or "Mayor's office" in html
    assert 'class="locator-map__marker"' in html
    assert 'aria-current="page"><span>Denver</span>' in html


def test_spanish_city_profile_draws_the_marker_with_unlocalized_numbers(client, states):
    # Spanish writes decimals with a comma; SVG needs a dot or the marker lands at 0,0 (#15).
    PlaceFactory(name="Denver", slug="denver", population=715_522)
    html = client.get("/es/states/co/denver/").content.decode()
    marker = re.search(r'<circle cx="([^"]+)" cy="([^"]+)"', html)
    assert marker is not None
    for number in marker.groups():
        assert re.fullmatch(r"-?\d+\.\d", number), number
    assert not re.search(r'(viewBox|cx|cy)="[^"]*\d,\d', html)


def test_county_profile_names_the_county_executive(client, states):
    PlaceFactory(name="Denver County", slug="denver-county", kind=Place.Kind.COUNTY)
    html = client.get("/states/co/denver-county/").content.decode()
    assert "County executive" in html


def test_city_profile_query_count(client, states, django_assert_max_num_queries):
    PlaceFactory(name="Denver", slug="denver")
    # place with its state, four of listings (for leaders, students, closing soon, how many),
    # four kinds of ties, solutions from the place and from its state, peers (three)
    with django_assert_max_num_queries(15):
        assert client.get("/states/co/denver/").status_code == 200


def test_upper_case_state_codes_redirect_to_the_canonical_address(client, states):
    PlaceFactory(name="Denver", slug="denver")
    assert client.get("/states/CO/").headers["Location"] == "/states/co/"
    assert client.get("/states/Co/denver/").headers["Location"] == "/states/co/denver/"


@pytest.mark.parametrize(
    "url", ["/states/zz/", "/states/colorado/", "/states/co/atlantis/", "/states/co/denver/x/"]
)
def test_unknown_places_get_a_friendly_not_found_page(client, states, url):
    response = client.get(url)
    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Page not found</h1>" in html
    assert reverse("cities:map") in html and 'class="usa-header' in html


def test_not_found_page_is_translated(client, states):
    response = client.get("/es/states/zz/")
    assert response.status_code == 404
    assert "Página no encontrada" in response.content.decode()


def test_search_longer_than_allowed_gets_a_clear_message(client, states):
    response = client.get("/states/co/", {"q": "x" * 10_000})
    assert response.status_code == 200
    assert "Search for at most 100 characters." in response.content.decode()


def test_nul_byte_in_search_is_a_400_page_not_a_500(client, states):
    # Answered site-wide before the view (diplomacy/bad_input.py).
    response = client.get("/states/co/", {"q": "den\x00ver"})
    assert response.status_code == 400
    assert "the parameter “q”" in response.content.decode()


def test_markup_in_search_is_shown_as_text(client, states):
    html = client.get("/states/co/", {"q": "<script>alert(1)</script>"}).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    q=st.one_of(st.text(max_size=300), st.sampled_from(["' OR 1=1 --", "%", "\\", "_", "\x00"])),
    page=st.one_of(st.text(max_size=20), st.integers(-(10**20), 10**20).map(str)),
)
def test_any_search_input_renders_the_state_page(client, states, q, page):
    response = client.get("/states/co/", {"q": q, "page": page})
    # Only a NUL or another control character is refused, with the 400 page.
    assert response.status_code == (400 if refused_in_parameter(q + page) else 200)


def test_map_table_lists_states_in_alphabetical_order(client, states):
    html = client.get("/states/").content.decode()
    names = re.findall(r'<th scope="row" data-sort-value="([^"]+)">', html)
    assert names == sorted(names)
    assert names[:3] == ["Alabama", "Alaska", "American Samoa"]


def test_a_place_page_is_about_the_place(client, states):
    from cities.models import State
    from opportunities.models import Audience, GovernmentLevel, Kind
    from tests.factories import ListingFactory

    idaho = State.objects.get(usps_code="ID")
    PlaceFactory(name="Boise", slug="boise", state=idaho, population=235_684)
    ListingFactory(title="Student award", kind=Kind.EXCHANGE, audiences=[Audience.STUDENTS])
    ListingFactory(title="Arizona grant").target_states.set([State.objects.get(usps_code="AZ")])
    ListingFactory(
        title="Big cities only", government_levels=[GovernmentLevel.CITY], min_population=500_000
    )
    ListingFactory(title="Idaho grant").target_states.set([idaho])
    html = client.get("/states/id/boise/").content.decode()
    leaders = html[html.index('id="opportunities-heading"') : html.index('id="closing-heading"')]
    assert "Idaho grant" in leaders and "Student award" not in leaders
    assert "Arizona grant" not in html and "Big cities only" not in html
    assert "Open to every place in Idaho" in html
    students = html[html.index('id="students-heading"') :]
    assert "Student award" in students
    assert "All 2 opportunities for Boise" in html
    assert "/opportunities/?place=id/boise" in html.replace("%2F", "/")
    assert "/solutions/submit/?state=ID&amp;place_name=Boise" in html
    assert "/priorities/?state=ID&amp;answer_for=place&amp;place_name=Boise" in html


def test_the_map_shows_international_ties_by_default(client, states):
    from cities.models import NetworkMembership

    denver = PlaceFactory(name="Denver")
    colorado = State.objects.get(usps_code="CO")
    NetworkMembership.objects.create(place=denver, network="C40 Cities")
    NetworkMembership.objects.create(state=colorado, network="Under2 Coalition")
    html = client.get("/states/").content.decode()
    assert 'aria-label="Colorado: 2 international ties"' in html
    assert 'aria-label="Wyoming: 0 international ties"' in html


def test_the_opportunities_map_counts_what_fits_each_state(client, states):
    from opportunities.models import GovernmentLevel
    from tests.factories import ListingFactory

    ListingFactory(government_levels=[])
    ListingFactory(government_levels=[GovernmentLevel.CITY])  # no state government fits
    ListingFactory().target_states.set([State.objects.get(usps_code="CO")])
    ListingFactory(government_levels=[GovernmentLevel.TERRITORY])
    html = client.get("/states/", {"metric": "opportunities"}).content.decode()
    assert 'aria-label="Colorado: 2 open opportunities"' in html
    assert 'aria-label="Wyoming: 1 open opportunity"' in html
    assert "Guam: 2 open opportunities" in html  # a territory's level is "territory"
