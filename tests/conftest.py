import email
import email.policy
import importlib
import os
import socket
import subprocess
import sys
import threading
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
    importlib.import_module("cities.migrations.0002_ties").grant_permissions(apps, None)
    importlib.import_module("cities.migrations.0003_solutions_priorities_reach").grant_permissions(
        apps, None
    )
    importlib.import_module(
        "opportunities.migrations.0008_administrators_recover_authenticators"
    ).grant_recovery(apps, None)
    importlib.import_module("opportunities.migrations.0010_review_queue").grant_curators_deletion(
        apps, None
    )


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
            "PYTEST_VERSION": os.environ.get("PYTEST_VERSION", "1"),
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


class SMTPSink:
    """A real SMTP server on loopback (aiosmtpd) that keeps what it receives, parsed."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()
            self.envelopes.clear()

    def to(self, address: str) -> list[email.message.EmailMessage]:
        """The messages received for one address."""
        with self._lock:
            return [
                m
                for m, (_, rcpt) in zip(self.messages, self.envelopes, strict=True)
                if address in rcpt
            ]

    def wait_for(self, count: int, timeout: float = 30) -> list[email.message.EmailMessage]:
        """Wait until at least `count` messages arrived (a worker sends them), then return all."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return list(self.messages)


@pytest.fixture(scope="session", autouse=True)
def smtp_sink(django_test_environment):
    """Every test sends real mail over SMTP to this server; worker processes that the tests
    start inherit its address through the environment."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = SMTPSink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
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
    """The loopback SMTP server's messages, empty at the start of the test."""
    smtp_sink.clear()
    return smtp_sink
