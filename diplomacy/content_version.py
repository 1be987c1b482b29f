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
from django.db.models import Min, Q
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

from lib.page_cache import content_changed
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


def next_scheduled_change(now: datetime | None = None) -> datetime | None:
    """The next moment the clock alone changes a public page: a published listing's deadline
    passes or comes within a window, it opens, an event starts or ends (PAGE_CACHE_NEXT_CHANGE).
    """
    now = now or timezone.now()
    published = Listing.objects.published()
    bounds = {
        f"deadline_{days}": Min("deadline", filter=Q(deadline__gt=now + timedelta(days=days)))
        for days in DEADLINE_HORIZONS
    }
    for name in ("opens_at", "starts_at", "ends_at"):
        bounds[name] = Min(name, filter=Q(**{f"{name}__gt": now}))
    found = published.aggregate(**bounds)
    moments = [
        value - timedelta(days=int(name.removeprefix("deadline_")))
        if name.startswith("deadline_")
        else value
        for name, value in found.items()
        if value is not None
    ]
    return min(moments, default=None)
