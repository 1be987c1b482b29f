import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from opportunities import publishing, tasks
from opportunities.models import Kind, Listing, Status
from tests.factories import ListingFactory, admin_listing_form, topic

pytestmark = pytest.mark.django_db


def staff(client, username, group):
    user = User.objects.create_user(username, password="a-long-test-password", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    return user


def act(client, action, *listings, note="Checked"):
    """Run an admin action on listings, answering its confirmation page (note or reason)."""
    return client.post(
        "/admin/opportunities/listing/",
        {
            "action": action,
            "_selected_action": [listing.pk for listing in listings],
            "post": "yes",
            "note": note,
        },
        follow=True,
    )


def test_roles_exist_as_groups_with_their_permissions():
    curator = Group.objects.get(name="Curator").permissions.values_list("codename", flat=True)
    publisher = Group.objects.get(name="Publisher").permissions.values_list("codename", flat=True)
    assert "submit_listing" in curator and "publish_listing" not in curator
    assert {"submit_listing", "publish_listing"} <= set(publisher)
    assert Group.objects.get(name="Administrator").permissions.filter(codename="delete_listing")


def test_curator_submits_a_draft_but_cannot_publish_it(client):
    staff(client, "curator", "Curator")
    draft = ListingFactory(status=Status.DRAFT, published_at=None)
    act(client, "submit_for_review", draft)
    draft.refresh_from_db()
    assert draft.status == Status.IN_REVIEW
    response = act(client, "publish", draft)
    draft.refresh_from_db()
    assert draft.status == Status.IN_REVIEW
    assert 'value="publish"' not in response.content.decode()  # not even offered


def test_curator_cannot_edit_a_listing_once_it_is_in_review(client):
    staff(client, "curator", "Curator")
    listing = ListingFactory(status=Status.IN_REVIEW, published_at=None)
    response = client.post(
        f"/admin/opportunities/listing/{listing.pk}/change/", {"title": "Changed"}
    )
    assert response.status_code == 403
    listing.refresh_from_db()
    assert listing.title != "Changed"


def test_publisher_publishes_and_the_public_sees_it(client):
    staff(client, "publisher", "Publisher")
    listing = ListingFactory(status=Status.IN_REVIEW, published_at=None)
    assert client.get(listing.get_absolute_url()).status_code == 404
    act(client, "publish", listing)
    listing.refresh_from_db()
    assert listing.status == Status.PUBLISHED and listing.published_at is not None
    client.logout()
    assert client.get(listing.get_absolute_url()).status_code == 200


def test_a_draft_cannot_be_published_without_review():
    listing = ListingFactory(status=Status.DRAFT, published_at=None)
    with pytest.raises(publishing.TransitionError, match="Cannot publish"):
        publishing.publish([listing], None)


def test_publishing_with_a_future_time_schedules_it():
    later = timezone.now() + timedelta(hours=3)
    listing = ListingFactory(status=Status.IN_REVIEW, published_at=None, publish_at=later)
    publishing.publish([listing], None)
    listing.refresh_from_db()
    assert listing.status == Status.SCHEDULED
    assert publishing.publish_scheduled_listings() == 0
    assert publishing.publish_scheduled_listings(now=later + timedelta(minutes=1)) == 1
    listing.refresh_from_db()
    assert listing.status == Status.PUBLISHED and listing.published_at == later


def test_listings_are_archived_after_their_deadline_or_end():
    past = timezone.now() - timedelta(days=1)
    closed = ListingFactory(deadline=past)
    ended = ListingFactory(kind=Kind.EVENT, deadline=None, starts_at=past - timedelta(days=2),
                           ends_at=past)  # fmt: skip
    rolling = ListingFactory(deadline=None)
    still_open = ListingFactory()
    assert publishing.archive_expired_listings() == 2
    statuses = dict(Listing.objects.values_list("pk", "status"))
    assert statuses[closed.pk] == statuses[ended.pk] == Status.ARCHIVED
    assert statuses[rolling.pk] == statuses[still_open.pk] == Status.PUBLISHED
    assert publishing.archive_expired_listings() == 0  # safe to run twice


def test_every_change_is_in_the_history_with_who_and_why_even_in_bulk(client):
    user = staff(client, "publisher", "Publisher")
    listings = ListingFactory.create_batch(3, status=Status.IN_REVIEW, published_at=None)
    act(client, "publish", *listings)
    for listing in listings:
        latest = listing.history.latest()
        assert latest.status == Status.PUBLISHED
        assert latest.history_user == user
        assert latest.history_change_reason == "Approved for publication"
    response = client.get(f"/admin/opportunities/listing/{listings[0].pk}/history/")
    assert "Approved for publication" in response.content.decode()


def test_published_listings_cannot_be_deleted_only_archived(client):
    user = staff(client, "admin", "Administrator")
    listing = ListingFactory()
    response = client.post(f"/admin/opportunities/listing/{listing.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    act(client, "archive", listing)
    listing.refresh_from_db()
    assert listing.status == Status.ARCHIVED
    draft = ListingFactory(status=Status.DRAFT, published_at=None)
    client.post(f"/admin/opportunities/listing/{draft.pk}/delete/", {"post": "yes"})
    assert not Listing.objects.filter(pk=draft.pk).exists()
    assert user.has_perm("opportunities.delete_listing")


def test_staff_preview_a_draft_exactly_as_the_public_would_see_it(client):
    draft = ListingFactory(status=Status.DRAFT, published_at=None, title="Secret draft")
    assert client.get(f"/opportunities/preview/{draft.pk}/").status_code == 302  # to login
    staff(client, "curator", "Curator")
    html = client.get(f"/opportunities/preview/{draft.pk}/").content.decode()
    assert '<h1 class="margin-top-1">Secret draft</h1>' in html
    assert "This is how the public will see this listing" in html


def test_reading_level_of_the_summary_is_shown_while_editing(client):
    staff(client, "curator", "Curator")
    plain = client.get(
        "/admin/opportunities/listing/reading-grade/",
        {"text": "Cities can get help. Staff visit peers abroad. They share ideas."},
    ).json()
    hard = client.get(
        "/admin/opportunities/listing/reading-grade/",
        {"text": "Municipalities operationalizing multilateral sustainability commitments "
                 "increasingly institutionalize intergovernmental coordination mechanisms."},
    ).json()  # fmt: skip
    assert plain["grade"] <= 8 and "plain language" in plain["hint"]
    assert hard["grade"] > 12 and "shorter sentences" in hard["hint"]


def test_beat_task_publishes_scheduled_listings_through_a_real_worker(
    transactional_db, celery_worker
):
    listing = ListingFactory(
        status=Status.SCHEDULED, published_at=None,
        publish_at=timezone.now() - timedelta(minutes=1), topics=[],
    )  # fmt: skip
    tasks.publish_scheduled_listings.delay()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        listing.refresh_from_db()
        if listing.status == Status.PUBLISHED:
            break
        time.sleep(0.2)
    assert listing.status == Status.PUBLISHED
    assert listing.history.latest().history_change_reason == "Published on schedule"


def admin_form(**overrides):
    data = {
        "title": "Coastal cities exchange",
        "slug": "coastal-cities-exchange",
        "kind": "exchange",
        "summary": "City staff visit coastal peers abroad to share flood plans.",
        "sponsor": "U.S. Department of State",
        "topics": [topic("climate").pk],
        "audiences": ["local_government"],
        "government_levels": ["city", "county"],
        "format": "in_person",
        "time_zone": "America/New_York",
        "apply_url": "https://example.gov/coastal",
        "opens_at_0": "2027-01-10", "opens_at_1": "09:00",
        "deadline_0": "2027-03-01", "deadline_1": "17:00",
    }  # fmt: skip
    data.update(overrides)
    return admin_listing_form(data)


def test_curator_creates_a_draft_in_the_admin_with_tick_boxes(client):
    user = staff(client, "curator", "Curator")
    response = client.post("/admin/opportunities/listing/add/", admin_form())
    assert response.status_code == 302, response.content.decode()[:2000]
    listing = Listing.objects.get(slug="coastal-cities-exchange")
    assert listing.status == Status.DRAFT and listing.created_by == user
    assert listing.government_levels == ["city", "county"]
    assert listing.history.latest().history_user == user


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"deadline_0": "2027-01-01"}, "The deadline must be after the opening date."),
        ({"apply_url": ""}, "Say how to apply: a web address, a contact, or both."),
        ({"time_zone": "Mars/Olympus"}, "is not a time zone"),
        ({"min_age": "30", "max_age": "18"}, "The maximum age must be at least the minimum age."),
    ],
)
def test_the_admin_explains_invalid_listings(client, overrides, message):
    staff(client, "curator", "Curator")
    response = client.post("/admin/opportunities/listing/add/", admin_form(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Listing.objects.exists()
