"""One row per outgoing email, from the moment it is queued until the relay accepts it."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MailStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutgoingMailQuerySet(models.QuerySet):
    def due(self, now=None):
        """Queued mail whose (next) attempt is due."""
        return self.filter(status=MailStatus.QUEUED, next_attempt_at__lte=now or timezone.now())

    def abandoned(self, now=None):
        """Mail a worker claimed and never finished (it died): longer in "being sent" than
        OUTBOX_SENDING_TIMEOUT."""
        since = (now or timezone.now()) - timedelta(seconds=settings.OUTBOX_SENDING_TIMEOUT)
        return self.filter(status=MailStatus.SENDING, sending_since__lt=since)

    def stuck(self, now=None):
        """What staff should look at: failed mail, and mail still waiting OUTBOX_STUCK_MINUTES
        after it was due (the relay or the worker is down)."""
        late = (now or timezone.now()) - timedelta(minutes=settings.OUTBOX_STUCK_MINUTES)
        return self.filter(
            Q(status=MailStatus.FAILED)
            | Q(status=MailStatus.QUEUED, next_attempt_at__lt=late)
            | Q(status=MailStatus.SENDING, sending_since__lt=late)
        )


class OutgoingMail(models.Model):
    """An email as it will go on the wire (rendered when queued), and how its sending went."""

    status = models.CharField(
        _("status"), max_length=10, choices=MailStatus.choices, default=MailStatus.QUEUED
    )
    kind = models.CharField(_("message"), max_length=60, blank=True)
    cause = models.CharField(_("caused by"), max_length=200, blank=True)
    from_email = models.CharField(_("from"), max_length=300)
    to = models.JSONField(_("to"), default=list)
    subject = models.TextField(_("subject"))
    body_text = models.TextField(_("plain text"))
    body_html = models.TextField(_("HTML"), blank=True)
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    sending_since = models.DateTimeField(_("being sent since"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("queued at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    objects = OutgoingMailQuerySet.as_manager()

    class Meta:
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing mail")
        ordering = ["-created_at", "-id"]
        permissions = [("retry_outgoingmail", "Can retry failed outgoing mail")]
        indexes = [
            # The sweep's and the claim's lookup: queued rows by due time.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="queued"),
                name="outbox_queued_due",
            ),
            models.Index(fields=["status", "created_at"], name="outbox_status_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=MailStatus.values), name="outbox_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(sent_at__isnull=True) | Q(status="sent"), name="outbox_sent_has_status"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.to)}"
