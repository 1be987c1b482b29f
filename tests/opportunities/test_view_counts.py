"""Listing views: counted in Redis per request, flushed to the database by a beat task, shown
on the staff reach dashboard."""

import datetime
import re
import time
from datetime import UTC

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User

from cities import reference
from cities.models import Place
from opportunities import view_counts
from opportunities.models import ListingViews
from opportunities.tasks import flush_listing_views
from tests.conftest import ensure_curation_data
from tests.factories import ListingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def views_hash():
    client = view_counts._redis()
    client.delete(view_counts.VIEWS_KEY)
    yield client
    client.delete(view_counts.VIEWS_KEY)


def test_a_listing_view_writes_nothing_to_the_database(
    client, states, views_hash, django_assert_max_num_queries
):
    listing = ListingFactory()
    with django_assert_max_num_queries(12) as captured:  # six per page, as before counting
        client.get(listing.get_absolute_url())
        client.get(listing.get_absolute_url())
    assert not [q for q in captured.captured_queries if "listingviews" in q["sql"]]
    assert views_hash.hget(view_counts.VIEWS_KEY, str(listing.pk)) == b"2"


def test_flush_adds_counted_views_to_the_database_and_is_safe_to_repeat(states, views_hash):
    first, second = ListingFactory(), ListingFactory()
    ListingViews.objects.create(listing=first, views=10, updated_at=datetime.datetime.now(UTC))
    for listing_id in [first.pk, first.pk, second.pk, 999_999]:  # a deleted listing is skipped
        view_counts.count_listing_view(listing_id)
    assert view_counts.flush_listing_views() == 4
    assert view_counts.flush_listing_views() == 0
    assert dict(ListingViews.objects.values_list("listing_id", "views")) == {
        first.pk: 12, second.pk: 1,
    }  # fmt: skip


def test_beat_runs_the_flush_every_minute():
    schedule = django_settings.CELERY_BEAT_SCHEDULE["flush-listing-views"]
    assert schedule == {"task": "opportunities.tasks.flush_listing_views", "schedule": 60.0}


def test_a_real_worker_flushes_the_views_to_the_dashboard(
    client, transactional_db, celery_worker, views_hash
):
    ensure_curation_data()
    reference.load_states()
    listing = ListingFactory(title="Most read listing")
    for _ in range(3):
        client.get(listing.get_absolute_url())
    flush_listing_views.delay()
    deadline = time.monotonic() + 30
    while not ListingViews.objects.filter(listing=listing, views=3).exists():
        assert time.monotonic() < deadline, "the worker did not flush the views"
        time.sleep(0.1)
    admin = User.objects.create_superuser("admin", "admin@example.gov", "a-long-test-password")
    client.force_login(admin)
    html = client.get("/staff/reach/").content.decode()
    viewed = html[html.index('id="most-viewed"') :]
    assert re.search(r"Most read listing</a></th><td[^>]*>3</td>", viewed)
    assert Place.objects.count() == 0
