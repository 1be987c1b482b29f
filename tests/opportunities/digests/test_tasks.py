"""The digest chunk task run in this process with Celery's `apply()` against a loopback SMTP
server that refuses: a transient refusal asks Celery for a retry (with a doubling backoff), the
last attempt gives up and marks what is left failed, a permanent one is never retried. Eager
`apply()` runs each retry at once, ignoring the countdown. The same paths across real worker
processes, Redis and a dying worker are in test_digest_delivery.py."""

import pytest
from celery.signals import task_retry

from opportunities import digests
from opportunities.models import DigestDelivery, DigestRun, Subscription, SubscriptionStatus
from opportunities.tasks import send_digest_chunk
from tests.factories import ListingFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def retries():
    """The retries the chunk task asked Celery for, as (countdown, the error behind it) pairs."""
    requested = []

    def record(sender, reason, **kwargs):
        if sender.name == send_digest_chunk.name:
            requested.append((reason.when, repr(reason.__cause__ or reason.__context__)))

    task_retry.connect(record, weak=False)
    yield requested
    task_retry.disconnect(record)


@pytest.fixture
def chunk(states):
    """A planned weekly run with one chunk of four confirmed subscribers and one new listing."""
    emails = [s.email for s in SubscriptionFactory.create_batch(4, confirmed=True)]
    ListingFactory()
    run, [subscription_ids] = digests.plan_run("weekly")
    return run, subscription_ids, emails


def apply(run, subscription_ids, **options):
    result = send_digest_chunk.apply(args=(run.pk, subscription_ids), **options)
    assert result.successful(), result.traceback
    return result.get()


def test_a_transient_refusal_asks_for_a_retry_that_sends_the_rest(
    chunk, controlled_smtp, retries, settings
):
    settings.DIGEST_RETRY_BACKOFF = 30
    run, subscription_ids, emails = chunk
    controlled_smtp.refuse_next = 1
    assert apply(run, subscription_ids) == 4  # sent by the retry
    [(countdown, reason)] = retries
    assert countdown == 30 and reason.startswith("TransientMailError") and "451" in reason
    assert [controlled_smtp.count_to(address) for address in emails] == [1, 1, 1, 1]
    assert set(DigestDelivery.objects.values_list("status", "attempts")) == {("sent", 2)}
    assert DigestRun.objects.get(pk=run.pk).sent == 4


def test_retries_back_off_and_the_last_one_gives_up(chunk, controlled_smtp, retries, settings):
    settings.DIGEST_RETRY_BACKOFF = 10
    run, subscription_ids, emails = chunk
    controlled_smtp.refuse_next = 1000  # the relay never takes mail
    assert apply(run, subscription_ids) == 0
    assert [countdown for countdown, _ in retries] == [10, 20, 40, 80, 160, 320]
    assert len(retries) == send_digest_chunk.max_retries
    assert not controlled_smtp.messages
    deliveries = DigestDelivery.objects.all()
    assert {d.status for d in deliveries} == {"failed"} and len(deliveries) == 4
    assert all("451" in d.error for d in deliveries)
    run.refresh_from_db()
    assert (run.sent, run.failed) == (0, 4)
    # A relay that was down says nothing about the addresses: nobody is marked bouncing.
    assert set(Subscription.objects.values_list("status", flat=True)) == {"confirmed"}


def test_the_last_attempt_gives_up_without_asking_for_another(chunk, controlled_smtp, retries):
    run, subscription_ids, emails = chunk
    controlled_smtp.refuse_next = 1
    last = send_digest_chunk.max_retries
    assert apply(run, subscription_ids, retries=last) == 0
    assert retries == []
    # The refused message and the three after it were never sent; none is left claimed.
    assert not controlled_smtp.messages
    assert set(DigestDelivery.objects.values_list("status", flat=True)) == {"failed"}
    assert DigestRun.objects.get(pk=run.pk).failed == 4


def test_a_permanent_refusal_is_not_retried(chunk, controlled_smtp, retries):
    run, subscription_ids, emails = chunk
    controlled_smtp.refused.add(emails[2])
    assert apply(run, subscription_ids) == 3
    assert retries == []
    assert [controlled_smtp.count_to(address) for address in emails] == [1, 1, 0, 1]
    bounced = Subscription.objects.get(email=emails[2])
    assert bounced.status == SubscriptionStatus.BOUNCING
    assert DigestDelivery.objects.get(subscription=bounced).status == "failed"


def test_a_run_that_was_already_sent_is_not_sent_again(chunk, controlled_smtp, retries):
    run, subscription_ids, emails = chunk
    assert apply(run, subscription_ids) == 4
    assert apply(run, subscription_ids) == 0  # Celery redelivered the chunk
    assert [controlled_smtp.count_to(address) for address in emails] == [1, 1, 1, 1]
    assert retries == []
