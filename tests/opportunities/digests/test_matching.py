"""Matching: what goes into each subscriber's digest, and why."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from cities.models import Bureau, State
from opportunities import digests
from opportunities.models import (
    GovernmentLevel,
    HiddenListing,
    Kind,
    Subscription,
)
from tests.factories import ListingFactory, PlaceFactory, SubscriptionFactory, topic

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def titles(items) -> list[str]:
    return [item.listing.title for item in items]


def new_listing(title, days_ago=1, **fields):
    return ListingFactory(title=title, published_at=NOW - timedelta(days=days_ago), **fields)


def test_digest_holds_new_listings_of_the_chosen_topics_with_a_reason(states):
    ana = SubscriptionFactory(confirmed=True, topics=["climate"])
    new_listing("Climate grant", topics=[topic("climate")])
    new_listing("Housing grant", topics=[topic("housing")])
    new_listing("Old climate grant", days_ago=30, deadline=NOW + timedelta(days=60))
    digest = digests.next_digest(ana, NOW)
    assert titles(digest.new) == ["Climate grant"]
    assert digest.new[0].reason == "Matches your topics: Climate."


def test_no_topics_means_every_topic(states):
    ana = SubscriptionFactory(confirmed=True)
    new_listing("Climate grant", topics=[topic("climate")])
    new_listing("Housing grant", topics=[topic("housing")])
    digest = digests.next_digest(ana, NOW)
    assert sorted(titles(digest.new)) == ["Climate grant", "Housing grant"]
    assert digest.new[0].reason == "Matches: every new listing, as you asked."


def test_regions_match_listings_there_and_worldwide_ones(states):
    ana = SubscriptionFactory(confirmed=True, bureaus=["WHA"])
    wha = new_listing("In the Americas")
    wha.bureaus.set(Bureau.objects.filter(code="WHA"))
    new_listing("Everywhere", is_global=True)
    eur = new_listing("In Europe")
    eur.bureaus.set(Bureau.objects.filter(code="EUR"))
    digest = digests.next_digest(ana, NOW)
    assert sorted(titles(digest.new)) == ["Everywhere", "In the Americas"]
    reasons = {item.listing.title: item.reason for item in digest.new}
    assert (
        reasons["In the Americas"] == "Matches your regions: Bureau of Western Hemisphere Affairs."
    )
    assert reasons["Everywhere"] == "Matches worldwide, so in your regions."


def test_kinds_and_role_narrow_the_digest(states):
    student = SubscriptionFactory(confirmed=True, role="student", kinds=[Kind.EXCHANGE])
    new_listing("Exchange for students", kind=Kind.EXCHANGE, audiences=["students"])
    new_listing("Exchange for mayors", kind=Kind.EXCHANGE, audiences=["local_government"])
    new_listing("A grant", kind=Kind.FUNDING, audiences=[])
    digest = digests.next_digest(student, NOW)
    assert titles(digest.new) == ["Exchange for students"]
    assert digest.new[0].reason == "Matches a kind you chose: Exchange program."


def test_place_eligibility_uses_level_population_and_target_states(states):
    town = PlaceFactory(name="Smallville", population=8_000)
    ana = SubscriptionFactory(confirmed=True, place=town)
    new_listing("For any place")
    new_listing("Counties only", government_levels=[GovernmentLevel.COUNTY])
    new_listing("Big cities only", min_population=100_000)
    texas = new_listing("Texas only")
    texas.target_states.set(State.objects.filter(usps_code="TX"))
    colorado = new_listing("Colorado only")
    colorado.target_states.set(State.objects.filter(usps_code="CO"))
    digest = digests.next_digest(ana, NOW)
    assert sorted(titles(digest.new)) == ["Colorado only", "For any place"]
    assert digest.new[0].reason == "Matches open to Smallville, CO."


def test_closing_soon_is_shown_once_and_new_listings_are_not_repeated(states):
    ana = SubscriptionFactory(confirmed=True, last_digest_at=NOW - timedelta(days=7))
    new_listing("Closes in 10 days", days_ago=60, deadline=NOW + timedelta(days=10))
    new_listing("Closes in 30 days", days_ago=60, deadline=NOW + timedelta(days=30))
    # 12 days away at the last digest, a week ago: that digest showed it.
    new_listing("Closes in 5 days", days_ago=60, deadline=NOW + timedelta(days=5))
    new_listing("Brand new, closing", days_ago=1, deadline=NOW + timedelta(days=3))
    digest = digests.next_digest(ana, NOW)
    assert titles(digest.new) == ["Brand new, closing"]
    assert titles(digest.closing) == ["Closes in 10 days"]


def test_first_digest_shows_everything_closing_soon(states):
    ana = SubscriptionFactory(confirmed=True)
    new_listing("Closes in 2 days", days_ago=60, deadline=NOW + timedelta(days=2))
    assert titles(digests.next_digest(ana, NOW).closing) == ["Closes in 2 days"]


def test_hidden_listings_never_appear(states):
    ana = SubscriptionFactory(confirmed=True)
    boring = new_listing("Boring")
    new_listing("Interesting")
    HiddenListing.objects.create(subscription=ana, listing=boring)
    assert titles(digests.next_digest(ana, NOW).new) == ["Interesting"]


def test_drafts_and_closed_listings_are_left_out(states):
    ana = SubscriptionFactory(confirmed=True)
    new_listing("Draft", status="draft")
    new_listing("Closed", deadline=NOW - timedelta(days=1))
    assert digests.next_digest(ana, NOW).is_empty


def test_matching_runs_one_query_per_distinct_preference_set(states, django_assert_max_num_queries):
    for n in range(30):
        SubscriptionFactory(confirmed=True, email=f"climate{n}@example.gov", topics=["climate"])
        SubscriptionFactory(confirmed=True, email=f"all{n}@example.gov")
    for n in range(10):
        new_listing(f"Listing {n}", topics=[topic("climate" if n % 2 else "housing")])
    subscriptions = list(digests.with_preferences(Subscription.objects.all()))
    with django_assert_max_num_queries(2 + 4):  # two sets, plus the batch's fixed queries
        built = digests.build_digests(subscriptions, NOW)
    assert {len(built[s.pk].new) for s in subscriptions if s.email.startswith("climate")} == {5}
    assert {len(built[s.pk].new) for s in subscriptions if s.email.startswith("all")} == {10}


@pytest.mark.parametrize(
    ("frequency", "key"),
    [("daily", "daily:2026-11-25"), ("weekly", "weekly:2026-W48"), ("monthly", "monthly:2026-11")],
)
def test_period_keys(frequency, key):
    when = datetime(2026, 11, 25, 12, tzinfo=UTC)
    assert digests.period_key(frequency, when) == key


def test_a_bad_frequency_is_refused():
    with pytest.raises(ValueError, match="unknown frequency"):
        digests.period_key("hourly", NOW)


def test_long_digests_keep_the_newest_and_link_to_the_rest(states, settings):
    settings.DIGEST_MAX_ITEMS = 3
    ana = SubscriptionFactory(confirmed=True, kinds=["funding"])
    for n in range(5):
        new_listing(f"Grant {n}", days_ago=n + 1)
    digest = digests.next_digest(ana, NOW)
    assert titles(digest.new) == ["Grant 0", "Grant 1", "Grant 2"]
    assert digest.more_new == 2
    assert digest.more_url.endswith("/opportunities/?sort=newest&kind=funding")
    text = digests.digest_message(digest).body
    assert "And 2 more new listings: see them on the portal" in text


@pytest.mark.parametrize("where", ["place", "state"])
def test_the_link_to_the_rest_keeps_the_subscriptions_place(client, states, settings, where):
    settings.DIGEST_MAX_ITEMS = 1
    town = PlaceFactory(name="Smallville", population=8_000)
    if where == "place":
        ana = SubscriptionFactory(confirmed=True, place=town)
        parameter, shown = "co%2Fsmallville", "Smallville"
    else:
        ana = SubscriptionFactory(confirmed=True, state=town.state)
        parameter, shown = "co", "Colorado"
    new_listing("Grant 0", days_ago=1)
    new_listing("Grant 1", days_ago=2)
    texas = new_listing("Texas only", days_ago=3)
    texas.target_states.set(State.objects.filter(usps_code="TX"))
    digest = digests.next_digest(ana, NOW)
    assert digest.more_new == 1
    assert digest.more_url.endswith(f"/opportunities/?sort=newest&place={parameter}")
    page = client.get(digest.more_url.removeprefix(settings.SITE_URL)).content.decode()
    assert shown in page and "Grant 1" in page and "Texas only" not in page


def test_spanish_subscribers_get_a_spanish_digest(states):
    ana = SubscriptionFactory(confirmed=True, language="es", topics=["climate"])
    new_listing("Climate grant", topics=[topic("climate")])
    message = digests.digest_message(digests.next_digest(ana, NOW))
    assert message.subject == "Nuevas oportunidades para usted: 1 nueva, 0 cierran pronto"
    assert "Coincide con sus temas: Clima." in message.body
    assert "Darse de baja:" in message.body
