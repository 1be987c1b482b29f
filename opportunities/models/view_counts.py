"""How often each listing is viewed (counted in Redis, see opportunities/view_counts.py)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ListingViews(models.Model):
    listing = models.OneToOneField(
        "Listing",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="view_count",
        verbose_name=_("listing"),
    )
    views = models.PositiveBigIntegerField(_("views"), default=0)
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        verbose_name = _("listing views")
        verbose_name_plural = _("listing views")
        indexes = [models.Index(fields=["-views"], name="listing_views_most")]

    def __str__(self) -> str:
        return f"{self.listing_id}: {self.views}"
