"""Every staff-visible change leaves a record of who, when and what: listings' topics and
regions, bulk moves and imports, subscriptions' status, revoked API keys."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.utils import timezone

from cities.models import State
from opportunities import digests, publishing
from opportunities.models import ApiKey, Listing, Status, Subscription, SubscriptionStatus
from tests.factories import ListingFactory, topic
from tests.opportunities.mailserver import ControlledSMTP
from tests.opportunities.test_admin_security import listing_form
from tests.opportunities.test_import import GOOD, csv_bytes, run_import

pytestmark = pytest.mark.django_db


def staff(client, username, group=None, codenames=()) -> User:
    user = User.objects.create_user(username, password="a-long-test-password", is_staff=True)
    if group:
        user.groups.add(Group.objects.get(name=group))
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return user


def slugs(version, field="topics", key="topic__slug") -> set[str]:
    return set(getattr(version, field).values_list(key, flat=True))


# Listings: many-to-many links -----------------------------------------------------------------


def test_changing_a_listings_topics_in_the_admin_is_in_its_history(client):
    listing = ListingFactory(status=Status.DRAFT, published_at=None)
    before = listing.history.latest()
    curator = staff(client, "curator", "Curator")
    response = client.post(
        f"/admin/opportunities/listing/{listing.pk}/change/",
        listing_form(listing, topics=[topic("housing").pk]),
    )
    assert response.status_code == 302
    latest = listing.history.latest()
    assert slugs(latest) == {"housing"} and latest.history_user == curator
    assert slugs(before) == {"climate"}


def test_changing_a_listings_regions_and_target_states_is_in_its_history(states):
    listing = ListingFactory()
    listing.target_states.set([State.objects.get(usps_code="CO")])
    listing.bureaus.set([])
    latest = listing.history.latest()
    assert slugs(latest, "target_states", "state__usps_code") == {"CO"}
    assert slugs(latest, "bureaus", "bureau__code") == set()


def test_a_bulk_workflow_move_records_each_listings_topics(client):
    listings = ListingFactory.create_batch(2, status=Status.IN_REVIEW, published_at=None)
    publisher = staff(client, "publisher", "Publisher")
    publishing.publish(listings, publisher)
    for listing in listings:
        latest = listing.history.latest()
        assert latest.status == Status.PUBLISHED and latest.history_user == publisher
        assert slugs(latest) == {"climate"}


def test_the_scheduled_task_records_the_system_as_who_published(client):
    listing = ListingFactory(
        status=Status.SCHEDULED, published_at=None,
        publish_at=timezone.now() - timedelta(minutes=1),
    )  # fmt: skip
    publishing.publish_scheduled_listings()
    latest = listing.history.latest()
    assert latest.history_user is None
    assert latest.history_change_reason == "Published on schedule"
    assert slugs(latest) == {"climate"}


def test_imported_listings_history_has_their_topics_and_regions(states):
    run_import(csv_bytes(*GOOD))
    first = Listing.objects.get(title="Water exchange").history.get()
    assert first.history_change_reason == "Imported"
    assert slugs(first) == {"water-and-sanitation"}
    assert slugs(first, "bureaus", "bureau__code") == {"WHA"}


# Subscriptions -------------------------------------------------------------------------------


@pytest.fixture
def subscription(states):
    return Subscription.objects.create(email="mayor@springfield.example.gov")


def statuses(subscription) -> list[str]:
    return list(subscription.history.order_by("history_id").values_list("status", flat=True))


def test_confirming_pausing_and_unsubscribing_are_in_the_subscriptions_history(subscription):
    digests.confirm(subscription)
    digests.set_paused(subscription, True)
    digests.unsubscribe(subscription.pk)
    assert statuses(subscription) == ["pending", "confirmed", "paused", "unsubscribed"]
    assert subscription.history.latest().history_change_reason == "Unsubscribed"


def test_a_bounce_is_in_the_subscriptions_history_but_a_sent_digest_is_not(states, settings):
    sent, bounced = (
        Subscription.objects.create(
            email=address,
            status=SubscriptionStatus.CONFIRMED,
            confirmed_at=timezone.now() - timedelta(days=7),
        )
        for address in ("reader@example.gov", "gone@example.gov")
    )
    ListingFactory()
    with ControlledSMTP() as server:
        settings.EMAIL_PORT = server.port
        server.refused.add("gone@example.gov")
        run, chunks = digests.plan_run("weekly")
        for chunk in chunks:
            digests.deliver_chunk(run.pk, chunk)
    assert statuses(bounced) == ["confirmed", "bouncing"]
    assert statuses(sent) == ["confirmed"]


def test_subscription_history_keeps_no_second_copy_of_the_address(subscription):
    fields = {field.name for field in Subscription.history.model._meta.fields}
    assert "status" in fields and "email" not in fields


def test_staff_see_a_subscriptions_history_with_its_topics(client, subscription):
    staff(client, "viewer", codenames=["view_subscription"])
    subscription.topics.set([topic("climate")])
    digests.confirm(subscription)
    assert slugs(subscription.history.latest()) == {"climate"}
    response = client.get(f"/admin/opportunities/subscription/{subscription.pk}/history/")
    html = response.content.decode()
    assert response.status_code == 200 and "Confirmed by the subscriber" in html
    assert "mayor@" not in html


# API keys ------------------------------------------------------------------------------------


def test_revoking_an_api_key_is_logged_with_who_did_it(client):
    key = ApiKey(name="A newsroom")
    key.issue()
    key.save()
    admin = staff(client, "admin", "Administrator")
    client.post(
        "/admin/opportunities/apikey/",
        {"action": "revoke", "_selected_action": [key.pk], "index": "0"},
    )
    entry = LogEntry.objects.get(object_id=str(key.pk))
    assert entry.user == admin and "Revoked" in entry.get_change_message()


def test_a_listings_history_page_shows_topic_changes_in_a_few_queries(
    client, django_assert_max_num_queries
):
    listing = ListingFactory(title="Version 0")
    for n in range(1, 30):
        listing.title = f"Version {n}"
        listing.save()
    listing.topics.set([topic("housing")])
    staff(client, "curator", "Curator")
    with django_assert_max_num_queries(25):
        response = client.get(f"/admin/opportunities/listing/{listing.pk}/history/")
    html = response.content.decode()
    assert response.status_code == 200 and "Version 29" in html
    assert "Topics" in html and "Housing" in html
