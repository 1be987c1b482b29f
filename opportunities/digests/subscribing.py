"""Subscribing: double opt-in, preferences, pausing, leaving, hiding a listing.

Nothing here ever tells a requester whether an address is subscribed: a known address gets a
link to manage its subscription, a new one a confirmation link.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lib.mail import send_email
from opportunities.digests.links import CONFIRM, link, manage_link
from opportunities.models import HiddenListing, Listing, Subscription, SubscriptionStatus


def request_subscription(preferences: dict, language: str) -> None:
    """Record a request to subscribe and email the address, never telling the requester more.

    A new (or departed) address gets a confirmation link; nothing is sent to it before it is
    confirmed. An address already subscribed keeps its preferences (the requester may not be
    its owner) and gets a link to manage its subscription instead.
    """
    email = preferences["email"].strip().lower()
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().filter(email=email).first()
        already = subscription is not None and subscription.status in (
            SubscriptionStatus.CONFIRMED,
            SubscriptionStatus.PAUSED,
        )
        if not already:
            subscription = subscription or Subscription(email=email)
            subscription.status = SubscriptionStatus.PENDING
            subscription.language = language
            save_preferences(subscription, preferences)
        # Queued in the same transaction: the request and its email commit together.
        if already:
            send_manage_link(subscription)
        else:
            _send_confirmation_link(subscription)


def _send_confirmation_link(subscription: Subscription) -> None:
    with translation.override(subscription.language):  # the link leads to a page in it too
        send_email(
            "subscription_confirm",
            {"confirm_url": link("subscriptions:confirm", CONFIRM, subscription.pk)},
            [subscription.email],
            subject=_("Confirm your subscription"),
            language=subscription.language,
            cause=f"opportunities.subscription:{subscription.pk}",
        )


@transaction.atomic
def confirm_again(subscription: Subscription) -> None:
    """Someone who left (or whose address bounced) asks to come back through a manage link:
    the link may have been forwarded, so the address confirms again before anything is sent."""
    if subscription.status in (SubscriptionStatus.CONFIRMED, SubscriptionStatus.PAUSED):
        return
    subscription.status = SubscriptionStatus.PENDING
    subscription._change_reason = "Asked to start again (a new confirmation is needed)"
    subscription.save(update_fields=["status", "updated_at"])
    _send_confirmation_link(subscription)


def revoke_links(subscription: Subscription) -> None:
    """Every manage and "Not interested" link mailed so far stops working (unsubscribe links
    keep working); the next email carries new ones."""
    subscription.link_version += 1
    subscription._change_reason = "Emailed links revoked"
    subscription.save(update_fields=["link_version", "updated_at"])


def save_preferences(subscription: Subscription, preferences: dict) -> None:
    place = preferences.get("place")
    subscription.role = preferences["role"]
    subscription.place = place
    subscription.state = place.state if place else preferences.get("state")
    subscription.kinds = sorted(preferences.get("kinds") or [])
    subscription.education_level = preferences.get("education_level") or ""
    subscription.us_citizen = preferences.get("us_citizen")
    subscription.age = preferences.get("age")
    subscription.frequency = preferences["frequency"]
    subscription.save()
    subscription.topics.set(preferences.get("topics") or [])
    subscription.bureaus.set(preferences.get("bureaus") or [])


def send_manage_link(subscription: Subscription) -> None:
    with translation.override(subscription.language):  # its link and frequency too
        send_email(
            "subscription_manage",
            {
                "manage_url": manage_link(subscription),
                "frequency": str(subscription.get_frequency_display()).lower(),
            },
            [subscription.email],
            subject=_("Your email subscription"),
            language=subscription.language,
            cause=f"opportunities.subscription:{subscription.pk}",
        )


def confirm(subscription: Subscription) -> None:
    if subscription.status in (SubscriptionStatus.CONFIRMED, SubscriptionStatus.PAUSED):
        return
    subscription.status = SubscriptionStatus.CONFIRMED
    subscription.confirmed_at = timezone.now()
    subscription.unsubscribed_at = None
    subscription._change_reason = "Confirmed by the subscriber"
    subscription.save(update_fields=["status", "confirmed_at", "unsubscribed_at", "updated_at"])


def set_paused(subscription: Subscription, paused: bool) -> None:
    if subscription.status not in (SubscriptionStatus.CONFIRMED, SubscriptionStatus.PAUSED):
        return
    subscription.status = SubscriptionStatus.PAUSED if paused else SubscriptionStatus.CONFIRMED
    subscription._change_reason = "Paused" if paused else "Resumed"
    subscription.save(update_fields=["status", "updated_at"])


def unsubscribe(subscription_id: int) -> None:
    """Stop every digest to this address at once (idempotent), in the subscription's history."""
    with transaction.atomic():
        subscription = (
            Subscription.objects.select_for_update()
            .filter(pk=subscription_id)
            .exclude(status=SubscriptionStatus.UNSUBSCRIBED)
            .first()
        )
        if subscription is None:
            return
        subscription.status = SubscriptionStatus.UNSUBSCRIBED
        subscription.unsubscribed_at = timezone.now()
        subscription._change_reason = "Unsubscribed"
        subscription.save(update_fields=["status", "unsubscribed_at", "updated_at"])


def hide_listing(subscription: Subscription, listing: Listing) -> None:
    HiddenListing.objects.bulk_create(
        [HiddenListing(subscription=subscription, listing=listing)], ignore_conflicts=True
    )
