import email
import email.policy
import hashlib
import importlib
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from django.conf import settings

from cities import reference
from diplomacy.celery import app as celery_app

BASE_DIR = Path(__file__).resolve().parent.parent


def _isolate_redis() -> str:
    """Give this test process its own Redis database, for the cache and the Celery broker alike:
    15 for a plain run and for xdist's first worker (gw0), 14 for gw1, and so on. A development
    worker (database 0) never answers the tests, and one xdist worker's Celery worker never takes
    another's tasks. Runs when this conftest is imported: after Django read its settings, before
    anything connected to Redis. Worker processes the tests start inherit REDIS_URL."""
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
    if worker > 14:
        raise pytest.UsageError("At most 15 xdist workers: Redis has 16 databases (0 is dev's).")
    url = urlsplit(settings.REDIS_URL)._replace(path=f"/{15 - worker}").geturl()
    settings.REDIS_URL = settings.CELERY_BROKER_URL = url
    for alias in settings.CACHES.values():  # the default cache and the page cache
        if "redis" in alias["BACKEND"].lower():
            alias["LOCATION"] = url
    celery_app.conf.broker_url = url
    os.environ["REDIS_URL"] = url
    return url


TEST_REDIS_URL = _isolate_redis()


@pytest.fixture(scope="session", autouse=True)
def isolated_redis():
    """Fail loudly if the cache or the broker was set up before _isolate_redis could move it."""
    from django.core.cache import caches

    for alias, config in settings.CACHES.items():
        if "redis" not in config["BACKEND"].lower():
            continue  # the result cards live in each process's memory
        assert caches[alias]._servers == [TEST_REDIS_URL], (alias, caches[alias]._servers)
    assert celery_app.connection_for_write().as_uri(include_password=True) == TEST_REDIS_URL
    return TEST_REDIS_URL


def _migrations_fingerprint() -> str:
    """A hash of every installed app's migration files: a template made before any of them
    changed is never used."""
    from django.apps import apps

    digest = hashlib.sha256()
    for app_config in apps.get_app_configs():
        for path in sorted(Path(app_config.path).glob("migrations/*.py")):
            digest.update(f"{app_config.label}/{path.name}".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@pytest.fixture(scope="session")
def django_db_setup(
    request, django_test_environment, django_db_blocker, django_db_modify_db_settings
):
    """pytest-django's test database set-up, from a migrated template: the first process to need
    the template migrates its test database and copies it (`CREATE DATABASE … TEMPLATE`); every
    later one, in this run (the other xdist worker) or a later one, copies the template instead of
    migrating. The template's name holds a hash of the migrations, so it is rebuilt whenever one
    changes, and a clean clone (a new server) builds its own. A lock on the server keeps two
    processes from building or copying at once. The test database is dropped at the end."""
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases
    from pytest_django.fixtures import _get_databases_for_setup

    settings_dict = connection.settings_dict
    test_name = settings_dict["TEST"].get("NAME") or f"test_{settings_dict['NAME']}"
    prefix = f"test_{settings_dict['NAME']}_template_"
    template = prefix + _migrations_fingerprint()
    aliases, serialized_aliases = _get_databases_for_setup(request.session.items)
    verbosity = request.config.option.verbose
    quote = connection.ops.quote_name
    with django_db_blocker.unblock(), connection._nodb_cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(hashtext(%s))", [prefix])
        try:
            cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [prefix + "%"])
            templates = {name for (name,) in cursor.fetchall()}
            cursor.execute(f"DROP DATABASE IF EXISTS {quote(test_name)}")  # a crashed run's
            if template in templates:
                cursor.execute(f"CREATE DATABASE {quote(test_name)} TEMPLATE {quote(template)}")
            db_cfg = setup_databases(  # with keepdb, a copied database only checks its migrations
                verbosity=verbosity,
                interactive=False,
                aliases=aliases,
                serialized_aliases=serialized_aliases,
                keepdb=True,
            )
            if template not in templates:
                connection.close()  # a template's source must have no one connected to it
                cursor.execute(f"CREATE DATABASE {quote(template)} TEMPLATE {quote(test_name)}")
                for outdated in templates:
                    cursor.execute(f"DROP DATABASE IF EXISTS {quote(outdated)}")
        finally:
            cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [prefix])
    yield
    with django_db_blocker.unblock():
        teardown_databases(db_cfg, verbosity=verbosity)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    # Live-server threads must not keep connections open past a test: the test database
    # could not be dropped at the end of the run.
    from django.conf import settings

    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0


