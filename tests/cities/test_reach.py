import csv
import datetime
import io
import re
from datetime import UTC

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from cities import reach
from cities.models import (
    LocalSolution,
    NetworkMembership,
    Place,
    PriorityRanking,
    PriorityResponse,
    SisterCity,
    SolutionStatus,
    State,
)
from opportunities.models import DigestDelivery, DigestRun, ListingViews, Subscription
from tests.factories import ListingFactory, PlaceFactory, SubscriptionFactory, topic

pytestmark = pytest.mark.django_db


def solution(place, status=SolutionStatus.PUBLISHED, slug="climate"):
    return LocalSolution.objects.create(
        place=place, topic=topic(slug), title=f"Solution in {place.name}", description="Did it.",
        results="It worked.", contact_name="A", contact_email="a@example.gov", status=status,
    )  # fmt: skip


def priorities(place, slugs):
    """Current priorities for a place, or for a whole state when given a State."""
    where = {"state": place} if isinstance(place, State) else {"place": place}
    response = PriorityResponse.objects.create(
        **where, respondent_name="R", respondent_email=f"r@{place.slug}.gov",
        confirmed_at=datetime.datetime(2026, 3, 1, tzinfo=UTC), is_current=True,
    )  # fmt: skip
    for rank, slug in enumerate(slugs, start=1):
        PriorityRanking.objects.create(response=response, topic=topic(slug), rank=rank)


@pytest.fixture
def hand_made(states):
    """Colorado: 2 reached of 4 (one underserved reached); Texas: 1 reached of 2."""
    co, tx = State.objects.get(usps_code="CO"), State.objects.get(usps_code="TX")
    denver = PlaceFactory(name="Denver", population=715_000, state=co, is_underserved=True)
    SisterCity.objects.create(place=denver, city="Potenza", country_id=_country("IT"))
    boulder = PlaceFactory(name="Boulder", population=105_000, state=co)
    solution(boulder, slug="waste")
    solution(boulder, SolutionStatus.UNCONFIRMED, slug="energy")  # does not count
    PlaceFactory(name="Pueblo", population=111_000, state=co, is_underserved=True)  # a gap
    PlaceFactory(name="Tiny", population=None, state=co)  # a gap, size unknown
    austin = PlaceFactory(name="Austin", population=960_000, state=tx)
    priorities(austin, ["climate", "energy"])
    priorities(tx, ["housing"])  # Texas's governor's office, for the whole state
    NetworkMembership.objects.create(state=tx, network="State network")  # a state's own tie
    PlaceFactory(name="Houston", population=2_300_000, state=tx)  # the largest gap
    return {"denver": denver, "boulder": boulder, "austin": austin}


def _country(code):
    from cities.models import Country

    return Country.objects.get(iso_code=code).pk


def test_dashboard_totals_match_hand_made_data(client, curator, hand_made):
    response = client.get("/staff/reach/")
    assert response.status_code == 200
    html = response.content.decode()
    totals = dict(re.findall(r'data-total="(\w+)">(?:<a[^>]*>)?([^<]+)<', html))
    assert totals == {
        "reached": "3 / 6", "ties": "1", "solutions": "1", "priorities": "1",
        "state_priorities": "1", "subscribed": "0",
        "underserved": "1 / 2", "triage": "0",
    }  # fmt: skip
    rows = dict(re.findall(r">(Colorado|Texas)</a></th>((?:<td[^>]*>\d+</td>)+)", html))
    figures = {state: re.findall(r">(\d+)<", cells) for state, cells in rows.items()}
    # reached, ties, published solutions, priorities, email subscribers
    assert figures == {"Colorado": ["2", "1", "1", "0", "0"], "Texas": ["1", "0", "0", "1", "0"]}
    assert 'aria-label="Colorado: 2 places (reached)"' in html


