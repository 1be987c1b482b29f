"""Signed links in digest emails: confirm, manage, unsubscribe, not interested.

Each is a `LinkKind` of the shared library (salt and lifetime); routes are resolved once per
language and tokens signed for each message.
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


def subscription_from_token(kind: LinkKind, token: str) -> Subscription:
    """The subscription a link of this kind points to; BadLink when it is bad or gone."""
    subscription_id = kind.read(token)[0]
    subscription = Subscription.objects.filter(pk=subscription_id).first()
    if subscription is None:
        raise BadLink("no such subscription")
    return subscription


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
