"""Faults cost nothing: a failed read marks the run failed with the reason, leaves every
listing as it was, and the source is retried later with backoff; one bad item is skipped."""

import json
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from django.utils import timezone
from werkzeug import Response

from opportunities.models import Listing, RunStatus, Source, Status
from opportunities.sources.syncing import sync_source
from tests.opportunities.sources.conftest import API, feed_bytes, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def synced(grants_gov, grants_source, httpserver):
    """Two drafts from a first good run; then the server is set up afresh for the fault."""
    sync_source(grants_source)
    httpserver.clear_all_handlers()
    return snapshot()


def fail_with(httpserver, handler) -> None:
    httpserver.expect_request(f"{API}/search2").respond_with_handler(handler)


def assert_failed_and_untouched(source: Source, before: list, reason: str) -> None:
    source.refresh_from_db()
    run = source.runs.first()
    assert run.status == RunStatus.FAILED
    assert reason in run.error
    assert reason in source.last_error
    assert snapshot() == before
    assert source.failures_in_a_row == 1
    assert source.next_run_at > timezone.now()


def test_timeout_fails_the_run_and_leaves_listings_untouched(
    synced, grants_source, httpserver, settings
):
    settings.SOURCES_TIMEOUT = 0.3

    def slow(request):
        time.sleep(1)
        return Response("{}", content_type="application/json")

    fail_with(httpserver, slow)
    sync_source(grants_source)

    assert_failed_and_untouched(grants_source, synced, "did not answer within 0.3 s")


def test_server_error_fails_the_run_and_leaves_listings_untouched(
    synced, grants_source, httpserver
):
    fail_with(httpserver, lambda request: Response("Bad gateway", status=502))
    sync_source(grants_source)

    assert_failed_and_untouched(grants_source, synced, "server error (502)")


def test_rate_limit_waits_at_least_as_long_as_retry_after(synced, grants_source, httpserver):
    fail_with(
        httpserver,
        lambda request: Response("Slow down", status=429, headers={"Retry-After": "7200"}),
    )
    sync_source(grants_source)

    assert_failed_and_untouched(grants_source, synced, "limiting our requests (429)")
    assert grants_source.next_run_at >= timezone.now() + timedelta(seconds=7100)


def test_rate_limit_understands_retry_after_as_an_http_date(synced, grants_source, httpserver):
    later = format_datetime(datetime.now(UTC) + timedelta(hours=3), usegmt=True)
    fail_with(
        httpserver,
        lambda request: Response("Slow down", status=429, headers={"Retry-After": later}),
    )
    sync_source(grants_source)

    assert_failed_and_untouched(grants_source, synced, "limiting our requests (429)")
    assert grants_source.next_run_at >= timezone.now() + timedelta(hours=2, minutes=55)


def test_malformed_json_fails_the_run_and_leaves_listings_untouched(
    synced, grants_source, httpserver
):
    fail_with(
        httpserver,
        lambda request: Response(
            '{"errorcode": 0, "data": {"oppHits": [', content_type="application/json"
        ),
    )
    sync_source(grants_source)

    assert_failed_and_untouched(grants_source, synced, "not valid JSON")


def test_half_delivered_page_fails_the_run_and_leaves_listings_untouched(
    synced, grants_source, grants_gov, httpserver
):
    grants_gov.install()
    grants_gov.search["data"]["hitCount"] = 150  # announces two pages, sends two hits

    sync_source(grants_source)

    assert_failed_and_untouched(grants_source, synced, "half-delivered")


def test_answer_cut_off_before_its_announced_length_fails_the_run(
    synced, grants_source, httpserver
):
    body = json.dumps({"errorcode": 0, "data": {"hitCount": 0, "oppHits": []}})

    def cut_off(request):
        response = Response(body[:20], content_type="application/json")
        response.headers["Content-Length"] = str(len(body))
        response.automatically_set_content_length = False
        return response

    fail_with(httpserver, cut_off)
    sync_source(grants_source)

    assert_failed_and_untouched(grants_source, synced, "was cut off")


def test_malformed_xml_fails_a_feed_run_and_leaves_its_listings_untouched(feed_source, httpserver):
    source = feed_source("/news.rss")
    httpserver.expect_request("/news.rss").respond_with_data(
        feed_bytes("news.rss"), content_type="application/rss+xml"
    )
    sync_source(source)
    before = snapshot()
    httpserver.clear_all_handlers()
    httpserver.expect_request("/news.rss").respond_with_data(
        feed_bytes("news.rss")[:900], content_type="application/rss+xml"
    )

    sync_source(source)

    assert_failed_and_untouched(source, before, "not well-formed XML")


def test_failures_in_a_row_wait_twice_as_long_each_time(synced, grants_source, httpserver):
    fail_with(httpserver, lambda request: Response("Down", status=503))
    now = timezone.now()

    sync_source(grants_source, now=now)
    first_wait = grants_source.next_run_at - now
    sync_source(grants_source, now=now)
    second_wait = grants_source.next_run_at - now

    assert first_wait == timedelta(seconds=300)
    assert second_wait == timedelta(seconds=600)


def test_a_good_run_after_failures_clears_the_error(synced, grants_source, grants_gov, httpserver):
    fail_with(httpserver, lambda request: Response("Down", status=503))
    sync_source(grants_source)
    httpserver.clear_all_handlers()
    grants_gov.install()

    run = sync_source(grants_source)

    grants_source.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    assert (grants_source.failures_in_a_row, grants_source.last_error) == (0, "")
    assert grants_source.next_run_at > timezone.now() + timedelta(hours=23)


def test_one_bad_item_is_reported_and_skipped_not_the_whole_run(grants_gov, grants_source):
    grants_gov.synopsis(350001)["responseDate"] = "sometime in spring"

    run = sync_source(grants_source)

    assert run.status == RunStatus.SUCCEEDED
    assert run.new == 1 and run.skipped == 1
    assert run.problems[0]["item"] == "DOS-SCD-27-001"
    assert "not a date" in run.problems[0]["problem"]
    assert Listing.objects.get().external_id == "USTDA-27-CITY-002"
    assert Listing.objects.get().status == Status.DRAFT
