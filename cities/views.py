"""Public pages about places: the state map, state profiles and city or county profiles."""

from django.core.paginator import Paginator
from django.db.models import BooleanField, ExpressionWrapper, F, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cities import maps, reach
from cities.forms import PlaceSearchForm
from cities.models import (
    Delegation,
    EmbassyPartnership,
    LocalSolution,
    NetworkMembership,
    Place,
    SisterCity,
    State,
    states_matching,
)
from cities.peers import peer_places
from opportunities.models import STUDENT_KINDS, Audience, Listing

PLACES_PER_PAGE = 25
FINDER_LIMIT = 12
FINDER_MAX_LENGTH = 100


def place_finder(request):
    """/places/?q=: states, cities and counties whose names start with what was typed. htmx
    asks for the suggestions only; without JavaScript the same address is a page of matches."""
    text = request.GET.get("q", "").replace("\x00", "")
    problem = ""
    if len(text) > FINDER_MAX_LENGTH:
        problem = _("Type at most %(count)d characters.") % {"count": FINDER_MAX_LENGTH}
        text = ""
    states = states_matching(text) if text.strip() else []
    places = list(Place.objects.select_related("state").matching(text)[:FINDER_LIMIT])
    context = {
        "text": text,
        "problem": problem,
        "states": states,
        "places": places,
        "count": len(states) + len(places),
    }
    template = "cities/place_finder.html"
    if request.headers.get("HX-Request") == "true":
        template = "cities/includes/place_matches.html"
    response = render(request, template, context, status=400 if problem else 200)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _describe_places(state, count):
    return ngettext(
        "%(state)s: %(count)s place with a profile",
        "%(state)s: %(count)s places with a profile",
        count,
    ) % {"state": state.name, "count": f"{count:,}"}


def _describe_opportunities(state, count):
    return ngettext(
        "%(state)s: %(count)s open opportunity",
        "%(state)s: %(count)s open opportunities",
        count,
    ) % {"state": state.name, "count": f"{count:,}"}


def _describe_ties(state, count):
    return ngettext(
        "%(state)s: %(count)s international tie",
        "%(state)s: %(count)s international ties",
        count,
    ) % {"state": state.name, "count": f"{count:,}"}


def _describe_places_with_ties(state, count):
    return ngettext(
        "%(state)s: %(count)s place with international ties",
        "%(state)s: %(count)s places with international ties",
        count,
    ) % {"state": state.name, "count": f"{count:,}"}


def _describe_solutions(state, count):
    return ngettext(
        "%(state)s: %(count)s place with published local solutions",
        "%(state)s: %(count)s places with published local solutions",
        count,
    ) % {"state": state.name, "count": f"{count:,}"}


def _public_metrics() -> dict:
    """?metric= on the state map: (switch label, heading, how a state's figure reads, figures)."""
    return {
        "ties": (
            _("International ties"),
            _("Map: international ties (sister cities, networks, delegations, embassies)"),
            _describe_ties,
            reach.ties_by_state,
        ),
        "places_with_ties": (
            _("Places with international ties"),
            _("Map: places with international ties"),
            _describe_places_with_ties,
            lambda: reach.places_by_state(reach.has_tie()),
        ),
        "opportunities": (
            _("Open opportunities for the state"),
            _("Map: open opportunities each state is eligible for"),
            _describe_opportunities,
            reach.open_listings_by_state,
        ),
        "places": (
            _("Places with a profile"),
            _("Map: places with a profile"),
            _describe_places,
            None,  # from the states query itself
        ),
        "solutions": (
            _("Local solutions"),
            _("Map: places with published local solutions"),
            _describe_solutions,
            lambda: reach.places_by_state(reach.has_published_solution()),
        ),
    }


def metric_switch(request, labels: dict[str, str], default: str) -> tuple[str, list[dict], str]:
    """The chosen ?metric=, links to every metric, and a problem to report (or "")."""
    chosen = request.GET.get("metric", default)
    problem = ""
    if chosen not in labels:
        problem = _("There is no map of “%(metric)s”; here is the map of %(default)s.") % {
            "metric": chosen[:40],
            "default": labels[default].lower(),
        }
        chosen = default
    links = [
        {"key": key, "label": label, "current": key == chosen, "query": f"?metric={key}"}
        for key, label in labels.items()
    ]
    return chosen, links, problem


