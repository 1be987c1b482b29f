"""Email the portal sends: one HTML and one plain-text template per message.

Every message is built from `templates/emails/<name>.txt` and `templates/emails/<name>.html`
(both extend the `base` pair, which carries the sender's postal address and why the recipient
gets the message). `send_email` does not send: it writes the message to the outbox
(`lib.outbox`) in the caller's transaction, and the Celery worker sends it through Django's
configured email backend (SMTP in every environment, a local sink on loopback in development
and tests) with retries.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation


def absolute_url(path: str) -> str:
    """A link for an email: the portal's public address (SITE_URL) plus an absolute path."""
    return settings.SITE_URL.rstrip("/") + path


def build_email(
    template: str,
    context: dict,
    to: list[str],
    *,
    subject: str,
    headers: dict[str, str] | None = None,
    language: str | None = None,
    connection=None,
) -> EmailMultiAlternatives:
    """A multipart (text and HTML) message from the `emails/<template>` pair, not yet sent."""
    context = {
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "postal_address": settings.PORTAL_POSTAL_ADDRESS,
        "subject": subject,
        **context,
    }
    with translation.override(language or settings.LANGUAGE_CODE):
        text = render_to_string(f"emails/{template}.txt", context)
        html = render_to_string(f"emails/{template}.html", context)
    message = EmailMultiAlternatives(
        subject=str(subject),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        headers=headers or {},
        connection=connection,
    )
    message.attach_alternative(html, "text/html")
    return message


def send_email(
    template: str, context: dict, to: list[str], *, subject: str, cause: str = "", **kwargs
) -> None:
    """Build one message and queue it in the outbox, in the current transaction: it is sent
    (by the worker, with retries) only if the change that caused it commits. `cause` names
    that change for staff ("cities.localsolution:12")."""
    from lib.outbox.queueing import queue  # the outbox's models load after the apps

    message = build_email(template, context, to, subject=subject, **kwargs)
    language = kwargs.get("language") or settings.LANGUAGE_CODE
    queue(message, kind=template, language=language, cause=cause)
