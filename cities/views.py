"""Public pages about places: the state map, state profiles and city or county profiles."""

from django.core.paginator import Paginator
from django.db.models import F
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cities import maps
from cities.forms import PlaceSearchForm
from cities.models import (
    Delegation,
    EmbassyPartnership,
    LocalSolution,
    NetworkMembership,
    Place,
    SisterCity,
    State,
)
from cities.peers import peer_places
from opportunities.models import Listing

PLACES_PER_PAGE = 25


def state_map(request):
    states = list(State.objects.with_place_counts())
    map_url = reverse("cities:map")
    for state in states:
        state.url = f"{map_url}{state.slug}/"  # one reverse() for all 56 links
    legend = maps.legend_for([s.place_count for s in states])
    paths = maps.national_paths()
    shapes, insets = [], []
    for state in states:
        label = ngettext(
            "%(state)s: %(count)s place with a profile",
            "%(state)s: %(count)s places with a profile",
            state.place_count,
        ) % {"state": state.name, "count": f"{state.place_count:,}"}
        entry = {"state": state, "label": label, "bin": legend.bin_for(state.place_count)}
        if state.fips_code in paths:
            shapes.append({**entry, "path": paths[state.fips_code]})
        # DC is too small to click on the map; it gets a box beside the territories.
        if state.fips_code not in paths or state.kind == State.Kind.DISTRICT:
            # The box shows the postal code, so its accessible name includes it too.
            label = f"{state.usps_code} ({label})"
            insets.append({**entry, "label": label, "x": 40 + 80 * len(insets)})
    return render(
        request,
        "cities/state_map.html",
        {
            "states": states,
            "shapes": shapes,
            "insets": insets,
            "legend": legend,
            "width": maps.NATIONAL_WIDTH,
            "height": maps.NATIONAL_HEIGHT + 80,
            "inset_y": maps.NATIONAL_HEIGHT + 10,
        },
    )


PROFILE_LISTINGS = 10


def _open_listings(listings):
    return listings.order_by(F("deadline").asc(nulls_last=True), "-published_at")[:PROFILE_LISTINGS]


def _ties(profile) -> dict:
    """The international ties on a state's or a place's profile (five queries)."""
    return {
        "sister_cities": SisterCity.objects.of(profile).select_related("country"),
        "networks": NetworkMembership.objects.of(profile),
        "delegations": Delegation.objects.of(profile).prefetch_related("countries"),
        "embassies": EmbassyPartnership.objects.of(profile).select_related("country"),
    }


def _published_solutions(**where):
    solutions = LocalSolution.objects.published().filter(**where)
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
            "listings": _open_listings(Listing.objects.open().for_state(state)),
            "ties": _ties(state),
            "solutions": _published_solutions(place__state=state),
        },
    )


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
            "locator": maps.locator_map(place.state.fips_code, place.latitude, place.longitude),
            "listings": _open_listings(Listing.objects.open().for_place(place)),
            "ties": _ties(place),
            "solutions": _published_solutions(place=place),
            "peers": peer_places(place),
            "title": _("%(place)s, %(state)s") % {"place": place.name, "state": place.state.name},
        },
    )
