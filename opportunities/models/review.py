"""The review queue: each submission of a listing for review, and what became of it.

A listing in review has exactly one open submission (who sent it, when, and a note to the
reviewer); sending it back, withdrawing it or publishing it closes the submission with who
did it, when and why, so the queue's past stays readable next to the listing's history.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ReviewOutcome(models.TextChoices):
    WAITING = "waiting", _("Waiting for review")
    SENT_BACK = "sent_back", _("Sent back")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    APPROVED = "approved", _("Approved")


class ReviewSubmission(models.Model):
    listing = models.ForeignKey(
        "opportunities.Listing",
        on_delete=models.CASCADE,
        related_name="review_submissions",
        verbose_name=_("listing"),
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    submitted_at = models.DateTimeField(_("submitted"), auto_now_add=True)
    note = models.TextField(_("note to the reviewer"), max_length=2000, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=ReviewOutcome.choices, default=ReviewOutcome.WAITING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("note from the reviewer"), max_length=2000, blank=True)

    class Meta:
        ordering = ["submitted_at", "id"]
        verbose_name = _("review submission")
        verbose_name_plural = _("review submissions")
        constraints = [
            models.UniqueConstraint(
                fields=["listing"],
                condition=Q(outcome="waiting"),
                name="review_one_waiting_submission_per_listing",
                violation_error_message=_("This listing is already waiting for review."),
            )
        ]
        indexes = [
            models.Index(
                fields=["submitted_at"], name="review_waiting", condition=Q(outcome="waiting")
            )
        ]

    def __str__(self) -> str:
        return f"{self.listing} ({self.get_outcome_display()})"


class ReviewReminder(models.Model):
    """When publishers were last emailed about waiting listings (at most one row per send)."""

    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)
    waiting = models.PositiveIntegerField(_("listings waiting"))
    recipients = models.PositiveIntegerField(_("recipients"))

    class Meta:
        ordering = ["-sent_at"]
        get_latest_by = "sent_at"
        verbose_name = _("review reminder")
        verbose_name_plural = _("review reminders")

    def __str__(self) -> str:
        return f"{self.sent_at:%Y-%m-%d %H:%M}: {self.waiting} waiting"


class ListingRevision(models.Model):
    """A change a curator proposes to a live listing: a draft copy that goes through review
    while the live listing stays as it is; approving it copies the draft onto the live one."""

    live = models.ForeignKey(
        "opportunities.Listing",
        on_delete=models.CASCADE,
        related_name="proposed_revisions",
        verbose_name=_("live listing"),
    )
    draft = models.OneToOneField(
        "opportunities.Listing",
        on_delete=models.CASCADE,
        related_name="revision_link",
        verbose_name=_("proposed change"),
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    proposed_at = models.DateTimeField(_("proposed"), auto_now_add=True)

    class Meta:
        verbose_name = _("proposed change")
        verbose_name_plural = _("proposed changes")
        constraints = [
            models.UniqueConstraint(
                fields=["live"],
                name="revision_one_proposal_per_listing",
                violation_error_message=_("This listing already has a proposed change."),
            )
        ]

    def __str__(self) -> str:
        return f"Proposed change to {self.live}"
