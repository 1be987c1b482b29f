"""Site-wide pages: home, about, health, placeholders for sections still being built, errors."""

import sys

from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from diplomacy import health, unavailable
from opportunities.models import Listing

HIGHLIGHTS = 3


def home(request):
    open_listings = Listing.objects.open().order_by("-published_at", "-id")
    return render(
        request,
        "home.html",
        {
            "climate": open_listings.filter(topics__slug="climate")[:HIGHLIGHTS],
            "democracy": open_listings.filter(topics__slug="democracy-and-governance")[:HIGHLIGHTS],
            "closing_soon": Listing.objects.closing_soon()[:5],
        },
    )


def about(request):
    return render(request, "about.html")


# Sections of the portal that later releases fill; their links already lead somewhere useful.
UPCOMING_SECTIONS: dict[str, dict] = {}


def upcoming(request, section):
    return render(request, "upcoming.html", UPCOMING_SECTIONS[section])


@never_cache
def healthz(request):
    checks = health.check_all()
    healthy = all(status == "ok" for status in checks.values())
    down = [name for name, status in checks.items() if status != "ok"]
    body = {"status": "ok" if healthy else "down", "checks": checks}
    if down:
        body["down"] = down
    return JsonResponse(body, status=200 if healthy else 503)


def page_not_found(request, exception):
    return render(request, "404.html", status=404)


def server_error(request):
    # An unreachable service raised outside a view (a session saved in middleware): a 503 too.
    response = unavailable.respond_if_unavailable(request, sys.exc_info()[1])
    return response or render(request, "500.html", status=500)


def rate_limited(request, exception):
    """Too many submissions from one address or for one email: say so, and when to retry."""
    response = render(request, "429.html", status=429)
    response["Retry-After"] = "3600"
    return response
