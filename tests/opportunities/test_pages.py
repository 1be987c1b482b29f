import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar

from cities.models import State
from opportunities.models import EducationLevel, Format, GovernmentLevel, Kind, Status
from tests.factories import ListingFactory, PlaceFactory, topic

pytestmark = pytest.mark.django_db


def structured_data(html):
    return json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', html).group(1)
    )


def test_detail_page_shows_everything_a_reader_needs(client):
    listing = ListingFactory(
        title="Heat resilience grant", sponsor="Office of Example", location="Online",
        body="Read **this**.\n\n<script>alert(1)</script>", apply_contact="grants@example.gov",
    )  # fmt: skip
    html = client.get(listing.get_absolute_url()).content.decode()
    assert '<h1 class="margin-top-1">Heat resilience grant</h1>' in html
    assert "<strong>this</strong>" in html and "<script>alert(1)</script>" not in html
    assert "Offered by Office of Example." in html
    assert "days left" in html and "Add to calendar (.ics)" in html
    assert 'href="mailto:grants@example.gov"' in html
    assert listing.apply_url in html


def test_events_carry_event_structured_data(client):
    start = timezone.now() + timedelta(days=40)
    event = ListingFactory(kind=Kind.EVENT, starts_at=start, ends_at=start + timedelta(days=2),
                           location="Denver, CO", format=Format.IN_PERSON)  # fmt: skip
    data = structured_data(client.get(event.get_absolute_url()).content.decode())
    assert data["@type"] == "Event" and data["location"]["name"] == "Denver, CO"
    assert data["eventAttendanceMode"].endswith("OfflineEventAttendanceMode")


def test_student_programs_carry_program_structured_data(client):
    program = ListingFactory(kind=Kind.FELLOWSHIP, title="A </script> fellowship")
    html = client.get(program.get_absolute_url()).content.decode()
    data = structured_data(html)
    assert data["@type"] == "EducationalOccupationalProgram"
    assert data["name"] == "A </script> fellowship"  # escaped in the page, intact as data


def test_calendar_file_has_the_deadline_with_a_stable_uid(client):
    listing = ListingFactory()
    response = client.get(f"{listing.get_absolute_url()}calendar.ics")
    assert response["Content-Type"].startswith("text/calendar")
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert [str(e["uid"]) for e in events] == [
        f"deadline-{listing.pk}@subnational-diplomacy-portal"
    ]
    # In the listing's own time zone, to the second.
    assert events[0].decoded("dtstart") == listing.deadline.replace(microsecond=0)
    assert str(events[0].decoded("dtstart").tzinfo) == "America/New_York"
    again = Calendar.from_ical(client.get(f"{listing.get_absolute_url()}calendar.ics").content)
    assert str(again.walk("VEVENT")[0]["uid"]) == str(events[0]["uid"])


def test_drafts_and_unknown_listings_are_not_found(client):
    draft = ListingFactory(status=Status.DRAFT, published_at=None)
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get("/opportunities/no-such-thing/").status_code == 404


def test_closed_listings_stay_readable_and_say_they_are_closed(client):
    closed = ListingFactory(status=Status.ARCHIVED, deadline=timezone.now() - timedelta(days=3))
    html = client.get(closed.get_absolute_url()).content.decode()
    assert "This opportunity is closed" in html


def test_related_listings_share_a_topic(client):
    listing = ListingFactory(title="Main")
    ListingFactory(title="Sibling")
    ListingFactory(
        title="Stranger", topics=[topic("housing")], kind=Kind.EVENT, audiences=["business"]
    )
    html = client.get(listing.get_absolute_url()).content.decode()
    related = html[html.index('id="related-heading"') :]
    assert "Sibling" in related and "Stranger" not in related


def test_detail_query_count(client, django_assert_max_num_queries):
    listing = ListingFactory()
    ListingFactory.create_batch(5)
    with django_assert_max_num_queries(7):
        assert client.get(listing.get_absolute_url()).status_code == 200


def student_program(title, **fields):
    defaults = {"kind": Kind.EXCHANGE, "audiences": ["students"]}
    return ListingFactory(title=title, **{**defaults, **fields})


def finder_titles(client, **answers):
    html = client.get("/programs/", answers).content.decode()
    section = html[html.index('id="program-results"') :]
    return re.findall(r'href="/opportunities/[^"]+">([^<]+)</a></h3>', section)


