"""The curation workflow: draft → in review → (scheduled →) published → archived.

Every transition is one function that views, admin actions, Celery tasks and commands share.
Each records who did it in the listing's history, also when many listings move at once.
Listings are archived, never deleted, once published.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lib import mail
from lib.history import record_bulk_history
from opportunities.models import Listing, Status
from opportunities.search import listings_changed

TRANSITION_FIELDS = ["status", "published_at", "archived_at", "updated_at"]
ADMIN_CHANGE = "admin:opportunities_listing_change"
User = get_user_model()


class TransitionError(Exception):
    """A listing cannot make the requested move; the message says why, for staff."""


def _save(listings: list[Listing], user, reason: str) -> int:
    now = timezone.now()
    for listing in listings:
        listing.updated_at = now
    Listing.objects.bulk_update(listings, TRANSITION_FIELDS)
    record_bulk_history(listings, user=user, reason=reason)
    if listings:
        listings_changed()
    return len(listings)


def _check(listings: Iterable[Listing], allowed: set[str], action: str) -> list[Listing]:
    listings = list(listings)
    wrong = [listing for listing in listings if listing.status not in allowed]
    if wrong:
        names = ", ".join(
            f"“{listing.title}” ({listing.get_status_display()})" for listing in wrong
        )
        raise TransitionError(f"Cannot {action}: {names}.")
    return listings


@transaction.atomic
def submit_for_review(listings: Iterable[Listing], user) -> int:
    listings = _check(listings, {Status.DRAFT}, "submit for review")
    for listing in listings:
        listing.status = Status.IN_REVIEW
    return _save(listings, user, "Submitted for review")


@transaction.atomic
def return_to_draft(listings: Iterable[Listing], user) -> int:
    listings = _check(listings, {Status.IN_REVIEW, Status.SCHEDULED}, "return to draft")
    for listing in listings:
        listing.status = Status.DRAFT
    return _save(listings, user, "Returned to draft")


@transaction.atomic
def publish(listings: Iterable[Listing], user, now=None) -> int:
    """Publish now, or schedule those whose publish-at time is still to come."""
    now = now or timezone.now()
    listings = _check(listings, {Status.IN_REVIEW, Status.SCHEDULED}, "publish")
    for listing in listings:
        if listing.publish_at and listing.publish_at > now:
            listing.status = Status.SCHEDULED
        else:
            listing.status = Status.PUBLISHED
            listing.published_at = now
            listing.archived_at = None
    return _save(listings, user, "Approved for publication")


@transaction.atomic
def archive(listings: Iterable[Listing], user, reason: str = "Archived") -> int:
    listings = _check(listings, {Status.PUBLISHED, Status.SCHEDULED}, "archive")
    now = timezone.now()
    for listing in listings:
        listing.status = Status.ARCHIVED
        listing.archived_at = now
    return _save(listings, user, reason)


def publish_scheduled_listings(now=None) -> int:
    """Publish every scheduled listing whose time has come (run by Celery beat)."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Listing.objects.select_for_update(skip_locked=True).filter(
                status=Status.SCHEDULED, publish_at__lte=now
            )
        )
        for listing in due:
            listing.status = Status.PUBLISHED
            listing.published_at = listing.publish_at
        return _save(due, None, "Published on schedule")


def archive_expired_listings(now=None) -> int:
    """Archive published listings whose confirmed deadline passed or whose event ended. They
    left search, feeds and digests at that moment already (ListingQuerySet.open()); this
    records it. A passed *expected* deadline stays published, out of search, on the curators'
    list of cycles to confirm (expected_deadline_report)."""
    now = now or timezone.now()
    with transaction.atomic():
        closed = Listing.objects.closed(now).exclude(
            pk__in=Listing.objects.expected_deadline_passed(now).values("pk")
        )
        expired = list(
            Listing.objects.select_for_update(skip_locked=True).filter(pk__in=closed.values("pk"))
        )
        return archive(expired, None, reason="Archived automatically after its closing date")


def expected_deadline_report(now=None) -> int:
    """Email staff who may publish the listings whose expected deadline passed without being
    confirmed (run weekly by Celery beat); return how many listings it named."""
    listings = list(Listing.objects.expected_deadline_passed(now).order_by("deadline", "id"))
    if not listings:
        return 0
    recipients = sorted(
        {
            user.email
            for user in User.objects.filter(is_active=True, is_staff=True).exclude(email="")
            if user.has_perm("opportunities.publish_listing")
        }
    )
    if not recipients:
        return len(listings)
    changelist = reverse("admin:opportunities_listing_changelist")
    items = [
        {"listing": listing, "url": mail.absolute_url(reverse(ADMIN_CHANGE, args=[listing.pk]))}
        for listing in listings
    ]
    mail.send_email(
        "expected_deadlines",
        {
            "items": items,
            "list_url": mail.absolute_url(f"{changelist}?expected_deadline=passed"),
        },
        recipients,
        subject=_("Expected deadlines to confirm: %(n)d") % {"n": len(listings)},
    )
    return len(listings)