def pytest_collection_modifyitems(items):
    """Run the tests that commit (live server, Celery worker) last: their database flush also
    removes the topics and staff groups that a data migration created for everyone else. Of
    those, the browser tests come last, so that the worker tests, which mostly wait, start
    early and overlap with other tests when xdist runs the suite in several processes."""

    def order(item) -> tuple[bool, bool]:
        names = getattr(item, "fixturenames", ())
        browser = "live_server" in names  # pytest-django makes these transactional too
        return browser or "transactional_db" in names, browser

    items.sort(key=order)


def ensure_curation_data() -> None:
    """Put back the migration-made topics, staff groups and sources after a flush
    (idempotent)."""
    from django.apps import apps

    migration = importlib.import_module("opportunities.migrations.0002_groups_and_topics")
    migration.create_groups(apps, None)
    importlib.import_module("cities.migrations.0002_ties").grant_permissions(apps, None)
    importlib.import_module("cities.migrations.0003_solutions_priorities_reach").grant_permissions(
        apps, None
    )
    importlib.import_module(
        "opportunities.migrations.0008_administrators_recover_authenticators"
    ).grant_recovery(apps, None)
    sources = importlib.import_module("opportunities.migrations.0010_sources")
    sources.grant_permissions(apps, None)
    sources.create_sources(apps, None)
    importlib.import_module("opportunities.migrations.0012_review_queue").grant_curators_deletion(
        apps, None
    )
    importlib.import_module(
        "lib.outbox.migrations.0002_administrators_see_outgoing_mail"
    ).grant_administrators(apps, None)
    importlib.import_module(
        "opportunities.migrations.0017_topic_names_in_spanish"
    ).name_topics_in_spanish(apps, None)


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache (its own Redis database), as its database is empty."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def english_to_start():
    """Each test starts in English: a request under /es/ leaves Spanish active in the thread
    (LocaleMiddleware activates, nothing deactivates), which would change what the next test's
    reverse() and translated fields give."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture(scope="session")
def reference_rows(django_db_setup, django_db_blocker) -> dict:
    """The rows the real reference loaders write (every state, DC and territory, the regional
    bureaus, the countries), loaded once per session in a transaction that is rolled back."""
    from django.db import transaction

    from cities.models import Bureau, Country, State

    with django_db_blocker.unblock(), transaction.atomic():
        reference.load_states()
        reference.load_bureaus_and_countries()
        # Every column by name: modeltranslation's values() leaves out the language columns.
        rows = {
            model: list(model.objects.values(*[f.attname for f in model._meta.concrete_fields]))
            for model in (State, Bureau, Country)
        }
        transaction.set_rollback(True)
    return rows


@pytest.fixture
def states(db, reference_rows):
    """Every state, DC and territory, the regional bureaus and countries, as the real reference
    loaders wrote them: their rows copied in with three INSERTs instead of some 130 queries."""
    from django.core.management.color import no_style
    from django.db import connection

    for model, rows in reference_rows.items():
        model.objects.bulk_create([model(**row) for row in rows], ignore_conflicts=True)
    with connection.cursor() as cursor:  # later inserts must not reuse the copied IDs
        for sql in connection.ops.sequence_reset_sql(no_style(), list(reference_rows)):
            cursor.execute(sql)


def _test_database_url() -> str:
    database = settings.DATABASES["default"]
    host = quote(database["HOST"] or "", safe="")
    port = f":{database['PORT']}" if database["PORT"] else ""
    password = f":{quote(database['PASSWORD'])}" if database["PASSWORD"] else ""
    return f"postgres://{database['USER']}{password}@{host}{port}/{database['NAME']}"


def start_celery_worker(name: str, **env: str) -> subprocess.Popen:
    """A real Celery worker process (solo pool) on the test database; `env` adds to or
    overrides the environment (another broker, another SMTP server, shorter timeouts)."""
    return subprocess.Popen(  # noqa: S603
        [
            sys.executable, "-m", "celery", "-A", "diplomacy", "worker",
            "--pool", "solo", "--hostname", f"{name}-{os.getpid()}@%h",
            "--without-gossip", "--without-mingle", "--loglevel", "WARNING",
        ],
        cwd=BASE_DIR,
        env={
            **os.environ,
            "DATABASE_URL": _test_database_url(),
            **env,
        },
    )  # fmt: skip


@pytest.fixture
def celery_worker():
    """A real Celery worker process on the test Redis broker and the test database, stopped
    after the test. Tests that need it to see their data use `transactional_db`."""
    process = start_celery_worker("test")
    try:
        deadline = time.monotonic() + 30
        while not celery_app.control.ping(timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("The Celery worker did not start")
        yield process
    finally:
        process.terminate()
        process.wait(timeout=20)


def deliver_outbox() -> None:
    """Send the outbox's due mail from this process, as the worker's task or beat's sweep
    would (lib/outbox/sending.py, over real SMTP). Tests without database access have none."""
    from lib.outbox import sending

    try:
        sending.send_due()
    except RuntimeError as error:
        if "Database access not allowed" not in str(error):
            raise


class _SinkHandler:
    """aiosmtpd's hooks for an SMTPSink (aiosmtpd reads every attribute of its handler, so
    the sink's reading properties live apart)."""

    def __init__(self, sink: "SMTPSink"):
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.sink._lock:
            self.sink._messages.append(message)
            self.sink._envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


