"""Public pages for listings: search, detail, calendar files, student finder, events."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.contrib.auth.decorators import permission_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cities.models import Place, State
from lib.bilingual import Translated
from lib.page_cache import kept_while_unchanged
from lib.text import fold
from opportunities import calendars, dates, feeds, place_choice, view_counts
from opportunities.cards import fragment, result_cards
from opportunities.filters import ListingFilter, chosen_place
from opportunities.forms import StudentFinderForm
from opportunities.markdown import render_markdown
from opportunities.models import Kind, Listing, Status
from opportunities.search import BadCursor, search

RELATED_COUNT = 4


def listing_search(request):
    if remembered := place_choice.redirect_to_remembered(request):
        return remembered
    filterset = ListingFilter(request.GET, queryset=Listing.objects.none())
    problems = []
    if not filterset.is_valid():
        # Ignore what cannot be understood, keep the rest, and say so.
        for name, errors in filterset.form.errors.items():
            label = filterset.form.fields[name].label if name in filterset.form.fields else name
            problems.append(f"{label}: {' '.join(errors)}")
    cleaned = filterset.form.cleaned_data
    text, sort = cleaned.get("q") or "", cleaned.get("sort") or ""
    place = cleaned.get("place")
    # The cards show no relations; whether a listing names target states only says why it
    # fits the chosen place.
    shown = {"prefetch": (), "brief": True, "targeted": place is not None}
    try:
        results = search(
            filterset, text=text, sort=sort, cursor=request.GET.get("after", ""), **shown
        )
    except BadCursor:
        problems.append(_("That page link was damaged, so here is the first page."))
        results = search(filterset, text=text, sort=sort, **shown)
    if place is not None:
        for listing in results.listings:
            listing.fit = listing.fit_for(place)
    context = search_page_context(request, filterset, results, text, problems)
    context["place"] = place
    context["place_name"] = place_choice.place_name(place) if place is not None else ""
    context["without_place"] = place_choice.without_place(request.GET)
    context["suggested_place"] = _place_named(text) if text and place is None else None
    # An unknown place is a bad address (400), though the page still shows every listing.
    status = 400 if "place" in filterset.form.errors else 200
    template = "opportunities/search.html"
    # htmx swaps in the results and filters only (hx-select); restoring a page from history
    # needs all of it.
    if (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    ):
        template += "#search-layout"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request", "HX-History-Restore-Request"])
    place_choice.remember(request, response, place)
    return response


def _place_named(text: str):
    """The state or place whose whole name was typed into search ("Boise", "boise idaho"), to
    offer its opportunities instead; None when the words are not a place's name.

    Asked on every search with a few words: the answer is kept per words, language and content
    version (any save of a place or state moves the version on) in the process's "cards"
    cache, two queries and their ORM building saved."""
    if len(text) > 60 or len(text.split()) > 4:
        return None
    folded = fold(text)
    return kept_while_unchanged(
        f"place-named:{get_language()}", folded, lambda: _find_place_named(text, folded)
    )


def _find_place_named(text: str, folded: str):
    # Names only, as tuples: reading 56 whole states and folding them cost more than a query.
    for name, usps_code in State.objects.values_list("name", "usps_code"):
        if fold(name) == folded:
            return {"name": name, "parameter": usps_code.lower()}  # State.parameter
    place = Place.objects.select_related("state").named(text).first()
    if place is None:
        return None
    return {"name": place_choice.place_name(place), "parameter": place.parameter}


def search_page_context(request, filterset, results, text: str, problems: list[str]) -> dict:
    query = request.GET.copy()
    query.pop("after", None)
    feed_query = feeds.valid_query_string(filterset)
    valid = QueryDict(feed_query)
    return {
        "filterset": filterset,
        "form": filterset.form,
        "results": results,
        "cards": result_cards(results.listings),
        "text": text,
        "problems": problems,
        "query_string": query.urlencode(),
        "feed_query": feed_query,
        # "Get these by email" carries the understood filters that a subscription can keep.
        "subscribe_query": urlencode(
            [
                (key, value)
                for key in ("topic", "region", "kind", "place")
                for value in valid.getlist(key)
            ]
        ),
        # The sidebar's checkboxes: the same counts and ticks give the same HTML.
        "facet_html": fragment(
            "opportunities/includes/facet_groups.html",
            {"facet_groups": _facet_groups(filterset, results.facets, request.GET)},
        ),
    }


FACET_ORDER = ["kind", "topic", "region", "audience", "level", "format", "deadline"]


def _facet_groups(filterset, facets, params) -> list[dict]:
    """Checkbox groups for the filter sidebar: every value with its count, ticked if chosen."""
    groups = []
    for name in FACET_ORDER:
        chosen = set(params.getlist(name))
        groups.append(
            {
                "name": name,
                "legend": str(filterset.filters[name].label),
                "chosen": bool(chosen),
                # Every value, zero counts too (shown quietly); labels translated once here.
                "options": [
                    {
                        "value": f.value,
                        # Topic and region names stay Translated (marked when in English).
                        "label": f.label if isinstance(f.label, Translated) else str(f.label),
                        "count": f.count,
                        "checked": f.value in chosen,
                    }
                    for f in facets[name]
                ],
            }
        )
    return groups


def _published_or_404(slug: str) -> Listing:
    return get_object_or_404(
        Listing.objects.prefetch_related("topics", "bureaus", "countries", "target_states"),
        slug=slug,
        status__in=[Status.PUBLISHED, Status.ARCHIVED],
    )


def _detail_context(listing: Listing) -> dict:
    related = Listing.objects.related_to(listing)[:RELATED_COUNT]
    return {
        "listing": listing,
        "body": Translated.of(listing, "body"),
        "body_html": render_markdown(listing.body),
        "related": related,
        "structured_data": _structured_data(listing),
    }


def listing_detail(request, slug):
    listing = _published_or_404(slug)
    view_counts.count_listing_view(listing.pk)
    context = _detail_context(listing)
    context["share_url"] = request.build_absolute_uri(listing.get_absolute_url())
    response = render(request, "opportunities/detail.html", context)
    # Served from the page cache, the page is still a view to count (lib/page_cache.py).
    response.page_cache_on_hit = ("opportunities.view_counts.count_listing_view", [listing.pk])
    return response


@permission_required("opportunities.view_listing")
def listing_preview(request, pk):
    listing = get_object_or_404(
        Listing.objects.prefetch_related("topics", "bureaus", "countries", "target_states"), pk=pk
    )
    context = _detail_context(listing)
    context.update(preview=True, share_url=request.build_absolute_uri(listing.get_absolute_url()))
    return render(request, "opportunities/detail.html", context)


def listing_ics(request, slug):
    listing = _published_or_404(slug)
    if not (listing.deadline or listing.starts_at):
        raise Http404("This listing has no dates to put in a calendar.")
    return _calendar_response(calendars.listing_calendar([listing], request), listing.slug)


def _calendar_response(body: bytes, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.ics"'
    return response


def _upcoming_events():
    now = timezone.now()
    return (
        Listing.objects.published()
        .filter(kind=Kind.EVENT, starts_at__isnull=False)
        .exclude(ends_at__lt=now)
        .exclude(ends_at__isnull=True, starts_at__lt=now)
        .prefetch_related("topics")
        .order_by("starts_at", "id")
    )


def events(request):
    return render(request, "opportunities/events.html", {"events": _upcoming_events()})


def events_ics(request):
    return _calendar_response(calendars.listing_calendar(_upcoming_events(), request), "events")


def programs(request):
    if remembered := place_choice.redirect_to_remembered(request):
        return remembered
    place = chosen_place(request.GET.get("place", ""))
    bad_place = place is None and request.GET.get("place", "").strip() != ""
    answers = request.GET.copy()
    answers.pop("place", None)
    form = StudentFinderForm(answers if answers or place is not None else None)
    listings = None
    if form.is_valid():
        listings = form.matching_programs()
        if place is not None:
            listings = listings.for_place(place)
    context = {
        "form": form,
        "listings": listings,
        "subscribe_query": _student_subscription_query(form, place),
        "place": place,
        "place_name": place_choice.place_name(place) if place is not None else "",
        "without_place": place_choice.without_place(request.GET),
        "bad_place": bad_place,
    }
    response = render(
        request, "opportunities/programs.html", context, status=400 if bad_place else 200
    )
    place_choice.remember(request, response, place)
    return response


def _student_subscription_query(form, place) -> str:
    """ "Email me these": the student's answers carried to the subscription form."""
    pairs = [("role", "student")]
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        pairs += [
            (name, data[name]) for name in ("education_level", "us_citizen") if data.get(name)
        ]
        if data.get("age") is not None:
            pairs.append(("age", data["age"]))
        if data.get("field"):
            pairs.append(("topic", data["field"].slug))
        if data.get("region"):
            pairs.append(("region", data["region"].code))
    if place is not None:
        pairs.append(("place", place.parameter))
    return urlencode(pairs)


