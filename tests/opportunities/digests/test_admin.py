"""Digests in the admin: runs, delivery logs, previews, test digests, and who sees addresses."""

import pytest
from django.contrib.auth.models import Permission, User

from opportunities import digests
from opportunities.models import DigestDelivery, Subscription
from tests.factories import ListingFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


def staff(client, *codenames, email="staff@state.example.gov") -> User:
    user = User.objects.create_user("staff", email=email, password="x" * 20, is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return user


@pytest.fixture
def subscription(states):
    return SubscriptionFactory(confirmed=True, email="mayor@springfield.example.gov")


VIEWER = ["view_subscription", "view_digestrun", "view_digestdelivery"]


def test_addresses_are_masked_without_the_permission(client, subscription):
    staff(client, *VIEWER)
    listing = client.get("/admin/opportunities/subscription/").content.decode()
    change = client.get(f"/admin/opportunities/subscription/{subscription.pk}/change/")
    for html in (listing, change.content.decode()):
        assert "mayor@springfield.example.gov" not in html
        assert "m•••@springfield.example.gov" in html
    # Nor can the address be found by searching for it.
    searched = client.get("/admin/opportunities/subscription/?q=mayor@springfield")
    assert "m•••@" in searched.content.decode()  # the search box is not offered, so ignored


def test_addresses_are_shown_with_the_permission(client, subscription):
    staff(client, *VIEWER, "view_subscriber_email")
    html = client.get("/admin/opportunities/subscription/?q=mayor").content.decode()
    assert "mayor@springfield.example.gov" in html


def test_subscriptions_need_staff_permission(client, subscription):
    staff(client)
    assert client.get("/admin/opportunities/subscription/").status_code == 403
    assert (
        client.get(f"/admin/opportunities/subscription/{subscription.pk}/preview/").status_code
        == 403
    )


def test_delivery_log_and_runs_show_counts_and_timing(client, subscription, mailbox):
    staff(client, *VIEWER)
    ListingFactory(title="A grant")
    run, chunks = digests.plan_run("weekly")
    for chunk in chunks:
        digests.deliver_chunk(run.pk, chunk)
    html = client.get(
        f"/admin/opportunities/subscription/{subscription.pk}/change/"
    ).content.decode()
    assert "Delivery log" in html and run.period in html and "Sent" in html
    runs = client.get("/admin/opportunities/digestrun/").content.decode()
    assert run.period in runs and " s</td>" in runs and "1 / 1" in runs


def test_preview_shows_the_next_digest_without_sending_it(
    client, subscription, mailbox, django_assert_max_num_queries
):
    staff(client, *VIEWER)
    ListingFactory(title="A grant for sister cities")
    with django_assert_max_num_queries(15):
        response = client.get(f"/admin/opportunities/subscription/{subscription.pk}/preview/")
    html = response.content.decode()
    assert "A grant for sister cities" in html
    assert "mayor@springfield" not in html
    raw = client.get(f"/admin/opportunities/subscription/{subscription.pk}/preview.html")
    assert "A grant for sister cities" in raw.content.decode()
    assert "'unsafe-inline'" in raw["Content-Security-Policy"]
    assert "script-src 'self'" in raw["Content-Security-Policy"]
    assert not mailbox.wait_for(1, timeout=0.5)
    assert not DigestDelivery.objects.exists()


def test_send_me_a_test_digest_goes_to_the_staff_member_only(client, subscription, mailbox):
    staff(client, *VIEWER)
    ListingFactory(title="A grant for sister cities")
    response = client.post(f"/admin/opportunities/subscription/{subscription.pk}/test-digest/")
    assert response.status_code == 302
    [message] = mailbox.wait_for(1)
    assert message["To"] == "staff@state.example.gov"
    assert message["Subject"].startswith("[Test] New opportunities for you")
    # No one-click header: the staff member's mail client must not unsubscribe the subscriber.
    assert message["List-Unsubscribe"] is None
    assert not DigestDelivery.objects.exists()
    assert Subscription.objects.get().last_digest_at is None


def test_test_digest_needs_post_and_an_address(client, subscription, mailbox):
    user = staff(client, *VIEWER, email="")
    url = f"/admin/opportunities/subscription/{subscription.pk}/test-digest/"
    assert client.get(url).status_code == 405
    response = client.post(url, follow=True)
    assert "Add an email address to your staff account first." in response.content.decode()
    assert not mailbox.wait_for(1, timeout=0.5)
    user.email = "staff@state.example.gov"
    user.save()
    assert client.post("/admin/opportunities/subscription/999999/test-digest/").status_code == 404


def test_runs_cannot_be_edited(client, subscription):
    staff(client, *VIEWER, "change_digestrun", "delete_digestrun")
    run, _chunks = digests.plan_run("weekly")
    response = client.post(f"/admin/opportunities/digestrun/{run.pk}/change/", {"sent": 99})
    assert response.status_code == 403
