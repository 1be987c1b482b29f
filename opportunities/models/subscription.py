"""Email digests: who subscribed to what, each period's run, and each digest delivered.

A `Subscription` is an address with preferences (topics, regions, kinds, an optional place)
and a frequency. Each run of a frequency's period (`DigestRun`) sends every confirmed
subscriber at most one digest: the `DigestDelivery` row for (subscription, period) is unique in
the database and is claimed before a message goes out, so a retried or redelivered task never
sends a second one. `HiddenListing` records "Not interested" choices.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cities.models import Bureau, Place, State
from opportunities.models.listing import EducationLevel, Kind, Listing, Topic, choice_array


class Role(models.TextChoices):
    LOCAL_GOVERNMENT = "local_government", _("Local government staff")
    STUDENT = "student", _("Student")
    OTHER = "other", _("Other")


class Frequency(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class SubscriptionStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    PAUSED = "paused", _("Paused")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    BOUNCING = "bouncing", _("Bouncing")


class SubscriptionQuerySet(models.QuerySet):
    def due(self, frequency: str):
        """Subscriptions that get this frequency's digest."""
        return self.filter(status=SubscriptionStatus.CONFIRMED, frequency=frequency)


class Subscription(models.Model):
    """An email address that asked for a digest, with what it wants to hear about."""

    email = models.EmailField(_("email address"), max_length=254)
    role = models.CharField(_("I am"), max_length=20, choices=Role.choices, default=Role.OTHER)
    state = models.ForeignKey(
        State,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("state or territory"),
    )
    place = models.ForeignKey(
        Place,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("city or county"),
    )
    topics = models.ManyToManyField(
        Topic, blank=True, related_name="subscriptions", verbose_name=_("topics")
    )
    bureaus = models.ManyToManyField(
        Bureau, blank=True, related_name="subscriptions", verbose_name=_("regions")
    )
    kinds = choice_array(Kind.choices, _("kinds"))
    # A student's answers from the program finder; their digest keeps to what they may apply for.
    education_level = models.CharField(
        _("education level"),
        max_length=20,
        choices=EducationLevel.choices,
        blank=True,
        db_default="",
    )
    us_citizen = models.BooleanField(_("US citizen"), null=True, blank=True)
    age = models.PositiveSmallIntegerField(_("age"), null=True, blank=True)
    frequency = models.CharField(
        _("how often"), max_length=10, choices=Frequency.choices, default=Frequency.WEEKLY
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=SubscriptionStatus.choices,
        default=SubscriptionStatus.PENDING,
    )
    language = models.CharField(
        _("language"), max_length=5, choices=settings.LANGUAGES, default="en"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True)
    # Manage and "Not interested" links carry this number; raising it revokes every such link
    # mailed so far (a forwarded digest, a lost mailbox).
    link_version = models.PositiveIntegerField(_("version of emailed links"), default=0)
    # The "as of" time of the last digest sent: the next one holds what was published after it.
    last_digest_at = models.DateTimeField(_("last digest"), null=True, blank=True)

    objects = SubscriptionQuerySet.as_manager()
    # The address never changes and is kept once, here: a deleted subscriber's stays nowhere.
    history = HistoricalRecords(excluded_fields=["email"], m2m_fields=["topics", "bureaus"])

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        permissions = [("view_subscriber_email", _("Can see subscribers' email addresses"))]
        indexes = [
            models.Index(
                fields=["frequency", "id"],
                name="subscription_due",
                condition=Q(status="confirmed"),
            )
        ]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="subscription_email_unique"),
            models.CheckConstraint(
                condition=Q(email=Lower("email")),
                name="subscription_email_lowercase",
                violation_error_message=_("Email addresses are stored in lower case."),
            ),
            models.CheckConstraint(
                condition=Q(place__isnull=True) | Q(state__isnull=False),
                name="subscription_place_has_state",
                violation_error_message=_("A city or county needs its state."),
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["confirmed", "paused"]) | Q(confirmed_at__isnull=False),
                name="subscription_confirmed_has_date",
                violation_error_message=_("A confirmed subscription needs its confirmation date."),
            ),
        ]

    def __str__(self) -> str:
        return _("Subscription #%(id)s") % {"id": self.pk}

    @property
    def masked_email(self) -> str:
        """The address with the mailbox hidden, for staff without the permission to see it."""
        local, _at, domain = self.email.partition("@")
        return f"{local[:1]}•••@{domain}"


