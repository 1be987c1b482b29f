"""Subscribing without an account: the form, double opt-in, managing, leaving, hiding."""

import re
from urllib.parse import urlsplit

import pytest
from django.core import signing

from opportunities import digests
from opportunities.models import HiddenListing, Subscription, SubscriptionStatus
from tests.factories import ListingFactory, PlaceFactory, SubscriptionFactory, topic

pytestmark = pytest.mark.django_db


def subscribe(client, email="ana@example.gov", **extra):
    data = {"email": email, "role": "local_government", "frequency": "weekly", **extra}
    return client.post("/subscribe/", data)


def only_link(message, path: str) -> str:
    """The path of the one link to `path` in a message's text part."""
    text = message.get_body(("plain",)).get_content()
    [url] = re.findall(rf"https?://\S*{path}\S+", text)
    return urlsplit(url).path


def manage_url(subscription) -> str:
    return f"/subscribe/manage/{digests.MANAGE.sign(subscription.pk)}/"


# --- The form ---------------------------------------------------------------------------------


def test_subscribe_page_has_labelled_fields_for_every_choice(client, states):
    html = client.get("/subscribe/").content.decode()
    assert '<label class="usa-label" for="id_email">Email address</label>' in html
    for legend in ["I am", "Topics", "Regions of the world", "Kinds of opportunity", "How often"]:
        assert f'<legend class="usa-legend text-bold">{legend}</legend>' in html
    assert 'value="CO">Colorado</option>' in html


def test_search_filters_pre_fill_the_form(client, states):
    html = client.get(
        "/subscribe/?topic=climate&region=WHA&kind=funding&kind=nonsense&topic=nope"
    ).content.decode()
    assert re.search(r'value="climate" checked', html)
    assert re.search(r'value="WHA" checked', html)
    assert re.search(r'value="funding" checked', html)
    assert 'value="nonsense"' not in html and 'value="nope"' not in html


def test_search_page_offers_its_filters_by_email(client, states):
    html = client.get("/opportunities/?topic=climate&kind=funding&q=water").content.decode()
    assert 'href="/subscribe/?topic=climate&amp;kind=funding">Get these by email</a>' in html


def test_subscribing_sends_only_a_confirmation_link(client, states, mailbox):
    response = subscribe(client, "Ana@Example.gov", topic=["climate"], region=["WHA"])
    assert response.status_code == 302
    assert response["Location"] == "/subscribe/check-your-email/"
    [message] = mailbox.wait_for(1)
    assert message["To"] == "ana@example.gov"
    assert message["Subject"] == "Confirm your subscription"
    assert "/subscribe/confirm/" in message.get_body(("plain",)).get_content()
    subscription = Subscription.objects.get()
    assert subscription.status == SubscriptionStatus.PENDING
    assert [t.slug for t in subscription.topics.all()] == ["climate"]
    assert [b.code for b in subscription.bureaus.all()] == ["WHA"]


