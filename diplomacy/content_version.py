"""What moves the page cache's content version on (lib/page_cache.py).

Every save, delete and many-to-many change of a model whose rows public pages show bumps the
version through Django's signals. Bulk writes that send no signal (`bulk_create`,
`bulk_update`, `QuerySet.update`, COPY) call `content_changed()` themselves: the listing
workflow, imports and source syncs through `opportunities.search.listings_changed()`, the
reference loaders and the underserved marking directly. A model is public unless listed in
PRIVATE_MODELS (rows no public page shows; their churn must not empty the cache).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.apps import apps
from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

from lib.page_cache import content_changed, get_value, set_value
from opportunities.models import Listing

CONTENT_APPS = ("cities", "opportunities")
PRIVATE_MODELS = {
    "opportunities.apikey",
    "opportunities.reviewsubmission",
    "opportunities.reviewreminder",
    "opportunities.listingrevision",
    "opportunities.sourcerun",
    "opportunities.upstreamchange",
    "opportunities.subscription",
    "opportunities.hiddenlisting",
    "opportunities.digestrun",
    "opportunities.digestdelivery",
    "opportunities.listingviews",
}
# Deadlines within these many days are "closing soon" (home, place pages: 14), "this week" (7)
# or "this month" (31) in the search's deadline facet.
DEADLINE_HORIZONS = (0, 7, 14, 31)


def public_models() -> list:
    return [
        model
        for label in CONTENT_APPS
        for model in apps.get_app_config(label).get_models()
        if model._meta.label_lower not in PRIVATE_MODELS
        and not model.__name__.startswith("Historical")
    ]


def _changed(**kwargs) -> None:
    content_changed()


def connect() -> None:
    for model in public_models():
        uid = f"page-cache:{model._meta.label_lower}"
        post_save.connect(_changed, sender=model, dispatch_uid=f"{uid}:save", weak=False)
        post_delete.connect(_changed, sender=model, dispatch_uid=f"{uid}:delete", weak=False)
        for field in model._meta.local_many_to_many:
            m2m_changed.connect(
                _changed,
                sender=field.remote_field.through,
                dispatch_uid=f"{uid}:{field.name}",
                weak=False,
            )


CLOCK_CHECKED_AT = "clock-checked-at"


def scheduled_moments_between(start: datetime, end: datetime) -> bool:
    """Whether the clock alone changed a public page in (start, end]: a published listing's
    deadline passed or came within a window, it opened, an event started or ended."""
    moments = Q()
    for days in DEADLINE_HORIZONS:
        shift = timedelta(days=days)
        moments |= Q(deadline__gt=start + shift, deadline__lte=end + shift)
    for name in ("opens_at", "starts_at", "ends_at"):
        moments |= Q(**{f"{name}__gt": start, f"{name}__lte": end})
    return Listing.objects.published().filter(moments).exists()


def expire_pages_past_scheduled_moments(now: datetime | None = None) -> bool:
    """Move the content version on when a scheduled moment passed since the last check (beat,
    every minute); True when it did. The first check looks back one minute."""
    now = now or timezone.now()
    checked_at = get_value(CLOCK_CHECKED_AT)
    start = checked_at if checked_at is not None else now - timedelta(minutes=1)
    changed = start < now and scheduled_moments_between(start, now)
    if changed:
        content_changed()
    set_value(CLOCK_CHECKED_AT, now)
    return changed
