"""Putting a message in the outbox: a row in the current transaction, sent after the commit."""

from __future__ import annotations

import logging
from email.utils import make_msgid

from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import DNS_NAME
from django.db import transaction

from lib.outbox.models import OutgoingMail

logger = logging.getLogger(__name__)


def queue(
    message: EmailMultiAlternatives, *, kind: str = "", language: str = "", cause: str = ""
) -> OutgoingMail:
    """Write the message to the outbox in the caller's transaction (it commits, or rolls back,
    with the change that caused it) and ask the worker to send it once that commits.

    The Message-ID is fixed now, so that a message sent twice (see `sending`) shows as one
    message in the recipient's mail client.
    """
    headers = dict(message.extra_headers)
    headers.setdefault("Message-ID", make_msgid(domain=DNS_NAME))
    html = next((body for body, mime in message.alternatives if mime == "text/html"), "")
    mail = OutgoingMail.objects.create(
        kind=kind[:60],
        cause=cause[:200],
        from_email=message.from_email,
        to=list(message.to),
        subject=str(message.subject),
        body_text=message.body,
        body_html=html,
        headers=headers,
        language=language,
    )
    transaction.on_commit(lambda: enqueue_sending([mail.pk]))
    return mail


def enqueue_sending(mail_ids: list[int]) -> None:
    """Hand the worker the IDs to send now. With the broker down this only logs: the mail is
    safe in PostgreSQL and beat's sweep sends it within a minute of the worker being back."""
    from lib.outbox.tasks import send_queued_mail

    app = send_queued_mail.app
    try:
        # One try, two seconds at most: kombu would otherwise keep reconnecting for seconds
        # while the visitor waits, and the sweep sends the mail anyway.
        with app.connection_for_write(
            connect_timeout=2, transport_options={"max_retries": 0}
        ) as connection:
            send_queued_mail.apply_async(args=[mail_ids], retry=False, connection=connection)
    except Exception:  # any broker failure: the sweep is the fallback
        logger.warning("Mail %s queued; the broker did not take the task", mail_ids, exc_info=True)
