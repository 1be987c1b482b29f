"""The review queue: what waits for a publisher, and the email that tells publishers so.

The moves themselves (submit, send back, withdraw, publish) are in `publishing`; this module
reads the queue and sends the reminder, at most once per `REVIEW_REMINDER_HOURS` (never more
often than daily) and only while something waits.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from lib.mail import absolute_url, send_email
from opportunities.models import ReviewOutcome, ReviewReminder, ReviewSubmission

MINIMUM_REMINDER_HOURS = 24
# Any constant of our own: one reminder run at a time across every beat and worker host.
REMINDER_LOCK = 7_014_001


def waiting_submissions():
    """Submissions waiting for a publisher, oldest first, with their listing and submitter."""
    return (
        ReviewSubmission.objects.filter(outcome=ReviewOutcome.WAITING)
        .select_related("listing", "submitted_by", "listing__revision_link__live")
        .order_by("submitted_at", "id")
    )


def publishers():
    """Active staff allowed to publish (by their groups or their own permissions) with an
    email address."""
    return (
        get_user_model()
        .objects.with_perm(
            "opportunities.publish_listing",
            include_superusers=False,
            backend="django.contrib.auth.backends.ModelBackend",
        )
        .filter(is_staff=True)
        .exclude(email="")
        .order_by("pk")
    )


def remind_publishers(now=None) -> int:
    """Email every publisher when listings wait, unless a reminder went out recently; returns
    how many messages were sent."""
    hours = settings.REVIEW_REMINDER_HOURS
    if hours <= 0:
        return 0
    now = now or timezone.now()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REMINDER_LOCK])
        since = now - timedelta(hours=max(hours, MINIMUM_REMINDER_HOURS))
        if ReviewReminder.objects.filter(sent_at__gt=since).exists():
            return 0
        waiting = list(waiting_submissions()[:20])
        if not waiting:
            return 0
        count = ReviewSubmission.objects.filter(outcome=ReviewOutcome.WAITING).count()
        recipients = list(publishers())
        context = {
            "waiting": waiting,
            "count": count,
            "queue_url": absolute_url(reverse("admin:listing_review_queue")),
        }
        for user in recipients:
            send_email(
                "review_waiting",
                {**context, "user": user},
                [user.email],
                subject=f"{count} listing(s) wait for review",
            )
        ReviewReminder.objects.create(waiting=count, recipients=len(recipients))
        return len(recipients)
