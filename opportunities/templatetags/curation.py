"""The admin index's curation panel: how many listings wait for review, how many digests are
stuck."""

from django import template

from opportunities import digests
from opportunities.models import ReviewOutcome, ReviewSubmission

register = template.Library()


@register.simple_tag
def listings_waiting_for_review() -> int:
    return ReviewSubmission.objects.filter(outcome=ReviewOutcome.WAITING).count()


@register.simple_tag
def stuck_digest_count() -> int:
    """Digests failed, claimed and not sent, or not served long after their run started (the
    admin index shows it to staff who see digest deliveries)."""
    return digests.stuck_count()