def state_map(request):
    metrics = _public_metrics()
    labels = {key: spec[0] for key, spec in metrics.items()}
    metric, switch, problem = metric_switch(request, labels, "ties")
    _label, heading, describe, figures = metrics[metric]
    states = list(State.objects.with_place_counts())
    values = figures() if figures else {s.pk: s.place_count for s in states}
    map_url = reverse("cities:map")
    for state in states:
        state.url = f"{map_url}{state.slug}/"  # one reverse() for all 56 links
        state.metric_value = values.get(state.pk, 0)
    context = {
        "states": states,
        "metric": metric,
        "metric_label": metrics[metric][0],
        "map_heading": heading,
        "switch": switch,
        "problem": problem,
        **maps.choropleth(states, values, describe),
    }
    return render(request, "cities/state_map.html", context, status=400 if problem else 200)


PROFILE_LISTINGS = 10


def _ties(profile) -> dict:
    """The international ties on a state's or a place's profile (five queries)."""
    return {
        "sister_cities": SisterCity.objects.of(profile).select_related("country"),
        "networks": NetworkMembership.objects.of(profile),
        "delegations": Delegation.objects.of(profile).prefetch_related("countries"),
        "embassies": EmbassyPartnership.objects.of(profile).select_related("country"),
    }


def _published_solutions(exclude_place=None, **where):
    solutions = LocalSolution.objects.published().filter(**where)
    if exclude_place is not None:
        solutions = solutions.exclude(place=exclude_place)
    return solutions.select_related("place__state", "topic")[:PROFILE_LISTINGS]


def _canonical_code(code: str):
    """Redirect /states/CO/ to /states/co/; None when the code is already canonical."""
    return None if code == code.lower() else code.lower()


def state_detail(request, code):
    if lower := _canonical_code(code):
        return redirect("cities:state", lower, permanent=True)
    state = get_object_or_404(State.objects.with_place_counts(), usps_code=code.upper())
    largest_cities = state.places.filter(kind=Place.Kind.CITY).largest_first()[:10]
    form = PlaceSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    places = Paginator(state.places.search(query).order_by("name", "id"), PLACES_PER_PAGE)
    return render(
        request,
        "cities/state_detail.html",
        {
            "state": state,
            "largest_cities": largest_cities,
            "form": form,
            "query": query,
            "page": places.get_page(request.GET.get("page")),
            "locator": maps.locator_map(state.fips_code),
            "profile_for": state,
            **_opportunities_for(state),
            "ties": _ties(state),
            "solutions": _published_solutions(place__state=state),
        },
    )


PROFILE_STUDENT_PROGRAMS = 5
CLOSING_SOON_DAYS = 30


def _opportunities_for(place) -> dict:
    """What a place's page shows of the listings it is eligible for: local leaders' kinds
    first (those meant for local governments before the rest), student programs apart,
    what closes soon, and how many there are in all (four queries)."""
    eligible = Listing.objects.open().for_place(place)
    for_leaders = (
        eligible.exclude(kind__in=STUDENT_KINDS)
        .alias(
            for_government=ExpressionWrapper(
                Q(audiences__contains=[Audience.LOCAL_GOVERNMENT]), output_field=BooleanField()
            )
        )
        .order_by(F("for_government").desc(), F("deadline").asc(nulls_last=True), "-published_at")
        .with_targeted()[:PROFILE_LISTINGS]
    )
    students = (
        eligible.filter(kind__in=STUDENT_KINDS)
        .order_by(F("deadline").asc(nulls_last=True), "-published_at")
        .with_targeted()[:PROFILE_STUDENT_PROGRAMS]
    )
    closing = eligible.closing_soon(CLOSING_SOON_DAYS).with_targeted()[:5]
    listings, students, closing = list(for_leaders), list(students), list(closing)
    for listing in [*listings, *students, *closing]:
        listing.fit = listing.fit_for(place)
    return {
        "listings": listings,
        "student_programs": students,
        "closing_soon": closing,
        "opportunity_count": eligible.count(),
        "closing_soon_days": CLOSING_SOON_DAYS,
    }


def place_detail(request, code, slug):
    if lower := _canonical_code(code):
        return redirect("cities:place", lower, slug, permanent=True)
    place = get_object_or_404(
        Place.objects.select_related("state"), state__usps_code=code.upper(), slug=slug
    )
    return render(
        request,
        "cities/place_detail.html",
        {
            "place": place,
            "state": place.state,
            "profile_for": place,
            "locator": maps.locator_map(place.state.fips_code, place.latitude, place.longitude),
            **_opportunities_for(place),
            "ties": _ties(place),
            "solutions": _published_solutions(place=place),
            "state_solutions": _published_solutions(place, place__state=place.state),
            "peers": peer_places(place),
            "title": _("%(place)s, %(state)s") % {"place": place.name, "state": place.state.name},
        },
    )
