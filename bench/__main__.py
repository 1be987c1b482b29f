"""Place pages against a one-query baseline view, through the whole Django stack.

Run by `make bench` on the development database that `make run` / `make setup` loaded (all US
states, territories, ~7,600 cities and 3,235 counties). Prints p50 and p99 per page, the ratio of
each p99 to the baseline's p99, and the SQL queries each page made.
"""

import os
import statistics
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "diplomacy.settings")
django.setup()

from django.db import connection, reset_queries  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.urls import path  # noqa: E402

from cities.models import Place, State  # noqa: E402
from diplomacy import urls as site_urls  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "300"))


def baseline_view(request):
    return HttpResponse(f"{State.objects.count()} states")


urlpatterns = [path("bench/baseline/", baseline_view), *site_urls.urlpatterns]


def measure(client: Client, url: str) -> tuple[float, float, int]:
    for _ in range(10):  # warm caches and connections
        assert client.get(url).status_code == 200, url
    timings = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
    reset_queries()
    with override_settings(DEBUG=True):
        client.get(url)
        queries = len(connection.queries)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.99) - 1], queries


def main() -> None:
    states, places = State.objects.count(), Place.objects.count()
    if not places:
        sys.exit("No places loaded: run `make setup` (or `manage.py load_places`) first.")
    biggest = State.objects.with_place_counts().order_by("-place_count").first()
    city = biggest.places.filter(kind=Place.Kind.CITY).largest_first().first()
    pages = {
        "baseline: one-query view": "/bench/baseline/",
        "state map /states/": "/states/",
        f"state profile /states/{biggest.slug}/": biggest.get_absolute_url(),
        "state profile, search + page 3": f"{biggest.get_absolute_url()}?q=san&page=3",
        f"state profile, last page of {biggest.place_count}": (
            f"{biggest.get_absolute_url()}?page={(biggest.place_count + 24) // 25}"
        ),
        f"city profile {city.get_absolute_url()}": city.get_absolute_url(),
    }
    print(f"Data: {states} states and territories, {places:,} cities and counties; {ROUNDS} rounds")
    with override_settings(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["testserver"]):
        client = Client()
        results = {name: measure(client, url) for name, url in pages.items()}
    base_p99 = results["baseline: one-query view"][1]
    print(f"{'page':<48} {'p50 ms':>8} {'p99 ms':>8} {'p99 ratio':>10} {'queries':>8}")
    for name, (p50, p99, queries) in results.items():
        print(f"{name:<48} {p50:8.2f} {p99:8.2f} {p99 / base_p99:9.1f}x {queries:8d}")
    worst = max((r[1] / base_p99, name) for name, r in results.items())
    print(f"Summary: slowest page p99 is {worst[0]:.1f}x the baseline ({worst[1]}).")


if __name__ == "__main__":
    main()