def test_dashboard_lists_the_largest_gaps_first(client, curator, hand_made):
    html = client.get("/staff/reach/").content.decode()
    gaps = html[html.index('id="gaps-heading"') :]
    names = re.findall(r'class="usa-link" href="/states/\w+/[\w-]+/">([^<]+)</a>', gaps)
    assert names == ["Houston, Texas", "Pueblo, Colorado", "Tiny, Colorado"]


def test_dashboard_charts_come_with_their_figures_as_a_table(client, curator, hand_made):
    """A chart is one image to a screen reader: its figures are also a table, one click away."""
    html = client.get("/staff/reach/").content.decode()

    def rows(chart_id):
        table = html[html.index(f'id="{chart_id}-table"') :]
        table = table[: table.index("</table>")]
        return re.findall(r'<th scope="row">([^<]+)</th><td[^>]*>(\d+)</td>', table)

    assert rows("solution-topics") == [("Waste", "1")]  # the unconfirmed one does not count
    # Austin's two topics and Texas's own
    assert sorted(rows("priority-topics")) == [("Climate", "1"), ("Energy", "1"), ("Housing", "1")]
    assert "<summary>The figures as a table</summary>" in html


def test_dashboard_map_switches_metric_and_reports_a_bad_one(client, curator, hand_made):
    html = client.get("/staff/reach/", {"metric": "priorities"}).content.decode()
    assert 'aria-label="Texas: 1 place (with current priorities)"' in html
    response = client.get("/staff/reach/", {"metric": "<script>"})
    assert response.status_code == 400
    assert "There is no map of “&lt;script&gt;”" in response.content.decode()


def test_an_email_subscriber_makes_a_place_reached(client, curator, hand_made):
    houston = Place.objects.get(name="Houston")
    SubscriptionFactory(confirmed=True, place=houston, email="mayor@houston.example.gov")
    html = client.get("/staff/reach/").content.decode()
    totals = dict(re.findall(r'data-total="(\w+)">(?:<a[^>]*>)?([^<]+)<', html))
    assert totals["reached"] == "4 / 6"
    assert totals["subscribed"] == "1"
    assert houston not in reach.gaps()


def test_digest_section_shows_subscribers_and_deliveries(client, curator, hand_made):
    SubscriptionFactory(confirmed=True, place=hand_made["denver"], email="a@denver.example.gov")
    SubscriptionFactory(confirmed=True, place=hand_made["denver"], email="b@denver.example.gov")
    pending = SubscriptionFactory(place=hand_made["austin"], email="c@austin.example.gov")
    run = DigestRun.objects.create(
        frequency="weekly", period="2026-W48", as_of=timezone.now(), started_at=timezone.now()
    )
    for number, status in enumerate(["sent", "sent", "failed"]):
        DigestDelivery.objects.create(
            subscription=Subscription.objects.all()[number], run=run, period="2026-W48",
            status=status, as_of=run.as_of, sent_at=run.as_of if status == "sent" else None,
        )  # fmt: skip
    assert pending.status == "pending"

    html = client.get("/staff/reach/").content.decode()
    digests = html[html.index('id="digests-heading"') : html.index('id="gaps-heading"')]
    assert "<dt>Confirmed subscribers</dt><dd>2</dd>" in digests
    assert "<dt>Places with subscribers</dt><dd>1</dd>" in digests
    assert "<dt>Digests sent</dt><dd>2</dd>" in digests
    assert "<dt>Digests that failed</dt><dd>1</dd>" in digests


