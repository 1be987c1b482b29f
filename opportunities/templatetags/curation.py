"""The admin index's curation panel: how many listings wait for review."""

from django import template

from opportunities.models import ReviewOutcome, ReviewSubmission

register = template.Library()


@register.simple_tag
def listings_waiting_for_review() -> int:
    return ReviewSubmission.objects.filter(outcome=ReviewOutcome.WAITING).count()
