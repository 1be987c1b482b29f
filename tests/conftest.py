import importlib
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

from cities import reference
from diplomacy.celery import app as celery_app

BASE_DIR = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    # Live-server threads must not keep connections open past a test: the test database
    # could not be dropped at the end of the run.
    from django.conf import settings

    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0


def pytest_collection_modifyitems(items):
    """Run the tests that commit (live server, Celery worker) last: their database flush also
    removes the topics and staff groups that a data migration created for everyone else."""
    items.sort(key=lambda item: "transactional_db" in getattr(item, "fixturenames", ()))


def ensure_curation_data() -> None:
    """Put back the migration-made topics and staff groups after a flush (idempotent)."""
    from django.apps import apps

    migration = importlib.import_module("opportunities.migrations.0002_groups_and_topics")
    migration.create_groups(apps, None)


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache (Redis database 15), as its database is empty."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def states(db):
    """Every state, DC and territory, the regional bureaus and countries, loaded by the real
    reference loaders."""
    reference.load_states()
    reference.load_bureaus_and_countries()


def _test_database_url() -> str:
    database = settings.DATABASES["default"]
    host = quote(database["HOST"] or "", safe="")
    port = f":{database['PORT']}" if database["PORT"] else ""
    password = f":{quote(database['PASSWORD'])}" if database["PASSWORD"] else ""
    return f"postgres://{database['USER']}{password}@{host}{port}/{database['NAME']}"


@pytest.fixture
def celery_worker():
    """A real Celery worker process on the test Redis broker and the test database, stopped
    after the test. Tests that need it to see their data use `transactional_db`."""
    process = subprocess.Popen(  # noqa: S603
        [
            sys.executable, "-m", "celery", "-A", "diplomacy", "worker",
            "--pool", "solo", "--hostname", f"test-{os.getpid()}@%h",
            "--without-gossip", "--without-mingle", "--loglevel", "WARNING",
        ],
        cwd=BASE_DIR,
        env={
            **os.environ,
            "PYTEST_VERSION": os.environ.get("PYTEST_VERSION", "1"),
            "DATABASE_URL": _test_database_url(),
        },
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not celery_app.control.ping(timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("The Celery worker did not start")
        yield process
    finally:
        process.terminate()
        process.wait(timeout=20)
