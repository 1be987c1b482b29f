"""Rendering: a digest as an email, fast enough for tens of thousands a run.

Items and each language's shell are rendered once per worker and shared by every message; each
subscriber's own parts (reason, signed links, subject) are put into marks. `wire` writes the
finished parts on the SMTP connection without Django's MIME objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lib.mail import absolute_url, build_email
from lib.outbox.queueing import queue
from opportunities.digests.links import (
    INERT_TOKEN,
    UNSUBSCRIBE,
    inert_link,
    link_with_token,
    manage_link,
    not_interested_token,
)
from opportunities.digests.matching import Digest, DigestItem, next_digest
from opportunities.models import Subscription

# Where each subscriber's own reason and "Not interested" link go in a shared item.
REASON_MARK, HIDE_MARK = "\x00reason\x00", "\x00hide\x00"


class ItemFragments:
    """Digest items rendered once per language and shared by every message a worker sends: an
    item reads the same in every digest but for its reason and its "Not interested" link."""

    LIMIT = 10_000  # entries (items, items with a reason, shells): about 20 MB at most

    def __init__(self):
        self._rendered: dict[tuple, tuple[str, str]] = {}

    def render(
        self, item: DigestItem, subscription: Subscription, *, inert_links: bool = False
    ) -> tuple[str, str]:
        language = subscription.language
        key = (item.listing.pk, item.listing.updated_at, language)
        # With the reason in (shared by a preference set), cut where the subscriber's link goes.
        with_reason = (*key, item.reason)
        if with_reason not in self._rendered:
            if len(self._rendered) >= self.LIMIT:
                self._rendered.clear()
            if key not in self._rendered:
                with translation.override(language):  # the link too: /es/ for Spanish
                    url = absolute_url(item.listing.get_absolute_url())
                    shared = DigestItem(item.listing, REASON_MARK, url, HIDE_MARK)
                    self._rendered[key] = (
                        render_to_string("emails/includes/digest_item.html", {"item": shared}),
                        render_to_string("emails/includes/digest_item.txt", {"item": shared}),
                    )
            html, text = self._rendered[key]
            self._rendered[with_reason] = (
                html.replace(REASON_MARK, escape(item.reason)).split(HIDE_MARK),
                text.replace(REASON_MARK, item.reason).split(HIDE_MARK),
            )
        if inert_links:
            hide = inert_link("subscriptions:not_interested")
        else:
            hide = link_with_token(
                "subscriptions:not_interested", not_interested_token(subscription, item.listing.pk)
            )
        html, text = self._rendered[with_reason]
        return hide.join(html), hide.join(text)

    def shell(self, digest: Digest, frequency: str) -> tuple[str, str]:
        """The digest's text and HTML with marks for everything that is the subscriber's own
        (items, links, subject), rendered once per language, frequency and "more" line."""
        language = digest.subscription.language
        key = ("shell", language, frequency, bool(digest.new), bool(digest.closing))
        key += (digest.more_new, digest.more_url)
        if key not in self._rendered:
            if len(self._rendered) >= self.LIMIT:
                self._rendered.clear()
            sections = {
                f"{name}_{kind}": [mark_safe(SHELL_MARKS[name])] if items else []  # noqa: S308 - a mark
                for name, items in (("new", digest.new), ("closing", digest.closing))
                for kind in ("html", "text")
            }
            message = build_email(
                "digest",
                {
                    "digest": digest,
                    **sections,
                    "frequency": frequency,
                    "manage_url": SHELL_MARKS["manage"],
                    "unsubscribe_url": SHELL_MARKS["unsubscribe"],
                },
                ["shell@localhost"],
                subject=SHELL_MARKS["subject"],
                language=language,
            )
            self._rendered[key] = (message.body, message.alternatives[0][0])
        return self._rendered[key]


# Where a digest's own parts go in its language's shared shell; no text the portal stores holds
# a NUL character (PostgreSQL refuses them), so the marks cannot clash with content.
SHELL_MARKS = {
    name: f"\x00{name}\x00" for name in ("new", "closing", "manage", "unsubscribe", "subject")
}

WORKER_FRAGMENTS = ItemFragments()


@dataclass
class DigestParts:
    """One subscriber's digest email, ready to be sent by Django or written on the wire."""

    subject: str
    text: str
    html: str
    to: str
    headers: dict[str, str]


