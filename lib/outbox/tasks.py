"""Celery tasks of the outbox: thin, take IDs, safe to run twice (rows are claimed)."""

from celery import shared_task

from lib.outbox import sending


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_queued_mail(mail_ids: list[int]) -> int:
    """Send these just-committed messages (enqueued after the commit that wrote them)."""
    return sending.send_due(mail_ids)


@shared_task
def sweep_outbox() -> int:
    """Beat, every minute: send whatever is due (retries, mail the broker never carried), and
    forget mail sent long ago."""
    sent = sending.send_due()
    sending.prune_sent()
    return sent
