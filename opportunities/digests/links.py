"""Signed links in digest emails: confirm, manage, unsubscribe, not interested.

Each is a `LinkKind` of the shared library (salt and lifetime); routes are resolved once per
language and tokens signed for each message. Manage and "Not interested" links also carry the
subscription's `link_version`: raising it revokes every such link mailed so far. Unsubscribe
links stay valid (mail providers' one-click unsubscribe must always work; they only stop mail).
Previews for staff carry inert links, which open nothing.
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from django.urls import reverse
from django.utils import translation

from lib.mail import absolute_url
from lib.signed_links import BadLink, LinkKind
from opportunities.models import Subscription

CONFIRM = LinkKind("digests.confirm", timedelta(days=3))
MANAGE = LinkKind("digests.manage", timedelta(days=90))
UNSUBSCRIBE = LinkKind("digests.unsubscribe", timedelta(days=365))
NOT_INTERESTED = LinkKind("digests.not-interested", timedelta(days=365))


# Where a kind's token carries the link version (after the subscription and listing IDs); a
# token from before versions existed carries none and counts as version 0.
VERSION_AT = {MANAGE: 1, NOT_INTERESTED: 2}
# Stands in for the token in previews: the link leads to the "damaged link" page.
INERT_TOKEN = "preview-only"  # noqa: S105 - not a secret


def subscription_from_token(kind: LinkKind, token: str) -> Subscription:
    """The subscription a link of this kind points to; BadLink when it is bad, revoked or gone."""
    ids = kind.read(token)
    subscription = Subscription.objects.filter(pk=ids[0]).first()
    if subscription is None:
        raise BadLink("no such subscription")
    if kind in VERSION_AT:
        position = VERSION_AT[kind]
        version = ids[position] if len(ids) > position else 0
        if version != subscription.link_version:
            raise BadLink("revoked")
    return subscription


def manage_token(subscription: Subscription) -> str:
    return MANAGE.sign(subscription.pk, subscription.link_version)


def not_interested_token(subscription: Subscription, listing_id: int) -> str:
    return NOT_INTERESTED.sign(subscription.pk, listing_id, subscription.link_version)


SIGNED_PART = "signed-part"  # placeholder in a resolved route


@lru_cache
def route(view: str, language: str) -> str:
    """The view's path in this language, with SIGNED_PART where the token goes."""
    return reverse(view, args=[SIGNED_PART])


def link_with_token(view: str, token: str) -> str:
    """The absolute address of a view that takes a token, in the active language."""
    return absolute_url(route(view, translation.get_language()).replace(SIGNED_PART, token))


def link(view: str, kind: LinkKind, *ids: int) -> str:
    """The absolute address of a signed link (routes are resolved once, tokens signed each time)."""
    return link_with_token(view, kind.sign(*ids))


def manage_link(subscription: Subscription) -> str:
    return link_with_token("subscriptions:manage", manage_token(subscription))


def inert_link(view: str) -> str:
    """Where a link of this view would go, with no token that opens anything."""
    return link_with_token(view, INERT_TOKEN)
