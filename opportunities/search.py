"""Searching published listings: full text, facets with counts, sorting and keyset pages.

A text search first takes a bounded set of candidates (the newest CANDIDATE_LIMIT matches,
found through the GIN index or the newest-first index, whichever the planner prefers) and
ranks only those, so a word found in every listing costs no more than a rare one. Pages are
keyset pages ("after this row"), so page 500 costs what page 1 costs. Highlighted snippets are
computed for the rows of the page only.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import heapq
import json
import math
import re
import struct
from collections import Counter, namedtuple
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.core.cache import cache
from django.db import connection
from django.db.models import BooleanField, Count, Exists, F, FloatField, Func, OuterRef, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from lib.page_cache import content_changed
from opportunities.cards import CARD_FIELDS
from opportunities.filters import DeadlineWindow, Sort
from opportunities.models import (
    NO_DEADLINE,
    SEARCH_CONFIG,
    SPANISH_SEARCH_CONFIG,
    Audience,
    FoldAccents,
    Format,
    GovernmentLevel,
    Kind,
    Listing,
    Topic,
    many_to_many,
    spanish_or_english,
)

CANDIDATE_LIMIT = 1000
PAGE_SIZE = 20
FACETS_CACHE_SECONDS = 300  # deadline windows move with the clock
MARK_START, MARK_STOP = "\x02", "\x03"  # placeholders for <mark> that no listing text contains


class BadCursor(ValueError):
    pass


def id_array(ids: list[int]) -> str:
    """IDs as one PostgreSQL array literal, '{1,2,3}', to send as a single parameter."""
    return "{" + ",".join(str(int(i)) for i in ids) + "}"


class AmongIds(Func):
    """`column = ANY('{1,2,3}'::bigint[])`: a column among known IDs, sent as one text.

    PostgreSQL walks a B-tree once for a sorted array of keys, where `IN (SELECT unnest(…))`
    probes the index once per key; a list of a thousand IDs is a thousand parameters to plan,
    and a text is one value for the driver to send, not a thousand to adapt."""

    output_field = BooleanField()

    def __init__(self, column: str, ids: list[int]):
        super().__init__(F(column), Value(id_array(ids)))

    def as_sql(self, compiler, connection, **extra_context):
        column, ids = self.get_source_expressions()
        column_sql, column_params = compiler.compile(column)
        ids_sql, ids_params = compiler.compile(ids)
        return f"{column_sql} = ANY({ids_sql}::bigint[])", (*column_params, *ids_params)


def _candidates(queryset, rank=None) -> Candidates:
    """A queryset's FACET_COLUMNS (and `rank`, an expression, when given) as Candidates: one
    tuple per column, read with a plain cursor. A thousand rows through the ORM's (and the
    translation manager's) row iterators cost more than the query, and counting a column is
    cheaper than visiting each row. The columns are picked by name (the translation manager
    may reorder the SELECT). The deadline comes as seconds since the epoch: Django reads a
    timestamptz in Python, a thousand of them in several milliseconds."""
    columns = [name for name in FACET_COLUMNS if name != "deadline"]
    epoch = Func(F("deadline"), template="extract(epoch from %(expressions)s)::float8")
    queryset = queryset.annotate(deadline_epoch=epoch)
    if rank is not None:
        queryset = queryset.annotate(rank=rank)
        columns.append("rank")
    sql, params = queryset.values_list(*columns, "deadline_epoch").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        names[names.index("deadline_epoch")] = "deadline"
        rows = cursor.fetchall()
    columns = zip(*rows, strict=True) if rows else [()] * len(names)
    read = dict(zip(names, columns, strict=True))
    return Candidates(*(read.get(name, ()) for name in Candidates._fields))  # rank () unless asked


def _rank(query: SearchQuery) -> SearchRank:
    return SearchRank(F(_vector()), query, cover_density=False)


def _in_spanish() -> bool:
    """Pages and API answers in Spanish search the Spanish vector: each listing's Spanish
    words, or its English ones where it has no Spanish (so names and untranslated listings
    are still found), stemmed as Spanish with accents folded. English is unchanged."""
    return (get_language() or "").startswith("es")


def _vector() -> str:
    return "search_vector_es" if _in_spanish() else "search_vector"


@dataclass
class Facet:
    value: str
    label: str
    count: int

    def __post_init__(self):
        # Translated now, in the request's language (part of the cache key): a lazy label
        # would be pickled as a lazy object, and unpickling fifty of them costs milliseconds.
        self.label = str(self.label)


@dataclass
class SearchResults:
    listings: list[Listing]
    total: int
    capped: bool
    sort: str
    next_cursor: str | None
    is_first_page: bool
    facets: dict[str, list[Facet]] = field(default_factory=dict)


def _encode(values: list) -> str:
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> list:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise BadCursor from error
    if not (isinstance(values, list) and len(values) == 2 and isinstance(values[1], int)):
        raise BadCursor
    return values


def _ordering(sort: str):
    """(annotation for the sort key, descending?) for each sort."""
    if sort == Sort.RELEVANCE:
        return F("rank"), True
    if sort == Sort.CLOSING:
        return Coalesce("deadline", Value(NO_DEADLINE)), False
    return F("published_at"), True  # always set on published listings


def _key_value(listing: Listing):
    value = listing.sort_key
    return value.isoformat() if isinstance(value, datetime) else value


def _after(cursor: str, sort: str) -> Q:
    key, last_id = _decode(cursor)
    if sort == Sort.RELEVANCE:
        if not isinstance(key, int | float) or isinstance(key, bool):
            raise BadCursor
        # A rank is a real (4 bytes), read back as the shortest decimal that names it: compared
        # as a double, that decimal is not the rank (ties at the page's end were skipped). So
        # it is compared as a real, and a number no real can hold is a damaged link.
        try:
            key = struct.unpack("f", struct.pack("f", key))[0]
        except OverflowError as error:
            raise BadCursor from error
        if not math.isfinite(key):
            raise BadCursor
        key = Func(Value(key), template="(%(expressions)s)::real", output_field=FloatField())
    else:
        try:
            key = datetime.fromisoformat(key)
        except (TypeError, ValueError) as error:
            raise BadCursor from error
    _, descending = _ordering(sort)
    # The first condition bounds an index range scan; the second breaks ties by id.
    if descending:
        return Q(sort_key__lte=key) & (Q(sort_key__lt=key) | Q(id__lt=last_id))
    return Q(sort_key__gte=key) & (Q(sort_key__gt=key) | Q(id__gt=last_id))


def search(
    filterset,
    text: str = "",
    sort: str = "",
    cursor: str = "",
    page_size: int = PAGE_SIZE,
    prefetch: tuple[str, ...] = ("topics", "target_states"),
    brief: bool = False,
    targeted: bool = False,
) -> SearchResults:
    """Open listings matching the filters (and the text), one page at a time. Open is decided
    by the query at this moment, not by the archiving task. `prefetch` names the relations
    the caller shows; `brief` loads only what result cards show (opportunities.cards), and
    `targeted` whether each names target states (what a card's line on why a listing fits
    a place reads: Listing.fit_for)."""
    base = filterset.filter_queryset(Listing.objects.open())
    query = build_query(text)
    # The same words and filters give the same counts to every visitor until a listing
    # changes, so they are computed once and kept in the cache (popular searches repeat).
    facets_key = _facets_cache_key(filterset.form.cleaned_data)
    facets = cache.get(facets_key)
    candidates = None  # fetched when a search's counts must be computed
    if query is not None:
        newest = base.filter(**{_vector(): query}).order_by("-published_at", "-id")
        if facets is None:
            # Fetched once with the columns their facets read: counted in Python, and sent back
            # as one array for the rest (see AmongIds). With the counts cached, a subquery
            # saves the round trip.
            # Ranked too: the first page of a search by relevance is then picked from them.
            candidates = _candidates(newest[:CANDIDATE_LIMIT], rank=_rank(query))
            matched = Listing.objects.filter(AmongIds("id", candidates.id))
        else:
            matched = Listing.objects.filter(id__in=newest.values("id")[:CANDIDATE_LIMIT])
        matched = matched.annotate(rank=_rank(query))
        sort = sort or Sort.RELEVANCE
    else:
        matched = base
        sort = Sort.NEWEST if sort in ("", Sort.RELEVANCE) else sort

    key, descending = _ordering(sort)
    ordered = matched.annotate(sort_key=key).order_by(
        F("sort_key").desc() if descending else F("sort_key").asc(),
        F("id").desc() if descending else F("id").asc(),
    )
    if candidates is not None and sort == Sort.RELEVANCE and not cursor:
        # The same order as the query's (rank, then id, both descending), without asking.
        ranked = zip(candidates.id, candidates.rank, strict=True)
        page = heapq.nlargest(page_size + 1, ranked, key=lambda pair: (pair[1], pair[0]))
    else:
        page_query = ordered.filter(_after(cursor, sort)) if cursor else ordered
        page = list(page_query.only("id")[: page_size + 1].values_list("id", "sort_key"))
    has_next = len(page) > page_size
    page = page[:page_size]
    listings = _page_listings(
        [listing_id for listing_id, _ in page], query, prefetch, brief=brief, targeted=targeted
    )
    for listing, (_, sort_key) in zip(listings, page, strict=True):
        listing.sort_key = sort_key
    next_cursor = None
    if has_next and listings:
        last = listings[-1]
        next_cursor = _encode([_key_value(last), last.id])

    choices = {
        "topics": filterset.filters["topic"].extra["choices"],
        "regions": filterset.filters["region"].extra["choices"],
    }
    if facets is None:
        groups = chosen_groups(filterset)
        facets = facet_counts(matched, **choices, skip=groups, candidates=candidates)
        # Disjunctive facets: a group someone filtered on is counted without its own filter,
        # so its other values stay visible with the results they would add (one query each).
        for group in groups:
            others = filterset.filter_queryset_without(Listing.objects.published(), group)
            if query is not None:
                newest = others.filter(**{_vector(): query}).order_by("-published_at", "-id")
                others = Listing.objects.filter(id__in=newest.values("id")[:CANDIDATE_LIMIT])
            facets[group] = group_counts(others, group, **choices)
        cache.set(facets_key, facets, FACETS_CACHE_SECONDS)
    chosen_kinds = set(filterset.form.cleaned_data.get("kind") or [])
    # Every listing has one kind; with kinds chosen, their (disjunctive) counts add up to it.
    total = sum(f.count for f in facets["kind"] if not chosen_kinds or f.value in chosen_kinds)
    return SearchResults(
        listings=listings,
        total=total,
        capped=query is not None and total >= CANDIDATE_LIMIT,
        sort=sort,
        next_cursor=next_cursor,
        is_first_page=not cursor,
        facets=facets,
    )


VERSION_KEY = "listings:version"


def listings_changed() -> None:
    """Forget cached facet counts and pages: called whenever listings are saved, in bulk or
    not."""
    content_changed()
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, 1, None)


def _facets_cache_key(cleaned: dict) -> str:
    version = cache.get_or_set(VERSION_KEY, 1, None)
    filters = {
        name: sorted(value)
        if isinstance(value, list)
        else getattr(value, "parameter", None) or " ".join(str(value).lower().split())
        for name, value in sorted(cleaned.items())
        if name != "sort" and value not in (None, "", [], False)
    }
    digest = hashlib.sha256(json.dumps(filters, default=str).encode()).hexdigest()[:32]
    return f"facets:{version}:{get_language()}:{digest}"


def build_query(text: str) -> SearchQuery | None:
    """Web-search syntax ("quoted phrases", or, -not) plus prefixes: a word ending in * matches
    every word that starts with it."""
    words = text.split()
    prefixes = [re.sub(r"[^\w]", "", w[:-1]) for w in words if w.endswith("*")]
    prefixes = [p for p in prefixes if p]
    rest = " ".join(w for w in words if not w.endswith("*"))
    config, fold = SEARCH_CONFIG, str
    if _in_spanish():
        config, fold = SPANISH_SEARCH_CONFIG, lambda text: FoldAccents(Value(text))
    query = SearchQuery(fold(rest), search_type="websearch", config=config) if rest else None
    for prefix in prefixes:
        term = SearchQuery(fold(f"{prefix}:*"), search_type="raw", config=config)
        query = term if query is None else query & term
    return query


def _page_listings(
    ids: list[int],
    query,
    prefetch: tuple[str, ...] = ("topics", "target_states"),
    brief: bool = False,
    targeted: bool = False,
) -> list[Listing]:
    """The page's listings in page order, with the `prefetch` relations and (for a search)
    a snippet; only the columns of a result card when `brief`; `targeted` annotated when
    asked."""
    if not ids:
        return []
    listings = Listing.objects.filter(id__in=ids).prefetch_related(*prefetch)
    if targeted:
        listings = listings.with_targeted()
    if brief:  # what a card shows (bodies live in the TOAST table: see migration 0018)
        listings = listings.only(*CARD_FIELDS)
    else:  # the search vectors and the source's last text are never shown, and are long
        listings = listings.defer("search_vector", "search_vector_es", "upstream")
    if query is not None:
        spanish = _in_spanish()
        listings = listings.annotate(
            snippet=SearchHeadline(
                spanish_or_english("summary") if spanish else "summary_en",
                query,
                config=SPANISH_SEARCH_CONFIG if spanish else SEARCH_CONFIG,
                start_sel=MARK_START,
                stop_sel=MARK_STOP,
                highlight_all=True,
            )
        )
    by_id = {listing.id: listing for listing in listings}
    for listing in by_id.values():
        if query is not None:
            # Escape the text first: only our own <mark> tags may reach the page as HTML.
            listing.snippet = mark_safe(  # noqa: S308
                escape(listing.snippet).replace(MARK_START, "<mark>").replace(MARK_STOP, "</mark>")
            )
    return [by_id[listing_id] for listing_id in ids]


DISJUNCTIVE_GROUPS = ["kind", "topic", "region", "audience", "level", "format", "deadline"]


def chosen_groups(filterset) -> list[str]:
    cleaned = filterset.form.cleaned_data
    return [group for group in DISJUNCTIVE_GROUPS if cleaned.get(group)]


# What a facet of the listing's own columns reads: a search counts its candidates' facets from
# these, fetched with the candidates themselves (the deadline as seconds since the epoch).
FACET_COLUMNS = (
    "id", "kind", "format", "audiences", "government_levels", "deadline", "is_global",
    "targets_underserved",
)  # fmt: skip
# A search's candidates, one tuple per column (in the same order): what _candidates reads.
Candidates = namedtuple("Candidates", (*FACET_COLUMNS, "rank"))


def _scalar_choices(now) -> dict[str, list[tuple]]:
    """(value, label, condition) of every facet held in the listing's own columns."""
    return {
        "kind": [(value, label, Q(kind=value)) for value, label in Kind.choices],
        "audience": [
            (value, label, Q(audiences__contains=[value])) for value, label in Audience.choices
        ],
        "level": [
            (value, label, Q(government_levels=[]) | Q(government_levels__contains=[value]))
            for value, label in GovernmentLevel.choices
        ],
        "format": [(value, label, Q(format=value)) for value, label in Format.choices],
        "deadline": [
            (value, label, DeadlineWindow.q(value, now)) for value, label in DeadlineWindow.choices
        ],
        "underserved": [("true", "", Q(targets_underserved=True))],
    }


