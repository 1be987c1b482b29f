"""Links that act as a subscriber reach only the subscriber: previews and test digests carry
inert links, manage links can be revoked, and leaving is undone only by a new confirmation."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.utils import timezone

from opportunities import digests
from opportunities.models import Subscription, SubscriptionStatus
from tests.factories import ListingFactory

pytestmark = pytest.mark.django_db

SUBSCRIBER_LINK = re.compile(r"https?://[^\s\"'<>]+?(/(?:es/)?subscribe/[^\s\"'<>]+/)")


def subscriber_links(text: str) -> set[str]:
    """The paths of every subscription link (manage, unsubscribe, not interested) in a text."""
    return set(SUBSCRIBER_LINK.findall(text))


def staff(client, *codenames) -> User:
    user = User.objects.create_user(
        "staff", email="staff@state.example.gov", password="x" * 20, is_staff=True
    )
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return user


@pytest.fixture
def subscription(states):
    subscription = Subscription.objects.create(
        email="mayor@springfield.example.gov",
        status=SubscriptionStatus.CONFIRMED,
        confirmed_at=timezone.now() - timedelta(days=7),
    )
    ListingFactory(title="A grant for sister cities")
    return subscription


def assert_none_acts_as_the_subscriber(links: set[str]) -> None:
    outsider = Client()
    for path in links:
        assert outsider.get(path).status_code == 400, path
        assert outsider.post(path, {"action": "unsubscribe"}).status_code == 400, path
    assert Subscription.objects.get().status == SubscriptionStatus.CONFIRMED


def test_a_preview_carries_no_link_that_acts_as_the_subscriber(client, subscription):
    staff(client, "view_subscription")
    html = client.get(
        f"/admin/opportunities/subscription/{subscription.pk}/preview.html"
    ).content.decode()
    text = client.get(
        f"/admin/opportunities/subscription/{subscription.pk}/preview/"
    ).content.decode()
    links = subscriber_links(html) | subscriber_links(text)
    assert any("/manage/" in p for p in links) and any("/not-interested/" in p for p in links)
    assert_none_acts_as_the_subscriber(links)


def test_a_test_digest_carries_no_link_that_acts_as_the_subscriber(client, subscription, mailbox):
    staff(client, "view_subscription")
    client.post(f"/admin/opportunities/subscription/{subscription.pk}/test-digest/")
    [message] = mailbox.wait_for(1)
    links = set()
    for part in message.walk():
        if part.get_content_maintype() == "text":
            links |= subscriber_links(part.get_content())
    assert any("/unsubscribe/" in p for p in links)
    assert_none_acts_as_the_subscriber(links)


def test_the_real_digest_still_carries_working_links(subscription, mailbox):
    run, chunks = digests.plan_run("weekly")
    for chunk in chunks:
        digests.deliver_chunk(run.pk, chunk)
    [message] = mailbox.wait_for(1)
    manage = next(p for p in subscriber_links(message.get_body(("plain",)).get_content())
                  if "/manage/" in p)  # fmt: skip
    assert Client().get(manage).status_code == 200


def manage_link_from_email(subscription, mailbox) -> str:
    """Ask for a manage link the way a subscriber does: subscribe again with the address."""
    mailbox.clear()
    digests.send_manage_link(subscription)
    [message] = mailbox.wait_for(1)
    return urlsplit(
        re.search(r"http\S+/subscribe/manage/\S+/", message.get_body(("plain",)).get_content())[0]
    ).path


def test_staff_can_revoke_the_manage_links_already_mailed(client, subscription, mailbox):
    old_link = manage_link_from_email(subscription, mailbox)
    assert Client().get(old_link).status_code == 200
    staff(client, "view_subscription", "change_subscription")
    response = client.post(
        "/admin/opportunities/subscription/",
        {"action": "revoke_emailed_links", "_selected_action": [subscription.pk]},
    )
    assert response.status_code == 302
    assert Client().get(old_link).status_code == 400
    # The next email carries a link that works.
    subscription.refresh_from_db()
    assert Client().get(manage_link_from_email(subscription, mailbox)).status_code == 200


def test_revoking_links_keeps_one_click_unsubscribe_working(subscription):
    unsubscribe = f"/subscribe/unsubscribe/{digests.UNSUBSCRIBE.sign(subscription.pk)}/"
    digests.revoke_links(subscription)
    assert Client().post(unsubscribe).status_code == 200
    assert Subscription.objects.get().status == SubscriptionStatus.UNSUBSCRIBED


def test_view_only_staff_cannot_revoke_links(client, subscription, mailbox):
    old_link = manage_link_from_email(subscription, mailbox)
    staff(client, "view_subscription")
    client.post(
        "/admin/opportunities/subscription/",
        {"action": "revoke_emailed_links", "_selected_action": [subscription.pk]},
    )
    assert Client().get(old_link).status_code == 200


def test_starting_again_from_an_old_manage_link_needs_a_new_confirmation(subscription, mailbox):
    link = manage_link_from_email(subscription, mailbox)
    digests.unsubscribe(subscription.pk)
    mailbox.clear()
    response = Client().post(link, {"action": "resubscribe"})
    assert response.status_code == 302
    assert Subscription.objects.get().status == SubscriptionStatus.PENDING
    [message] = mailbox.wait_for(1)
    assert message["To"] == "mayor@springfield.example.gov"
    confirm = re.search(
        r"http\S+(/subscribe/confirm/\S+/)", message.get_body(("plain",)).get_content()
    )[1]
    Client().post(confirm)
    assert Subscription.objects.get().status == SubscriptionStatus.CONFIRMED
