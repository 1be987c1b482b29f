"""Shared benchmark plumbing: a separate database, timing through the whole Django stack
(middleware, views, templates) with the test client, and the report format."""

from __future__ import annotations

import os
import statistics
import time

from django.db import connection, connections, reset_queries
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import path

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "60"))
BASELINE = "baseline: one-query view"


def use_bench_database() -> str:
    """Point Django at `<database>_bench` (created if missing), never the development data."""
    settings_dict = connections["default"].settings_dict
    name = f"{settings_dict['NAME']}_bench"
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    settings_dict["NAME"] = name
    return name


def baseline_view(request):
    from cities.models import State

    return HttpResponse(f"{State.objects.count()} states")


def urlpatterns_with(extra: list) -> list:
    from diplomacy import urls as site_urls

    return [path("bench/baseline/", baseline_view), *extra, *site_urls.urlpatterns]


COLD = " (cold cache)"


def measure(client: Client, url: str, cold: bool = False) -> tuple[float, float, int]:
    """p50 and p99 in ms, and SQL queries. `cold` forgets cached counts before each request,
    as after any listing changes."""
    from opportunities.search import listings_changed

    for _ in range(5):  # warm caches and connections
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    timings = []
    for _ in range(ROUNDS):
        if cold:
            listings_changed()
        start = time.perf_counter()
        client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
    reset_queries()
    if cold:
        listings_changed()
    with override_settings(DEBUG=True):
        client.get(url)
        queries = len(connection.queries)
    timings.sort()
    return statistics.median(timings), timings[max(int(len(timings) * 0.99) - 1, 0)], queries


def run_pages(
    pages: dict[str, str], urlconf: str = "bench.urls", client: Client | None = None
) -> dict[str, tuple]:
    # These benchmarks time rendering: whole pages from the page cache would hide it.
    with override_settings(
        ROOT_URLCONF=urlconf, ALLOWED_HOSTS=["testserver"], PAGE_CACHE_ENABLED=False
    ):
        client = client or Client()
        return {name: measure(client, url, cold=name.endswith(COLD)) for name, url in pages.items()}


def report(title: str, data: str, results: dict[str, tuple]) -> dict[str, float]:
    base_p99 = results[BASELINE][1]
    print(f"\n{title} — data: {data}; {ROUNDS} requests each")
    print(f"{'page':<58} {'p50 ms':>8} {'p99 ms':>8} {'p99/base':>9} {'queries':>8}")
    for name, (p50, p99, queries) in results.items():
        print(f"{name:<58} {p50:8.1f} {p99:8.1f} {p99 / base_p99:8.1f}x {queries:8d}")
    return {name: r[1] for name, r in results.items()}
