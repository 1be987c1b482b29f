"""RSS, Atom and iCalendar feeds staff point a source at, mapped by the source's rules."""

import os
import threading
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from zoneinfo import ZoneInfo

import pytest
from werkzeug import Response

from opportunities.models import Listing, RunStatus, Status
from opportunities.sources.syncing import sync_source
from tests.opportunities.sources.conftest import feed_bytes, snapshot

pytestmark = pytest.mark.django_db

RULES = {
    "kind": "city_network",
    "topics": ["democracy-and-governance"],
    "rules": [
        {"match": "fellowship", "kind": "fellowship", "audiences": ["local_government"]},
        {"match": "climate", "topics": ["climate"]},
        {"match": "pollution", "topics": ["pollution-and-plastics"]},
    ],
}


def serve(httpserver, path: str, body: bytes, content_type: str, **headers) -> None:
    httpserver.expect_request(path).respond_with_data(
        body, content_type=content_type, headers=headers
    )


def test_rss_items_become_drafts_mapped_by_the_sources_rules(feed_source, httpserver):
    serve(httpserver, "/news.rss", feed_bytes("news.rss"), "application/rss+xml")
    source = feed_source("/news.rss", mapping=RULES)

    run = sync_source(source)

    assert (run.status, run.new, run.skipped) == (RunStatus.SUCCEEDED, 2, 1)
    fellowship = Listing.objects.get(external_id="network-news-1001")
    assert fellowship.status == Status.DRAFT
    assert fellowship.kind == "fellowship"
    assert fellowship.audiences == ["local_government"]
    assert set(fellowship.topics.values_list("slug", flat=True)) == {
        "democracy-and-governance",
        "climate",
    }
    assert fellowship.sponsor == "Cities Network News"
    assert fellowship.apply_url == "https://network.example.org/news/youth-climate-fellowship"
    plastics = Listing.objects.get(external_id="network-news-1002")
    assert plastics.kind == "city_network"
    assert "neither link nor guid" in str(run.problems)


def test_html_from_a_feed_is_reduced_to_text_without_scripts(feed_source, httpserver):
    serve(httpserver, "/news.rss", feed_bytes("news.rss"), "application/rss+xml")
    sync_source(feed_source("/news.rss"))

    fellowship = Listing.objects.get(external_id="network-news-1001")
    assert fellowship.summary.startswith("Member cities may nominate two young officials")
    assert "<" not in fellowship.body and "alert" not in fellowship.body


def test_atom_entries_become_listings(feed_source, httpserver):
    serve(httpserver, "/updates.atom", feed_bytes("updates.atom"), "application/atom+xml")
    source = feed_source("/updates.atom", mapping={"kind": "exchange"})

    sync_source(source)

    exchange = Listing.objects.get()
    assert exchange.external_id == "tag:embassy.example.org,2026:programs/planners"
    assert exchange.kind == "exchange"
    assert exchange.summary == "Three weeks with a partner city's planning office."
    assert exchange.sponsor == "Embassy Exchange Programs"


def test_icalendar_events_become_events_in_their_own_time_zone(feed_source, httpserver):
    serve(httpserver, "/events.ics", feed_bytes("events.ics"), "text/calendar")

    sync_source(feed_source("/events.ics"))

    summit = Listing.objects.get(external_id="summit-2027@programs.example.org")
    assert summit.kind == "event"
    assert summit.time_zone == "America/Chicago"
    assert summit.starts_at == datetime(2027, 4, 20, 9, 0, tzinfo=ZoneInfo("America/Chicago"))
    assert summit.ends_at == datetime(2027, 4, 22, 17, 0, tzinfo=ZoneInfo("America/Chicago"))
    assert summit.location == "Chicago, Illinois"
    assert summit.sponsor == "Program Office Events"
    assert Listing.objects.count() == 2


def test_event_cancelled_upstream_is_archived(feed_source, httpserver):
    serve(httpserver, "/events.ics", feed_bytes("events.ics"), "text/calendar")
    source = feed_source("/events.ics")
    sync_source(source)
    httpserver.clear_all_handlers()
    cancelled = feed_bytes("events.ics").replace(
        b"STATUS:CONFIRMED\r\nEND:VEVENT\r\nBEGIN:VEVENT",
        b"STATUS:CANCELLED\r\nEND:VEVENT\r\nBEGIN:VEVENT",
    )
    serve(httpserver, "/events.ics", cancelled, "text/calendar")

    run = sync_source(source)

    assert run.closed == 1
    assert Listing.objects.get(external_id="summit-2027@programs.example.org").status == (
        Status.ARCHIVED
    )


