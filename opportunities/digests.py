"""Email digests: subscribing, matching and exactly-once delivery.

Views, the admin, Celery tasks and `manage.py send_digests` all call these functions.

Matching is set-based: subscribers are loaded a chunk at a time with their topic and region
IDs aggregated in SQL, grouped by their distinct preference set, and each set's matches come
from one query (new listings since the oldest watermark in the set, plus those closing soon);
only the cheap per-subscriber part (their own watermark, hidden listings) runs in Python.
A run lists subscribers ordered by preference set, so a chunk holds few distinct sets.

Delivery is exactly once per subscriber and period: a `DigestDelivery` row with a unique
(subscription, period) key is claimed by one INSERT … ON CONFLICT before the message is
handed to SMTP and marked sent right after; a redelivered task finds it sent and skips it.
A claim left behind by a worker that died is taken over once it is older than
DIGEST_CLAIM_TIMEOUT seconds.
"""

from __future__ import annotations

import smtplib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import make_msgid
from functools import lru_cache
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection as db
from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from diplomacy.mail import absolute_url, build_email, send_email
from opportunities.digest_mail import can_send_directly, send_wire_message, wire_message
from opportunities.models import (
    Audience,
    DeliveryStatus,
    DigestDelivery,
    DigestRun,
    Frequency,
    HiddenListing,
    Kind,
    Listing,
    Role,
    Subscription,
    SubscriptionStatus,
    many_to_many,
)

CLOSING_SOON_DAYS = 14
# Signed links in emails: (salt, lifetime in seconds).
CONFIRM = ("digests.confirm", 3 * 24 * 3600)
MANAGE = ("digests.manage", 90 * 24 * 3600)
UNSUBSCRIBE = ("digests.unsubscribe", 365 * 24 * 3600)
NOT_INTERESTED = ("digests.not-interested", 365 * 24 * 3600)


class BadLink(Exception):
    """A signed link that was altered, belongs to nobody, or has expired."""


class TransientMailError(Exception):
    """The SMTP relay could not take a message now (4xx, timeout, dropped connection)."""


# --- Signed links -----------------------------------------------------------------------------


def make_token(kind: tuple[str, int], subscription_id: int, listing_id: int | None = None) -> str:
    payload = [subscription_id] if listing_id is None else [subscription_id, listing_id]
    return signing.dumps(payload, salt=kind[0], compress=False)


def read_token(kind: tuple[str, int], token: str) -> list[int]:
    try:
        payload = signing.loads(token, salt=kind[0], max_age=kind[1])
    except signing.BadSignature as error:  # also SignatureExpired
        raise BadLink(str(error)) from error
    if not isinstance(payload, list) or not all(isinstance(v, int) for v in payload):
        raise BadLink("malformed payload")
    return payload


def subscription_from_token(kind: tuple[str, int], token: str) -> Subscription:
    subscription_id = read_token(kind, token)[0]
    subscription = Subscription.objects.filter(pk=subscription_id).first()
    if subscription is None:
        raise BadLink("no such subscription")
    return subscription


SIGNED_PART = "signed-part"  # placeholder in a resolved route


@lru_cache
def _route(view: str, language: str) -> str:
    return reverse(view, args=[SIGNED_PART])


def link(view: str, kind: tuple[str, int], subscription_id: int, listing_id=None) -> str:
    """The absolute address of a signed link (routes are resolved once, tokens signed each time)."""
    token = make_token(kind, subscription_id, listing_id)
    return absolute_url(_route(view, translation.get_language()).replace(SIGNED_PART, token))


# --- Subscribing --------------------------------------------------------------------------------


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
    if already:
        send_manage_link(subscription)
        return
    send_email(
        "subscription_confirm",
        {"confirm_url": link("subscriptions:confirm", CONFIRM, subscription.pk)},
        [email],
        subject=_with_language(language, lambda: _("Confirm your subscription")),
        language=language,
    )


def _with_language(language: str, make):
    with translation.override(language):
        return make()


def save_preferences(subscription: Subscription, preferences: dict) -> None:
    place = preferences.get("place")
    subscription.role = preferences["role"]
    subscription.place = place
    subscription.state = place.state if place else preferences.get("state")
    subscription.kinds = sorted(preferences.get("kinds") or [])
    subscription.frequency = preferences["frequency"]
    subscription.save()
    subscription.topics.set(preferences.get("topics") or [])
    subscription.bureaus.set(preferences.get("bureaus") or [])


