"""`make bench`: every benchmark, on a separate `<database>_bench` database.

Usage: python -m bench [places] [listings] [open_data] [channel] [digests] [sources] [load]
[faults].
BENCH_ROUNDS
(requests per page, default 60), BENCH_LISTINGS (default 100000), BENCH_SOLUTIONS,
BENCH_PRIORITIES, BENCH_SUBSCRIBERS (default 100000) and BENCH_FEED_ITEMS (default 10000)
size the run; BENCH_LOAD_SECONDS (default 30) and BENCH_LOAD_USERS (default 20) the load and
fault runs (bench/load.py, bench/faults.py).
"""

import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "diplomacy.settings")
django.setup()

from django.core.management import call_command  # noqa: E402

from bench import harness  # noqa: E402

BENCHMARKS = (
    "places", "listings", "open_data", "channel", "digests", "sources", "load", "faults",
)  # fmt: skip


def main(names: list[str]) -> None:
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        sys.exit(f"Unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}.")
    database = harness.use_bench_database()
    print(f"Benchmark database: {database}")
    call_command("migrate", verbosity=0)
    call_command("load_places", verbosity=0)
    for name in names or BENCHMARKS:
        module = __import__(f"bench.{name}", fromlist=["main"])
        module.main()


if __name__ == "__main__":
    main(sys.argv[1:])
