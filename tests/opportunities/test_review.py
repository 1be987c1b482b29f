"""The review queue: submitting with a note, sending back, withdrawing, publishing from the
queue, and the reminder publishers get while listings wait."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.utils import timezone

from opportunities import publishing, review
from opportunities.models import ReviewOutcome, ReviewReminder, ReviewSubmission, Status
from tests.factories import ListingFactory
from tests.opportunities.test_workflow import staff

pytestmark = pytest.mark.django_db
QUEUE = "/admin/opportunities/listing/review/"


def submit(client, note, *listings):
    return client.post(
        "/admin/opportunities/listing/",
        {
            "action": "submit_for_review",
            "_selected_action": [listing.pk for listing in listings],
            "post": "yes",
            "note": note,
        },
        follow=True,
    )


def draft(**kwargs):
    return ListingFactory(status=Status.DRAFT, published_at=None, **kwargs)


def in_review(curator, note="Please check the dates"):
    listing = draft()
    publishing.submit_for_review([listing], curator, note)
    return listing


def test_submitting_asks_for_a_note_then_records_it(client):
    curator = staff(client, "curator", "Curator")
    listing = draft()
    page = client.post(
        "/admin/opportunities/listing/",
        {"action": "submit_for_review", "_selected_action": [listing.pk]},
    )
    assert "Note to the reviewer" in page.content.decode()
    listing.refresh_from_db()
    assert listing.status == Status.DRAFT  # only asked, not yet submitted

    submit(client, "New cycle; dates from the sponsor's page", listing)
    listing.refresh_from_db()
    assert listing.status == Status.IN_REVIEW
    submission = ReviewSubmission.objects.get(listing=listing)
    assert submission.submitted_by == curator and submission.outcome == ReviewOutcome.WAITING
    assert submission.note == "New cycle; dates from the sponsor's page"
    latest = listing.history.latest()
    assert latest.history_user == curator
    assert latest.history_change_reason.startswith("Submitted for review: New cycle")


def test_the_queue_shows_who_submitted_when_and_the_note(client):
    curator = User.objects.create_user("ana", first_name="Ana", last_name="Ruiz", is_staff=True)
    listing = in_review(curator, "Check the age limits")
    staff(client, "publisher", "Publisher")
    page = client.get(QUEUE).content.decode()
    assert listing.title in page
    assert "Ana Ruiz" in page
    assert "Check the age limits" in page
    assert f'action="/admin/opportunities/listing/review/{listing.pk}/publish/"' in page


def test_the_admin_index_leads_to_the_queue_and_the_dashboards(client):
    in_review(None)
    staff(client, "publisher", "Publisher")
    page = client.get("/admin/").content.decode()
    assert 'href="/admin/opportunities/listing/review/"' in page
    assert "In review: one listing waits" in page
    assert 'href="/staff/reach/"' in page and 'href="/staff/reach/gaps/"' in page


def test_the_queue_reads_a_bounded_number_of_queries(client, django_assert_max_num_queries):
    curators = [User.objects.create_user(f"c{i}", is_staff=True) for i in range(3)]
    for curator in curators:
        in_review(curator)
    staff(client, "publisher", "Publisher")
    client.get(QUEUE)
    with django_assert_max_num_queries(8):
        page = client.get(QUEUE)
    for curator in curators * 5:
        in_review(curator)
    with django_assert_max_num_queries(8):
        page = client.get(QUEUE)
    assert page.content.decode().count("/publish/") == 18


def test_publisher_sends_back_with_a_note(client):
    curator = User.objects.create_user("curator", is_staff=True)
    listing = in_review(curator)
    publisher = staff(client, "publisher", "Publisher")
    url = f"{QUEUE}{listing.pk}/send-back/"
    assert "What should change" in client.get(url).content.decode()
    response = client.post(url, {"note": "The deadline is a year off."})
    assert response.status_code == 302 and response["Location"] == QUEUE
    listing.refresh_from_db()
    assert listing.status == Status.DRAFT
    submission = listing.review_submissions.get()
    assert submission.outcome == ReviewOutcome.SENT_BACK
    assert submission.decided_by == publisher
    assert submission.decision_note == "The deadline is a year off."
    assert listing.history.latest().history_change_reason == (
        "Returned to draft: The deadline is a year off."
    )


def test_sending_back_without_a_note_is_refused_with_a_message(client):
    listing = in_review(None)
    staff(client, "publisher", "Publisher")
    response = client.post(f"{QUEUE}{listing.pk}/send-back/", {"note": "  "})
    assert response.status_code == 400
    assert "Say what should change before sending back." in response.content.decode()
    listing.refresh_from_db()
    assert listing.status == Status.IN_REVIEW


def test_publisher_publishes_from_the_queue(client):
    listing = in_review(None)
    publisher = staff(client, "publisher", "Publisher")
    response = client.post(f"{QUEUE}{listing.pk}/publish/", follow=True)
    assert "published or scheduled" in response.content.decode()
    listing.refresh_from_db()
    assert listing.status == Status.PUBLISHED
    submission = listing.review_submissions.get()
    assert (submission.outcome, submission.decided_by) == (ReviewOutcome.APPROVED, publisher)


def test_publishing_needs_a_post(client):
    listing = in_review(None)
    staff(client, "publisher", "Publisher")
    assert client.get(f"{QUEUE}{listing.pk}/publish/").status_code == 405


def test_a_listing_not_in_review_is_not_found_in_the_queue(client):
    listing = draft()
    staff(client, "publisher", "Publisher")
    assert client.post(f"{QUEUE}{listing.pk}/publish/").status_code == 404
    assert client.post(f"{QUEUE}{listing.pk}/send-back/", {"note": "x"}).status_code == 404


def test_a_curator_cannot_publish_or_send_back_from_the_queue(client):
    listing = in_review(None)
    staff(client, "curator", "Curator")
    page = client.get(QUEUE).content.decode()
    assert "/publish/" not in page and "/send-back/" not in page
    assert client.post(f"{QUEUE}{listing.pk}/publish/").status_code == 403
    assert client.post(f"{QUEUE}{listing.pk}/send-back/", {"note": "x"}).status_code == 403
    listing.refresh_from_db()
    assert listing.status == Status.IN_REVIEW


def test_a_curator_withdraws_their_own_submission_only(client):
    curator = staff(client, "curator", "Curator")
    theirs = in_review(curator)
    someone_elses = in_review(User.objects.create_user("other", is_staff=True))
    page = client.get(QUEUE).content.decode()
    assert f"{theirs.pk}/withdraw/" in page and f"{someone_elses.pk}/withdraw/" not in page
    assert client.post(f"{QUEUE}{someone_elses.pk}/withdraw/").status_code == 403
    assert client.post(f"{QUEUE}{theirs.pk}/withdraw/").status_code == 302
    theirs.refresh_from_db()
    someone_elses.refresh_from_db()
    assert (theirs.status, someone_elses.status) == (Status.DRAFT, Status.IN_REVIEW)
    assert theirs.review_submissions.get().outcome == ReviewOutcome.WITHDRAWN
    assert theirs.history.latest().history_change_reason == "Withdrawn from review"


def test_view_only_staff_see_the_queue_but_cannot_act(client):
    listing = in_review(None)
    viewer = User.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_listing"))
    client.force_login(viewer)
    page = client.get(QUEUE)
    assert page.status_code == 200 and listing.title in page.content.decode()
    for move in ("publish", "withdraw"):
        assert client.post(f"{QUEUE}{listing.pk}/{move}/").status_code == 403
    assert client.post(f"{QUEUE}{listing.pk}/send-back/", {"note": "x"}).status_code == 403
    listing.refresh_from_db()
    assert listing.status == Status.IN_REVIEW


def test_staff_without_listing_permissions_cannot_see_the_queue(client):
    client.force_login(User.objects.create_user("nobody", is_staff=True))
    assert client.get(QUEUE).status_code == 403


def publisher_with_email(client=None):
    user = User.objects.create_user("pub", email="pub@example.gov", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="publish_listing"))
    return user


def test_publishers_are_emailed_when_listings_wait_at_most_daily(mailbox, settings):
    settings.REVIEW_REMINDER_HOURS = 1  # asks for hourly: still daily at most
    publisher_with_email()
    User.objects.create_user("cur", email="cur@example.gov", is_staff=True)
    assert review.remind_publishers() == 0  # nothing waits
    listing = in_review(None, "Dates checked")
    assert review.remind_publishers() == 1
    [message] = mailbox.wait_for(1)
    assert message["To"] == "pub@example.gov"
    assert listing.title in message.get_body(("plain",)).get_content()
    assert "/admin/opportunities/listing/review/" in message.get_body(("plain",)).get_content()
    assert review.remind_publishers(now=timezone.now() + timedelta(hours=2)) == 0
    assert review.remind_publishers(now=timezone.now() + timedelta(hours=25)) == 1
    assert ReviewReminder.objects.count() == 2


def test_reminders_can_be_turned_off(mailbox, settings):
    settings.REVIEW_REMINDER_HOURS = 0
    publisher_with_email()
    in_review(None)
    assert review.remind_publishers() == 0
