"""Priorities: what a place's leaders want from international engagement, topics ranked."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cities.models.places import Place, State

MAX_PRIORITIES = 5


class PriorityResponse(models.Model):
    """One respondent's ranked topics for one city or county, or for a whole state (a
    governor's office). Only the latest confirmed set is current; earlier sets stay (not
    current) so the dashboard can show how asks change over time."""

    place = models.ForeignKey(
        Place,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="priority_responses",
        verbose_name=_("city or county"),
    )
    state = models.ForeignKey(
        State,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="priority_responses",
        verbose_name=_("whole state"),
    )
    respondent_name = models.CharField(_("name"), max_length=120)
    respondent_title = models.CharField(_("role"), max_length=120, blank=True)
    respondent_email = models.EmailField(_("email"))
    comment = models.TextField(_("comment"), max_length=2000, blank=True)
    topics = models.ManyToManyField(
        "opportunities.Topic", through="PriorityRanking", related_name="+", verbose_name=_("topics")
    )
    language = models.CharField(_("language"), max_length=8, default="en", editable=False)
    created_at = models.DateTimeField(_("submitted"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    is_current = models.BooleanField(_("current"), default=False)
    superseded_at = models.DateTimeField(_("replaced"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-confirmed_at", "-id"]
        verbose_name = _("priorities answer")
        verbose_name_plural = _("priorities answers")
        constraints = [
            models.UniqueConstraint(
                fields=["place", "respondent_email"],
                condition=Q(is_current=True),
                name="priority_one_current_set_per_respondent",
                violation_error_message=_("This respondent already has current priorities here."),
            ),
            models.UniqueConstraint(
                fields=["state", "respondent_email"],
                condition=Q(is_current=True),
                name="priority_one_current_state_set_per_respondent",
                violation_error_message=_("This respondent already has current priorities here."),
            ),
            models.CheckConstraint(
                condition=Q(place__isnull=True, state__isnull=False)
                | Q(place__isnull=False, state__isnull=True),
                name="priority_for_a_place_or_a_whole_state",
                violation_error_message=_(
                    "An answer is for either a city or county or a whole state."
                ),
            ),
            models.CheckConstraint(
                condition=Q(is_current=False) | Q(confirmed_at__isnull=False),
                name="priority_current_is_confirmed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.answered_for}: {self.respondent_email}"

    @property
    def answered_for(self) -> str:
        """ "Boise, ID" or "Idaho (whole state)"."""
        if self.place_id is not None:
            return str(self.place)
        return _("%(state)s (whole state)") % {"state": self.state}


class PriorityRanking(models.Model):
    response = models.ForeignKey(
        PriorityResponse, on_delete=models.CASCADE, related_name="rankings"
    )
    topic = models.ForeignKey(
        "opportunities.Topic", on_delete=models.PROTECT, related_name="+", verbose_name=_("topic")
    )
    rank = models.PositiveSmallIntegerField(_("rank"))

    class Meta:
        ordering = ["rank"]
        verbose_name = _("ranked topic")
        verbose_name_plural = _("ranked topics")
        constraints = [
            models.UniqueConstraint(fields=["response", "rank"], name="priority_rank_once"),
            models.UniqueConstraint(fields=["response", "topic"], name="priority_topic_once"),
            models.CheckConstraint(
                condition=Q(rank__gte=1, rank__lte=MAX_PRIORITIES), name="priority_rank_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rank}. {self.topic}"
