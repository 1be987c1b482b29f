"""Sources: public feeds and APIs that listings are imported from on a schedule.

A `Source` is data staff manage in the admin: which adapter reads it (Grants.gov, or an RSS,
Atom or iCalendar feed), where, with which query, how its items map onto our kinds, topics,
audiences and government levels, whether new items wait for review, how often it runs, and
how its last runs went. Each run is a `SourceRun`. An upstream change to a published listing
of an untrusted source waits as an `UpstreamChange` until a publisher accepts or rejects it.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opportunities.models.listing import Listing


class SourceKind(models.TextChoices):
    GRANTS_GOV = "grants_gov", _("Grants.gov (search2 and fetchOpportunity)")
    FEED = "feed", _("RSS, Atom or iCalendar feed")


class Source(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    kind = models.CharField(_("adapter"), max_length=20, choices=SourceKind.choices)
    endpoint = models.URLField(
        _("endpoint"),
        max_length=500,
        blank=True,
        help_text=_(
            "The feed's address. For Grants.gov leave empty to use the API of the "
            "GRANTS_GOV_API_URL setting."
        ),
    )
    query = models.JSONField(
        _("query"),
        default=dict,
        blank=True,
        help_text=_(
            'Grants.gov: {"agencies": ["DOS", "USTDA"], "keywords": ["sister city"], '
            '"statuses": ["posted", "forecasted"], "eligibilities": ["00", "01", "02"]}. '
            "Feeds: nothing needed."
        ),
    )
    mapping = models.JSONField(
        _("mapping"),
        default=dict,
        blank=True,
        help_text=_(
            'How items become listings: {"kind": "funding", "topics": ["climate"], '
            '"audiences": ["local_government"], "government_levels": ["city"], '
            '"regions": ["WHA"], "sponsor": "…", "rules": [{"match": "fellowship", '
            '"kind": "fellowship", "topics": ["exchange"]}]}. A rule applies when its word '
            "appears in an item's title or categories."
        ),
    )
    publish_directly = models.BooleanField(
        _("publish new items directly"),
        default=False,
        help_text=_("Off (the default): new items land as drafts in the review queue."),
    )
    trusted = models.BooleanField(
        _("trusted"),
        default=False,
        help_text=_(
            "Apply upstream changes to published listings at once instead of asking a publisher."
        ),
    )
    enabled = models.BooleanField(_("enabled"), default=False)
    interval = models.DurationField(
        _("runs every"), default=timedelta(days=1), help_text=_("For example 1 day, 12:00:00.")
    )
    next_run_at = models.DateTimeField(_("next run"), null=True, blank=True)

    # Health, written by every run.
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    failures_in_a_row = models.PositiveIntegerField(
        _("failures in a row"), default=0, editable=False
    )
    items_seen = models.PositiveIntegerField(_("items seen"), default=0, editable=False)
    items_new = models.PositiveIntegerField(_("new"), default=0, editable=False)
    items_changed = models.PositiveIntegerField(_("changed"), default=0, editable=False)
    items_closed = models.PositiveIntegerField(_("closed"), default=0, editable=False)
    items_skipped = models.PositiveIntegerField(_("skipped"), default=0, editable=False)
    # What the last successful response was, to ask upstream "anything new?" cheaply.
    etag = models.CharField(max_length=200, blank=True, editable=False)
    last_modified = models.CharField(max_length=100, blank=True, editable=False)
    content_digest = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        permissions = [("run_source", _("Can run a source's sync now"))]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        from opportunities.sources.mapping import problems

        errors = {}
        if self.kind == SourceKind.FEED and not self.endpoint:
            errors["endpoint"] = _("Give the feed's address.")
        if found := problems(self.mapping):
            errors["mapping"] = found
        if not isinstance(self.query, dict):
            errors["query"] = _('The query must be an object, like {"keywords": ["exchange"]}.')
        if errors:
            raise ValidationError(errors)

    @property
    def schedule_label(self) -> str:
        hours = int(self.interval.total_seconds() // 3600)
        if hours and hours % 24 == 0:
            days = hours // 24
            return _("daily") if days == 1 else _("every %(n)d days") % {"n": days}
        if hours:
            return _("hourly") if hours == 1 else _("every %(n)d hours") % {"n": hours}
        return _("every %(n)d minutes") % {"n": int(self.interval.total_seconds() // 60)}

    def is_due(self, now=None) -> bool:
        now = now or timezone.now()
        return self.enabled and (self.next_run_at is None or self.next_run_at <= now)

    def backoff(self) -> timedelta:
        """How long to wait after this many failures in a row: doubling, at most the interval."""
        seconds = settings.SOURCES_RETRY_BACKOFF * 2 ** max(self.failures_in_a_row - 1, 0)
        return min(timedelta(seconds=seconds), self.interval)


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class SourceRun(models.Model):
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="runs")
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    seen = models.PositiveIntegerField(_("seen"), default=0)
    new = models.PositiveIntegerField(_("new"), default=0)
    changed = models.PositiveIntegerField(_("changed"), default=0)
    closed = models.PositiveIntegerField(_("closed"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    error = models.TextField(_("error"), blank=True)
    problems = models.JSONField(_("skipped items"), default=list, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("source run")
        verbose_name_plural = _("source runs")

    def __str__(self) -> str:
        return f"{self.source} {self.started_at:%Y-%m-%d %H:%M}"

    def summary(self) -> str:
        if self.status == RunStatus.FAILED:
            return f"{self.source}: failed: {self.error}"
        return (
            f"{self.source}: {self.seen} seen, {self.new} new, {self.changed} changed, "
            f"{self.closed} closed, {self.skipped} skipped"
        )


class ChangeStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a publisher")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class UpstreamChange(models.Model):
    """What upstream changed in a published listing: {field: [ours, theirs]}."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="upstream_changes")
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="changes")
    differences = models.JSONField(_("differences"))
    detected_at = models.DateTimeField(_("detected"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=10, choices=ChangeStatus.choices, default=ChangeStatus.PENDING
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-detected_at"]
        verbose_name = _("upstream change")
        verbose_name_plural = _("upstream changes")
        constraints = [
            models.UniqueConstraint(
                fields=["listing"],
                condition=Q(status="pending"),
                name="one_pending_upstream_change",
            )
        ]

    def __str__(self) -> str:
        return f"{self.listing}: {', '.join(self.differences)}"
