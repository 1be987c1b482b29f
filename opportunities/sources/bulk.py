"""Many new listings, their history entries and their topic and region links, written with
PostgreSQL's COPY.

A first run of a large source creates thousands of listings at once. Through `bulk_create` most
of the time goes into building SQL (each of ~40 values prepared and placed by Django, then the
statement split again by psycopg); COPY streams the same rows. IDs are taken from the table's
own sequence first, so history and links can refer to them. Rows carry exactly what
`bulk_create_with_history` would write: every column, and a "+" history entry with its reason.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection, models
from django.utils import translation
from psycopg.types.json import Jsonb

from opportunities.models import Listing, many_to_many


def _columns(model) -> list[models.Field]:
    return [
        field
        for field in model._meta.concrete_fields
        if not isinstance(field, models.GeneratedField)
    ]


def _value(field: models.Field, value):
    return Jsonb(value) if isinstance(field, models.JSONField) else value


def _copy(cursor, model, fields: list[models.Field], rows) -> None:
    names = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:  # noqa: S608 - our names
        for row in rows:
            copy.write_row(row)


def insert_listings(
    listings: list[Listing], links: dict[str, list[list[int]]], now: datetime, user=None
) -> None:
    """Insert `listings` (their `_change_reason` set) with a history entry each, and link them:
    `links["topics"][i]` are the topic IDs of `listings[i]`, likewise `links["bureaus"]`."""
    if not listings:
        return
    history = Listing.history.model
    # Original columns (title, summary...) hold English (lib/bilingual.py).
    with translation.override("en"), connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [Listing._meta.db_table, len(listings)],
        )
        for listing, (pk,) in zip(listings, cursor.fetchall(), strict=True):
            listing.pk = pk
            listing.created_at = listing.updated_at = now
            listing.normalize_dates()  # what save() would do: no deadline means rolling
        fields = _columns(Listing)
        _copy(
            cursor,
            Listing,
            fields,
            ([_value(f, getattr(x, f.attname)) for f in fields] for x in listings),
        )
        tracked = history.tracked_fields
        extra = [history._meta.get_field(name) for name in ("history_date", "history_type")]
        extra += [history._meta.get_field("history_change_reason")]
        extra += [history._meta.get_field("history_user")]
        user_id = user.pk if user else None
        _copy(
            cursor,
            history,
            [history._meta.get_field(f.attname) for f in tracked] + extra,
            (
                [_value(f, getattr(x, f.attname)) for f in tracked]
                + [now, "+", getattr(x, "_change_reason", ""), user_id]
                for x in listings
            ),
        )
        for relation, related_ids in links.items():
            through, source, target = many_to_many(relation)
            through_fields = [
                through._meta.get_field(source),
                through._meta.get_field(target),
            ]
            _copy(
                cursor,
                through,
                through_fields,
                (
                    (listing.pk, related)
                    for listing, ids in zip(listings, related_ids, strict=True)
                    for related in ids
                ),
            )
