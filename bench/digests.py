"""Email digests at scale: a full weekly run by a real Celery worker to a local SMTP sink.

Data: BENCH_SUBSCRIBERS confirmed subscribers (default 100,000) whose preferences are drawn
from BENCH_PREFERENCE_SETS distinct sets (default 1,000: topics, regions, kinds, role, some
with a state or a city), and 2,000 listings published since their last digest.

Baseline (the ceiling): the same number of pre-rendered messages, sent with plain smtplib over
one connection to the same sink in the same run. Goal (issue: Email digests): at least half
the ceiling, with the worker's memory flat as subscribers go by.
"""

from __future__ import annotations

import os
import random
import secrets
import smtplib
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit

from celery import Celery
from django.conf import settings
from django.db import connection
from django.utils import timezone
from tqdm import tqdm

from bench import generate
from cities.models import Bureau, Place
from opportunities import digests
from opportunities.models import (
    DigestDelivery,
    DigestRun,
    Kind,
    Listing,
    Role,
    Subscription,
    Topic,
)

SUBSCRIBERS = int(os.environ.get("BENCH_SUBSCRIBERS", "100000"))
# Worker processes: 1 is the solo pool; more is the prefork pool, as deployed (the Procfile's
# `--concurrency ${CELERY_CONCURRENCY:-2}`).
WORKER_PROCESSES = int(os.environ.get("BENCH_WORKER_PROCESSES", "1"))
PREFERENCE_SETS = int(os.environ.get("BENCH_PREFERENCE_SETS", "1000"))
NEW_LISTINGS = 2000
DOMAIN = "bench.example.gov"
BASE_DIR = Path(__file__).resolve().parent.parent
POOL = (
    ["--pool", "solo"]
    if WORKER_PROCESSES == 1
    else ["--pool", "prefork", "--concurrency", str(WORKER_PROCESSES)]
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _copy(table: str, columns: list[str], rows) -> None:
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def reset() -> None:
    """Forget the previous run's subscribers, runs and new listings (the bench database is the
    benchmarks' own)."""
    tables = [
        model._meta.db_table
        for model in (Subscription, Subscription.topics.through, Subscription.bureaus.through,
                      DigestRun, DigestDelivery)
    ]  # fmt: skip
    listings = f"SELECT id FROM {Listing._meta.db_table} WHERE slug LIKE 'digest-bench-%%'"
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
        for through in (Listing.topics.through, Listing.bureaus.through):
            cursor.execute(f"DELETE FROM {through._meta.db_table} WHERE listing_id IN ({listings})")
        cursor.execute(f"DELETE FROM {Listing._meta.db_table} WHERE id IN ({listings})")


def new_listings(now, rng: random.Random) -> None:
    """NEW_LISTINGS published listings, all within the last hour."""
    topics = list(Topic.objects.values_list("id", flat=True))
    bureaus = list(Bureau.objects.values_list("id", flat=True))
    rows = []
    for n in range(NEW_LISTINGS):
        title, summary, _body = generate._text(rng, n)
        published = now - timedelta(seconds=rng.randint(1, 3600))
        deadline = now + timedelta(days=rng.randint(3, 200)) if rng.random() < 0.9 else None
        rows.append((
            title, f"digest-bench-{n}", rng.choice(Kind.values), "published", summary, "",
            "U.S. Department of State", rng.random() < 0.1, "{}", "{}", False, "{}", False,
            False, "in_person", "", deadline, "America/New_York", "",
            f"https://example.gov/digest-bench/{n}", "", published, published, published,
            None, None, "", "{}", "", "confirmed" if deadline else "rolling", title, summary,
        ))  # fmt: skip
    # The English columns too: a raw COPY bypasses modeltranslation.
    columns = [*generate.COLUMNS, *generate.REQUIRED_COLUMNS, "title_en", "summary_en"]
    _copy(Listing._meta.db_table, columns, rows)
    ids = list(
        Listing.objects.filter(slug__startswith="digest-bench-").values_list("id", flat=True)
    )
    _copy(
        Listing.topics.through._meta.db_table,
        ["listing_id", "topic_id"],
        ((i, t) for i in ids for t in rng.sample(topics, rng.randint(1, 3))),
    )
    _copy(
        Listing.bureaus.through._meta.db_table,
        ["listing_id", "bureau_id"],
        ((i, rng.choice(bureaus)) for i in ids),
    )


def subscribers(now, rng: random.Random) -> None:
    """SUBSCRIBERS confirmed weekly subscribers whose last digest was two hours ago."""
    topics = list(Topic.objects.values_list("id", flat=True))
    bureaus = list(Bureau.objects.values_list("id", flat=True))
    places = list(Place.objects.values_list("id", "state_id")[:2000])
    pool = []
    for _ in range(PREFERENCE_SETS):
        place_id, state_id = rng.choice(places) if places and rng.random() < 0.3 else (None, None)
        if place_id and rng.random() < 0.5:
            place_id = None  # the state only
        pool.append((
            rng.choice(Role.values), rng.sample(topics, rng.randint(1, 3)),
            rng.sample(bureaus, rng.randint(0, 2)), rng.sample(Kind.values, rng.randint(0, 3)),
            state_id, place_id,
        ))  # fmt: skip
    last = now - timedelta(hours=2)
    choices = [rng.randrange(len(pool)) for _ in range(SUBSCRIBERS)]
    columns = [
        "email", "role", "state_id", "place_id", "kinds", "frequency", "status", "language",
        "created_at", "updated_at", "confirmed_at", "last_digest_at", "link_version",
    ]  # fmt: skip
    _copy(
        Subscription._meta.db_table,
        columns,
        (
            (
                f"reader{n}@{DOMAIN}",
                pool[c][0],
                pool[c][4],
                pool[c][5],
                "{" + ",".join(pool[c][3]) + "}",
                "weekly",
                "confirmed",
                "es" if n % 5 == 0 else "en",
                last,
                last,
                last,
                last,
                0,
            )
            for n, c in enumerate(tqdm(choices, desc="Generating subscribers", unit="subscriber"))
        ),  # fmt: skip
    )
    ids = Subscription.objects.filter(email__endswith="@" + DOMAIN).values_list("id", "email")
    by_email = {email: pk for pk, email in ids}
    preferences = [(by_email[f"reader{n}@{DOMAIN}"], pool[c]) for n, c in enumerate(choices)]
    _copy(
        Subscription.topics.through._meta.db_table,
        ["subscription_id", "topic_id"],
        ((pk, t) for pk, p in preferences for t in p[1]),
    )
    _copy(
        Subscription.bureaus.through._meta.db_table,
        ["subscription_id", "bureau_id"],
        ((pk, b) for pk, p in preferences for b in p[2]),
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Subscription._meta.db_table}")
        cursor.execute(f"ANALYZE {Listing._meta.db_table}")


def _database_url() -> str:
    db = connection.settings_dict
    host = quote(db["HOST"] or "", safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{host}{port}/{db['NAME']}"


def _rss_kib(pid: int) -> tuple[int, int]:
    """Current and peak resident memory of the process that sends (of the largest child when
    the worker runs a prefork pool), in KiB."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    sizes = []
    for process in children or [pid]:
        try:
            status = Path(f"/proc/{process}/status").read_text()
        except FileNotFoundError:  # a child that just exited
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines())
        sizes.append((int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])))
    return max(rss for rss, _peak in sizes), max(peak for _rss, peak in sizes)


def run_worker(sink_port: int, broker_url: str) -> tuple[float, int, list[tuple[int, int]]]:
    """A full weekly run by one worker (solo pool, or prefork with WORKER_PROCESSES): seconds,
    messages sent, and the sending process's memory (current KiB) sampled as the run goes."""
    env = {
        **os.environ,
        # Production settings: no query log kept in memory.
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "localhost",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": broker_url,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(sink_port),
    }
    worker = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "celery", "-A", "diplomacy", "worker", *POOL,
         "--hostname", f"bench-{os.getpid()}@%h", "--without-gossip", "--without-mingle",
         "--loglevel", "WARNING"],
        cwd=BASE_DIR, env=env,
    )  # fmt: skip
    app = Celery(broker=broker_url, set_as_current=False)
    try:
        while not app.control.ping(timeout=0.5):
            if worker.poll() is not None:
                sys.exit("bench: the worker did not start")
        start = time.perf_counter()
        app.send_task("opportunities.tasks.send_digests", kwargs={"frequency": "weekly"})
        samples = []
        with tqdm(
            total=SUBSCRIBERS, desc="Digest run", unit="subscriber", mininterval=5
        ) as progress:
            while True:
                time.sleep(0.5)
                run = DigestRun.objects.first()
                done = DigestDelivery.objects.count()
                progress.update(done - progress.n)
                samples.append((done, _rss_kib(worker.pid)[0]))
                if run and run.finished_at:
                    break
        elapsed = time.perf_counter() - start
        peak = _rss_kib(worker.pid)[1]
        samples.append((DigestDelivery.objects.count(), peak))
        return elapsed, DigestRun.objects.get().sent, samples
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def run_ceiling(sink_port: int, messages: list[bytes], count: int) -> float:
    """Seconds to send `count` pre-rendered messages with plain smtplib, one connection."""
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", sink_port) as smtp:
        for n in tqdm(range(count), desc="smtplib ceiling", unit="message", mininterval=5):
            smtp.sendmail("noreply@localhost", [f"reader{n}@{DOMAIN}"], messages[n % len(messages)])
    return time.perf_counter() - start