def test_student_finder_shows_only_programs_the_student_is_eligible_for(client):
    now = timezone.now()
    student_program("High school exchange", education_levels=[EducationLevel.HIGH_SCHOOL],
                    min_age=15, max_age=18, us_citizenship_required=True, is_paid=True,
                    deadline=now + timedelta(days=20))  # fmt: skip
    student_program("Graduate fellowship", kind=Kind.FELLOWSHIP,
                    education_levels=[EducationLevel.GRADUATE], min_age=21,
                    deadline=now + timedelta(days=5))  # fmt: skip
    student_program("Virtual internship", kind=Kind.VIRTUAL_INTERNSHIP, format=Format.VIRTUAL,
                    deadline=None)  # fmt: skip
    ListingFactory(title="City grant")  # not a student program
    ListingFactory(title="Exchange for mayors", kind=Kind.EXCHANGE)  # not for students
    assert finder_titles(client, education_level="high_school", age=16) == [
        "High school exchange", "Virtual internship"
    ]  # fmt: skip
    assert finder_titles(client, us_citizen="no", education_level="") == [
        "Graduate fellowship", "Virtual internship"  # closing soon first, rolling last
    ]  # fmt: skip
    assert finder_titles(client, paid_only="on") == ["High school exchange"]
    assert finder_titles(client, where="virtual") == ["Virtual internship"]
    assert finder_titles(client, age=30, education_level="graduate") == [
        "Graduate fellowship", "Virtual internship"
    ]  # fmt: skip


def test_student_finder_explains_a_bad_age(client):
    html = client.get("/programs/", {"age": "nineteen"}).content.decode()
    assert "Enter your age as a whole number, such as 19." in html
    html = client.get("/programs/", {"age": "7"}).content.decode()
    assert "Programs here start at age 13." in html


def test_events_page_lists_upcoming_events_in_date_order_with_a_calendar(client):
    now = timezone.now()
    ListingFactory(title="Second", kind=Kind.EVENT, starts_at=now + timedelta(days=60))
    ListingFactory(title="First", kind=Kind.EVENT, starts_at=now + timedelta(days=10))
    ListingFactory(title="Over", kind=Kind.EVENT, deadline=None,
                   starts_at=now - timedelta(days=10), ends_at=now - timedelta(days=9))  # fmt: skip
    html = client.get("/events/").content.decode()
    heading = r'usa-collection__heading"><a class="usa-link" href="[^"]+">([^<]+)'
    assert re.findall(heading, html) == ["First", "Second"]
    calendar = Calendar.from_ical(client.get("/events/calendar.ics").content)
    summaries = [str(e["summary"]) for e in calendar.walk("VEVENT")]
    assert "First" in summaries and "Second" in summaries and "Over" not in summaries


def test_home_page_highlights_climate_democracy_and_what_closes_soon(client):
    ListingFactory(title="Climate thing")
    ListingFactory(title="Democracy thing", topics=[topic("democracy-and-governance")],
                   deadline=timezone.now() + timedelta(days=3))  # fmt: skip
    html = client.get("/").content.decode()
    assert "Climate thing" in html and "Democracy thing" in html
    closing = html[html.index('id="closing-heading"') :]
    assert "Democracy thing" in closing and "Climate thing" not in closing


def test_state_and_city_pages_list_the_listings_that_target_them(client, states):
    colorado = State.objects.get(usps_code="CO")
    everywhere = ListingFactory(title="For every place")
    only_colorado = ListingFactory(title="Only Colorado")
    only_colorado.target_states.set([colorado])
    only_wyoming = ListingFactory(title="Only Wyoming")
    only_wyoming.target_states.set([State.objects.get(usps_code="WY")])
    big_cities = ListingFactory(title="Big cities only", min_population=500_000)
    counties = ListingFactory(title="Counties only", government_levels=[GovernmentLevel.COUNTY])
    PlaceFactory(name="Small Town", slug="small-town", population=8_000)

    state_html = client.get("/states/co/").content.decode()
    for listing in (everywhere, only_colorado, big_cities):
        assert listing.title in state_html
    # The state page is about the state: a county-only listing is not for its government.
    assert "Only Wyoming" not in state_html and counties.title not in state_html
    city_html = client.get("/states/co/small-town/").content.decode()
    assert "For every place" in city_html and "Only Colorado" in city_html
    assert "Big cities only" not in city_html and "Counties only" not in city_html


def test_related_listings_stay_on_the_same_side_and_share_something(client, states):
    from opportunities.models import Audience, Kind
    from tests.factories import ListingFactory, topic

    summit = ListingFactory(
        title="Investment summit", kind=Kind.EVENT, audiences=[Audience.LOCAL_GOVERNMENT]
    )
    ListingFactory(title="Language award", kind=Kind.EXCHANGE, audiences=[Audience.STUDENTS])
    ListingFactory(title="Trade mission", kind=Kind.TRADE_MISSION, topics=[topic("climate")])
    ListingFactory(
        title="Unrelated event elsewhere",
        kind=Kind.FUNDING,
        audiences=[Audience.BUSINESS],
        topics=[topic("democracy-and-governance")],
    )
    related = [r.title for r in client.get(summit.get_absolute_url()).context["related"]]
    assert related[0] == "Trade mission"
    assert "Unrelated event elsewhere" not in related
    assert related.index("Language award") > related.index("Trade mission")
