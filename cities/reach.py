"""Reach: which places the portal has reached, where the gaps are, what people read.

A place is *reached* when it has an international tie on record, a confirmed local solution,
confirmed priorities or a confirmed email subscriber. The *gaps* are the places
not reached yet, largest first, each city once: a borough or neighbourhood that staff linked to
its city (`Place.part_of`) is not listed, and reaching it reaches its city. Staff mark the
places to reach first as underserved, one by one in the admin or in bulk (`cities.underserved`).
Listing views are counted by `opportunities.view_counts`.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from cities.models import (
    Delegation,
    EmbassyPartnership,
    LocalSolution,
    NetworkMembership,
    Place,
    PriorityRanking,
    PriorityResponse,
    SisterCity,
    SolutionStatus,
    State,
)
from lib.bilingual import Translated, columns
from lib.text import fold
from opportunities.models import (
    DeliveryStatus,
    DigestDelivery,
    Listing,
    ListingViews,
    Subscription,
    SubscriptionStatus,
)

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
    """Open listings each state (as a government) is eligible for, as its page and ?place=<state>
    count them: for every state or for it, and for its level of government (two queries)."""
    open_listings = Listing.objects.open().order_by()
    levels = {"state": ["state"], "territory": ["territory"], "district": ["state", "city"]}

    def fits(kind: str, prefix: str = "") -> Q:
        field = f"{prefix}government_levels"
        return Q(**{field: []}) | Q(**{f"{field}__overlap": levels[kind]})

    everywhere = open_listings.filter(target_states__isnull=True).aggregate(
        **{kind: Count("id", filter=fits(kind)) for kind in levels}
    )
    targeted = {
        row["target_states"]: row
        for row in open_listings.filter(target_states__isnull=False)
        .values("target_states")
        .annotate(**{kind: Count("id", filter=fits(kind), distinct=True) for kind in levels})
    }
    return {
        pk: everywhere[kind] + targeted.get(pk, {}).get(kind, 0)
        for pk, kind in State.objects.values_list("pk", "kind")
    }


def ties_by_state() -> dict[int, int]:
    """International ties recorded on each state's profile and on its places' (one query)."""
    parts = [
        model.objects.order_by().values_list(Coalesce("state_id", "place__state_id"))
        for model in (SisterCity, NetworkMembership, Delegation, EmbassyPartnership)
    ]
    counts: dict[int, int] = {}
    for (state_id,) in parts[0].union(*parts[1:], all=True):
        counts[state_id] = counts.get(state_id, 0) + 1
    return counts


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


def states_with_own_priorities() -> int:
    """States, DC and territories whose governor's office has current state-wide priorities."""
    return (
        PriorityResponse.objects.filter(state__isnull=False, is_current=True)
        .values("state")
        .distinct()
        .count()
    )


def by_topic(rows) -> list[tuple[Translated, int]]:
    """How many rows name each topic, most first, the topics named in the reader's language
    (else in English, marked as such) and in that order among equals: one query."""
    counts = rows.order_by().values(*columns("topic__name")).annotate(n=Count("id"))
    named = [(Translated.from_row(row, "topic__name"), row["n"]) for row in counts]
    return sorted(named, key=lambda item: (-item[1], fold(str(item[0]))))


def solutions_by_topic() -> list[tuple[Translated, int]]:
    return by_topic(LocalSolution.objects.published())


def priorities_by_topic() -> list[tuple[Translated, int]]:
    """Topics named in current priorities (each mention counts)."""
    return by_topic(PriorityRanking.objects.filter(response__is_current=True))


def solutions_in_triage() -> int:
    return LocalSolution.objects.filter(
        status__in=[SolutionStatus.NEW, SolutionStatus.UNDER_REVIEW]
    ).count()


def gaps(*, underserved_only: bool = False, state=None):
    """Places not reached yet, largest first: the Department's outreach list."""
    reached_part = Exists(Place.objects.filter(part_of=OuterRef("pk")).filter(reached()))
    places = (
        Place.objects.filter(part_of__isnull=True)
        .exclude(reached())
        .exclude(reached_part)
        .select_related("state")
        .largest_first()
    )
    if underserved_only:
        places = places.filter(is_underserved=True)
    if state is not None:
        places = places.filter(state=state)
    return places


def digest_delivery_totals() -> list[tuple[str, int]]:
    """The email digests' figures: who subscribes and what was delivered (two queries)."""
    people = Subscription.objects.aggregate(
        confirmed=Count("id", filter=Q(status=SubscriptionStatus.CONFIRMED)),
        places=Count(
            "place",
            distinct=True,
            filter=Q(status__in=[SubscriptionStatus.CONFIRMED, SubscriptionStatus.PAUSED]),
        ),
        bouncing=Count("id", filter=Q(status=SubscriptionStatus.BOUNCING)),
    )
    deliveries = DigestDelivery.objects.aggregate(
        sent=Count("id", filter=Q(status=DeliveryStatus.SENT)),
        failed=Count("id", filter=Q(status=DeliveryStatus.FAILED)),
    )
    return [
        (_("Confirmed subscribers"), people["confirmed"]),
        (_("Places with subscribers"), people["places"]),
        (_("Digests sent"), deliveries["sent"]),
        (_("Digests that failed"), deliveries["failed"]),
        (_("Addresses that bounce"), people["bouncing"]),
    ]


# What people read -----------------------------------------------------------------------------


def most_viewed_listings(limit: int = 10):
    return ListingViews.objects.select_related("listing").order_by("-views")[:limit]