def sample_messages(now) -> list[bytes]:
    """Real digests of a few subscribers, rendered once, for the ceiling to send."""
    subscriptions = list(
        digests.with_preferences(Subscription.objects.filter(email__endswith="@" + DOMAIN))[:50]
    )
    built = digests.build_digests(subscriptions, now)
    return [
        digests.digest_message(d).message().as_bytes(linesep="\r\n")
        for d in built.values()
        if not d.is_empty
    ]


def main() -> None:
    rng = random.Random(11)
    now = timezone.now()
    reset()
    new_listings(now, rng)
    subscribers(now, rng)
    sink_port = _free_port()
    sink = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{sink_port}",
         "-c", "aiosmtpd.handlers.Sink"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    # A Redis database of its own, so that no development worker takes the bench's tasks.
    broker_url = urlsplit(settings.REDIS_URL)._replace(path="/14").geturl()
    messages = sample_messages(now)  # before the run moves everyone's last digest
    try:
        time.sleep(1)
        elapsed, sent, samples = run_worker(sink_port, broker_url)
        ceiling = run_ceiling(sink_port, messages, sent)
    finally:
        sink.terminate()
        sink.wait(timeout=10)
    rate, ceiling_rate = sent / elapsed, sent / ceiling
    size = sum(map(len, messages)) / len(messages) / 1024
    tenth = next((kib for done, kib in samples if done >= SUBSCRIBERS // 10), samples[0][1])
    print(
        f"\nDigests — data: {SUBSCRIBERS:,} confirmed subscribers ({PREFERENCE_SETS:,} distinct "
        f"preference sets), {NEW_LISTINGS:,} new listings among "
        f"{Listing.objects.published().count():,} published; chunks of "
        f"{settings.DIGEST_CHUNK_SIZE}, "
        + (
            "one worker process (solo pool)"
            if WORKER_PROCESSES == 1
            else f"{WORKER_PROCESSES} worker processes (prefork pool)"
        )
    )
    print(f"{'':<44} {'messages':>9} {'seconds':>8} {'msg/s':>8} {'ratio':>7}")
    print(f"{'baseline: smtplib, pre-rendered (ceiling)':<44} {sent:9,} {ceiling:8.1f} "
          f"{ceiling_rate:8.0f} {1:6.2f}x")  # fmt: skip
    print(f"{'full run: Celery worker, match + render':<44} {sent:9,} {elapsed:8.1f} "
          f"{rate:8.0f} {rate / ceiling_rate:6.2f}x")  # fmt: skip
    print(
        f"Average message {size:.0f} KiB. Worker memory (per sending process): "
        f"{tenth / 1024:.0f} MiB after 10% of subscribers, "
        f"{samples[-2][1] / 1024:.0f} MiB at the end, peak {samples[-1][1] / 1024:.0f} MiB. "
        "Goal: ratio at least 0.5x, memory flat."
    )
