"""The naive search the real one is measured against: the same page and template, but every
match is ranked (no candidate bound), facets are counted over every match with no cache, and
pages are fetched with OFFSET."""

from django.contrib.postgres.search import SearchRank
from django.db.models import F
from django.shortcuts import render

from opportunities.filters import ListingFilter
from opportunities.models import Listing
from opportunities.search import PAGE_SIZE, SearchResults, _page_listings, build_query, facet_counts
from opportunities.views import search_page_context


def naive_search(request):
    filterset = ListingFilter(request.GET, queryset=Listing.objects.none())
    filterset.is_valid()
    text = filterset.form.cleaned_data.get("q") or ""
    base = filterset.filter_queryset(Listing.objects.published())
    query = build_query(text)
    if query is not None:
        matched = base.filter(search_vector=query)
        ordered = matched.annotate(rank=SearchRank(F("search_vector"), query)).order_by(
            "-rank", "-id"
        )
    else:
        matched = base
        ordered = base.order_by("-published_at", "-id")
    page = max(int(request.GET.get("page", "1")), 1)
    ids = list(ordered.values_list("id", flat=True)[(page - 1) * PAGE_SIZE : page * PAGE_SIZE])
    facets = facet_counts(
        matched,
        topics=filterset.filters["topic"].extra["choices"],
        regions=filterset.filters["region"].extra["choices"],
    )
    results = SearchResults(
        listings=_page_listings(ids, query),
        total=matched.count(),
        capped=False,
        sort="relevance" if query is not None else "newest",
        next_cursor=None,
        is_first_page=page == 1,
        facets=facets,
    )
    context = search_page_context(request, filterset, results, text, [])
    return render(request, "opportunities/search.html", context)