def send_manage_link(subscription: Subscription) -> None:
    send_email(
        "subscription_manage",
        {
            "manage_url": link("subscriptions:manage", MANAGE, subscription.pk),
            "frequency": subscription.get_frequency_display(),
        },
        [subscription.email],
        subject=_with_language(subscription.language, lambda: _("Your email subscription")),
        language=subscription.language,
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


# --- Matching -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preferences:
    """One distinct set of choices; many subscribers share each."""

    role: str
    topic_ids: tuple[int, ...]
    bureau_ids: tuple[int, ...]
    kinds: tuple[str, ...]
    state_id: int | None
    place_id: int | None

    @classmethod
    def of(cls, subscription: Subscription) -> Preferences:
        return cls(
            role=subscription.role,
            topic_ids=tuple(subscription.topic_ids or ()),
            bureau_ids=tuple(subscription.bureau_ids or ()),
            kinds=tuple(sorted(subscription.kinds or ())),
            state_id=subscription.state_id,
            place_id=subscription.place_id,
        )


def with_preferences(subscriptions: QuerySet) -> QuerySet:
    """Subscriptions with their topic and region IDs as sorted arrays, computed in SQL."""
    topics, source, target = many_to_many_of("topics")
    bureaus, b_source, b_target = many_to_many_of("bureaus")
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


def many_to_many_of(relation: str):
    field_ = getattr(Subscription, relation).field
    return field_.remote_field.through, field_.m2m_field_name(), field_.m2m_reverse_field_name()


AUDIENCE_OF_ROLE = {
    Role.LOCAL_GOVERNMENT: Audience.LOCAL_GOVERNMENT,
    Role.STUDENT: Audience.STUDENTS,
}


def matching_listings(preferences: Preferences, since: datetime | None, as_of: datetime):
    """Open listings that fit one preference set: published after `since`, or closing soon."""
    listings = Listing.objects.open(as_of)
    if preferences.kinds:
        listings = listings.filter(kind__in=preferences.kinds)
    if audience := AUDIENCE_OF_ROLE.get(preferences.role):
        listings = listings.filter(Q(audiences=[]) | Q(audiences__contains=[audience]))
    if preferences.topic_ids:
        through, source, target = many_to_many("topics")
        listings = listings.filter(
            pk__in=through.objects.filter(**{f"{target}_id__in": preferences.topic_ids}).values(
                f"{source}_id"
            )
        )
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
    from cities.models import Place

    return Place.objects.select_related("state").get(pk=place_id)


def _state(state_id):
    from cities.models import State

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
            _shorten(digest, preferences)
            # Reasons only for the items that stay in the email, once per listing and language.
            for item in digest.new + digest.closing:
                key = (item.listing.pk, subscription.language)
                if key not in reasons:
                    with translation.override(subscription.language):
                        reasons[key] = match_reason(item.listing, preferences, places)
                item.reason = reasons[key]
            digests[subscription.pk] = digest
    return digests


def _shorten(digest: Digest, preferences: Preferences) -> None:
    """At most DIGEST_MAX_ITEMS in each section; the rest are a link to the search page."""
    limit = settings.DIGEST_MAX_ITEMS
    digest.closing = digest.closing[:limit]
    if len(digest.new) > limit:
        digest.more_new = len(digest.new) - limit
        digest.new = digest.new[:limit]
        query = [("sort", "newest"), *(("kind", k) for k in preferences.kinds)]
        digest.more_url = absolute_url(f"{reverse('opportunities:search')}?{urlencode(query)}")


def _watermark(subscription: Subscription) -> datetime | None:
    return subscription.last_digest_at or subscription.confirmed_at


def _places_of(groups) -> dict:
    from cities.models import Place, State

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


# --- Messages -----------------------------------------------------------------------------------


def period_key(frequency: str, when: datetime) -> str:
    """The period a moment falls in: `daily:2026-11-25`, `weekly:2026-W48`, `monthly:2026-11`."""
    day = when.astimezone(UTC).date()
    if frequency == Frequency.DAILY:
        return f"daily:{day.isoformat()}"
    if frequency == Frequency.WEEKLY:
        year, week, _weekday = day.isocalendar()
        return f"weekly:{year}-W{week:02d}"
    if frequency == Frequency.MONTHLY:
        return f"monthly:{day:%Y-%m}"
    raise ValueError(f"unknown frequency {frequency!r}")


# Where each subscriber's own reason and "Not interested" link go in a shared item.
REASON_MARK, HIDE_MARK = "\x00reason\x00", "\x00hide\x00"


class ItemFragments:
    """Digest items rendered once per language and shared by every message a worker sends: an
    item reads the same in every digest but for its reason and its "Not interested" link."""

    LIMIT = 10_000  # entries (items, items with a reason, shells): about 20 MB at most

    def __init__(self):
        self._rendered: dict[tuple, tuple[str, str]] = {}

    def render(self, item: DigestItem, language: str, subscription_id: int) -> tuple[str, str]:
        key = (item.listing.pk, item.listing.updated_at, language)
        # With the reason in (shared by a preference set), cut where the subscriber's link goes.
        with_reason = (*key, item.reason)
        if with_reason not in self._rendered:
            if len(self._rendered) >= self.LIMIT:
                self._rendered.clear()
            if key not in self._rendered:
                url = absolute_url(item.listing.get_absolute_url())
                shared = DigestItem(item.listing, REASON_MARK, url, HIDE_MARK)
                with translation.override(language):
                    self._rendered[key] = (
                        render_to_string("emails/includes/digest_item.html", {"item": shared}),
                        render_to_string("emails/includes/digest_item.txt", {"item": shared}),
                    )
            html, text = self._rendered[key]
            self._rendered[with_reason] = (
                html.replace(REASON_MARK, escape(item.reason)).split(HIDE_MARK),
                text.replace(REASON_MARK, item.reason).split(HIDE_MARK),
            )
        hide = link(
            "subscriptions:not_interested", NOT_INTERESTED, subscription_id, item.listing.pk
        )
        html, text = self._rendered[with_reason]
        return hide.join(html), hide.join(text)

    def shell(self, digest: Digest, frequency: str) -> tuple[str, str]:
        """The digest's text and HTML with marks for everything that is the subscriber's own
        (items, links, subject), rendered once per language, frequency and "more" line."""
        language = digest.subscription.language
        key = ("shell", language, frequency, bool(digest.new), bool(digest.closing))
        key += (digest.more_new, digest.more_url)
        if key not in self._rendered:
            if len(self._rendered) >= self.LIMIT:
                self._rendered.clear()
            sections = {
                f"{name}_{kind}": [mark_safe(SHELL_MARKS[name])] if items else []  # noqa: S308 - a mark
                for name, items in (("new", digest.new), ("closing", digest.closing))
                for kind in ("html", "text")
            }
            message = build_email(
                "digest",
                {
                    "digest": digest,
                    **sections,
                    "frequency": frequency,
                    "manage_url": SHELL_MARKS["manage"],
                    "unsubscribe_url": SHELL_MARKS["unsubscribe"],
                },
                ["shell@localhost"],
                subject=SHELL_MARKS["subject"],
                language=language,
            )
            self._rendered[key] = (message.body, message.alternatives[0][0])
        return self._rendered[key]


# Where a digest's own parts go in its language's shared shell; no text the portal stores holds
# a NUL character (PostgreSQL refuses them), so the marks cannot clash with content.
SHELL_MARKS = {
    name: f"\x00{name}\x00" for name in ("new", "closing", "manage", "unsubscribe", "subject")
}

WORKER_FRAGMENTS = ItemFragments()


@dataclass
class DigestParts:
    """One subscriber's digest email, ready to be sent by Django or written on the wire."""

    subject: str
    text: str
    html: str
    to: str
    headers: dict[str, str]


def digest_parts(
    digest: Digest, *, to: str | None = None, test: bool = False, fragments=None
) -> DigestParts:
    """The digest's subject, text, HTML (signed links for this subscriber) and headers (RFC 8058
    one-click unsubscribe), from its language's shared shell and the shared item fragments."""
    subscription = digest.subscription
    fragments = fragments or ItemFragments()
    unsubscribe_token = make_token(UNSUBSCRIBE, subscription.pk)
    unsubscribe_url = absolute_url(
        _route("subscriptions:unsubscribe", translation.get_language()).replace(
            SIGNED_PART, unsubscribe_token
        )
    )
    manage_url = link("subscriptions:manage", MANAGE, subscription.pk)
    sections = {}
    for name, items in (("new", digest.new), ("closing", digest.closing)):
        rendered = [fragments.render(i, subscription.language, subscription.pk) for i in items]
        # The template writes each item's HTML as is, and each item's text then a line break.
        sections[name] = (
            "".join(html for html, _text in rendered),
            "".join(f"{text}\n" for _html, text in rendered),
        )
    with translation.override(subscription.language):
        subject = _("New opportunities for you: %(count)s new, %(closing)s closing soon") % {
            "count": len(digest.new),
            "closing": len(digest.closing),
        }
        if test:
            subject = _("[Test] %(subject)s") % {"subject": subject}
        frequency = subscription.get_frequency_display().lower()
    text, html = fragments.shell(digest, frequency)
    for mark, value in (
        ("subject", subject),
        ("manage", manage_url),
        ("unsubscribe", unsubscribe_url),
    ):
        html = html.replace(SHELL_MARKS[mark], escape(value))
        text = text.replace(SHELL_MARKS[mark], value)
    for name, (section_html, section_text) in sections.items():
        html = html.replace(SHELL_MARKS[name], section_html)
        text = text.replace(SHELL_MARKS[name] + "\n", section_text)
    mailto = f"mailto:{settings.DIGEST_UNSUBSCRIBE_EMAIL}?subject=unsubscribe%20{unsubscribe_token}"
    headers = {
        "List-Id": f"<digest.{settings.DIGEST_LIST_DOMAIN}>",
        "Message-ID": make_msgid("digest", domain=settings.DIGEST_LIST_DOMAIN),
    }
    # A staff member's mail client must not offer to unsubscribe the real subscriber.
    if not test:
        headers["List-Unsubscribe"] = f"<{unsubscribe_url}>, <{mailto}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return DigestParts(subject, text, html, to or subscription.email, headers)


def digest_message(
    digest: Digest,
    *,
    to: str | None = None,
    test: bool = False,
    connection=None,
    fragments: ItemFragments | None = None,
) -> EmailMultiAlternatives:
    """The digest email: HTML and text, signed links, RFC 8058 one-click unsubscribe headers."""
    return _django_message(digest_parts(digest, to=to, test=test, fragments=fragments), connection)


def _django_message(parts: DigestParts, connection=None) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=parts.subject,
        body=parts.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[parts.to],
        headers=parts.headers,
        connection=connection,
    )
    message.attach_alternative(parts.html, "text/html")
    return message


