"""International ties of a state or a city or county, recorded by staff on its profile."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from cities.models.places import Country, Place, State


class TieQuerySet(models.QuerySet):
    def of(self, profile: State | Place):
        """The ties recorded on one state's or one place's profile."""
        if isinstance(profile, State):
            return self.filter(state=profile)
        return self.filter(place=profile)


class Tie(models.Model):
    """A tie belongs to exactly one profile: a state (or territory) or a city or county."""

    place = models.ForeignKey(
        Place, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("city or county")
    )
    state = models.ForeignKey(
        State, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("state")
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = TieQuerySet.as_manager()

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=Q(place__isnull=True, state__isnull=False)
                | Q(place__isnull=False, state__isnull=True),
                name="%(class)s_one_profile",
                violation_error_message=_("A tie belongs to either a state or a city or county."),
            ),
        ]


class LastingTie(Tie):
    """A tie that lasts, with the year it began."""

    since = models.PositiveSmallIntegerField(_("since (year)"), null=True, blank=True)

    class Meta(Tie.Meta):
        abstract = True
        constraints = [
            *Tie.Meta.constraints,
            models.CheckConstraint(
                condition=Q(since__isnull=True) | Q(since__gte=1900, since__lte=2100),
                name="%(class)s_since_plausible",
                violation_error_message=_("Give the year as four digits, from 1900 on."),
            ),
        ]


class SisterCity(LastingTie):
    """A sister, partner or friendship city (or region) abroad, or a state's sister state or
    province. Ties from the reference data set (cities/data/ties.csv) carry its key and a
    checksum of what was loaded, so that a reload can tell a staff correction from its own row."""

    class Kind(models.TextChoices):
        SISTER = "sister", _("Sister city")
        PARTNER = "partner", _("Partner city")
        FRIENDSHIP = "friendship", _("Friendship city")
        SISTER_STATE = "sister_state", _("Sister state or province")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.SISTER)
    city = models.CharField(_("city or region abroad"), max_length=200)
    country = models.ForeignKey(Country, on_delete=models.PROTECT, verbose_name=_("country"))
    source_url = models.URLField(
        _("source"), max_length=500, blank=True, help_text=_("A public page that records the tie.")
    )
    source_title = models.CharField(_("source title"), max_length=300, blank=True)
    reference_key = models.CharField(
        max_length=300, null=True, blank=True, unique=True, editable=False
    )
    reference_checksum = models.CharField(max_length=64, blank=True, editable=False)

    class Meta(LastingTie.Meta):
        ordering = ["city"]
        verbose_name = _("sister or partner city")
        verbose_name_plural = _("sister and partner cities")

    def __str__(self) -> str:
        return f"{self.city}, {self.country}"


class NetworkMembership(LastingTie):
    """Membership in an international city network (e.g. C40, ICLEI, Strong Cities Network)."""

    network = models.CharField(_("network"), max_length=200)
    website = models.URLField(_("network website"), blank=True)

    class Meta(LastingTie.Meta):
        ordering = ["network"]
        verbose_name = _("city network membership")
        verbose_name_plural = _("city network memberships")
        # Peer places are found by network name, whatever its capitalization.
        indexes = [models.Index(Lower("network"), name="network_name_lower")]

    def __str__(self) -> str:
        return self.network


class Delegation(Tie):
    """A trade, investment or other delegation the place sent abroad or received."""

    class Direction(models.TextChoices):
        SENT = "sent", _("Sent abroad")
        RECEIVED = "received", _("Received")

    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)
    date = models.DateField(_("date"))
    countries = models.ManyToManyField(Country, related_name="+", verbose_name=_("countries"))
    purpose = models.CharField(_("purpose"), max_length=300)
    topics = models.ManyToManyField(
        "opportunities.Topic", blank=True, related_name="+", verbose_name=_("topics")
    )

    class Meta(Tie.Meta):
        ordering = ["-date"]
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.date:%Y-%m-%d}: {self.purpose}"


class EmbassyPartnership(LastingTie):
    """A standing partnership with a foreign embassy or consulate in the United States."""

    country = models.ForeignKey(Country, on_delete=models.PROTECT, verbose_name=_("country"))
    mission = models.CharField(
        _("embassy or consulate"), max_length=200, help_text=_("E.g. Consulate General of Japan.")
    )
    description = models.CharField(_("what it covers"), max_length=300, blank=True)

    class Meta(LastingTie.Meta):
        ordering = ["mission"]
        verbose_name = _("embassy partnership")
        verbose_name_plural = _("embassy partnerships")

    def __str__(self) -> str:
        return self.mission
