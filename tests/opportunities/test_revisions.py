"""Changes to live listings: publishers give a reason; curators propose a draft copy that a
publisher approves while the live listing stays live."""

import pytest
from django.contrib.auth.models import User

from opportunities import publishing
from opportunities.models import Listing, ListingRevision, Status
from tests.factories import ListingFactory, topic
from tests.opportunities.test_workflow import act, admin_form, staff

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/opportunities/listing/"


def live_form(listing, **overrides):
    return admin_form(title=listing.title, slug=listing.slug, **overrides)


def test_a_publishers_edit_to_a_published_listing_needs_a_reason(client):
    publisher = staff(client, "publisher", "Publisher")
    listing = ListingFactory(title="Coastal cities exchange")
    url = f"{CHANGELIST}{listing.pk}/change/"
    assert "Reason for this change" in client.get(url).content.decode()
    refused = client.post(url, live_form(listing, summary="Now longer."))
    assert refused.status_code == 200
    assert "Say why you change a published listing." in refused.content.decode()
    assert Listing.objects.get(pk=listing.pk).summary != "Now longer."

    done = client.post(url, live_form(listing, summary="Now longer.", change_reason="Typo"))
    assert done.status_code == 302
    listing.refresh_from_db()
    assert listing.summary == "Now longer." and listing.status == Status.PUBLISHED
    latest = listing.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (publisher, "Typo")


def test_a_draft_needs_no_change_reason(client):
    staff(client, "curator", "Curator")
    draft = ListingFactory(status=Status.DRAFT, published_at=None)
    assert (
        "Reason for this change"
        not in client.get(f"{CHANGELIST}{draft.pk}/change/").content.decode()
    )


def test_a_curator_proposes_a_change_that_a_publisher_approves(client):
    curator = staff(client, "curator", "Curator")
    live = ListingFactory(title="Coastal cities exchange", summary="Old summary.")
    response = client.post(CHANGELIST, {"action": "propose_change", "_selected_action": [live.pk]})
    draft = ListingRevision.objects.get(live=live).draft
    assert response["Location"] == f"{CHANGELIST}{draft.pk}/change/"
    assert draft.status == Status.DRAFT and draft.created_by == curator
    assert list(draft.topics.all()) == list(live.topics.all())

    form = admin_form(title=live.title, slug=draft.slug, summary="New summary.",
                      topics=[topic("climate").pk, topic("energy").pk])  # fmt: skip
    assert client.post(f"{CHANGELIST}{draft.pk}/change/", form).status_code == 302
    act(client, "submit_for_review", draft, note="Summary updated")
    live.refresh_from_db()
    assert live.summary == "Old summary." and live.status == Status.PUBLISHED  # still live

    publisher = staff(client, "publisher", "Publisher")
    queue = client.get(f"{CHANGELIST}review/").content.decode()
    assert "Proposed change to the live listing" in queue
    client.post(f"{CHANGELIST}review/{draft.pk}/publish/")
    live.refresh_from_db()
    assert live.summary == "New summary." and live.status == Status.PUBLISHED
    assert set(live.topics.values_list("slug", flat=True)) == {"climate", "energy"}
    assert not Listing.objects.filter(pk=draft.pk).exists()
    latest = live.history.latest()
    assert latest.history_user == publisher
    assert latest.history_change_reason == "Approved change proposed by: curator"


def test_one_proposed_change_at_a_time_and_only_to_live_listings(client):
    user = User.objects.create_user("curator", is_staff=True)
    live = ListingFactory()
    publishing.propose_revision(live, user)
    with pytest.raises(publishing.TransitionError, match="already has a proposed change"):
        publishing.propose_revision(live, user)
    draft = ListingFactory(status=Status.DRAFT, published_at=None)
    with pytest.raises(publishing.TransitionError, match="it is not live"):
        publishing.propose_revision(draft, user)


def test_sending_a_proposed_change_back_leaves_the_live_listing_alone(client):
    user = User.objects.create_user("curator", is_staff=True)
    live = ListingFactory(summary="Old summary.")
    draft = publishing.propose_revision(live, user)
    Listing.objects.filter(pk=draft.pk).update(summary="Wrong.")
    publishing.submit_for_review([draft], user)
    publishing.return_to_draft([Listing.objects.get(pk=draft.pk)], None, "No")
    live.refresh_from_db()
    assert live.summary == "Old summary."


def test_a_curator_sees_a_live_listing_read_only_without_a_reason_box(client):
    staff(client, "curator", "Curator")
    live = ListingFactory()
    page = client.get(f"{CHANGELIST}{live.pk}/change/")
    assert page.status_code == 200
    assert "Reason for this change" not in page.content.decode()
