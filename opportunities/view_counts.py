"""How often each listing is viewed, without a database write per request.

Each view increments a field of one Redis hash; a Celery beat task moves the counts into
`ListingViews` every minute. The reach dashboard shows the most viewed listings.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from functools import cache

import redis
from django.conf import settings
from django.db import connection, transaction

from lib.cache import UNAVAILABLE, quick_redis
from opportunities.models import Listing, ListingViews

logger = logging.getLogger(__name__)

VIEWS_KEY = "diplomacy:listing-views"
FLUSHING_PREFIX = "diplomacy:listing-views:flushing:"


@cache
def _client(url: str) -> redis.Redis:
    return quick_redis(url)  # short timeouts: Redis down must not slow pages


def _redis() -> redis.Redis:
    return _client(settings.REDIS_URL)


def count_listing_view(listing_id: int) -> None:
    """One Redis command per view; Redis down loses a view, never the page."""
    try:
        _redis().hincrby(VIEWS_KEY, str(listing_id), 1)
    except (redis.RedisError, *UNAVAILABLE) as error:
        logger.warning("Could not count a view of listing %s: %s", listing_id, error)


def flush_listing_views() -> int:
    """Move the counted views into the database; returns how many views were moved.

    The hash is renamed first, so views counted meanwhile go to a fresh hash. A renamed hash
    is deleted only after its counts are committed; one left behind by a failed run is
    flushed by the next run.
    """
    client = _redis()
    batch = f"{FLUSHING_PREFIX}{uuid.uuid4().hex}"
    with contextlib.suppress(redis.ResponseError):  # no views since the last flush
        client.rename(VIEWS_KEY, batch)
    moved = 0
    for key in client.scan_iter(match=f"{FLUSHING_PREFIX}*"):
        counts = {int(k): int(v) for k, v in client.hgetall(key).items()}
        if counts:
            with transaction.atomic():
                _add_views(counts)
        client.delete(key)
        moved += sum(counts.values())
    return moved


def _add_views(counts: dict[int, int]) -> None:
    table = ListingViews._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (listing_id, views, updated_at)
            SELECT listing.id, batch.views, now()
            FROM unnest(%s::bigint[], %s::bigint[]) AS batch(listing_id, views)
            JOIN {Listing._meta.db_table} AS listing ON listing.id = batch.listing_id
            ON CONFLICT (listing_id) DO UPDATE
            SET views = {table}.views + EXCLUDED.views, updated_at = EXCLUDED.updated_at
            """,  # noqa: S608 - table names from models; values are parameters
            [list(counts.keys()), list(counts.values())],
        )