def test_subscribing_with_a_city_records_the_place_and_its_state(client, states, mailbox):
    place = PlaceFactory(name="Boulder", slug="boulder")
    subscribe(client, state="CO", place_name="boulder")
    subscription = Subscription.objects.get()
    assert subscription.place == place and subscription.state.usps_code == "CO"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "not an address"}, "Enter an email address such as name@example.gov."),
        ({"email": ""}, "This field is required."),
        ({"place_name": "Boulder"}, "Pick the state of your city or county."),
        ({"state": "CO", "place_name": "Atlantis"}, "We have no city or county called"),
        ({"state": "ZZ"}, "Select a valid choice."),
        ({"frequency": "hourly"}, "Select a valid choice."),
        ({"kind": ["spaceship"]}, "Select a valid choice."),
        ({"topic": ["no-such-topic"]}, "Select a valid choice."),
        ({"role": ""}, "This field is required."),
    ],
)
def test_bad_input_is_reported_on_the_form_and_nothing_is_saved(
    client, states, mailbox, data, message
):
    response = client.post(
        "/subscribe/",
        {"email": "ana@example.gov", "role": "student", "frequency": "weekly", **data},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Please check these answers:" in html
    assert message in html
    assert not Subscription.objects.exists()
    assert not mailbox.messages


def test_the_form_never_reveals_whether_an_address_is_subscribed(client, states, mailbox):
    SubscriptionFactory(confirmed=True, email="known@example.gov", frequency="daily")
    known = subscribe(client, "known@example.gov", frequency="monthly")
    new = subscribe(client, "new@example.gov")
    assert known.status_code == new.status_code == 302
    assert known["Location"] == new["Location"]
    assert client.get(known["Location"]).content == client.get(new["Location"]).content
    mailbox.wait_for(2)
    [manage] = mailbox.to("known@example.gov")
    assert manage["Subject"] == "Your email subscription"
    assert "/subscribe/manage/" in manage.get_body(("plain",)).get_content()
    # Whoever typed the address cannot change the owner's choices.
    assert Subscription.objects.get(email="known@example.gov").frequency == "daily"


def test_subscribing_is_rate_limited_per_address(client, states, mailbox, settings):
    data = {"email": "ana@example.gov", "role": "student", "frequency": "weekly"}
    for n in range(3):
        assert client.post("/subscribe/", data, REMOTE_ADDR=f"10.0.0.{n}").status_code == 302
    response = client.post(
        "/subscribe/",
        {"email": "ANA@example.gov", "role": "student", "frequency": "weekly"},
        REMOTE_ADDR="10.0.0.9",
    )
    assert response.status_code == 429
    assert "Too many requests" in response.content.decode()


def test_subscribing_is_rate_limited_per_ip(client, states, mailbox, settings):
    for n in range(20):
        subscribe(client, f"person{n}@example.gov")
    assert subscribe(client, "one-more@example.gov").status_code == 429
    assert not Subscription.objects.filter(email="one-more@example.gov").exists()


def test_subscribe_page_query_count(client, states, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        assert client.get("/subscribe/?topic=climate&region=WHA").status_code == 200


# --- Confirming ---------------------------------------------------------------------------------


def test_confirmation_link_asks_first_then_confirms_on_post(client, states, mailbox):
    subscribe(client)
    [message] = mailbox.wait_for(1)
    url = only_link(message, "/subscribe/confirm/")
    page = client.get(url)
    assert page.status_code == 200
    assert "Confirm my subscription" in page.content.decode()
    assert Subscription.objects.get().status == SubscriptionStatus.PENDING  # GET changes nothing
    response = client.post(url)
    assert response.status_code == 302 and "/subscribe/manage/" in response["Location"]
    subscription = Subscription.objects.get()
    assert subscription.status == SubscriptionStatus.CONFIRMED
    assert subscription.confirmed_at is not None
    assert "Status: Confirmed." in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize("prefix", ["confirm", "manage", "unsubscribe", "not-interested"])
def test_damaged_links_get_a_clear_page_and_change_nothing(client, prefix):
    subscription = SubscriptionFactory(confirmed=True)
    token = digests.MANAGE.sign(subscription.pk, 1)
    for bad in ["nonsense", token[:-3] + "abc", token + "x", "%00", "a" * 500]:
        response = client.post(f"/subscribe/{prefix}/{bad}/")
        assert response.status_code in (400, 404)
        if response.status_code == 400:  # a NUL is refused before the view: not a link at all
            html = response.content.decode()
            assert "This link does not work" in html or "We can’t read this request" in html
    assert Subscription.objects.get().status == SubscriptionStatus.CONFIRMED


def test_links_of_one_kind_do_not_work_for_another(client):
    subscription = SubscriptionFactory(confirmed=True)
    confirm_token = digests.CONFIRM.sign(subscription.pk)
    assert client.post(f"/subscribe/unsubscribe/{confirm_token}/").status_code == 400
    assert Subscription.objects.get().status == SubscriptionStatus.CONFIRMED


def test_confirmation_links_expire(client, settings):
    subscription = SubscriptionFactory()
    old = signing.TimestampSigner(salt=digests.CONFIRM.salt)
    # A token signed four days ago (the link lasts three).
    old.timestamp = lambda: signing.b62_encode(int(__import__("time").time()) - 4 * 24 * 3600)
    token = old.sign_object([subscription.pk], compress=False)
    response = client.post(f"/subscribe/confirm/{token}/")
    assert response.status_code == 400
    assert Subscription.objects.get().status == SubscriptionStatus.PENDING


def test_confirm_page_query_count(client, django_assert_max_num_queries):
    subscription = SubscriptionFactory()
    token = digests.CONFIRM.sign(subscription.pk)
    # Read and update, then the history record with the topics and regions it had.
    with django_assert_max_num_queries(7):
        assert client.post(f"/subscribe/confirm/{token}/").status_code == 302


# --- Managing -----------------------------------------------------------------------------------


def test_manage_page_changes_preferences_without_logging_in(client, states):
    subscription = SubscriptionFactory(confirmed=True)
    response = client.post(
        manage_url(subscription),
        {
            "action": "save",
            "role": "student",
            "frequency": "daily",
            "topic": ["democracy-and-governance"],
            "kind": ["exchange"],
        },
    )
    assert response.status_code == 200
    assert "Your changes are saved." in response.content.decode()
    subscription.refresh_from_db()
    assert (subscription.frequency, subscription.role, subscription.kinds) == (
        "daily",
        "student",
        ["exchange"],
    )
    assert [t.slug for t in subscription.topics.all()] == ["democracy-and-governance"]


def test_manage_page_reports_bad_input_and_keeps_the_old_choices(client, states):
    subscription = SubscriptionFactory(confirmed=True)
    response = client.post(
        manage_url(subscription), {"action": "save", "role": "student", "frequency": "hourly"}
    )
    assert "Please check these answers:" in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.frequency == "weekly"


def test_manage_page_rejects_unknown_actions(client, states):
    subscription = SubscriptionFactory(confirmed=True)
    response = client.post(manage_url(subscription), {"action": "delete-everything"})
    assert response.status_code == 400
    assert Subscription.objects.get().status == SubscriptionStatus.CONFIRMED


def test_pausing_resuming_and_leaving_from_the_manage_page(client, states):
    subscription = SubscriptionFactory(confirmed=True)
    url = manage_url(subscription)
    client.post(url, {"action": "pause"})
    assert Subscription.objects.get().status == SubscriptionStatus.PAUSED
    assert "Resume my digests" in client.get(url).content.decode()
    client.post(url, {"action": "resume"})
    assert Subscription.objects.get().status == SubscriptionStatus.CONFIRMED
    response = client.post(url, {"action": "unsubscribe"})
    assert "You are unsubscribed" in response.content.decode()
    assert Subscription.objects.get().status == SubscriptionStatus.UNSUBSCRIBED
    # Coming back needs the address confirmed again (test_link_security.py follows it through).
    response = client.post(url, {"action": "resubscribe"})
    assert response.url == "/subscribe/check-your-email/"
    assert Subscription.objects.get().status == SubscriptionStatus.PENDING


def test_manage_page_needs_a_csrf_token_to_change_anything(states):
    from django.test import Client

    subscription = SubscriptionFactory(confirmed=True)
    response = Client(enforce_csrf_checks=True).post(manage_url(subscription), {"action": "pause"})
    assert response.status_code == 403
    assert Subscription.objects.get().status == SubscriptionStatus.CONFIRMED


def test_manage_page_query_count(client, states, django_assert_max_num_queries):
    subscription = SubscriptionFactory(confirmed=True)
    subscription.topics.set([topic("climate")])
    with django_assert_max_num_queries(8):
        assert client.get(manage_url(subscription)).status_code == 200


# --- Leaving ------------------------------------------------------------------------------------


def test_unsubscribe_get_only_asks(client):
    subscription = SubscriptionFactory(confirmed=True)
    token = digests.UNSUBSCRIBE.sign(subscription.pk)
    html = client.get(f"/subscribe/unsubscribe/{token}/").content.decode()
    assert '<button class="usa-button usa-button--secondary" type="submit">Unsubscribe' in html
    assert Subscription.objects.get().status == SubscriptionStatus.CONFIRMED


def test_unsubscribe_post_needs_no_csrf_token_or_cookies(django_assert_max_num_queries):
    from django.test import Client

    subscription = SubscriptionFactory(confirmed=True)
    token = digests.UNSUBSCRIBE.sign(subscription.pk)
    client = Client(enforce_csrf_checks=True)
    # Lock, update, and the history record with the topics and regions it had.
    with django_assert_max_num_queries(9):
        response = client.post(
            f"/subscribe/unsubscribe/{token}/",
            "List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
    assert response.status_code == 200
    assert not response.cookies
    assert Subscription.objects.get().status == SubscriptionStatus.UNSUBSCRIBED
    # Twice is fine.
    assert client.post(f"/subscribe/unsubscribe/{token}/").status_code == 200


def test_old_confirmation_links_do_not_bring_back_someone_who_left(client):
    subscription = SubscriptionFactory(confirmed=True)
    digests.unsubscribe(subscription.pk)
    token = digests.CONFIRM.sign(subscription.pk)
    assert client.post(f"/subscribe/confirm/{token}/").status_code == 400
    assert Subscription.objects.get().status == SubscriptionStatus.UNSUBSCRIBED


# --- Not interested -----------------------------------------------------------------------------


def test_not_interested_asks_then_hides_the_listing(client, states):
    subscription = SubscriptionFactory(confirmed=True)
    listing = ListingFactory(title="Water grants")
    token = digests.NOT_INTERESTED.sign(subscription.pk, listing.pk)
    page = client.get(f"/subscribe/not-interested/{token}/")
    assert "Hide this listing from your digests?" in page.content.decode()
    assert not HiddenListing.objects.exists()
    response = client.post(f"/subscribe/not-interested/{token}/")
    assert "“Water grants” will not appear in your digests any more." in response.content.decode()
    client.post(f"/subscribe/not-interested/{token}/")  # twice is fine
    assert HiddenListing.objects.get().listing == listing


def test_not_interested_in_a_listing_that_is_gone_is_a_404(client, states):
    subscription = SubscriptionFactory(confirmed=True)
    token = digests.NOT_INTERESTED.sign(subscription.pk, 999_999)
    assert client.post(f"/subscribe/not-interested/{token}/").status_code == 404
    token = digests.NOT_INTERESTED.sign(subscription.pk)  # no listing in it
    assert client.post(f"/subscribe/not-interested/{token}/").status_code == 400


def test_not_interested_query_count(client, states, django_assert_max_num_queries):
    subscription = SubscriptionFactory(confirmed=True)
    listing = ListingFactory()
    token = digests.NOT_INTERESTED.sign(subscription.pk, listing.pk)
    with django_assert_max_num_queries(4):
        assert client.post(f"/subscribe/not-interested/{token}/").status_code == 200


def test_check_your_email_page_says_what_happens_next(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(0):
        response = client.get("/subscribe/check-your-email/")
    assert "Open it and follow the link to confirm your subscription" in response.content.decode()


def test_subscription_pages_refuse_other_methods(client):
    assert client.put("/subscribe/").status_code == 405
    assert client.delete("/subscribe/unsubscribe/x/").status_code == 405
