from django.core import mail as django_mail
from django.template import engines

from lib.mail import absolute_url, send_email


def test_email_travels_over_smtp_with_text_and_html_parts(db, mailbox, settings, tmp_path):
    (tmp_path / "emails").mkdir()
    (tmp_path / "emails/hello.txt").write_text(
        '{% extends "emails/base.txt" %}{% block content %}Hello {{ name }}{% endblock %}'
        "{% block reason %}You asked for this.{% endblock %}"
    )
    (tmp_path / "emails/hello.html").write_text(
        '{% extends "emails/base.html" %}{% block content %}<p>Hello {{ name }}</p>{% endblock %}'
    )
    settings.TEMPLATES[0]["DIRS"].append(tmp_path)
    engines._engines = {}  # the template engine reads DIRS once

    send_email("hello", {"name": "Ana & Bo"}, ["ana@example.org"], subject="Greetings")

    [message] = mailbox.wait_for(1)
    assert message["To"] == "ana@example.org"
    assert message["Subject"] == "Greetings"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Hello Ana & Bo" in text  # plain text is not HTML-escaped
    assert "You asked for this." in text
    assert settings.PORTAL_POSTAL_ADDRESS in text
    assert "Hello Ana &amp; Bo" in html
    assert settings.PORTAL_POSTAL_ADDRESS in html
    assert not django_mail.outbox  # the real SMTP backend sent it, not the test double


def test_absolute_url_uses_the_public_site_address(settings):
    settings.SITE_URL = "https://portal.example.gov/"
    assert absolute_url("/subscribe/") == "https://portal.example.gov/subscribe/"
