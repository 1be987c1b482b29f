"""The digests' outbox keeps itself whole: beat's catch-up starts a period whose firing never
reached a worker and queues again the chunks the broker lost, never ahead of beat's schedule and
never twice for anyone; staff see stuck digests in the admin. In this process, against real
PostgreSQL and real SMTP; the same with a real worker, broker and relay going down is in
tests/lib/test_outbox_faults.py."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from celery.schedules import crontab
from django.contrib.auth.models import Group, User
from django.db.models import F
from django.utils import timezone

from opportunities import digests
from opportunities.digests.recovery import period_start
from opportunities.models import DigestDelivery, DigestRun, Subscription, SubscriptionStatus
from tests.factories import ListingFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


def daily_at(hour: int) -> dict:
    return {
        "send-daily-digests": {
            "task": "opportunities.tasks.send_digests",
            "schedule": crontab(hour=hour, minute=0),
            "kwargs": {"frequency": "daily"},
        }
    }


@pytest.fixture
def daily_since_midnight(settings):
    """Beat starts the daily period at 00:00 UTC, so today's has always begun; no other run."""
    settings.CELERY_BEAT_SCHEDULE = daily_at(0)


def daily_subscribers(count: int) -> list[str]:
    batch = SubscriptionFactory.create_batch(count, confirmed=True, frequency="daily")
    return [s.email for s in batch]


def deliver(work) -> None:
    """What the worker does with the chunks the catch-up queues."""
    for run, chunks in work:
        for chunk in chunks:
            digests.deliver_chunk(run.pk, chunk)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("frequency", "now", "fired"),
    [
        ("daily", "2026-11-26 10:59", None),
        ("daily", "2026-11-26 11:00", "2026-11-26 11:00"),
        ("daily", "2026-11-26 23:59", "2026-11-26 11:00"),
        ("weekly", "2026-11-23 12:00", None),  # Monday: the week's digest goes out on Tuesday
        ("weekly", "2026-11-24 10:00", None),
        ("weekly", "2026-11-24 11:30", "2026-11-24 11:00"),
        ("weekly", "2026-11-29 23:00", "2026-11-24 11:00"),
        ("monthly", "2026-12-01 10:00", None),
        ("monthly", "2026-11-30 09:00", "2026-11-01 11:00"),
    ],
)
def test_a_period_has_begun_when_beat_s_schedule_says_so(frequency, now, fired):
    assert digests.fired_at(frequency, at(now)) == (at(fired) if fired else None)


def test_beat_runs_the_catch_up_every_minute(settings):
    entries = [
        e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"].endswith("catch_up_digests")
    ]
    assert [e["schedule"] for e in entries] == [60.0]


def test_a_period_whose_firing_never_reached_a_worker_is_started_once(
    states, mailbox, daily_since_midnight
):
    emails = daily_subscribers(3)
    ListingFactory(title="Grants for climate partnerships")
    deliver(digests.catch_up())
    assert sorted(m["To"] for m in mailbox.wait_for(3)) == sorted(emails)
    run = DigestRun.objects.get()
    assert run.period == digests.period_key("daily", timezone.now())

    assert digests.catch_up() == []  # started just now: nothing to do
    DigestRun.objects.update(dispatched_at=F("dispatched_at") - timedelta(days=1))
    assert digests.catch_up() == []  # long after: everyone has had theirs
    assert not mailbox.wait_for(4, timeout=1)[3:]


def test_the_catch_up_never_starts_a_period_before_beat_would(states, mailbox, settings):
    settings.CELERY_BEAT_SCHEDULE = daily_at(11)
    daily_subscribers(2)
    ListingFactory()
    early = period_start("daily", timezone.now()) + timedelta(hours=10, minutes=59)
    assert digests.catch_up(early) == []
    assert not DigestRun.objects.exists()
    assert not mailbox.wait_for(1, timeout=1)


def test_chunks_the_broker_lost_are_queued_again_only_for_those_not_served(
    states, mailbox, daily_since_midnight, settings
):
    emails = daily_subscribers(4)
    ListingFactory()
    run, [chunk] = digests.plan_run("daily")
    digests.deliver_chunk(run.pk, chunk[:2])  # the rest of the chunk was lost with Redis
    late_comer = SubscriptionFactory(confirmed=True, frequency="daily")
    Subscription.objects.filter(pk=late_comer.pk).update(confirmed_at=timezone.now())

    assert digests.catch_up() == []  # within DIGEST_CATCH_UP_MINUTES: the chunk may yet run
    DigestRun.objects.update(
        dispatched_at=F("dispatched_at") - timedelta(minutes=settings.DIGEST_CATCH_UP_MINUTES + 1)
    )
    [(again, chunks)] = digests.catch_up()
    assert again == run and chunks == [chunk[2:]]
    deliver([(again, chunks)])
    mailbox.wait_for(4)
    assert [len(mailbox.to(address)) for address in emails] == [1, 1, 1, 1]
    assert not mailbox.to(late_comer.email)  # confirmed after the run: next period's digest
    assert digests.catch_up() == []  # queued again just now


