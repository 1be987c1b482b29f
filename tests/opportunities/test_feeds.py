"""RSS, Atom and iCalendar feeds of searches, read back by real feed and calendar parsers."""

from datetime import timedelta

import feedparser
import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from opportunities.filters import ListingFilter
from opportunities.models import Kind
from tests.factories import ListingFactory, topic

pytestmark = pytest.mark.django_db


def api_titles(client, params):
    return [item["title"] for item in client.get("/api/v1/listings/", params).json()["results"]]


@pytest.fixture
def listings():
    now = timezone.now()
    ListingFactory(title="Climate grant", published_at=now - timedelta(days=3))
    ListingFactory(title="Water summit", kind=Kind.EVENT, published_at=now - timedelta(days=1),
                   starts_at=now + timedelta(days=40), ends_at=now + timedelta(days=41),
                   time_zone="Europe/Berlin", topics=[topic("water-and-sanitation")])  # fmt: skip
    ListingFactory(title="Democracy fellowship", kind=Kind.FELLOWSHIP, published_at=now,
                   topics=[topic("democracy-and-governance")], deadline=None)  # fmt: skip
    ListingFactory(title="Draft grant", status="draft", published_at=None)


@pytest.mark.parametrize("path", ["/opportunities/feed.rss", "/opportunities/feed.atom"])
@pytest.mark.parametrize("params", [{}, {"kind": "event"}, {"q": "grant or summit"}])
def test_feed_items_are_the_search_results_newest_first(client, listings, path, params):
    response = client.get(path, params)
    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    expected = api_titles(client, {**params, "sort": "newest"})
    assert [entry.title for entry in feed.entries] == expected
    assert expected, "each case should find something"
    assert all(entry.link.startswith("http://testserver/opportunities/") for entry in feed.entries)


def test_feed_entries_carry_summary_dates_and_topics(client, listings):
    feed = feedparser.parse(client.get("/opportunities/feed.atom", {"kind": "event"}).content)
    (entry,) = feed.entries
    summary, *dates = entry.summary.splitlines()
    assert summary == "Money for cities that work with partners abroad."
    assert dates, "the key dates follow the summary, in the listing's zone"
    assert [tag.term for tag in entry.tags] == ["Water and sanitation"]
    assert entry.id == "http://testserver/opportunities/water-summit/"
    assert feed.feed.link.endswith("/opportunities/?kind=event")


def test_feeds_refuse_bad_parameters_with_a_400_that_says_why(client):
    for path in ("feed.rss", "feed.atom", "calendar.ics", "export.csv"):
        response = client.get(f"/opportunities/{path}", {"kind": "spaceship", "sort": "up"})
        assert response.status_code == 400
        text = response.content.decode()
        assert "kind:" in text and "sort:" in text


@pytest.mark.parametrize("path", ["feed.rss", "calendar.ics"])
def test_query_count_does_not_grow_with_the_listings(client, path, django_assert_max_num_queries):
    ListingFactory.create_batch(2)
    with django_assert_max_num_queries(12) as few:
        client.get(f"/opportunities/{path}")
    ListingFactory.create_batch(30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(f"/opportunities/{path}")


def test_calendar_has_the_deadlines_and_events_of_the_search_with_stable_uids(client, listings):
    response = client.get("/opportunities/calendar.ics", {"q": "summit or grant"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    events = {str(event["summary"]): event for event in calendar.walk("VEVENT")}
    assert set(events) == {"Water summit", "Deadline: Water summit", "Deadline: Climate grant"}
    summit = events["Water summit"]
    assert str(summit["dtstart"].dt.tzinfo) == "Europe/Berlin"
    assert {str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")} >= {"Europe/Berlin"}
    again = Calendar.from_ical(client.get("/opportunities/calendar.ics", {"q": "summit"}).content)
    assert str(summit["uid"]) in {str(event["uid"]) for event in again.walk("VEVENT")}


def test_search_calendars_are_limited_per_address_like_exports(client):
    # Ten different searches (the same one again comes from the page cache and costs nothing).
    for n in range(10):
        assert client.get("/opportunities/calendar.ics", {"q": f"word{n}"}).status_code == 200
    response = client.get("/opportunities/calendar.ics", {"q": "one more"})
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    # A calendar fetched before is still served: it is kept, so it costs the database nothing.
    assert client.get("/opportunities/calendar.ics", {"q": "word0"}).status_code == 200


def test_search_page_links_to_its_feeds_with_the_current_filters(client, listings):
    html = client.get("/opportunities/", {"kind": "event", "q": "water", "after": "x"}).content
    html = html.decode()
    for path in ("calendar.ics", "feed.rss", "feed.atom", "export.csv"):
        assert f'href="/opportunities/{path}?q=water&amp;kind=event' in html
    assert "Subscribe in your calendar" in html and "Download CSV" in html
    assert 'type="application/rss+xml"' in html


def test_feed_links_leave_out_parameters_the_search_page_ignored(client, listings):
    html = client.get("/opportunities/", {"kind": ["event", "bogus"], "topic": "climate"})
    html = html.content.decode()
    assert 'href="/opportunities/feed.rss?topic=climate"' in html
    assert "bogus" not in html.split('id="follow-search"')[1].split("</ul>")[0]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from(["feed.rss", "feed.atom", "calendar.ics", "export.csv"]),
    params=st.dictionaries(
        st.sampled_from([*ListingFilter.base_filters, "after"]),
        st.one_of(
            st.text(max_size=40),
            st.sampled_from(["event", "climate", "WHA", "true", "closing", "' OR 1=1 --"]),
        ),
        max_size=4,
    ),
)
def test_feeds_and_exports_answer_any_parameters_without_a_server_error(client, path, params):
    from django.core.cache import cache

    cache.clear()  # the export limit is not what this test is about
    response = client.get(f"/opportunities/{path}", params)
    assert response.status_code in (200, 400)
    if response.status_code == 200 and response.streaming:
        b"".join(response.streaming_content)
