"""`python -m bench sources`: how fast a source syncs, against a plain bulk INSERT of the same
rows measured in the same run.

A local HTTP server serves a recorded RSS feed of BENCH_FEED_ITEMS items (default 10,000) in the
shape of tests/opportunities/sources/fixtures/news.rss. Timed, each on an empty slate of the
bench source's listings:

- baseline: the same listings, already built in memory, written by one prepared INSERT run
  with psycopg's `executemany` (and, for comparison, Django's `bulk_create`, 500 rows a
  statement): no HTTP, no parsing, no history, no topics;
- first run: `sync_source` — fetch, parse (feedparser), map, validate, insert the listings with
  their history entries and topics, in one transaction;
- rerun, same bytes: the feed answers with the bytes it answered before (no ETag), so the sync
  recognises them and only marks the listings checked;
- rerun, same entries, new build date: the channel's lastBuildDate moved (as real feeds do on
  every request), so the feed is read again, each entry fingerprinted and found unchanged —
  nothing is written but "last checked".

Goals: first run ≥ 0.3× the baseline's items per second; a no-change rerun ≥ 5× faster than
the first run.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.conf import settings
from django.db import connection, transaction
from django.db.models import JSONField
from django.utils import timezone
from psycopg.types.json import Jsonb

from opportunities.models import Listing, RunStatus, Source, SourceKind, Status
from opportunities.sources import feeds
from opportunities.sources.http import Client
from opportunities.sources.items import UPSTREAM_FIELDS
from opportunities.sources.syncing import sync_source

ITEMS = int(os.environ.get("BENCH_FEED_ITEMS", "10000"))
NAME = "Bench feed"


def feed(items: int, built: datetime) -> bytes:
    published = format_datetime(datetime(2026, 11, 1, tzinfo=UTC), usegmt=True)
    entries = "".join(
        f"<item><title>Program {n}: city exchange on clean water</title>"
        f"<link>https://programs.example.org/p/{n}</link><guid>urn:program:{n}</guid>"
        f"<pubDate>{published}</pubDate><category>climate</category>"
        f"<description>&lt;p&gt;Cities share what works on water and waste, round {n}."
        "&lt;/p&gt;</description></item>"
        for n in range(items)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        "<title>Program Office</title><link>https://programs.example.org</link>"
        f"<description>All programs</description>"
        f"<lastBuildDate>{format_datetime(built, usegmt=True)}</lastBuildDate>"
        f"{entries}</channel></rss>"
    ).encode()


class FeedServer:
    def __init__(self):
        self.body = b""
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(len(outer.body)))
                self.end_headers()
                self.wfile.write(outer.body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/feed.rss"

    def stop(self):
        self.server.shutdown()


def clear(source: Source | None) -> None:
    if source is None:
        return
    with transaction.atomic():
        Listing.history.filter(source_id=source.pk).delete()
        Listing.objects.filter(source=source).delete()


def baselines(source: Source) -> tuple[float, float]:
    """The same rows, built first, then written by a plain bulk INSERT: Django's `bulk_create`
    (500 rows a statement), and psycopg's `executemany` of one prepared INSERT."""
    fetched = feeds.fetch(source, Client(interval=0), conditional=False)
    now = timezone.now()
    rows = [
        Listing(
            **{name: item.fields[name] for name in UPSTREAM_FIELDS},
            kind="event",
            slug=f"bench-baseline-{n}",
            status=Status.DRAFT,
            external_id=item.external_id,
            source=source,
            created_at=now,
            updated_at=now,
        )
        for n, item in enumerate(fetched.items)
    ]
    started = time.perf_counter()
    with transaction.atomic():
        Listing.objects.bulk_create(rows, batch_size=500)
    orm = time.perf_counter() - started
    Listing.objects.filter(source=source).delete()
    fields = [f for f in Listing._meta.concrete_fields if f.attname != "id" and not f.generated]
    values = [
        [
            Jsonb(v) if isinstance(f, JSONField) else v
            for f in fields
            for v in [getattr(r, f.attname)]
        ]
        for r in rows
    ]
    columns = ", ".join(f.column for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {Listing._meta.db_table} ({columns}) VALUES ({marks})", values
        )
    plain = time.perf_counter() - started
    Listing.objects.filter(source=source).delete()
    return orm, plain


def timed_sync(source: Source) -> tuple[float, object]:
    source.refresh_from_db()
    started = time.perf_counter()
    run = sync_source(source)
    seconds = time.perf_counter() - started
    assert run.status == RunStatus.SUCCEEDED, run.error
    return seconds, run


def main() -> None:
    settings.SOURCES_REQUEST_INTERVAL = 0
    server = FeedServer()
    server.body = feed(ITEMS, datetime(2026, 11, 20, tzinfo=UTC))
    clear(Source.objects.filter(name=NAME).first())
    source, _ = Source.objects.update_or_create(
        name=NAME,
        defaults={
            "kind": SourceKind.FEED,
            "endpoint": server.url,
            "enabled": False,
            "mapping": {"kind": "exchange", "topics": ["climate", "water-and-sanitation"]},
            "etag": "",
            "last_modified": "",
            "content_digest": "",
        },
    )
    try:
        orm, base = baselines(source)
        first, run = timed_sync(source)
        assert run.new == ITEMS, run.summary()
        same_bytes, run = timed_sync(source)
        assert run.new == run.changed == 0, run.summary()
        server.body = feed(ITEMS, datetime(2026, 11, 21, tzinfo=UTC))
        same_items, run = timed_sync(source)
        assert run.new == run.changed == 0 and run.seen == ITEMS, run.summary()
    finally:
        clear(source)
        source.delete()
        server.stop()
    size = len(server.body)
    print(f"\nSources — data: an RSS feed of {ITEMS:,} items, {size / 1e6:.1f} MB, over local HTTP")
    print(f"{'':<52} {'seconds':>8} {'items/s':>9} {'vs base / vs first run':>24}")
    rows = [
        ("baseline: executemany of one INSERT, same rows", base, "1.00x base"),
        ("(Django bulk_create of the same rows)", orm, f"{base / orm:.2f}x base"),
        ("first run: fetch, parse, map, insert + history", first, f"{base / first:.2f}x base"),
        ("rerun, same bytes (recognised, not parsed)", same_bytes, f"{first / same_bytes:.1f}x"),
        (
            "rerun, same entries, new build date",
            same_items,
            f"{first / same_items:.1f}x",
        ),
    ]
    for name, seconds, ratio in rows:
        print(f"{name:<52} {seconds:8.2f} {ITEMS / seconds:9,.0f} {ratio:>24}")
    print("goals: first run >= 0.30x base; a no-change rerun >= 5x faster than the first run")