# --- Stuck digests in the admin ----------------------------------------------------------------


def staff_in(client, group: str) -> User:
    user = User.objects.create_user("staff", password="a-long-test-password", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    return user


@pytest.fixture
def deliveries(states, settings):
    """One delivery of each kind, in a weekly run that started long ago: stuck ones (failed for
    a subscriber still confirmed, claimed and never sent) and ones that are not (a bounce, a
    fresh claim, a digest sent)."""
    long_ago = timezone.now() - timedelta(minutes=settings.DIGEST_CATCH_UP_MINUTES + 5)
    run = DigestRun.objects.create(
        frequency="weekly",
        period=digests.period_key("weekly", timezone.now()),
        as_of=long_ago,
        started_at=long_ago,
    )

    def delivery(email, status, **fields):
        subscription = SubscriptionFactory(confirmed=True, email=email)
        return DigestDelivery.objects.create(
            subscription=subscription, run=run, period=run.period, status=status,
            as_of=run.as_of, **fields,
        )  # fmt: skip

    delivery("gave-up@example.gov", "failed", error="SMTPServerDisconnected: gave-up@example.gov")
    delivery("dead-worker@example.gov", "claimed", claimed_at=long_ago)
    bounced = delivery("bounced@example.gov", "failed", error="550 No such mailbox")
    Subscription.objects.filter(pk=bounced.subscription_id).update(
        status=SubscriptionStatus.BOUNCING
    )
    delivery("sending@example.gov", "claimed", claimed_at=timezone.now())
    delivery("sent@example.gov", "sent", sent_at=long_ago)
    return run


CHANGELIST = "/admin/opportunities/digestdelivery/"


def test_administrators_see_stuck_digests_with_their_addresses(client, deliveries):
    staff_in(client, "Administrator")
    page = client.get(CHANGELIST).content.decode()
    assert "2 digests are stuck" in page
    assert page.count("outbox-stuck") == 2
    stuck = client.get(CHANGELIST, {"stuck": "yes"}).content.decode()
    assert "gave-up@example.gov" in stuck and "dead-worker@example.gov" in stuck
    for other in ("bounced@", "sending@", "sent@"):
        assert other not in stuck


def test_publishers_see_stuck_digests_with_addresses_masked(client, deliveries):
    staff_in(client, "Publisher")
    stuck = client.get(CHANGELIST, {"stuck": "yes"}).content.decode()
    assert "2 digests are stuck" in stuck
    assert "g•••@example.gov" in stuck and "d•••@example.gov" in stuck
    assert "gave-up@" not in stuck and "dead-worker@" not in stuck  # nor inside the error
    index = client.get("/admin/").content.decode()
    link = r'href="/admin/opportunities/digestdelivery/\?stuck=yes">Digests: 2 stuck'
    assert re.search(link, index)


def test_curators_do_not_see_digest_deliveries(client, deliveries):
    staff_in(client, "Curator")
    assert client.get(CHANGELIST).status_code == 403
    assert "Digests:" not in client.get("/admin/").content.decode()


def test_subscribers_a_late_run_has_not_served_count_as_stuck(client, deliveries, settings):
    SubscriptionFactory(confirmed=True, email="forgotten@example.gov")  # no delivery at all
    staff_in(client, "Administrator")
    page = client.get(CHANGELIST).content.decode()
    assert f"1 subscriber of {deliveries.period} has no digest yet" in page
    assert "Digests: 3 stuck" in client.get("/admin/").content.decode()
    DigestRun.objects.update(started_at=timezone.now(), as_of=timezone.now())
    assert "Digests: 2 stuck" in client.get("/admin/").content.decode()  # still on its way


def test_the_delivery_list_takes_a_constant_number_of_queries(
    client, deliveries, django_assert_max_num_queries
):
    for n in range(30):
        subscription = SubscriptionFactory(confirmed=True)
        DigestDelivery.objects.create(
            subscription=subscription, run=deliveries, period=f"weekly:2020-W{n + 1:02d}",
            status="failed", as_of=deliveries.as_of, error="451",
        )  # fmt: skip
    staff_in(client, "Administrator")
    with django_assert_max_num_queries(25):
        assert client.get(CHANGELIST).status_code == 200


def test_a_relay_down_when_a_chunk_starts_is_retried_like_any_temporary_error(
    states, controlled_smtp
):
    emails = [s.email for s in SubscriptionFactory.create_batch(2, confirmed=True)]
    ListingFactory()
    run, [chunk] = digests.plan_run("weekly")
    controlled_smtp.go_down()
    with pytest.raises(digests.TransientMailError, match="Connection refused"):
        digests.deliver_chunk(run.pk, chunk)
    assert not DigestDelivery.objects.exists()  # nothing claimed, nothing failed
    controlled_smtp.come_back()
    digests.deliver_chunk(run.pk, chunk)  # the task's retry
    assert [controlled_smtp.count_to(a) for a in emails] == [1, 1]
