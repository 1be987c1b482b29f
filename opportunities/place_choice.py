"""The place a visitor chose, remembered for the visit in a cookie (no account, no session row).

Pages that list opportunities (/opportunities/, /programs/) take ?place=; a visitor who chose a
place and comes back without one is sent to the same address with it, so every URL still says
what it shows and can be shared. ?place= (empty) forgets the choice.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.http import HttpResponseRedirect, QueryDict

COOKIE = "place"
PARAMETER = re.compile(r"^[a-z]{2}(/[a-z0-9-]{1,220})?$")


def redirect_to_remembered(request) -> HttpResponseRedirect | None:
    """Send a visitor who chose a place earlier to this page for that place."""
    remembered = request.COOKIES.get(COOKIE, "")
    if "place" in request.GET or not PARAMETER.match(remembered):
        return None
    if request.headers.get("HX-Request") == "true":
        return None  # the form carries the place itself
    query = request.GET.copy()
    query["place"] = remembered
    return HttpResponseRedirect(f"{request.path}?{query.urlencode()}")


def remember(request, response, place) -> None:
    """Keep the chosen place for the visit, or forget it when ?place= was emptied or unknown."""
    if place is not None:
        if request.COOKIES.get(COOKIE) == place.parameter:
            return  # already remembered: the page stays free of cookies, so it can be cached
        response.set_cookie(
            COOKIE,
            place.parameter,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
        )
    elif "place" in request.GET and COOKIE in request.COOKIES:
        response.delete_cookie(COOKIE, samesite="Lax")


def without_place(params: QueryDict) -> str:
    """This page's parameters with the place removed (and forgotten): the chip's link."""
    query = params.copy()
    query.pop("after", None)
    query["place"] = ""
    return query.urlencode()


def place_name(place) -> str:
    state = getattr(place, "state", None)
    return f"{place.name}, {state.name}" if state is not None else place.name
