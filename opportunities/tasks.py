"""Celery tasks: thin wrappers around the publishing, export, digest, view-count and source
services, safe to run twice."""

from datetime import datetime

from celery import shared_task
from django.conf import settings
from django.db import transaction

from opportunities import digests, exports, publishing, review, view_counts
from opportunities.models import Source
from opportunities.sources import syncing


@shared_task
def publish_scheduled_listings() -> int:
    return publishing.publish_scheduled_listings()


@shared_task
def archive_expired_listings() -> int:
    return publishing.archive_expired_listings()


@shared_task
def send_expected_deadline_report() -> int:
    return publishing.expected_deadline_report()


@shared_task
def remind_publishers_of_waiting_reviews() -> int:
    return review.remind_publishers()


@shared_task
def write_bulk_downloads() -> int:
    return exports.write_bulk_downloads()


# Digest tasks are idempotent (every digest is claimed in the database before it is sent), so
# their messages are acknowledged late: a worker that dies leaves its chunk for another one.
@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_digests(frequency: str, now: str | None = None) -> int:
    """Beat's trigger for one frequency: plan the period's run, one chunk task per chunk.
    `now` (ISO 8601) runs the period of another moment instead, by hand."""
    with transaction.atomic():
        run, chunks = digests.plan_run(frequency, datetime.fromisoformat(now) if now else None)
        for chunk in chunks:
            send_digest_chunk.delay_on_commit(run.pk, chunk)
    return len(chunks)


@shared_task
def catch_up_digests() -> int:
    """Beat, every minute: start a period whose run beat's firing never started, or queue
    again the chunks of subscribers a run has not served long after (see digests.recovery)."""
    queued = 0
    with transaction.atomic():
        for run, chunks in digests.catch_up():
            for chunk in chunks:
                send_digest_chunk.delay_on_commit(run.pk, chunk)
            queued += len(chunks)
    return queued


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=6)
def send_digest_chunk(self, run_id: int, subscription_ids: list[int]) -> int:
    try:
        return digests.deliver_chunk(run_id, subscription_ids).sent
    except digests.TransientMailError as error:
        if self.request.retries >= self.max_retries:
            digests.give_up(run_id, subscription_ids, str(error))
            return 0
        backoff = settings.DIGEST_RETRY_BACKOFF * 2**self.request.retries
        raise self.retry(countdown=backoff) from error


@shared_task
def flush_listing_views() -> int:
    return view_counts.flush_listing_views()


@shared_task
def sync_due_sources() -> int:
    """Beat's trigger: every enabled source whose time has come (daily by default)."""
    return len(syncing.sync_due_sources())


@shared_task
def sync_source(source_id: int) -> str:
    """One source now (the admin's "Run now"); failures are recorded on the source."""
    source = Source.objects.filter(pk=source_id).first()
    return syncing.sync_source(source).summary() if source else "No such source."
