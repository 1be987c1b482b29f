"""Digests written directly on the wire arrive as the same message Django's email classes build."""

import email
import email.policy
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from opportunities import digests
from opportunities.digests.wire import wire_message
from tests.factories import ListingFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


# A signed token's timestamp and signature change from one second to the next.
TOKEN_TAIL = re.compile(r":[0-9A-Za-z]{6}:[A-Za-z0-9_-]{43}")


def run_in_process():
    run, chunks = digests.plan_run("weekly")
    for chunk in chunks:
        digests.deliver_chunk(run.pk, chunk)


HEADERS = ("Subject", "From", "To", "List-Id", "List-Unsubscribe", "List-Unsubscribe-Post")


def comparable(message) -> dict:
    parsed = email.message_from_bytes(message, policy=email.policy.default)
    fields = {
        name: TOKEN_TAIL.sub(":T:S", " ".join(str(parsed[name]).split()))  # unfolded
        for name in (
            "Subject",
            "From",
            "To",
            "List-Id",
            "List-Unsubscribe",
            "List-Unsubscribe-Post",
        )
    }
    for subtype in ("plain", "html"):
        fields[subtype] = TOKEN_TAIL.sub(":T:S", parsed.get_body((subtype,)).get_content())
    return fields


def test_the_sent_digest_is_the_message_django_would_send(states, mailbox):
    subscription = SubscriptionFactory(confirmed=True, email="ana@example.gov", language="es")
    ListingFactory(title="Becas de cooperación técnica")
    ListingFactory(title="Cierre pronto", deadline=timezone.now() + timedelta(days=3))
    expected = digests.digest_message(digests.next_digest(subscription)).message()
    run_in_process()
    [received] = mailbox.wait_for(1)
    sent = comparable(received.as_bytes())
    assert sent == comparable(expected.as_bytes())
    assert "Becas de cooperación técnica" in sent["plain"] and "Cierre pronto" in sent["html"]
    assert sent["Subject"].startswith("Nuevas oportunidades para usted")


def test_a_line_too_long_for_8bit_is_left_to_django_and_still_delivered(states, mailbox):
    subscription = SubscriptionFactory(confirmed=True, email="ana@example.gov")
    summary = "Partnerships" + "x" * 1200  # one line of more than 998 octets
    ListingFactory(summary=summary)
    parts = digests.digest_parts(digests.next_digest(subscription))
    assert wire_message(parts.subject, parts.text, parts.html, parts.to, parts.headers) is None
    run_in_process()
    [received] = mailbox.wait_for(1)
    assert summary in received.get_body(("plain",)).get_content()
    assert received.get_body(("plain",))["Content-Transfer-Encoding"] == "quoted-printable"
