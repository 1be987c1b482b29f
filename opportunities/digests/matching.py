"""Matching: which open listings go into each subscriber's digest, and why.

Matching is set-based: subscribers are loaded a chunk at a time with their topic and region
IDs aggregated in SQL, grouped by their distinct preference set, and each set's matches come
from one query (new listings since the oldest watermark in the set, plus those closing soon);
only the cheap per-subscriber part (their own watermark, hidden listings) runs in Python.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cities.models import Place, State
from lib.mail import absolute_url
from opportunities.models import (
    Audience,
    HiddenListing,
    Kind,
    Listing,
    Role,
    Subscription,
    many_to_many,
)

CLOSING_SOON_DAYS = 14


@dataclass(frozen=True)
class Preferences:
    """One distinct set of choices; many subscribers share each."""

    role: str
    topic_ids: tuple[int, ...]
    bureau_ids: tuple[int, ...]
    kinds: tuple[str, ...]
    state_id: int | None
    place_id: int | None
    education_level: str = ""
    us_citizen: bool | None = None
    age: int | None = None

    @classmethod
    def of(cls, subscription: Subscription) -> Preferences:
        return cls(
            role=subscription.role,
            topic_ids=tuple(subscription.topic_ids or ()),
            bureau_ids=tuple(subscription.bureau_ids or ()),
            kinds=tuple(sorted(subscription.kinds or ())),
            state_id=subscription.state_id,
            place_id=subscription.place_id,
            education_level=subscription.education_level,
            us_citizen=subscription.us_citizen,
            age=subscription.age,
        )

    @property
    def is_student(self) -> bool:
        return self.role == Role.STUDENT or bool(self.education_level)


def with_preferences(subscriptions: QuerySet) -> QuerySet:
    """Subscriptions with their topic and region IDs as sorted arrays, computed in SQL."""
    topics, source, target = many_to_many("topics", model=Subscription)
    bureaus, b_source, b_target = many_to_many("bureaus", model=Subscription)
    return subscriptions.annotate(
        topic_ids=ArraySubquery(
            topics.objects.filter(**{source: OuterRef("pk")})
            .order_by(target)
            .values(f"{target}_id")
        ),
        bureau_ids=ArraySubquery(
            bureaus.objects.filter(**{b_source: OuterRef("pk")})
            .order_by(b_target)
            .values(f"{b_target}_id")
        ),
    )


AUDIENCE_OF_ROLE = {
    Role.LOCAL_GOVERNMENT: Audience.LOCAL_GOVERNMENT,
    Role.STUDENT: Audience.STUDENTS,
}


def matching_listings(preferences: Preferences, since: datetime | None, as_of: datetime):
    """Open listings that fit one preference set: published after `since`, or closing soon."""
    listings = Listing.objects.open(as_of)
    if preferences.kinds:
        listings = listings.filter(kind__in=preferences.kinds)
    if preferences.is_student:
        # The programs this student may apply for, as the student finder finds them.
        listings = listings.for_student(
            education_level=preferences.education_level,
            us_citizen=preferences.us_citizen,
            age=preferences.age,
        )
    elif audience := AUDIENCE_OF_ROLE.get(preferences.role):
        listings = listings.filter(Q(audiences=[]) | Q(audiences__contains=[audience]))
    if preferences.topic_ids:
        through, source, target = many_to_many("topics")
        in_topics = Q(
            pk__in=through.objects.filter(**{f"{target}_id__in": preferences.topic_ids}).values(
                f"{source}_id"
            )
        )
        if preferences.is_student:
            in_topics |= Q(open_to_all_fields=True)  # a field keeps programs open to all
        listings = listings.filter(in_topics)
    if preferences.bureau_ids:
        through, source, target = many_to_many("bureaus")
        listings = listings.filter(
            Q(is_global=True)
            | Q(
                pk__in=through.objects.filter(
                    **{f"{target}_id__in": preferences.bureau_ids}
                ).values(f"{source}_id")
            )
        )
    if preferences.place_id:
        listings = listings.for_place(_place(preferences.place_id))
    elif preferences.state_id:
        listings = listings.for_state(_state(preferences.state_id))
    new = Q(published_at__lte=as_of)
    if since is not None:
        new &= Q(published_at__gt=since)
    closing = Q(deadline__lte=as_of + timedelta(days=CLOSING_SOON_DAYS))
    return listings.filter(new | closing).order_by()


def _place(place_id):
    return Place.objects.select_related("state").get(pk=place_id)


def _state(state_id):
    return State.objects.get(pk=state_id)


@dataclass
class DigestItem:
    listing: Listing
    reason: str
    url: str = ""
    hide_url: str = ""


@dataclass
class Digest:
    subscription: Subscription
    as_of: datetime
    new: list[DigestItem] = field(default_factory=list)
    closing: list[DigestItem] = field(default_factory=list)
    more_new: int = 0  # matches left out to keep the email short
    more_url: str = ""

    @property
    def is_empty(self) -> bool:
        return not self.new and not self.closing

    @property
    def listing_ids(self) -> list[int]:
        return [item.listing.pk for item in self.new + self.closing]


def build_digests(subscriptions: list[Subscription], as_of: datetime) -> dict[int, Digest]:
    """Each subscription's digest as of a moment. Subscriptions come from `with_preferences`.

    Queries: one per distinct preference set, plus four for the whole batch.
    """
    groups: dict[Preferences, list[Subscription]] = defaultdict(list)
    for subscription in subscriptions:
        groups[Preferences.of(subscription)].append(subscription)
    matches: dict[Preferences, list[tuple]] = {}
    for preferences, members in groups.items():
        watermarks = [_watermark(s) for s in members]
        since = None if None in watermarks else min(watermarks)
        matches[preferences] = list(
            matching_listings(preferences, since, as_of)
            .values_list("pk", "published_at", "deadline")
            .distinct()
        )
    listing_ids = {row[0] for rows in matches.values() for row in rows}
    listings = (
        Listing.objects.filter(pk__in=listing_ids).prefetch_related("topics", "bureaus").in_bulk()
        if listing_ids
        else {}
    )
    hidden = set(
        HiddenListing.objects.filter(
            subscription__in=[s.pk for s in subscriptions], listing__in=listing_ids
        ).values_list("subscription_id", "listing_id")
    )
    places = _places_of(groups)
    soon = as_of + timedelta(days=CLOSING_SOON_DAYS)
    digests = {}
    for preferences, members in groups.items():
        rows = sorted(matches[preferences], key=lambda r: (r[1] is None, r[1]), reverse=True)
        reasons: dict[tuple[int, str], str] = {}
        for subscription in members:
            digest = Digest(subscription, as_of)
            since = _watermark(subscription)
            for pk, published_at, deadline in rows:
                if (subscription.pk, pk) in hidden:
                    continue
                if (
                    published_at
                    and published_at <= as_of
                    and (since is None or published_at > since)
                ):
                    section = digest.new
                # Closing soon: shown once, in the first digest after the deadline came near.
                elif (
                    deadline
                    and deadline <= soon
                    and (
                        subscription.last_digest_at is None
                        or deadline
                        > subscription.last_digest_at + timedelta(days=CLOSING_SOON_DAYS)
                    )
                ):
                    section = digest.closing
                else:
                    continue
                section.append(DigestItem(listings[pk], ""))
            digest.closing.sort(key=lambda item: item.listing.deadline)
            _shorten(digest, preferences, places)
            # Reasons only for the items that stay in the email, once per listing and language.
            for item in digest.new + digest.closing:
                key = (item.listing.pk, subscription.language)
                if key not in reasons:
                    with translation.override(subscription.language):
                        reasons[key] = match_reason(item.listing, preferences, places)
                item.reason = reasons[key]
            digests[subscription.pk] = digest
    return digests


def _shorten(digest: Digest, preferences: Preferences, places: dict) -> None:
    """At most DIGEST_MAX_ITEMS in each section; the rest are a link to the search page, which
    keeps the subscription's kinds and its place (?place=id/boise or ?place=id)."""
    limit = settings.DIGEST_MAX_ITEMS
    digest.closing = digest.closing[:limit]
    if len(digest.new) > limit:
        digest.more_new = len(digest.new) - limit
        digest.new = digest.new[:limit]
        query = [("sort", "newest"), *(("kind", k) for k in preferences.kinds)]
        if preferences.place_id:
            profile = places.get(("place", preferences.place_id))
        else:
            profile = places.get(("state", preferences.state_id))
        if profile is not None:
            query.append(("place", profile.parameter))
        digest.more_url = absolute_url(f"{reverse('opportunities:search')}?{urlencode(query)}")