def send_test_digest(subscription: Subscription, to: str) -> Digest:
    """Send the next digest of a subscription to a staff member, changing nothing."""
    digest = next_digest(subscription)
    digest_message(digest, to=to, test=True).send()
    return digest


# --- Delivery -----------------------------------------------------------------------------------


def plan_run(frequency: str, now: datetime | None = None) -> tuple[DigestRun, list[list[int]]]:
    """The run of this frequency's current period (created once) and its subscriber chunks.

    Firing the same period twice gives the same run and the same `as_of`; the chunks list
    everyone due now, and those already served are skipped when the chunks are delivered.
    """
    if frequency not in Frequency.values:
        raise ValueError(f"unknown frequency {frequency!r}")
    now = now or timezone.now()
    run, _created = DigestRun.objects.get_or_create(
        period=period_key(frequency, now),
        defaults={"frequency": frequency, "as_of": now, "started_at": now},
    )
    chunks = subscriber_chunks(frequency)
    ids_count = sum(len(chunk) for chunk in chunks)
    DigestRun.objects.filter(pk=run.pk).update(
        subscribers=ids_count, chunks_total=F("chunks_total") + len(chunks), finished_at=None
    )
    return run, chunks


def subscriber_chunks(frequency: str) -> list[list[int]]:
    """IDs of the subscribers due, ordered by preference set (so that each chunk holds few
    distinct sets to match), in chunks of DIGEST_CHUNK_SIZE."""
    ids = list(
        with_preferences(Subscription.objects.due(frequency))
        .order_by("topic_ids", "bureau_ids", "kinds", "role", "place_id", "state_id", "id")
        .values_list("pk", flat=True)
    )
    size = settings.DIGEST_CHUNK_SIZE
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def count_digests(frequency: str, subscription_ids: list[int], as_of: datetime) -> int:
    """How many of these subscribers would get a digest now (dry runs); nothing is recorded."""
    subscriptions = list(
        with_preferences(Subscription.objects.due(frequency).filter(pk__in=subscription_ids))
    )
    return sum(not d.is_empty for d in build_digests(subscriptions, as_of).values())


