"""Place pages (state map, state and city profiles) against a one-query baseline view."""

from bench.harness import BASELINE, report, run_pages
from cities.models import Place, State


def main() -> None:
    states, places = State.objects.count(), Place.objects.count()
    biggest = State.objects.with_place_counts().order_by("-place_count").first()
    city = biggest.places.filter(kind=Place.Kind.CITY).largest_first().first()
    pages = {
        BASELINE: "/bench/baseline/",
        "state map /states/": "/states/",
        f"state profile /states/{biggest.slug}/": biggest.get_absolute_url(),
        "state profile, search + page 3": f"{biggest.get_absolute_url()}?q=san&page=3",
        f"state profile, last page of {biggest.place_count}": (
            f"{biggest.get_absolute_url()}?page={(biggest.place_count + 24) // 25}"
        ),
        f"city profile {city.get_absolute_url()}": city.get_absolute_url(),
    }
    data = f"{states} states and territories, {places:,} cities and counties"
    report("Place pages", data, run_pages(pages))
