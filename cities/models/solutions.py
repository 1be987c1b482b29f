"""Local solutions: what a place did about a global challenge, sent in by its leaders."""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cities.models.places import Place

SEARCH_CONFIG = "english"


class SolutionStatus(models.TextChoices):
    UNCONFIRMED = "unconfirmed", _("Waiting for email confirmation")
    NEW = "new", _("New")
    UNDER_REVIEW = "under_review", _("Under review")
    PUBLISHED = "published", _("Published")
    DECLINED = "declined", _("Declined")


class LocalSolutionQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=SolutionStatus.PUBLISHED)

    def confirmed(self):
        """Everything staff see: the submitter confirmed their address."""
        return self.exclude(status=SolutionStatus.UNCONFIRMED)


class LocalSolution(models.Model):
    place = models.ForeignKey(
        Place, on_delete=models.PROTECT, related_name="solutions", verbose_name=_("place")
    )
    topic = models.ForeignKey(
        "opportunities.Topic",
        on_delete=models.PROTECT,
        related_name="solutions",
        verbose_name=_("topic"),
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("what was done"), max_length=5000)
    results = models.TextField(_("results"), max_length=3000)
    contact_name = models.CharField(_("contact name"), max_length=120)
    contact_email = models.EmailField(_("contact email"))
    language = models.CharField(_("language"), max_length=8, default="en", editable=False)

    status = models.CharField(
        _("status"),
        max_length=12,
        choices=SolutionStatus.choices,
        default=SolutionStatus.UNCONFIRMED,
    )
    decline_reason = models.TextField(
        _("reason for declining"),
        blank=True,
        help_text=_("Required when declining; it is emailed to the submitter."),
    )
    created_at = models.DateTimeField(_("submitted"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True, editable=False)
    published_at = models.DateTimeField(_("published"), null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    search_vector = models.GeneratedField(
        expression=SearchVector("title", weight="A", config=SEARCH_CONFIG)
        + SearchVector("description", weight="B", config=SEARCH_CONFIG)
        + SearchVector("results", weight="C", config=SEARCH_CONFIG),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    objects = LocalSolutionQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["search_vector"])

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("local solution")
        verbose_name_plural = _("local solutions")
        permissions = [
            ("view_dashboards", _("Can see the priorities and reach dashboards")),
        ]
        indexes = [
            GinIndex(fields=["search_vector"], name="solution_search_vector"),
            models.Index(fields=["status", "-published_at"], name="solution_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=SolutionStatus.DECLINED) | ~Q(decline_reason=""),
                name="solution_declined_with_reason",
                violation_error_message=_("Say why the solution is declined."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("solutions:detail", args=[self.pk])
