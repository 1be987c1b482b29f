"""Sending the outbox: each row claimed by one worker, sent, and marked sent at once.

A row is claimed (queued → being sent, one attempt more) in a short transaction of its own with
`SELECT … FOR UPDATE SKIP LOCKED`, so two workers (the task after a commit and beat's sweep,
or several worker hosts) never take the same row. It is marked sent in one UPDATE right after
the relay accepts it. Permanent refusals (5xx) fail the row at once; anything else (connection
refused or dropped, timeout, 4xx) puts it back with exponential backoff until
OUTBOX_MAX_ATTEMPTS, then it fails. Staff retry failed mail from the admin.

The window this cannot close: a worker that dies after the relay accepted a message and before
the UPDATE that marks it sent (well under a millisecond). The row stays "being sent"; after
OUTBOX_SENDING_TIMEOUT the sweep takes it back and sends it again, so that recipient gets it
twice (with the same Message-ID). Every other failure sends it once or retries it.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.utils import timezone

from lib.outbox.models import MailStatus, OutgoingMail
from lib.outbox.queueing import enqueue_sending

logger = logging.getLogger(__name__)

# However many attempts, the wait between two never exceeds an hour.
MAX_BACKOFF_SECONDS = 3600


def send_due(mail_ids: list[int] | None = None, limit: int = 500) -> int:
    """Send queued mail that is due (only `mail_ids` when given); return how many were sent.

    Stops at the first temporary failure: the relay is likely down for the rest too, which
    then keep their attempts for when it is back.
    """
    release_abandoned()
    sent = 0
    connection = None
    try:
        for _n in range(limit):
            mail = _claim_next(mail_ids)
            if mail is None:
                break
            if connection is None:
                connection = get_connection()
            try:
                _message(mail, connection).send()
            except (smtplib.SMTPException, OSError) as error:
                _record_failure(mail, error)
                if not is_permanent(error):
                    break
                continue
            except Exception as error:  # a message that cannot be built never will be
                logger.exception("Mail %s cannot be sent", mail.pk)
                _record_failure(mail, error, permanent=True)
                continue
            mark_sent(mail.pk)
            sent += 1
    finally:
        if connection is not None:
            connection.close()
    return sent


def _claim_next(mail_ids: list[int] | None) -> OutgoingMail | None:
    with transaction.atomic():
        due = OutgoingMail.objects.due().select_for_update(skip_locked=True)
        if mail_ids is not None:
            due = due.filter(pk__in=mail_ids)
        mail = due.order_by("next_attempt_at", "pk").first()
        if mail is None:
            return None
        mail.status, mail.sending_since = MailStatus.SENDING, timezone.now()
        mail.attempts += 1
        mail.save(update_fields=["status", "sending_since", "attempts"])
        return mail


def _message(mail: OutgoingMail, connection) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=mail.subject,
        body=mail.body_text,
        from_email=mail.from_email,
        to=mail.to,
        headers=mail.headers,
        connection=connection,
    )
    if mail.body_html:
        message.attach_alternative(mail.body_html, "text/html")
    return message


def mark_sent(mail_id: int) -> None:
    OutgoingMail.objects.filter(pk=mail_id, status=MailStatus.SENDING).update(
        status=MailStatus.SENT, sent_at=timezone.now(), sending_since=None, last_error=""
    )


def _record_failure(mail: OutgoingMail, error: Exception, permanent: bool = False) -> None:
    description = f"{type(error).__name__}: {error}"[:2000]
    rows = OutgoingMail.objects.filter(pk=mail.pk, status=MailStatus.SENDING)
    if permanent or is_permanent(error) or mail.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        logger.warning("Mail %s failed for good: %s", mail.pk, description)
        rows.update(status=MailStatus.FAILED, sending_since=None, last_error=description)
        return
    wait = min(settings.OUTBOX_RETRY_BACKOFF * 2 ** (mail.attempts - 1), MAX_BACKOFF_SECONDS)
    rows.update(
        status=MailStatus.QUEUED,
        sending_since=None,
        last_error=description,
        next_attempt_at=timezone.now() + timedelta(seconds=wait),
    )


def release_abandoned() -> int:
    """Put back mail whose worker died while sending it (see the module's docstring)."""
    return OutgoingMail.objects.abandoned().update(
        status=MailStatus.QUEUED,
        sending_since=None,
        next_attempt_at=timezone.now(),
        last_error="The worker sending it stopped; sending again.",
    )


def retry(mail_ids) -> int:
    """Queue failed mail again now, with a fresh set of attempts (staff's "retry" action); the
    worker is asked to send it once this commits."""
    with transaction.atomic():
        failed = list(
            OutgoingMail.objects.select_for_update()
            .filter(pk__in=mail_ids, status=MailStatus.FAILED)
            .values_list("pk", flat=True)
        )
        OutgoingMail.objects.filter(pk__in=failed).update(
            status=MailStatus.QUEUED, attempts=0, next_attempt_at=timezone.now()
        )
        if failed:
            transaction.on_commit(lambda: enqueue_sending(failed))
    return len(failed)


def prune_sent(now=None) -> int:
    """Forget sent mail after OUTBOX_KEEP_DAYS: its bodies hold addresses and signed links, and
    the change that caused it keeps its own history. Failed mail stays until staff act on it."""
    since = (now or timezone.now()) - timedelta(days=settings.OUTBOX_KEEP_DAYS)
    deleted, _per_model = OutgoingMail.objects.filter(
        status=MailStatus.SENT, sent_at__lt=since
    ).delete()
    return deleted


def is_permanent(error: Exception) -> bool:
    """5xx replies are permanent (the address or the message is refused); anything else, a
    4xx, a refused or dropped connection or a timeout, may pass later."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    code = getattr(error, "smtp_code", None)
    return isinstance(code, int) and 500 <= code < 600
