"""Delivery: each subscriber gets each period's digest exactly once.

A `DigestDelivery` row with a unique (subscription, period) key is claimed by one INSERT … ON
CONFLICT before the message is handed to SMTP and marked sent right after; a redelivered task
finds it sent and skips it. A claim left behind by a worker that died is taken over once it is
older than DIGEST_CLAIM_TIMEOUT seconds. A run lists subscribers ordered by preference set, so
a chunk holds few distinct sets to match.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import connection as db
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from opportunities.digests.matching import Digest, build_digests, with_preferences
from opportunities.digests.rendering import WORKER_FRAGMENTS, digest_parts, django_message
from opportunities.digests.wire import can_send_directly, send_wire_message, wire_message
from opportunities.models import (
    DeliveryStatus,
    DigestDelivery,
    DigestRun,
    Frequency,
    Subscription,
    SubscriptionStatus,
)


class TransientMailError(Exception):
    """The SMTP relay could not take a message now (4xx, timeout, dropped connection)."""


def period_key(frequency: str, when: datetime) -> str:
    """The period a moment falls in: `daily:2026-11-25`, `weekly:2026-W48`, `monthly:2026-11`."""
    day = when.astimezone(UTC).date()
    if frequency == Frequency.DAILY:
        return f"daily:{day.isoformat()}"
    if frequency == Frequency.WEEKLY:
        year, week, _weekday = day.isocalendar()
        return f"weekly:{year}-W{week:02d}"
    if frequency == Frequency.MONTHLY:
        return f"monthly:{day:%Y-%m}"
    raise ValueError(f"unknown frequency {frequency!r}")


def plan_run(frequency: str, now: datetime | None = None) -> tuple[DigestRun, list[list[int]]]:
    """The run of this frequency's current period (created once) and its subscriber chunks.

    Firing the same period twice gives the same run and the same `as_of`; the chunks list
    everyone due now, and those already served are skipped when the chunks are delivered.
    """
    if frequency not in Frequency.values:
        raise ValueError(f"unknown frequency {frequency!r}")
    now = now or timezone.now()
    run, _created = DigestRun.objects.get_or_create(
        period=period_key(frequency, now),
        defaults={"frequency": frequency, "as_of": now, "started_at": now},
    )
    chunks = subscriber_chunks(frequency)
    ids_count = sum(len(chunk) for chunk in chunks)
    DigestRun.objects.filter(pk=run.pk).update(
        subscribers=ids_count,
        chunks_total=F("chunks_total") + len(chunks),
        finished_at=None,
        dispatched_at=now,
    )
    return run, chunks


def subscriber_chunks(frequency: str, subscriptions=None) -> list[list[int]]:
    """IDs of the subscribers due (of `subscriptions` when given), ordered by preference set
    (so that each chunk holds few distinct sets to match), in chunks of DIGEST_CHUNK_SIZE."""
    if subscriptions is None:
        subscriptions = Subscription.objects.due(frequency)
    ids = list(
        with_preferences(subscriptions)
        .order_by("topic_ids", "bureau_ids", "kinds", "role", "place_id", "state_id", "id")
        .values_list("pk", flat=True)
    )
    size = settings.DIGEST_CHUNK_SIZE
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def count_digests(frequency: str, subscription_ids: list[int], as_of: datetime) -> int:
    """How many of these subscribers would get a digest now (dry runs); nothing is recorded."""
    subscriptions = list(
        with_preferences(Subscription.objects.due(frequency).filter(pk__in=subscription_ids))
    )
    return sum(not d.is_empty for d in build_digests(subscriptions, as_of).values())


@dataclass
class ChunkResult:
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    empty: int = 0


FINAL = {DeliveryStatus.SENT, DeliveryStatus.SKIPPED, DeliveryStatus.FAILED}


def deliver_chunk(run_id: int, subscription_ids: list[int]) -> ChunkResult:
    """Send the digests of one chunk of subscribers, each at most once for the run's period.

    Raises TransientMailError when the relay cannot take mail now; the claim of that message is
    released, so the retried task sends what is left.
    """
    run = DigestRun.objects.get(pk=run_id)
    result = ChunkResult()
    done = set(
        DigestDelivery.objects.filter(
            period=run.period, subscription__in=subscription_ids, status__in=FINAL
        ).values_list("subscription_id", flat=True)
    )
    subscriptions = list(
        with_preferences(
            Subscription.objects.due(run.frequency)
            .filter(pk__in=subscription_ids)
            .exclude(pk__in=done)
        )
    )
    result.skipped = len(subscription_ids) - len(subscriptions)
    built = build_digests(subscriptions, run.as_of)
    empty = [d for d in built.values() if d.is_empty]
    result.empty = len(empty)
    DigestDelivery.objects.bulk_create(
        [
            DigestDelivery(
                subscription_id=d.subscription.pk,
                run=run,
                period=run.period,
                status=DeliveryStatus.SKIPPED,
                as_of=run.as_of,
                error="nothing new",
            )
            for d in empty
        ],
        ignore_conflicts=True,
    )
    pending = [d for d in built.values() if not d.is_empty]
    connection = get_connection()
    try:
        if pending:
            _open(connection)
        for start in range(0, len(pending), CLAIM_BATCH):
            batch = pending[start : start + CLAIM_BATCH]
            claims = _claim(run, batch)
            result.skipped += len(batch) - len(claims)  # sent, or being sent elsewhere now
            _send_claimed(batch, claims, connection, result)
    finally:
        connection.close()
        _refresh_counts(run)
    return result


def _open(connection) -> None:
    """One connection for the chunk (send_messages alone opens one each). A relay that cannot
    be reached is a transient error like any other: the task is retried, nothing is claimed."""
    try:
        connection.open()
    except (smtplib.SMTPException, OSError) as error:
        raise TransientMailError(_describe(error)) from error


# Claims are taken a few dozen at a time (one durable commit each) and must not go stale while
# their batch is sent: DIGEST_CLAIM_TIMEOUT covers CLAIM_BATCH slow sends.
CLAIM_BATCH = 50


def _send_claimed(batch: list[Digest], claims: dict[int, int], connection, result) -> None:
    claimed = [d for d in batch if d.subscription.pk in claims]
    for n, digest in enumerate(claimed):
        delivery_id = claims[digest.subscription.pk]
        try:
            _send(digest, connection)
        except (smtplib.SMTPException, OSError) as error:
            if _is_permanent(error):
                _mark_failed(delivery_id, digest.subscription.pk, error)
                result.failed += 1
                continue
            # Give back this claim and the batch's unsent ones: the retry takes them at once.
            unsent = [claims[d.subscription.pk] for d in claimed[n:]]
            DigestDelivery.objects.filter(pk__in=unsent).update(
                claimed_at=None, error=_describe(error)
            )
            raise TransientMailError(str(error)) from error
        _mark_sent(delivery_id)
        result.sent += 1


def _send(digest: Digest, connection) -> None:
    """Send one digest over the chunk's connection: written directly on the wire through the
    SMTP backend's connection, or as a Django message by any other backend."""
    parts = digest_parts(digest, fragments=WORKER_FRAGMENTS)
    wire = None
    if can_send_directly(connection):
        wire = wire_message(parts.subject, parts.text, parts.html, parts.to, parts.headers)
    if wire is not None:
        send_wire_message(connection, parts.to, wire)
    else:
        connection.send_messages([django_message(parts, connection)])