def digest_parts(
    digest: Digest,
    *,
    to: str | None = None,
    test: bool = False,
    inert_links: bool = False,
    fragments=None,
) -> DigestParts:
    """The digest's subject, text, HTML (signed links for this subscriber) and headers (RFC 8058
    one-click unsubscribe), from its language's shared shell and the shared item fragments.

    `test` marks a copy for staff ("[Test]", no unsubscribe headers); `inert_links` puts links
    that open nothing where the subscriber's own would be, so that whoever reads a preview or a
    test copy cannot act as the subscriber. Every link is in the subscriber's language (a
    Spanish reader's lead to /es/ pages), whatever language the worker runs in."""
    with translation.override(digest.subscription.language):
        return _digest_parts(digest, to=to, test=test, inert_links=inert_links, fragments=fragments)


def _digest_parts(digest: Digest, *, to, test, inert_links, fragments) -> DigestParts:
    subscription = digest.subscription
    fragments = fragments or ItemFragments()
    if inert_links:
        unsubscribe_token = INERT_TOKEN
        manage_url = inert_link("subscriptions:manage")
    else:
        unsubscribe_token = UNSUBSCRIBE.sign(subscription.pk)
        manage_url = manage_link(subscription)
    unsubscribe_url = link_with_token("subscriptions:unsubscribe", unsubscribe_token)
    sections = {}
    for name, items in (("new", digest.new), ("closing", digest.closing)):
        rendered = [fragments.render(i, subscription, inert_links=inert_links) for i in items]
        # The template writes each item's HTML as is, and each item's text then a line break.
        sections[name] = (
            "".join(html for html, _text in rendered),
            "".join(f"{text}\n" for _html, text in rendered),
        )
    with translation.override(subscription.language):
        new = len(digest.new)
        closing = len(digest.closing)
        subject = _("New opportunities for you: %(new)s, %(closing)s") % {
            "new": ngettext("%(count)s new", "%(count)s new", new) % {"count": new},
            "closing": ngettext("%(count)s closing soon", "%(count)s closing soon", closing)
            % {"count": closing},
        }
        if test:
            subject = _("[Test] %(subject)s") % {"subject": subject}
        frequency = subscription.get_frequency_display().lower()
    text, html = fragments.shell(digest, frequency)
    for mark, value in (
        ("subject", subject),
        ("manage", manage_url),
        ("unsubscribe", unsubscribe_url),
    ):
        html = html.replace(SHELL_MARKS[mark], escape(value))
        text = text.replace(SHELL_MARKS[mark], value)
    for name, (section_html, section_text) in sections.items():
        html = html.replace(SHELL_MARKS[name], section_html)
        text = text.replace(SHELL_MARKS[name] + "\n", section_text)
    mailto = f"mailto:{settings.DIGEST_UNSUBSCRIBE_EMAIL}?subject=unsubscribe%20{unsubscribe_token}"
    headers = {
        "List-Id": f"<digest.{settings.DIGEST_LIST_DOMAIN}>",
        "Message-ID": make_msgid("digest", domain=settings.DIGEST_LIST_DOMAIN),
    }
    # A staff member's mail client must not offer to unsubscribe the real subscriber.
    if not test:
        headers["List-Unsubscribe"] = f"<{unsubscribe_url}>, <{mailto}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return DigestParts(subject, text, html, to or subscription.email, headers)


def digest_message(
    digest: Digest,
    *,
    to: str | None = None,
    test: bool = False,
    inert_links: bool = False,
    connection=None,
    fragments: ItemFragments | None = None,
) -> EmailMultiAlternatives:
    """The digest email: HTML and text, signed links, RFC 8058 one-click unsubscribe headers."""
    parts = digest_parts(digest, to=to, test=test, inert_links=inert_links, fragments=fragments)
    return django_message(parts, connection)


def django_message(parts: DigestParts, connection=None) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=parts.subject,
        body=parts.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[parts.to],
        headers=parts.headers,
        connection=connection,
    )
    message.attach_alternative(parts.html, "text/html")
    return message


def send_test_digest(subscription: Subscription, to: str) -> Digest:
    """Send the next digest of a subscription to a staff member, changing nothing (its links
    are inert: the staff member reads what the subscriber would, and cannot act as them)."""
    digest = next_digest(subscription)
    queue(
        digest_message(digest, to=to, test=True, inert_links=True),
        kind="digest_test",
        language=subscription.language,
        cause=f"opportunities.subscription:{subscription.pk}",
    )
    return digest
