"""Peer places: US places of similar size that work on the same topics or in the same networks.

A city looking for someone to learn from sees, on its profile, up to six places of the same kind
with half to twice its population that share a city network (by name, any capitalization) or a
topic (from delegations, published local solutions and current priorities), with the reason.
Three queries whatever the number of places.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.fields import ArrayField
from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Abs, Coalesce, Lower, NullIf
from django.utils.translation import get_language

from cities import priorities, solutions
from cities.models import Delegation, EmbassyPartnership, NetworkMembership, Place, SisterCity
from opportunities.models import Topic

PEER_COUNT = 6
SIZE_RANGE = (0.5, 2.0)


@dataclass(frozen=True)
class Peer:
    place: Place
    networks: list[str]
    topics: list[str]
    # For a place with nothing recorded to compare: a peer of similar size and what it does.
    sister_cities: list[str] = field(default_factory=list)
    similar_size_only: bool = False


def _topic_sources() -> list[tuple[QuerySet, str]]:
    """(rows that tie a place to a topic, the name of their topic column), per source."""
    delegation_topics = Delegation.topics.through.objects.all()
    return [
        (delegation_topics, "topic", "delegation__place"),
        *solutions.topic_sources(),
        *priorities.topic_sources(),
    ]


def _topic_ids(place: Place, sources) -> set[int]:
    union = None
    for rows, topic, owner in sources:
        ids = rows.filter(**{owner: place}).values_list(topic, flat=True)
        union = ids if union is None else union.union(ids)
    return set(union) if union is not None else set()


def _cardinality(name: str) -> Func:
    return Func(F(name), function="cardinality", output_field=IntegerField())


def peer_places(place: Place) -> list[Peer]:
    if not place.population:
        return []
    keys = list(
        NetworkMembership.objects.filter(place=place)
        .annotate(key=Lower("network"))
        .values_list("key", flat=True)
    )
    sources = _topic_sources()
    topic_ids = _topic_ids(place, sources)
    if not keys and not topic_ids:
        return similar_size_with_ties(place)

    networks = NetworkMembership.objects.annotate(key=Lower("network")).filter(key__in=keys)
    shared_topic = Q()
    candidates = Q(pk__in=networks.filter(place__isnull=False).values("place")) if keys else Q()
    for rows, topic, owner in sources:
        matching = rows.filter(**{f"{topic}__in": topic_ids})
        if topic_ids:
            candidates |= Q(pk__in=matching.values(owner))
        shared_topic |= Exists(
            matching.filter(**{topic: OuterRef("pk"), owner: OuterRef(OuterRef("pk"))})
        )
    # An empty IN () would empty the whole query, so a missing side is an empty array instead.
    nothing = Value([], output_field=ArrayField(CharField()))
    shared_networks = ArraySubquery(
        networks.filter(place=OuterRef("pk")).order_by("network").values("network")
    )
    # The topic's name in the reader's language, else the English: one column (modeltranslation's
    # values("name") would give one per language, which an array subquery cannot take).
    language = (get_language() or "en").split("-")[0]
    topic_name = Coalesce(
        NullIf(F(f"name_{language}"), Value("")), F("name_en"), output_field=CharField()
    )
    shared_topics = ArraySubquery(
        Topic.objects.filter(shared_topic, pk__in=topic_ids)
        .annotate(label=topic_name)
        .order_by("label")
        .values("label")
    )
    low, high = (round(place.population * factor) for factor in SIZE_RANGE)
    peers = (
        Place.objects.filter(candidates, kind=place.kind, population__range=(low, high))
        .exclude(pk=place.pk)
        .select_related("state")
        .annotate(
            shared_networks=shared_networks if keys else nothing,
            shared_topics=shared_topics if topic_ids else nothing,
        )
        .annotate(
            # cardinality() reads each array once (the __len lookup would build it twice).
            shared=_cardinality("shared_networks") + _cardinality("shared_topics"),
            distance=Abs(F("population") - place.population),
        )
        .filter(shared__gt=0)
        .order_by("-shared", "distance", "name")[:PEER_COUNT]
    )
    return [Peer(p, p.shared_networks, p.shared_topics) for p in peers]


def similar_size_with_ties(place: Place) -> list[Peer]:
    """Places of the same kind and similar size that have international ties, nearest in
    size first and from the same state before others, with their networks and sister cities:
    what a place with nothing recorded yet could learn from (one query)."""
    low, high = (round(place.population * factor) for factor in SIZE_RANGE)
    has_tie = Q()
    for model in (SisterCity, NetworkMembership, Delegation, EmbassyPartnership):
        has_tie |= Exists(model.objects.filter(place=OuterRef("pk")))
    peers = (
        Place.objects.filter(has_tie, kind=place.kind, population__range=(low, high))
        .exclude(pk=place.pk)
        .select_related("state")
        .annotate(
            networks=ArraySubquery(
                NetworkMembership.objects.filter(place=OuterRef("pk"))
                .order_by("network")
                .values("network")[:3]
            ),
            sisters=ArraySubquery(
                SisterCity.objects.filter(place=OuterRef("pk")).order_by("city").values("city")[:3]
            ),
            distance=Abs(F("population") - place.population),
        )
        .order_by(Case(When(state=place.state_id, then=0), default=1), "distance", "name")[
            :PEER_COUNT
        ]
    )
    return [Peer(p, p.networks, [], p.sisters, similar_size_only=True) for p in peers]