@dataclass
class ChunkResult:
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    empty: int = 0


FINAL = {DeliveryStatus.SENT, DeliveryStatus.SKIPPED, DeliveryStatus.FAILED}


def deliver_chunk(run_id: int, subscription_ids: list[int]) -> ChunkResult:
    """Send the digests of one chunk of subscribers, each at most once for the run's period.

    Raises TransientMailError when the relay cannot take mail now; the claim of that message is
    released, so the retried task sends what is left.
    """
    run = DigestRun.objects.get(pk=run_id)
    result = ChunkResult()
    done = set(
        DigestDelivery.objects.filter(
            period=run.period, subscription__in=subscription_ids, status__in=FINAL
        ).values_list("subscription_id", flat=True)
    )
    subscriptions = list(
        with_preferences(
            Subscription.objects.due(run.frequency)
            .filter(pk__in=subscription_ids)
            .exclude(pk__in=done)
        )
    )
    result.skipped = len(subscription_ids) - len(subscriptions)
    built = build_digests(subscriptions, run.as_of)
    empty = [d for d in built.values() if d.is_empty]
    result.empty = len(empty)
    DigestDelivery.objects.bulk_create(
        [
            DigestDelivery(
                subscription_id=d.subscription.pk,
                run=run,
                period=run.period,
                status=DeliveryStatus.SKIPPED,
                as_of=run.as_of,
                error="nothing new",
            )
            for d in empty
        ],
        ignore_conflicts=True,
    )
    pending = [d for d in built.values() if not d.is_empty]
    connection = get_connection()
    try:
        if pending:
            connection.open()  # one connection for the chunk (send_messages alone opens one each)
        for start in range(0, len(pending), CLAIM_BATCH):
            batch = pending[start : start + CLAIM_BATCH]
            claims = _claim(run, batch)
            result.skipped += len(batch) - len(claims)  # sent, or being sent elsewhere now
            _send_claimed(batch, claims, connection, result)
    finally:
        connection.close()
        _refresh_counts(run)
    return result