class HiddenListing(models.Model):
    """A listing a subscriber said they are not interested in: never in their digests again."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="hidden_listings"
    )
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("hidden"), auto_now_add=True)

    class Meta:
        verbose_name = _("hidden listing")
        verbose_name_plural = _("hidden listings")
        constraints = [
            models.UniqueConstraint(fields=["subscription", "listing"], name="hidden_listing_once")
        ]

    def __str__(self) -> str:
        return f"#{self.subscription_id} ✕ {self.listing_id}"


class DigestRun(models.Model):
    """One frequency's period (for example the weekly digest of 2026-W48), with its counts."""

    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices)
    period = models.CharField(_("period"), max_length=24)
    as_of = models.DateTimeField(_("as of"))
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    subscribers = models.PositiveIntegerField(_("subscribers"), default=0)
    matched = models.PositiveIntegerField(_("matched"), default=0)
    sent = models.PositiveIntegerField(_("sent"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    chunks_total = models.PositiveIntegerField(_("chunks"), default=0)
    chunks_done = models.PositiveIntegerField(_("chunks done"), default=0)
    # When chunk tasks were last queued for it (the run task, or beat's catch-up).
    dispatched_at = models.DateTimeField(_("chunks queued"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("digest run")
        verbose_name_plural = _("digest runs")
        constraints = [
            models.UniqueConstraint(fields=["period"], name="digest_run_once_per_period"),
            models.CheckConstraint(
                condition=Q(finished_at__isnull=True) | Q(finished_at__gte=models.F("started_at")),
                name="digest_run_finishes_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.period

    @property
    def duration(self):
        return self.finished_at - self.started_at if self.finished_at else None


class DeliveryStatus(models.TextChoices):
    CLAIMED = "claimed", _("Claimed")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class DigestDeliveryQuerySet(models.QuerySet):
    def stuck(self, now=None):
        """What staff should look at: digests claimed (or given back after a temporary error)
        and still not sent DIGEST_CATCH_UP_MINUTES later, and digests that failed for a
        subscriber who is still confirmed (not a bounce) and has had no digest since."""
        now = now or timezone.now()
        late = now - timedelta(minutes=settings.DIGEST_CATCH_UP_MINUTES)
        sent_since = DigestDelivery.objects.filter(
            subscription=OuterRef("subscription"),
            status=DeliveryStatus.SENT,
            as_of__gt=OuterRef("as_of"),
        )
        return self.filter(
            Q(status=DeliveryStatus.CLAIMED, claimed_at__lt=late)
            | Q(status=DeliveryStatus.CLAIMED, claimed_at__isnull=True, as_of__lt=late)
            | Q(
                Q(status=DeliveryStatus.FAILED),
                Q(subscription__status=SubscriptionStatus.CONFIRMED),
                ~Exists(sent_since),
            )
        )


class DigestDelivery(models.Model):
    """One subscriber's digest for one period: claimed before sending, marked sent after."""

    Status = DeliveryStatus

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    run = models.ForeignKey(
        DigestRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries"
    )
    period = models.CharField(_("period"), max_length=24)
    status = models.CharField(_("status"), max_length=8, choices=DeliveryStatus.choices)
    as_of = models.DateTimeField(_("as of"))
    # A claim with no time has been released (a transient error) and may be taken again at once.
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True)
    listing_ids = ArrayField(
        models.BigIntegerField(), default=list, blank=True, verbose_name=_("listings")
    )

    objects = DigestDeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-as_of", "-id"]
        verbose_name = _("digest delivery")
        verbose_name_plural = _("digest deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "period"], name="digest_delivery_once_per_period"
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="digest_delivery_sent_has_date",
            ),
        ]
        indexes = [
            models.Index(fields=["period", "status"], name="digest_delivery_period"),
            # The stuck ones staff see (claimed or failed: few rows among millions sent).
            models.Index(
                fields=["as_of"],
                condition=Q(status__in=["claimed", "failed"]),
                name="digest_delivery_unfinished",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} → #{self.subscription_id}"
