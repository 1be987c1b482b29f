"""Staff-side safety of the listings and digests admin: history reverts, address lookups."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.utils import timezone

from opportunities.models import (
    DigestDelivery,
    Listing,
    Status,
    Subscription,
    SubscriptionStatus,
)
from tests.factories import ListingFactory, admin_listing_form, topic

pytestmark = pytest.mark.django_db


def staff(client, username, group=None, codenames=()) -> User:
    user = User.objects.create_user(username, password="a-long-test-password", is_staff=True)
    if group:
        user.groups.add(Group.objects.get(name=group))
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return user


def listing_form(listing, **overrides) -> dict:
    """What the listing's change (or revert) form posts."""
    data = {
        "title": listing.title,
        "slug": listing.slug,
        "kind": listing.kind,
        "summary": listing.summary,
        "sponsor": listing.sponsor,
        "topics": [topic("climate").pk],
        "audiences": ["local_government"],
        "time_zone": "America/New_York",
        "format": "in_person",
        "apply_url": listing.apply_url,
        "deadline_0": "2027-03-01", "deadline_1": "17:00",
    }  # fmt: skip
    return admin_listing_form({**data, **overrides})


def history_url(listing, version) -> str:
    return f"/admin/opportunities/listing/{listing.pk}/history/{version.history_id}/"


def edited(listing, **fields):
    """Change a listing as a save would; returns its first (creation) version."""
    first = listing.history.earliest()
    for name, value in fields.items():
        setattr(listing, name, value)
    listing.save()
    return first


# 1. Reverting an old version ----------------------------------------------------------------


def test_curator_cannot_revert_a_published_listing(client):
    listing = ListingFactory(status=Status.DRAFT, published_at=None, title="Old words")
    first = edited(listing, status=Status.PUBLISHED, title="Published words")
    staff(client, "curator", "Curator")
    response = client.post(history_url(listing, first), listing_form(listing, title="Old words"))
    assert response.status_code == 403
    listing.refresh_from_db()
    assert listing.title == "Published words" and listing.status == Status.PUBLISHED


def test_reverting_a_draft_to_its_published_version_does_not_publish_it(client):
    listing = ListingFactory(title="Once public")
    first = edited(listing, status=Status.DRAFT, published_at=None)
    staff(client, "curator", "Curator")
    response = client.post(history_url(listing, first), listing_form(listing, _save="Revert"))
    assert response.status_code == 302
    listing.refresh_from_db()
    assert listing.status == Status.DRAFT and listing.published_at is None


def test_publisher_cannot_republish_an_archived_listing_by_reverting(client):
    listing = ListingFactory(title="Closed grant")
    first = edited(listing, status=Status.ARCHIVED)
    staff(client, "publisher", "Publisher")
    client.post(history_url(listing, first), listing_form(listing, _save="Revert"))
    listing.refresh_from_db()
    assert listing.status == Status.ARCHIVED


def test_view_only_staff_cannot_revert_a_listing(client):
    listing = ListingFactory(status=Status.DRAFT, published_at=None, title="Old words")
    first = edited(listing, title="New words")
    staff(client, "viewer", codenames=["view_listing", "view_historicallisting"])
    response = client.post(history_url(listing, first), listing_form(listing, title="Old words"))
    assert response.status_code == 403
    listing.refresh_from_db()
    assert listing.title == "New words"


def test_view_only_staff_see_an_old_version_without_a_revert_button(client):
    listing = ListingFactory(status=Status.DRAFT, published_at=None)
    first = edited(listing, title="New words")
    staff(client, "viewer", codenames=["view_listing", "view_historicallisting"])
    response = client.get(history_url(listing, first))
    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()


def test_revert_page_refuses_a_get_that_asks_to_save(client):
    listing = ListingFactory(status=Status.DRAFT, published_at=None)
    first = edited(listing, title="New words")
    staff(client, "viewer", codenames=["view_listing", "view_historicallisting"])
    assert client.get(history_url(listing, first), {"_save": "Revert"}).status_code == 403