# Claims are taken a few dozen at a time (one durable commit each) and must not go stale while
# their batch is sent: DIGEST_CLAIM_TIMEOUT covers CLAIM_BATCH slow sends.
CLAIM_BATCH = 50


def _send_claimed(batch: list[Digest], claims: dict[int, int], connection, result) -> None:
    claimed = [d for d in batch if d.subscription.pk in claims]
    for n, digest in enumerate(claimed):
        delivery_id = claims[digest.subscription.pk]
        try:
            _send(digest, connection)
        except (smtplib.SMTPException, OSError) as error:
            if _is_permanent(error):
                _mark_failed(delivery_id, digest.subscription.pk, error)
                result.failed += 1
                continue
            # Give back this claim and the batch's unsent ones: the retry takes them at once.
            unsent = [claims[d.subscription.pk] for d in claimed[n:]]
            DigestDelivery.objects.filter(pk__in=unsent).update(
                claimed_at=None, error=_describe(error)
            )
            raise TransientMailError(str(error)) from error
        _mark_sent(delivery_id)
        result.sent += 1


def _send(digest: Digest, connection) -> None:
    """Send one digest over the chunk's connection: written directly on the wire through the
    SMTP backend's connection, or as a Django message by any other backend."""
    parts = digest_parts(digest, fragments=WORKER_FRAGMENTS)
    wire = None
    if can_send_directly(connection):
        wire = wire_message(parts.subject, parts.text, parts.html, parts.to, parts.headers)
    if wire is not None:
        send_wire_message(connection, parts.to, wire)
    else:
        connection.send_messages([_django_message(parts, connection)])