def test_entries_that_drop_out_of_a_feed_are_not_archived(feed_source, httpserver):
    serve(httpserver, "/news.rss", feed_bytes("news.rss"), "application/rss+xml")
    source = feed_source("/news.rss")
    sync_source(source)
    httpserver.clear_all_handlers()
    shorter = feed_bytes("news.rss").split(b"<item>")[0] + b"</channel></rss>"
    serve(httpserver, "/news.rss", shorter, "application/rss+xml")

    run = sync_source(source)

    assert (run.status, run.closed) == (RunStatus.SUCCEEDED, 0)
    assert set(Listing.objects.values_list("status", flat=True)) == {Status.DRAFT}


def test_feed_that_has_not_changed_is_asked_for_with_its_etag_and_not_read_again(
    feed_source, httpserver
):
    serve(httpserver, "/news.rss", feed_bytes("news.rss"), "application/rss+xml", ETag='"v1"')
    source = feed_source("/news.rss")
    sync_source(source)
    before = [row[:5] + row[6:] for row in snapshot()]
    httpserver.clear_all_handlers()
    httpserver.expect_request("/news.rss", headers={"If-None-Match": '"v1"'}).respond_with_response(
        Response(status=304)
    )

    run = sync_source(source)

    assert run.status == RunStatus.SUCCEEDED
    assert [row[:5] + row[6:] for row in snapshot()] == before


class PeakMemory:
    """How far the process's resident memory rose above where it started (sampled; tracemalloc
    would slow the parse tenfold)."""

    def __init__(self):
        self.page = os.sysconf("SC_PAGE_SIZE")
        self.start = self.peak = self.resident()
        self.done = threading.Event()

    def resident(self) -> int:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * self.page

    def sample(self) -> None:
        while not self.done.wait(0.02):
            self.peak = max(self.peak, self.resident())

    def __enter__(self):
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join()
        self.peak = max(self.peak, self.resident())

    @property
    def growth(self) -> int:
        return self.peak - self.start


def rss(items: int) -> bytes:
    published = format_datetime(datetime(2026, 11, 1, tzinfo=UTC), usegmt=True)
    entries = "".join(
        f"<item><title>Program {n}: city exchange on clean water</title>"
        f"<link>https://programs.example.org/p/{n}</link><guid>urn:program:{n}</guid>"
        f"<pubDate>{published}</pubDate><category>climate</category>"
        f"<description>&lt;p&gt;Cities share what works on water, round {n}.&lt;/p&gt;"
        "</description></item>"
        for n in range(items)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Programs'
        f"</title><link>https://programs.example.org</link><description>All</description>"
        f"{entries}</channel></rss>"
    ).encode()


def test_a_2000_item_feed_syncs_within_budget_and_bounded_memory(feed_source, httpserver):
    serve(httpserver, "/big.rss", rss(2000), "application/rss+xml")
    source = feed_source("/big.rss", mapping={"topics": ["climate"]})

    with PeakMemory() as memory:
        started = time.perf_counter()
        run = sync_source(source)
        seconds = time.perf_counter() - started

    assert (run.status, run.new) == (RunStatus.SUCCEEDED, 2000)
    assert Listing.objects.filter(source=source).count() == 2000
    # Generous for a shared two-core machine; the benchmark measures the real rate.
    assert seconds < 30
    assert memory.growth < 100 * 1024 * 1024


def test_a_new_build_date_and_one_new_entry_add_just_that_entry(feed_source, httpserver):
    serve(httpserver, "/news.rss", feed_bytes("news.rss"), "application/rss+xml")
    source = feed_source("/news.rss")
    sync_source(source)
    history = Listing.history.count()
    httpserver.clear_all_handlers()
    newer = (
        feed_bytes("news.rss")
        .replace(b"Mon, 09 Nov 2026 15:00:00 GMT", b"Wed, 11 Nov 2026 08:00:00 GMT")
        .replace(
            b"<item>",
            b"<item><title>Summit registration opens</title><guid>network-news-1003</guid>"
            b"<link>https://network.example.org/news/summit</link></item><item>",
            1,
        )
    )
    serve(httpserver, "/news.rss", newer, "application/rss+xml")

    run = sync_source(source)

    assert (run.seen, run.new, run.changed) == (3, 1, 0)
    assert Listing.history.count() == history + 1


def test_an_entry_changed_upstream_updates_its_draft(feed_source, httpserver):
    serve(httpserver, "/news.rss", feed_bytes("news.rss"), "application/rss+xml")
    source = feed_source("/news.rss")
    sync_source(source)
    httpserver.clear_all_handlers()
    changed = feed_bytes("news.rss").replace(b"twelve cities", b"fifteen cities")
    serve(httpserver, "/news.rss", changed, "application/rss+xml")

    run = sync_source(source)

    assert (run.new, run.changed) == (0, 1)
    assert "fifteen cities" in Listing.objects.get(external_id="network-news-1002").summary
