"""Locust users for `python -m bench load` and `faults` (run by them as a subprocess, headless).

Each user requests the pages of the workload in BENCH_LOAD_URLS (a JSON list of
[label, path, weight]) as fast as the server answers, as a first-time anonymous visitor (no
cookies kept, so a remembered place never redirects). Every request is written to
BENCH_REQUEST_LOG (start time, duration in ms, status, label) for the bench to summarise.
Never imported by the portal: Locust patches the standard library with gevent.
"""

import json
import os
import random

from locust import FastHttpUser, constant, events, task

with open(os.environ["BENCH_LOAD_URLS"]) as urls_file:
    WORKLOAD = json.load(urls_file)
LABELS = [label for label, _path, _weight in WORKLOAD]
PATHS = [path for _label, path, _weight in WORKLOAD]
WEIGHTS = [weight for _label, _path, weight in WORKLOAD]

_log = open(os.environ["BENCH_REQUEST_LOG"], "w", buffering=1 << 20)  # noqa: SIM115


@events.request.add_listener
def record(name, response_time, response, exception, start_time, **_kwargs):
    status = getattr(response, "status_code", 0) or 0
    if exception is not None and not status:
        status = 0
    _log.write(f"{start_time:.4f}\t{response_time:.2f}\t{status}\t{name}\n")


@events.quitting.add_listener
def close_log(**_kwargs):
    _log.close()


class Visitor(FastHttpUser):
    wait_time = constant(0)
    # A request that takes longer than this counts as failed (status 0), as a browser gives up.
    network_timeout = 30.0
    connection_timeout = 10.0

    @task
    def visit(self):
        index = random.choices(range(len(PATHS)), weights=WEIGHTS)[0]
        self.client.cookiejar.clear()
        self.client.get(PATHS[index], name=LABELS[index])
