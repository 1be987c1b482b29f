"""Mistakes can be undone: archiving asks for a reason, an archived listing is restored to
draft with its text as it is now, and curators delete their own unpublished drafts only."""

import pytest
from django.contrib.auth.models import User

from opportunities.models import Listing, Status
from tests.factories import ListingFactory, topic
from tests.opportunities.test_workflow import act, staff

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/opportunities/listing/"


def test_archiving_asks_for_confirmation_and_a_reason(client):
    publisher = staff(client, "publisher", "Publisher")
    listing = ListingFactory()
    page = client.post(CHANGELIST, {"action": "archive", "_selected_action": [listing.pk]})
    assert page.status_code == 200 and "Reason for archiving" in page.content.decode()
    listing.refresh_from_db()
    assert listing.status == Status.PUBLISHED

    refused = act(client, "archive", listing, note="")
    assert refused.status_code == 400
    assert "Give a reason for archiving." in refused.content.decode()
    listing.refresh_from_db()
    assert listing.status == Status.PUBLISHED

    act(client, "archive", listing, note="Program cancelled")
    listing.refresh_from_db()
    assert listing.status == Status.ARCHIVED
    latest = listing.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (
        publisher,
        "Archived: Program cancelled",
    )


def test_an_archived_listing_is_restored_to_draft_without_rolling_its_text_back(client):
    staff(client, "publisher", "Publisher")
    listing = ListingFactory(title="First title")
    Listing.objects.filter(pk=listing.pk).update(title="Corrected title")
    listing.refresh_from_db()
    act(client, "archive", listing, note="By mistake")
    act(client, "restore_to_draft", listing, note="Archived by mistake")
    listing.refresh_from_db()
    assert listing.status == Status.DRAFT and listing.archived_at is None
    assert listing.title == "Corrected title"
    reason = listing.history.latest().history_change_reason
    assert reason == "Restored to draft: Archived by mistake"


def test_only_archived_listings_can_be_restored(client):
    staff(client, "publisher", "Publisher")
    listing = ListingFactory()
    response = act(client, "restore_to_draft", listing, note="Why not")
    assert "Cannot restore to draft" in response.content.decode()
    listing.refresh_from_db()
    assert listing.status == Status.PUBLISHED


def test_a_curator_can_neither_archive_nor_restore(client):
    staff(client, "curator", "Curator")
    published = ListingFactory()
    archived = ListingFactory(status=Status.ARCHIVED)
    page = client.get(CHANGELIST).content.decode()
    assert 'value="archive"' not in page and 'value="restore_to_draft"' not in page
    act(client, "archive", published, note="x")
    act(client, "restore_to_draft", archived, note="x")
    assert Listing.objects.get(pk=published.pk).status == Status.PUBLISHED
    assert Listing.objects.get(pk=archived.pk).status == Status.ARCHIVED


def test_a_curator_deletes_their_own_draft_but_not_someone_elses(client):
    curator = staff(client, "curator", "Curator")
    own = ListingFactory(status=Status.DRAFT, published_at=None, created_by=curator)
    other = ListingFactory(
        status=Status.DRAFT,
        published_at=None,
        created_by=User.objects.create_user("other", is_staff=True),
    )
    assert client.post(f"{CHANGELIST}{other.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.post(f"{CHANGELIST}{own.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Listing.objects.filter(pk=own.pk).exists()
    assert Listing.objects.filter(pk=other.pk).exists()
    deleted = Listing.history.filter(id=own.pk).latest()
    assert (deleted.history_type, deleted.history_user) == ("-", curator)


def test_a_once_published_draft_cannot_be_deleted_even_by_its_curator(client):
    curator = staff(client, "curator", "Curator")
    restored = ListingFactory(status=Status.DRAFT, created_by=curator)  # published before
    assert client.post(f"{CHANGELIST}{restored.pk}/delete/", {"post": "yes"}).status_code == 403


def test_duplicates_merge_into_the_listing_kept(client):
    publisher = staff(client, "publisher", "Publisher")
    keep = ListingFactory(
        title="Fulbright U.S. Student Program", topics=[topic("education-and-culture")]
    )
    published_twin = ListingFactory(
        title="Fulbright: US Student Program", slug="fulbright-2", topics=[topic("climate")]
    )
    draft_twin = ListingFactory(status=Status.DRAFT, published_at=None, title="Fulbright")
    selected = [keep.pk, published_twin.pk, draft_twin.pk]
    page = client.post(CHANGELIST, {"action": "merge_duplicates", "_selected_action": selected})
    assert "Listing to keep" in page.content.decode()
    refused = client.post(
        CHANGELIST, {"action": "merge_duplicates", "_selected_action": selected, "post": "yes"}
    )
    assert refused.status_code == 400 and "Choose the listing to keep." in refused.content.decode()

    client.post(
        CHANGELIST,
        {"action": "merge_duplicates", "_selected_action": selected, "post": "yes",
         "keep": keep.pk},
    )  # fmt: skip
    published_twin.refresh_from_db()
    assert published_twin.status == Status.ARCHIVED
    assert not Listing.objects.filter(pk=draft_twin.pk).exists()
    assert set(keep.topics.values_list("slug", flat=True)) == {"education-and-culture", "climate"}
    reason = f"Merged into: “{keep.title}” (#{keep.pk})"
    assert published_twin.history.latest().history_change_reason == reason
    gone = Listing.history.filter(id=draft_twin.pk).latest()
    assert (gone.history_type, gone.history_user, gone.history_change_reason) == (
        "-",
        publisher,
        reason,
    )
    assert keep.history.latest().history_change_reason.startswith("Merged duplicates into")


def test_merging_needs_two_listings_and_a_publisher(client):
    staff(client, "curator", "Curator")
    a, b = ListingFactory.create_batch(2, status=Status.DRAFT, published_at=None)
    client.post(
        CHANGELIST,
        {"action": "merge_duplicates", "_selected_action": [a.pk, b.pk], "post": "yes",
         "keep": a.pk},
    )  # fmt: skip
    assert Listing.objects.filter(pk__in=[a.pk, b.pk]).count() == 2
