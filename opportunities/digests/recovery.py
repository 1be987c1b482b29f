"""Missed periods and stuck digests: the digests' outbox keeps itself whole.

Beat fires each frequency's run once a period (CELERY_BEAT_SCHEDULE). If the broker or beat is
down at that moment, or the broker loses the chunk tasks, nothing would try again until the
next period. Beat's `catch_up_digests` (every minute) calls `catch_up`: for each frequency whose
moment in the current period has come, it starts the run if there is none yet, or queues again
the chunks of subscribers not served DIGEST_CATCH_UP_MINUTES after its chunks were last queued.
Nobody gets a second digest: deliveries stay claimed per (subscription, period) as before.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from celery.schedules import crontab
from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from opportunities.digests.delivery import FINAL, period_key, plan_run, subscriber_chunks
from opportunities.models import DigestDelivery, DigestRun, Frequency, Subscription

RUN_TASK = "opportunities.tasks.send_digests"


def period_start(frequency: str, when: datetime) -> datetime:
    """The first moment of the period `when` falls in (UTC, as `period_key` counts)."""
    day = when.astimezone(UTC).date()
    if frequency == Frequency.WEEKLY:
        day -= timedelta(days=day.weekday())
    elif frequency == Frequency.MONTHLY:
        day = day.replace(day=1)
    elif frequency != Frequency.DAILY:
        raise ValueError(f"unknown frequency {frequency!r}")
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def fired_at(frequency: str, now: datetime | None = None) -> datetime | None:
    """When beat's schedule starts this frequency's current period: that moment once it has
    come, None while it is still ahead (or beat has no run of this frequency)."""
    now = now or timezone.now()
    schedules = [
        entry["schedule"]
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == RUN_TASK and entry.get("kwargs", {}).get("frequency") == frequency
    ]
    if not schedules:
        return None
    start = period_start(frequency, now)
    if not isinstance(schedules[0], crontab):
        return start  # an interval: beat starts the period as soon as it begins
    last, delta, _now = schedules[0].remaining_delta(start - timedelta(microseconds=1))
    moment = last + delta
    return moment if moment <= now else None


def unserved(run: DigestRun, *, claimed_too: bool = False) -> QuerySet[Subscription]:
    """Subscribers due in this run (confirmed by its `as_of`) with no delivery row for its
    period, or (`claimed_too`) none that is final."""
    rows = DigestDelivery.objects.filter(subscription=OuterRef("pk"), period=run.period)
    if claimed_too:
        rows = rows.filter(status__in=FINAL)
    return (
        Subscription.objects.due(run.frequency)
        .filter(confirmed_at__lte=run.as_of)
        .exclude(Exists(rows))
    )


def catch_up(now: datetime | None = None) -> list[tuple[DigestRun, list[list[int]]]]:
    """The runs to start or resume now, with the chunks to queue for each (see the module)."""
    now = now or timezone.now()
    late = now - timedelta(minutes=settings.DIGEST_CATCH_UP_MINUTES)
    work = []
    for frequency in Frequency.values:
        if fired_at(frequency, now) is None:
            continue  # the period has not started: never send ahead of beat
        run = DigestRun.objects.filter(period=period_key(frequency, now)).first()
        if run is None:
            work.append(plan_run(frequency, now))  # beat's firing never reached a worker
            continue
        # Taken by one UPDATE, so that two catch-ups at once do not both queue the chunks.
        taken = (
            DigestRun.objects.filter(pk=run.pk)
            .filter(Q(dispatched_at__lt=late) | Q(dispatched_at__isnull=True, started_at__lt=late))
            .update(dispatched_at=now)
        )
        if not taken:
            continue
        chunks = subscriber_chunks(frequency, unserved(run, claimed_too=True))
        if chunks:
            DigestRun.objects.filter(pk=run.pk).update(
                chunks_total=F("chunks_total") + len(chunks), finished_at=None
            )
            work.append((run, chunks))
    return work


def current_runs_late(now: datetime | None = None) -> list[tuple[DigestRun, int]]:
    """Runs of the current periods started DIGEST_CATCH_UP_MINUTES ago or more, with how many
    of their subscribers have no delivery yet (only those that have some)."""
    now = now or timezone.now()
    late = now - timedelta(minutes=settings.DIGEST_CATCH_UP_MINUTES)
    periods = [period_key(frequency, now) for frequency in Frequency.values]
    runs = DigestRun.objects.filter(period__in=periods, started_at__lt=late)
    counted = [(run, unserved(run).count()) for run in runs]
    return [(run, count) for run, count in counted if count]


def stuck_count(now: datetime | None = None) -> int:
    """Stuck deliveries and subscribers a late run has not served (the admin index's line)."""
    late_runs = sum(count for _run, count in current_runs_late(now))
    return DigestDelivery.objects.stuck(now).count() + late_runs