def _claim(run: DigestRun, batch: list[Digest]) -> dict[int, int]:
    """Take the (subscription, period) rows of a batch in one statement, or take over stale or
    released claims; {subscription ID: delivery ID} of those taken."""
    table = DigestDelivery._meta.db_table
    stale = timezone.now() - timedelta(seconds=settings.DIGEST_CLAIM_TIMEOUT)
    with db.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} AS d
                (subscription_id, run_id, period, status, as_of, claimed_at, attempts, error,
                 listing_ids)
            SELECT claim.subscription_id, %s, %s, 'claimed', %s, clock_timestamp(), 1, '',
                   claim.listing_ids::bigint[]
            FROM unnest(%s::bigint[], %s::text[]) AS claim(subscription_id, listing_ids)
            ON CONFLICT ON CONSTRAINT digest_delivery_once_per_period DO UPDATE
                SET claimed_at = clock_timestamp(), attempts = d.attempts + 1,
                    run_id = EXCLUDED.run_id, listing_ids = EXCLUDED.listing_ids
                WHERE d.status = 'claimed' AND (d.claimed_at IS NULL OR d.claimed_at < %s)
            RETURNING d.subscription_id, d.id
            """,  # noqa: S608 - the table name comes from the model
            [
                run.pk,
                run.period,
                run.as_of,
                [d.subscription.pk for d in batch],
                ["{" + ",".join(map(str, d.listing_ids)) + "}" for d in batch],
                stale,
            ],
        )
        return dict(cursor.fetchall())


def _mark_sent(delivery_id: int) -> None:
    """Mark the delivery sent and move the subscriber's watermark, in one statement."""
    with db.cursor() as cursor:
        cursor.execute(
            f"""
            WITH d AS (
                UPDATE {DigestDelivery._meta.db_table}
                SET status = 'sent', sent_at = clock_timestamp(), error = ''
                WHERE id = %s RETURNING subscription_id, as_of
            )
            UPDATE {Subscription._meta.db_table} s SET last_digest_at = d.as_of
            FROM d WHERE s.id = d.subscription_id
            """,  # noqa: S608 - table names come from the models
            [delivery_id],
        )


def _mark_failed(delivery_id: int, subscription_id: int, error: Exception) -> None:
    with transaction.atomic():
        DigestDelivery.objects.filter(pk=delivery_id).update(
            status=DeliveryStatus.FAILED, error=_describe(error)
        )
        # A status change staff see, so through save() and into the history (sends are not).
        subscription = Subscription.objects.select_for_update().get(pk=subscription_id)
        subscription.status = SubscriptionStatus.BOUNCING
        subscription._change_reason = "Digest bounced"
        subscription.save(update_fields=["status", "updated_at"])


def give_up(run_id: int, subscription_ids: list[int], error: str) -> None:
    """After the last retry: the released claims of this chunk become failed deliveries."""
    run = DigestRun.objects.get(pk=run_id)
    DigestDelivery.objects.filter(
        period=run.period,
        subscription__in=subscription_ids,
        status=DeliveryStatus.CLAIMED,
        claimed_at__isnull=True,
    ).update(status=DeliveryStatus.FAILED, error=error[:1000])
    _refresh_counts(run)


def _is_permanent(error: Exception) -> bool:
    """5xx replies are permanent (the address bounces); anything else may pass later."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    code = getattr(error, "smtp_code", None)
    return isinstance(code, int) and 500 <= code < 600


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:1000]


def _refresh_counts(run: DigestRun) -> None:
    """Counts from the period's delivery rows (true whatever was retried or redelivered)."""
    counts = DigestDelivery.objects.filter(period=run.period).aggregate(
        matched=Count("pk", filter=~Q(status=DeliveryStatus.SKIPPED)),
        sent=Count("pk", filter=Q(status=DeliveryStatus.SENT)),
        skipped=Count("pk", filter=Q(status=DeliveryStatus.SKIPPED)),
        failed=Count("pk", filter=Q(status=DeliveryStatus.FAILED)),
    )
    DigestRun.objects.filter(pk=run.pk).update(**counts, chunks_done=F("chunks_done") + 1)
    DigestRun.objects.filter(
        pk=run.pk, finished_at__isnull=True, chunks_done__gte=F("chunks_total")
    ).update(finished_at=timezone.now())


def delivery_totals() -> list[tuple[str, int]]:
    """The reach dashboard's digest figures: who subscribes and what was delivered (two queries)."""
    people = Subscription.objects.aggregate(
        confirmed=Count("id", filter=Q(status=SubscriptionStatus.CONFIRMED)),
        places=Count(
            "place",
            distinct=True,
            filter=Q(status__in=[SubscriptionStatus.CONFIRMED, SubscriptionStatus.PAUSED]),
        ),
        bouncing=Count("id", filter=Q(status=SubscriptionStatus.BOUNCING)),
    )
    deliveries = DigestDelivery.objects.aggregate(
        sent=Count("id", filter=Q(status=DeliveryStatus.SENT)),
        failed=Count("id", filter=Q(status=DeliveryStatus.FAILED)),
    )
    return [
        (_("Confirmed subscribers"), people["confirmed"]),
        (_("Places with subscribers"), people["places"]),
        (_("Digests sent"), deliveries["sent"]),
        (_("Digests that failed"), deliveries["failed"]),
        (_("Addresses that bounce"), people["bouncing"]),
    ]