def _structured_data(listing: Listing) -> str:
    """schema.org JSON-LD, escaped so that it cannot close its script element. Times carry the
    offset of the listing's own zone, as the page shows them."""
    opens_at, deadline, starts_at, ends_at = (
        dates.iso(getattr(listing, name), listing.time_zone)
        for name in ("opens_at", "deadline", "starts_at", "ends_at")
    )
    data = {
        "@context": "https://schema.org",
        "name": listing.title,
        "description": listing.summary,
        "url": listing.get_absolute_url(),
    }
    if listing.kind == Kind.EVENT:
        data.update(
            {
                "@type": "Event",
                "startDate": starts_at,
                "endDate": ends_at or starts_at,
                "eventAttendanceMode": {
                    "virtual": "https://schema.org/OnlineEventAttendanceMode",
                    "hybrid": "https://schema.org/MixedEventAttendanceMode",
                }.get(listing.format, "https://schema.org/OfflineEventAttendanceMode"),
                "location": {"@type": "Place", "name": listing.location or "Online"},
                "organizer": {"@type": "Organization", "name": listing.sponsor},
            }
        )
    elif listing.is_student_program:
        data.update(
            {
                "@type": "EducationalOccupationalProgram",
                "provider": {"@type": "Organization", "name": listing.sponsor},
                "applicationDeadline": deadline,
                "applicationStartDate": opens_at,
            }
        )
    else:
        data.update(
            {
                "@type": "Offer" if listing.kind != Kind.CITY_NETWORK else "Organization",
                "offeredBy" if listing.kind != Kind.CITY_NETWORK else "parentOrganization": {
                    "@type": "Organization",
                    "name": listing.sponsor,
                },
            }
        )
        if listing.deadline and listing.kind != Kind.CITY_NETWORK:
            data["availabilityEnds"] = deadline
    payload = json.dumps({k: v for k, v in data.items() if v}, cls=DjangoJSONEncoder)
    for char, code in (("<", "\\u003C"), (">", "\\u003E"), ("&", "\\u0026")):
        payload = payload.replace(char, code)
    return mark_safe(payload)  # noqa: S308 - escaped above like Django's json_script