def _claim(run: DigestRun, batch: list[Digest]) -> dict[int, int]:
    """Take the (subscription, period) rows of a batch in one statement, or take over stale or
    released claims; {subscription ID: delivery ID} of those taken."""
    table = DigestDelivery._meta.db_table
    stale = timezone.now() - timedelta(seconds=settings.DIGEST_CLAIM_TIMEOUT)
    with db.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} AS d
                (subscription_id, run_id, period, status, as_of, claimed_at, attempts, error,
                 listing_ids)
            SELECT claim.subscription_id, %s, %s, 'claimed', %s, clock_timestamp(), 1, '',
                   claim.listing_ids::bigint[]
            FROM unnest(%s::bigint[], %s::text[]) AS claim(subscription_id, listing_ids)
            ON CONFLICT ON CONSTRAINT digest_delivery_once_per_period DO UPDATE
                SET claimed_at = clock_timestamp(), attempts = d.attempts + 1,
                    run_id = EXCLUDED.run_id, listing_ids = EXCLUDED.listing_ids
                WHERE d.status = 'claimed' AND (d.claimed_at IS NULL OR d.claimed_at < %s)
            RETURNING d.subscription_id, d.id
            """,  # noqa: S608 - the table name comes from the model
            [
                run.pk,
                run.period,
                run.as_of,
                [d.subscription.pk for d in batch],
                ["{" + ",".join(map(str, d.listing_ids)) + "}" for d in batch],
                stale,
            ],
        )
        return dict(cursor.fetchall())


def _mark_sent(delivery_id: int) -> None:
    """Mark the delivery sent and move the subscriber's watermark, in one statement."""
    with db.cursor() as cursor:
        cursor.execute(
            f"""
            WITH d AS (
                UPDATE {DigestDelivery._meta.db_table}
                SET status = 'sent', sent_at = clock_timestamp(), error = ''
                WHERE id = %s RETURNING subscription_id, as_of
            )
            UPDATE {Subscription._meta.db_table} s SET last_digest_at = d.as_of
            FROM d WHERE s.id = d.subscription_id
            """,  # noqa: S608 - table names come from the models
            [delivery_id],
        )