def test_dashboards_are_for_staff_with_permission(client, hand_made):
    urls = ["/staff/reach/", "/staff/reach/gaps/", "/staff/priorities/"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    clerk = User.objects.create_user("clerk", password="a-long-test-password", is_staff=True)
    client.force_login(clerk)
    for url in urls:
        assert client.get(url).status_code == 403


def test_dashboard_query_count_is_constant(
    client, curator, hand_made, django_assert_max_num_queries
):
    for i in range(15):
        place = PlaceFactory(population=20_000 + i)
        solution(place)
        ListingViews.objects.create(
            listing=ListingFactory(), views=i, updated_at=datetime.datetime.now(UTC)
        )
    with django_assert_max_num_queries(18):
        assert client.get("/staff/reach/").status_code == 200


def test_gaps_filter_by_state_and_underserved_and_export_csv(client, curator, hand_made):
    html = client.get("/staff/reach/gaps/", {"underserved": "on"}).content.decode()
    assert "1 place not reached yet" in html and "Pueblo" in html and "Houston" not in html
    response = client.get("/staff/reach/gaps/", {"state": "CO", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["place"], r["population"], r["underserved"]) for r in rows] == [
        ("Pueblo", "111000", "yes"), ("Tiny", "", "no"),
    ]  # fmt: skip
    assert rows[0]["profile"].endswith("/states/co/pueblo/")


def test_gaps_report_a_bad_state(client, curator, hand_made):
    response = client.get("/staff/reach/gaps/", {"state": "ZZ", "format": "csv"})
    assert response.status_code == 400
    assert "Choose a state or territory from the list." in response.content.decode()


def test_gaps_query_count(client, curator, hand_made, django_assert_max_num_queries):
    PlaceFactory.create_batch(60)
    with django_assert_max_num_queries(8):
        assert client.get("/staff/reach/gaps/", {"state": "CO"}).status_code == 200


def test_staff_flag_places_underserved_in_the_admin(client, states):
    user = User.objects.create_superuser("admin", "admin@example.gov", "a-long-test-password")
    client.force_login(user)
    place = PlaceFactory()
    inlines = ["sistercity_set", "networkmembership_set", "delegation_set"]
    inlines.append("embassypartnership_set")
    data = {f"{p}-{k}": 0 for p in inlines for k in ["TOTAL_FORMS", "INITIAL_FORMS"]}
    data["is_underserved"] = "on"
    assert client.post(f"/admin/cities/place/{place.pk}/change/", data).status_code == 302
    place.refresh_from_db()
    assert place.is_underserved


# The public map -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("metric", "label"),
    [
        ("places_with_ties", "Colorado: 1 place with international ties"),
        ("solutions", "Colorado: 1 place with published local solutions"),
        ("opportunities", "Colorado: 2 open opportunities"),
        ("places", "Colorado: 4 places with a profile"),
    ],
)
def test_public_map_colors_by_the_chosen_metric(client, hand_made, metric, label):
    ListingFactory()  # for every state
    texas_only = ListingFactory()
    texas_only.target_states.set([State.objects.get(usps_code="TX")])
    colorado_only = ListingFactory()
    colorado_only.target_states.set([State.objects.get(usps_code="CO")])
    html = client.get("/states/", {"metric": metric}).content.decode()
    assert f'aria-label="{label}"' in html
    assert f'href="?metric={metric}" aria-current="true"' in html


@pytest.mark.parametrize("metric", ["ties", "places_with_ties", "opportunities", "places",
                                    "solutions"])  # fmt: skip
def test_every_public_map_metric_differs_between_states(client, hand_made, metric):
    """Not the same figure everywhere (issue #11): each metric tells states apart."""
    ListingFactory()  # for every state
    ListingFactory().target_states.set([State.objects.get(usps_code="TX")])
    html = client.get("/states/", {"metric": metric}).content.decode()
    figures = dict(re.findall(r'aria-label="([^":]+): ([\d,]+) ', html))
    assert {"Alaska", "Colorado", "Texas"} <= figures.keys()
    assert len(set(figures.values())) > 1


def test_public_map_explains_an_unknown_metric(client, hand_made):
    response = client.get("/states/", {"metric": "subscribers"})
    assert response.status_code == 400
    assert "There is no map of “subscribers”" in response.content.decode()


def test_public_map_query_count_is_constant(client, hand_made, django_assert_max_num_queries):
    for metric, queries in [("ties", 2), ("solutions", 2), ("opportunities", 4)]:
        with django_assert_max_num_queries(queries):
            assert client.get("/states/", {"metric": metric}).status_code == 200