def _watermark(subscription: Subscription) -> datetime | None:
    return subscription.last_digest_at or subscription.confirmed_at


def _places_of(groups) -> dict:
    place_ids = {p.place_id for p in groups if p.place_id}
    state_ids = {p.state_id for p in groups if p.state_id and not p.place_id}
    found = {
        ("place", p.pk): p for p in Place.objects.select_related("state").filter(pk__in=place_ids)
    }
    found.update({("state", s.pk): s for s in State.objects.filter(pk__in=state_ids)})
    return found


def match_reason(listing: Listing, preferences: Preferences, places: dict) -> str:
    """One line on why a listing is in someone's digest, from their own choices."""
    parts = []
    topics = [t.name for t in listing.topics.all() if t.pk in preferences.topic_ids]
    if topics:
        parts.append(_("your topics: %(names)s") % {"names": ", ".join(topics[:3])})
    if preferences.bureau_ids:
        bureaus = [b.name for b in listing.bureaus.all() if b.pk in preferences.bureau_ids]
        if bureaus:
            parts.append(_("your regions: %(names)s") % {"names": ", ".join(bureaus[:3])})
        elif listing.is_global:
            parts.append(_("worldwide, so in your regions"))
    if preferences.kinds:
        parts.append(_("a kind you chose: %(kind)s") % {"kind": Kind(listing.kind).label})
    if preferences.place_id:
        place = places[("place", preferences.place_id)]
        parts.append(_("open to %(place)s") % {"place": str(place)})
    elif preferences.state_id:
        state = places[("state", preferences.state_id)]
        parts.append(_("open to places in %(state)s") % {"state": state.name})
    if not parts:
        return _("Matches: every new listing, as you asked.")
    return _("Matches %(reasons)s.") % {"reasons": "; ".join(parts)}


def next_digest(subscription: Subscription, as_of: datetime | None = None) -> Digest:
    """The digest this subscription would get now (admin preview, test digests)."""
    as_of = as_of or timezone.now()
    annotated = with_preferences(Subscription.objects.filter(pk=subscription.pk)).get()
    return build_digests([annotated], as_of)[subscription.pk]