def _mark_failed(delivery_id: int, subscription_id: int, error: Exception) -> None:
    with transaction.atomic():
        DigestDelivery.objects.filter(pk=delivery_id).update(
            status=DeliveryStatus.FAILED, error=_describe(error)
        )
        # A status change staff see, so through save() and into the history (sends are not).
        subscription = Subscription.objects.select_for_update().get(pk=subscription_id)
        subscription.status = SubscriptionStatus.BOUNCING
        subscription._change_reason = "Digest bounced"
        subscription.save(update_fields=["status", "updated_at"])


def give_up(run_id: int, subscription_ids: list[int], error: str) -> None:
    """After the last retry: the released claims of this chunk become failed deliveries."""
    run = DigestRun.objects.get(pk=run_id)
    DigestDelivery.objects.filter(
        period=run.period,
        subscription__in=subscription_ids,
        status=DeliveryStatus.CLAIMED,
        claimed_at__isnull=True,
    ).update(status=DeliveryStatus.FAILED, error=error[:1000])
    _refresh_counts(run)


def _is_permanent(error: Exception) -> bool:
    """5xx replies are permanent (the address bounces); anything else may pass later."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    code = getattr(error, "smtp_code", None)
    return isinstance(code, int) and 500 <= code < 600


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:1000]


def _refresh_counts(run: DigestRun) -> None:
    """Counts from the period's delivery rows (true whatever was retried or redelivered)."""
    counts = DigestDelivery.objects.filter(period=run.period).aggregate(
        matched=Count("pk", filter=~Q(status=DeliveryStatus.SKIPPED)),
        sent=Count("pk", filter=Q(status=DeliveryStatus.SENT)),
        skipped=Count("pk", filter=Q(status=DeliveryStatus.SKIPPED)),
        failed=Count("pk", filter=Q(status=DeliveryStatus.FAILED)),
    )
    DigestRun.objects.filter(pk=run.pk).update(**counts, chunks_done=F("chunks_done") + 1)
    DigestRun.objects.filter(
        pk=run.pk, finished_at__isnull=True, chunks_done__gte=F("chunks_total")
    ).update(finished_at=timezone.now())