def _column_counts(candidates: Candidates, now) -> Counter:
    """Counts of each value of _scalar_choices among the candidates, keyed "group__value": the
    same conditions in Python, one column at a time. tests/opportunities/test_search.py checks
    that they agree with the SQL on every value."""
    counts = Counter()

    def count(group: str, values) -> None:
        for value, n in Counter(values).items():
            counts[f"{group}__{value}"] = n

    count("kind", candidates.kind)
    count("audience", chain.from_iterable(candidates.audiences))
    count("level", chain.from_iterable(candidates.government_levels))
    open_to_every_level = candidates.government_levels.count([])  # none named
    for level in GovernmentLevel.values:
        counts[f"level__{level}"] += open_to_every_level
    count("format", candidates.format)
    windows_of = DeadlineWindow.windows_of(now.timestamp())  # deadlines: epoch seconds
    count("deadline", chain.from_iterable(map(windows_of, candidates.deadline)))
    counts["underserved__true"] = sum(candidates.targets_underserved)
    counts["region__global"] = sum(candidates.is_global)
    return counts


def facet_counts(
    matched,
    topics: list[tuple],
    regions: list[tuple],
    skip=(),
    candidates: Candidates | None = None,
) -> dict[str, list[Facet]]:
    """Counts of each facet value among the matched listings, in two queries (one when the
    topic and region groups are both in `skip`, counted separately).

    `topics` and `regions` are the (value, label) choices the filter form already loaded.
    `candidates`, when given, are the matched listings' columns (a search's, at most
    CANDIDATE_LIMIT): their own columns are then counted here, and only topics and regions
    are asked of PostgreSQL.
    """
    choices = _scalar_choices(timezone.now())
    if candidates is None:
        aggregates = {
            f"{facet}__{value}": Count("id", filter=condition)
            for facet, values in choices.items()
            for value, _label, condition in values
        }
        aggregates["region__global"] = Count("id", filter=Q(is_global=True))
        counts = matched.order_by().aggregate(**aggregates)
    else:
        # A thousand rows at most: counted here in less time than building the SQL takes.
        counts = _column_counts(candidates, timezone.now())
    facets = {
        facet: [Facet(value, label, counts[f"{facet}__{value}"]) for value, label, _ in values]
        for facet, values in choices.items()
    }
    ids = None if candidates is None else candidates.id
    # Topic and region counts in one round trip, from the link tables alone.
    groups = tuple(group for group in ("topic", "region") if group not in skip)
    related_counts = {"topic": {}, "region": {}}
    if groups and ids is not None:
        literal = id_array(ids)
        with connection.cursor() as cursor:
            cursor.execute(_related_counts_sql(groups), [literal] * len(groups))
            for group, key, n in cursor.fetchall():
                related_counts[group][key] = n
    elif groups:
        related = []
        for group in groups:
            through, source, target, key = _link(group)
            related.append(
                through.objects.filter(**{f"{source}__in": matched.order_by().values("id")})
                .values(group=Value(group), key=F(f"{target}__{key}"))
                .annotate(n=Count("pk"))
            )
        for row in related[0].union(*related[1:], all=True):
            related_counts[row["group"]][row["key"]] = row["n"]
    topic_counts = related_counts["topic"]
    facets["topic"] = [Facet(slug, name, topic_counts.get(slug, 0)) for slug, name in topics]
    region_counts = related_counts["region"]
    region_counts["global"] = counts["region__global"]
    facets["region"] = [Facet(code, name, region_counts.get(code, 0)) for code, name in regions]
    return facets


