"""Open data at scale: API pages and feeds against the search page and a one-query view; the
streamed CSV export of a search and the bulk downloads, in rows per second.

Goal (issue: Open data): API pages and feeds cost about what the search page costs (the same
query), whatever the page depth; exports grow with the rows they hold and nothing else.
"""

import os
import statistics
import tempfile
import time
from pathlib import Path

from django.test import Client, override_settings

from bench import generate
from bench.harness import BASELINE, ROUNDS, report, run_pages
from opportunities import exports
from opportunities.models import Listing
from opportunities.search import _encode

LISTINGS = int(os.environ.get("BENCH_LISTINGS", "100000"))
DEEP_ROW = 4000
EXPORT_ROUNDS = max(ROUNDS // 10, 3)


def _deep_cursor() -> str:
    row = (
        Listing.objects.published()
        .order_by("-published_at", "-id")
        .values_list("published_at", "id")[DEEP_ROW - 1]
    )
    return _encode([row[0].isoformat(), row[1]])


def _export_timings(url: str) -> tuple[float, int]:
    """Median seconds to stream a whole CSV export, and its rows."""
    with override_settings(ROOT_URLCONF="bench.urls", ALLOWED_HOSTS=["testserver"]):
        client = Client()
        timings, rows = [], 0
        for _ in range(EXPORT_ROUNDS):
            start = time.perf_counter()
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            rows = b"".join(response.streaming_content).count(b"\n") - 1
            timings.append(time.perf_counter() - start)
    return statistics.median(timings), rows


def main() -> None:
    generate.generate_listings(LISTINGS)
    total = Listing.objects.published().count()
    pages = {
        BASELINE: "/bench/baseline/",
        "search page /opportunities/?sort=newest": "/opportunities/?sort=newest",
        "API /api/v1/listings/?sort=newest": "/api/v1/listings/?sort=newest",
        f"API, deep page (row {DEEP_ROW:,}, cursor)": (
            f"/api/v1/listings/?sort=newest&cursor={_deep_cursor()}"
        ),
        "API, 100 per page": "/api/v1/listings/?sort=newest&page_size=100",
        f"API, common term ({generate.COMMON})": f"/api/v1/listings/?q={generate.COMMON}",
        "RSS feed, two facets": "/opportunities/feed.rss?kind=event&topic=climate",
        "iCalendar feed, two facets": "/opportunities/calendar.ics?kind=event&topic=climate",
    }
    # Throttling would answer most of these requests with 429: this measures the work.
    with override_settings(API_RATE_ANONYMOUS="1000000/minute"):
        results = report("Open data", f"{total:,} published listings", run_pages(pages))
    search_page = results["search page /opportunities/?sort=newest"]
    api = results["API /api/v1/listings/?sort=newest"]
    deep = results[f"API, deep page (row {DEEP_ROW:,}, cursor)"]

    seconds, rows = _export_timings("/opportunities/export.csv?sort=newest")
    print(
        f"\nCSV export of a search: {rows:,} rows (limit {exports.EXPORT_ROW_LIMIT:,}) in "
        f"{seconds:.2f} s median of {EXPORT_ROUNDS} = {rows / seconds:,.0f} rows/s"
    )
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        count = exports.write_bulk_downloads(Path(folder))
        bulk = time.perf_counter() - start
        sizes = {path.name: path.stat().st_size for path in Path(folder).iterdir()}
    print(
        f"Bulk downloads: {count:,} listings in {bulk:.1f} s = {count / bulk:,.0f} listings/s "
        f"(CSV {sizes['listings.csv'] / 1e6:.1f} MB, JSON {sizes['listings.json'] / 1e6:.1f} MB)"
    )
    print(
        f"Summary: the API page p99 is {api / search_page:.1f}x the search page's and its deep "
        f"page {deep / api:.1f}x its first (goal about 1x); the CSV export streams "
        f"{rows / seconds:,.0f} rows/s and the bulk files {count / bulk:,.0f} listings/s."
    )