def test_publisher_reverts_a_published_listings_words(client):
    listing = ListingFactory(title="Old words")
    first = edited(listing, title="New words")
    user = staff(client, "publisher", "Publisher")
    # Reverting a live listing is an edit of it, so it asks for a reason like any other edit.
    form = listing_form(listing, title="Old words")
    refused = client.post(history_url(listing, first), form)
    assert refused.status_code == 200 and "Say why you change a published listing." in (
        refused.content.decode()
    )
    response = client.post(history_url(listing, first), {**form, "change_reason": "Back"})
    assert response.status_code == 302
    listing.refresh_from_db()
    assert listing.title == "Old words" and listing.status == Status.PUBLISHED
    latest = listing.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (user, "Back")
    assert Listing.objects.count() == 1


# 2. Subscribers' addresses ------------------------------------------------------------------

ADDRESS = "mayor@springfield.example.gov"
BOUNCE = (
    "SMTPRecipientsRefused: {'mayor@springfield.example.gov': (550, b'5.1.1 "
    "<mayor@springfield.example.gov>: Recipient address rejected: User unknown')}"
)
DIGEST_VIEWER = ["view_subscription", "view_digestrun", "view_digestdelivery"]


@pytest.fixture
def bounced(states):
    subscription = Subscription.objects.create(
        email=ADDRESS,
        status=SubscriptionStatus.BOUNCING,
        confirmed_at=timezone.now() - timedelta(days=7),
    )
    DigestDelivery.objects.create(
        subscription=subscription,
        period="weekly-2026-W47",
        status=DigestDelivery.Status.FAILED,
        as_of=timezone.now(),
        error=BOUNCE,
    )
    return subscription


@pytest.mark.parametrize(
    "lookup",
    ["email", "email__iexact", "email__startswith", "email__regex", "email__gt", "email__in"],
)
def test_staff_without_the_address_permission_cannot_filter_by_address(client, bounced, lookup):
    staff(client, "viewer", codenames=DIGEST_VIEWER)
    response = client.get("/admin/opportunities/subscription/", {lookup: ADDRESS})
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("url", "lookup"),
    [
        ("/admin/opportunities/subscription/", "deliveries__error__contains"),
        ("/admin/opportunities/digestrun/", "deliveries__subscription__email__startswith"),
        ("/admin/opportunities/topic/", "subscriptions__email__startswith"),
    ],
)
def test_staff_cannot_reach_addresses_through_a_relation(client, bounced, url, lookup):
    staff(client, "viewer", codenames=[*DIGEST_VIEWER, "view_topic"])
    assert client.get(url, {lookup: "mayor"}).status_code == 400


def test_staff_with_the_address_permission_filter_by_address(client, bounced):
    staff(client, "admin", codenames=[*DIGEST_VIEWER, "view_subscriber_email"])
    response = client.get("/admin/opportunities/subscription/", {"email__startswith": "mayor"})
    assert response.status_code == 200 and ADDRESS in response.content.decode()


def test_bounce_errors_hide_the_address_from_staff_without_the_permission(client, bounced):
    staff(client, "viewer", codenames=DIGEST_VIEWER)
    html = client.get(f"/admin/opportunities/subscription/{bounced.pk}/change/").content.decode()
    assert "Recipient address rejected" in html
    assert "mayor@" not in html and "m•••@springfield.example.gov" in html


def test_bounce_errors_show_the_address_to_staff_with_the_permission(client, bounced):
    staff(client, "admin", codenames=[*DIGEST_VIEWER, "view_subscriber_email"])
    html = client.get(f"/admin/opportunities/subscription/{bounced.pk}/change/").content.decode()
    assert "&lt;mayor@springfield.example.gov&gt;: Recipient address rejected" in html


def test_nobody_reverts_a_subscription_not_even_a_superuser(client, bounced):
    first = bounced.history.earliest()
    bounced.frequency = "daily"
    bounced.save()
    root = User.objects.create_superuser("root", "root@state.example.gov", "a-long-password-1")
    client.force_login(root)
    url = f"/admin/opportunities/subscription/{bounced.pk}/history/{first.history_id}/"
    assert client.post(url, {"frequency": "weekly", "role": "other"}).status_code == 403
    bounced.refresh_from_db()
    assert bounced.frequency == "daily"