def _link(group: str):
    """(link table's model, listing column, other column, the other side's key) of a group."""
    relation, key = {"topic": ("topics", "slug"), "region": ("bureaus", "code")}[group]
    return (*many_to_many(relation), key)


@functools.cache
def _related_counts_sql(groups: tuple[str, ...]) -> str:
    """(group, key, count) rows of these groups among listings given as one array of IDs:
    plain SQL, built once (the ORM took longer to build the union than PostgreSQL to run it)."""
    quote = connection.ops.quote_name
    parts = []
    for group in groups:
        through, source, target, key = _link(group)
        other = through._meta.get_field(target)
        # Only names from the models and the two fixed group names: no input reaches the text.
        link_table, other_table = (
            quote(through._meta.db_table),
            quote(other.related_model._meta.db_table),
        )
        listing_column = quote(through._meta.get_field(source).column)
        join = f"o.{quote(other.target_field.column)} = l.{quote(other.column)}"
        select = f"SELECT '{group}', o.{quote(key)}, count(*)"
        parts.append(
            f"{select} FROM {link_table} l JOIN {other_table} o ON {join}"  # noqa: S608
            f" WHERE l.{listing_column} = ANY(%s::bigint[]) GROUP BY o.{quote(key)}"
        )
    return " UNION ALL ".join(parts)


def group_counts(listings, group: str, topics: list[tuple], regions: list[tuple]) -> list[Facet]:
    """Counts of one facet group's values among `listings`, in one query."""
    if group == "topic":
        counts = dict(
            Topic.objects.filter(listings__in=listings.order_by().values("id"))
            .values("slug")
            .annotate(n=Count("listings"))
            .values_list("slug", "n")
        )
        return [Facet(slug, name, counts.get(slug, 0)) for slug, name in topics]
    if group == "region":
        through, source, target = many_to_many("bureaus")
        conditions = {
            code: Q(is_global=True)
            if code == "global"
            else Exists(through.objects.filter(**{source: OuterRef("pk"), f"{target}__code": code}))
            for code, _name in regions
        }
        counts = listings.order_by().aggregate(
            **{f"n_{code}": Count("id", filter=c) for code, c in conditions.items()}
        )
        return [Facet(code, name, counts[f"n_{code}"]) for code, name in regions]
    values = _scalar_choices(timezone.now())[group]
    counts = listings.order_by().aggregate(
        **{f"n_{value}": Count("id", filter=condition) for value, _label, condition in values}
    )
    return [Facet(value, label, counts[f"n_{value}"]) for value, label, _ in values]
