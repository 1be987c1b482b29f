"""RSS and Atom feeds of any search (newest first): the search page's parameters, strictly read."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.http import HttpResponseBadRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from opportunities import dates
from opportunities.api.params import read_listing_search
from opportunities.filters import Sort
from opportunities.models import Kind
from opportunities.search import search

FEED_SIZE = 50


def bad_search_request(problems: dict[str, list[str]]) -> HttpResponseBadRequest:
    lines = [_("These parameters could not be used; fix them and try again:")]
    lines += [f"{name}: {' '.join(messages)}" for name, messages in problems.items()]
    return HttpResponseBadRequest("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


def search_query_string(params) -> str:
    """The search's own parameters, without the page cursor."""
    query = params.copy()
    query.pop("after", None)
    return query.urlencode()


def valid_query_string(filterset) -> str:
    """The parameters of a search that could be understood, for links to its feeds and exports
    (the search page ignores the others; the feeds would refuse them)."""
    pairs = []
    for name, value in filterset.form.cleaned_data.items():
        if isinstance(value, list):
            pairs += [(name, item) for item in value]
        elif value is True:
            pairs.append((name, "true"))
        elif hasattr(value, "parameter"):  # the chosen place
            pairs.append((name, value.parameter))
        elif value:
            pairs.append((name, value))
    return urlencode(pairs)


class SearchFeed(Feed):
    feed_type = Rss201rev2Feed

    def __call__(self, request, *args, **kwargs):
        filterset, problems = read_listing_search(request.GET)
        if problems:
            return bad_search_request(problems)
        request.listing_search = filterset  # read once, used by get_object
        return super().__call__(request, *args, **kwargs)

    def get_object(self, request, *args, **kwargs):
        filterset = request.listing_search
        cleaned = filterset.form.cleaned_data
        text = cleaned.get("q") or ""
        results = search(filterset, text=text, sort=Sort.NEWEST, page_size=FEED_SIZE)
        query = search_query_string(request.GET)
        return {
            "text": text,
            "listings": results.listings,
            "link": reverse("opportunities:search") + (f"?{query}" if query else ""),
        }

    def title(self, obj):
        if obj["text"]:
            return _("Opportunities: %(words)s") % {"words": obj["text"]}
        return _("New opportunities")

    def link(self, obj):
        return obj["link"]

    def description(self, obj):
        return _("The newest listings of this search on the Subnational Diplomacy Portal.")

    def items(self, obj):
        return obj["listings"]

    def item_title(self, listing):
        return listing.title

    def item_description(self, listing):
        """The summary, then the key dates in the listing's own zone (opportunities/dates.py)."""
        lines = [listing.summary]
        if listing.kind == Kind.EVENT and listing.starts_at:
            lines.append(dates.event_text(listing))
        lines.append(dates.deadline_text(listing))
        return "\n".join(lines)

    def item_pubdate(self, listing):
        return listing.published_at

    def item_updateddate(self, listing):
        return listing.updated_at

    def item_categories(self, listing):
        return [topic.name for topic in listing.topics.all()]

    def item_author_name(self, listing):
        return listing.sponsor


class SearchAtomFeed(SearchFeed):
    feed_type = Atom1Feed
    subtitle = SearchFeed.description
