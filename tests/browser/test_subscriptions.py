"""The subscription pages in Chromium: accessible (axe-core, WCAG 2.1 AA), usable by keyboard,
and the whole double opt-in through real pages and a real SMTP server."""

import re
from urllib.parse import urlsplit

import pytest

from opportunities import digests
from opportunities.models import Subscription, SubscriptionStatus
from tests.browser.conftest import axe_violations
from tests.conftest import ensure_curation_data
from tests.factories import ListingFactory, SubscriptionFactory


@pytest.fixture
def portal(transactional_db, live_server, states):
    ensure_curation_data()
    return live_server.url


@pytest.fixture
def subscriber(portal):
    return SubscriptionFactory(confirmed=True, email="reader@example.gov")


def check(page) -> None:
    assert page.locator("h1").count() == 1
    assert axe_violations(page) == []
    # A damaged link's page is a 400 on purpose; Chromium logs any 4xx document.
    assert [e for e in page.errors if "status of 400" not in e] == []


@pytest.mark.parametrize(
    "path",
    ["/subscribe/", "/subscribe/?topic=climate&region=WHA&kind=funding", "/es/subscribe/",
     "/subscribe/check-your-email/", "/subscribe/confirm/damaged/"],
)  # fmt: skip
def test_subscription_pages_have_no_accessibility_violations(page, portal, path):
    page.goto(portal + path)
    check(page)


def test_form_errors_are_accessible(page, portal):
    page.goto(portal + "/subscribe/")
    page.fill("#id_email", "not an address")
    page.fill("#id_place_name", "Atlantis")
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_selector(".usa-alert--error")
    assert "Enter an email address such as name@example.gov." in page.content()
    assert "Pick the state of your city or county." in page.content()
    check(page)


def test_signed_pages_have_no_accessibility_violations(page, portal, subscriber):
    listing = ListingFactory(title="Grants for partnerships")
    paths = [
        f"/subscribe/manage/{digests.MANAGE.sign(subscriber.pk)}/",
        f"/subscribe/not-interested/{digests.NOT_INTERESTED.sign(subscriber.pk, listing.pk)}/",
        f"/subscribe/unsubscribe/{digests.UNSUBSCRIBE.sign(subscriber.pk)}/",
    ]
    for path in paths:
        page.goto(portal + path)
        check(page)
        # The page after its button: paused, hidden, unsubscribed.
        page.locator("main button[type=submit]").last.click()
        page.wait_for_load_state()
        check(page)
    assert Subscription.objects.get().status == SubscriptionStatus.UNSUBSCRIBED


def test_subscribing_by_keyboard_then_confirming_from_the_email(page, portal, mailbox):
    page.goto(portal + "/subscribe/?topic=climate")
    page.focus("#id_email")
    page.keyboard.type("keys@example.gov")
    # Tab onwards to the first choice of role and pick "Student" with the arrow keys.
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")
    page.focus("#id_frequency_0")
    page.keyboard.press("Space")
    page.focus("main button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/subscribe/check-your-email/")
    [message] = mailbox.wait_for(1)
    subscription = Subscription.objects.get()
    assert (subscription.role, subscription.frequency) == ("student", "daily")
    assert [t.slug for t in subscription.topics.all()] == ["climate"]
    text = message.get_body(("plain",)).get_content()
    [url] = re.findall(r"https?://\S+/subscribe/confirm/\S+", text)
    page.goto(portal + urlsplit(url).path)
    check(page)
    page.get_by_role("button", name="Confirm my subscription").click()
    page.wait_for_url("**/subscribe/manage/**")
    assert "Status: Confirmed." in page.content()
    check(page)
