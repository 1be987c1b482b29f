"""Cached facet counts are forgotten whenever a listing or its topics or regions change."""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from opportunities.models import Listing
from opportunities.search import listings_changed


@receiver(post_save, sender=Listing)
@receiver(post_delete, sender=Listing)
@receiver(m2m_changed, sender=Listing.topics.through)
@receiver(m2m_changed, sender=Listing.bureaus.through)
def forget_cached_facets(**kwargs):
    listings_changed()
