"""History for objects saved in bulk, many-to-many links included.

simple_history's `bulk_update_with_history` and `bulk_create_with_history` leave out the
tracked many-to-many links, so their records would say a listing had no topics. This writes
the historical rows and their links as they are now, in one insert per table.
"""

from __future__ import annotations

from collections import defaultdict

from django.db import models
from django.utils import translation
from simple_history.utils import get_history_manager_for_model

from lib import bilingual


def record_bulk_history(
    objects: list[models.Model], *, user=None, reason: str = "", created: bool = False
) -> None:
    """One historical record per object (already saved), by `user` (None: the system)."""
    if not objects:
        return
    model = type(objects[0])
    history = get_history_manager_for_model(model)
    # Translated texts' original columns are recorded in English (lib/bilingual.py).
    with translation.override(bilingual.DEFAULT):
        records = history.bulk_history_create(
            objects, update=not created, default_user=user, default_change_reason=reason
        )
    for field in history.model._history_m2m_fields:
        through = field.remote_field.through
        owner = field.m2m_field_name()
        link_history = getattr(history.model, field.name).model
        links = defaultdict(list)
        for link in through.objects.filter(**{f"{owner}__in": objects}):
            links[getattr(link, f"{owner}_id")].append(link)
        link_history.objects.bulk_create(
            link_history(
                history=record,
                **{f.attname: getattr(link, f.attname) for f in through._meta.concrete_fields},
            )
            for record in records
            for link in links[getattr(record, model._meta.pk.attname)]
        )
