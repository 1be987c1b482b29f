"""Reach: which places the portal has reached, where the gaps are, what people read.

A place is *reached* when it has an international tie on record, a confirmed local solution,
confirmed priorities or a confirmed email subscriber. The *gaps* are the places
not reached yet, largest first; staff mark the ones to reach first as underserved in the admin.

Listing views are counted without a database write per request: each view increments a field
of one Redis hash, and a Celery beat task moves the counts into `ListingViews` every minute.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from functools import cache

import redis
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils.module_loading import import_string

from cities.models import (
    Delegation,
    EmbassyPartnership,
    ListingViews,
    LocalSolution,
    NetworkMembership,
    Place,
    PriorityResponse,
    SisterCity,
    SolutionStatus,
    State,
)
from opportunities.models import Listing, Subscription, SubscriptionStatus

logger = logging.getLogger(__name__)

VIEWS_KEY = "diplomacy:listing-views"
FLUSHING_PREFIX = "diplomacy:listing-views:flushing:"


# Who is reached ------------------------------------------------------------------------------


def has_tie() -> Q:
    condition = Q()
    for model in (SisterCity, NetworkMembership, Delegation, EmbassyPartnership):
        condition |= Exists(model.objects.filter(place=OuterRef("pk")))
    return condition


def has_solution() -> Q:
    return Exists(LocalSolution.objects.confirmed().filter(place=OuterRef("pk")))


def has_published_solution() -> Q:
    return Exists(LocalSolution.objects.published().filter(place=OuterRef("pk")))


def has_priorities() -> Q:
    return Exists(PriorityResponse.objects.filter(place=OuterRef("pk"), is_current=True))


def has_subscriber() -> Q:
    """Someone gets digests for the place (a paused subscriber still counts as reached)."""
    return Exists(
        Subscription.objects.filter(
            place=OuterRef("pk"),
            status__in=[SubscriptionStatus.CONFIRMED, SubscriptionStatus.PAUSED],
        )
    )


def reached() -> Q:
    return has_tie() | has_solution() | has_priorities() | has_subscriber()


def places_by_state(condition: Q) -> dict[int, int]:
    """How many places meet the condition, per state id (one query)."""
    rows = Place.objects.filter(condition).order_by().values("state").annotate(n=Count("id"))
    return {row["state"]: row["n"] for row in rows}


def open_listings_by_state() -> dict[int, int]:
    """Open listings that fit each state: those for every state plus those for it (two queries)."""
    open_listings = Listing.objects.open()
    everywhere = open_listings.filter(target_states__isnull=True).count()
    targeted = (
        open_listings.filter(target_states__isnull=False)
        .order_by()
        .values("target_states")
        .annotate(n=Count("id", distinct=True))
    )
    counts = {row["target_states"]: row["n"] for row in targeted}
    return {pk: everywhere + counts.get(pk, 0) for pk in State.objects.values_list("pk", flat=True)}


FIGURES = ["places", "reached", "ties", "solutions", "priorities", "subscribed", "underserved",
           "underserved_reached"]  # fmt: skip


def figures_by_state() -> dict[int, dict[str, int]]:
    """Per state id: places, and how many are reached, have ties, published solutions,
    current priorities, email subscribers, are underserved, are underserved and reached. One
    scan of the places, each place's facts looked up once (a subquery in FROM, which the ORM
    cannot write)."""
    facts = (
        Place.objects.order_by()
        .annotate(
            tie=has_tie(),
            solution=has_solution(),
            published=has_published_solution(),
            priority=has_priorities(),
            subscriber=has_subscriber(),
        )  # fmt: skip
        .values(
            "state_id", "is_underserved", "tie", "solution", "published", "priority", "subscriber"
        )
    )
    sql, params = facts.query.sql_with_params()
    reached_sql = "(tie OR solution OR priority OR subscriber)"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT state_id, count(*), count(*) FILTER (WHERE {reached_sql}),
                   count(*) FILTER (WHERE tie), count(*) FILTER (WHERE published),
                   count(*) FILTER (WHERE priority), count(*) FILTER (WHERE subscriber),
                   count(*) FILTER (WHERE is_underserved),
                   count(*) FILTER (WHERE is_underserved AND {reached_sql})
            FROM ({sql}) AS facts GROUP BY state_id
            """,  # noqa: S608 - the inner query is the ORM's, its values are parameters
            params,
        )
        return {row[0]: dict(zip(FIGURES, row[1:], strict=True)) for row in cursor.fetchall()}


def totals(by_state: dict[int, dict[str, int]]) -> dict[str, int]:
    """The headline numbers of the reach dashboard: the states' figures added up."""
    return {name: sum(figures[name] for figures in by_state.values()) for name in FIGURES}


def solutions_by_topic() -> list[tuple[str, int]]:
    rows = (
        LocalSolution.objects.published()
        .order_by()
        .values("topic__name")
        .annotate(n=Count("id"))
        .order_by("-n", "topic__name")
    )
    return [(row["topic__name"], row["n"]) for row in rows]


def solutions_in_triage() -> int:
    return LocalSolution.objects.filter(
        status__in=[SolutionStatus.NEW, SolutionStatus.UNDER_REVIEW]
    ).count()


def gaps(*, underserved_only: bool = False, state=None):
    """Places not reached yet, largest first: the Department's outreach list."""
    places = Place.objects.exclude(reached()).select_related("state").largest_first()
    if underserved_only:
        places = places.filter(is_underserved=True)
    if state is not None:
        places = places.filter(state=state)
    return places


def digest_delivery_totals() -> list[tuple[str, int]] | None:
    """Hook for the email digests (built on another branch): the dotted path in the setting
    REACH_DIGEST_TOTALS names a function returning (label, number) pairs — confirmed
    subscribers, places with subscribers, digests sent, failed. None while it is not set, and
    the dashboard then says that digest figures are not available yet."""
    path = getattr(settings, "REACH_DIGEST_TOTALS", "")
    return import_string(path)() if path else None


# Listing views ------------------------------------------------------------------------------


@cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


def count_listing_view(listing_id: int) -> None:
    """One Redis command per view; a Redis hiccup loses a view, never the page."""
    try:
        _redis().hincrby(VIEWS_KEY, str(listing_id), 1)
    except redis.RedisError:
        logger.warning("Could not count a view of listing %s", listing_id, exc_info=True)


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


def most_viewed_listings(limit: int = 10):
    return ListingViews.objects.select_related("listing").order_by("-views")[:limit]