class SMTPSink:
    """A real SMTP server on loopback (aiosmtpd) that keeps what it receives, parsed.

    With `deliver_outbox` set, reading it first sends what waits in the outbox (mail is
    written to the outbox in a request's transaction and sent afterwards by the worker; in
    tests that roll back, no commit ever asks the worker, so the reader plays its part)."""

    def __init__(self):
        self._messages: list[email.message.EmailMessage] = []
        self._envelopes: list[tuple[str, list[str]]] = []
        self._lock = threading.Lock()
        self.deliver_outbox = False
        self.handler = _SinkHandler(self)

    def _deliver(self) -> None:
        if self.deliver_outbox:
            deliver_outbox()

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        self._deliver()
        return self._messages

    @property
    def envelopes(self) -> list[tuple[str, list[str]]]:
        self._deliver()
        return self._envelopes

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()
            self._envelopes.clear()

    def to(self, address: str) -> list[email.message.EmailMessage]:
        """The messages received for one address."""
        self._deliver()
        with self._lock:
            return [
                m
                for m, (_, rcpt) in zip(self._messages, self._envelopes, strict=True)
                if address in rcpt
            ]

    def wait_for(self, count: int, timeout: float = 30) -> list[email.message.EmailMessage]:
        """Wait until at least `count` messages arrived (a worker sends them), then return all."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return list(self._messages)


@pytest.fixture(scope="session", autouse=True)
def smtp_sink(django_test_environment):
    """Every test sends real mail over SMTP to this server; worker processes that the tests
    start inherit its address through the environment."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = SMTPSink()
    controller = Controller(sink.handler, hostname="127.0.0.1", port=port)
    controller.start()
    # pytest-django swaps in the in-memory backend; the portal's own (SMTP) is what we test.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    os.environ.update(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(port), EMAIL_HOST_USER="")
    yield sink
    controller.stop()


@pytest.fixture
def mailbox(smtp_sink):
    """The loopback SMTP server's messages, empty at the start of the test; reading them sends
    what waits in the outbox first (see SMTPSink)."""
    smtp_sink.clear()
    smtp_sink.deliver_outbox = True
    yield smtp_sink
    smtp_sink.deliver_outbox = False
