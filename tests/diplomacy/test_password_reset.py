"""Staff reset a forgotten password by email: the link works once, for staff only, and the
form tells nobody which addresses have accounts."""

import re

import pytest
from django.contrib.auth.models import User

PASSWORD = "a-long-staff-passphrase"  # noqa: S105
NEW_PASSWORD = "another-long-staff-passphrase"  # noqa: S105

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return User.objects.create_user("curator", "curator@example.gov", PASSWORD, is_staff=True)


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = "http://testserver"


def ask_for_reset(client, email, address="203.0.113.7"):
    return client.post("/admin/password_reset/", {"email": email}, REMOTE_ADDR=address)


def emailed_path(message) -> str:
    text = message.get_body(("plain",)).get_content()
    return re.search(r"http://testserver(/\S+)", text).group(1)


def test_admin_sign_in_page_links_to_the_password_reset(client):
    html = client.get("/admin/login/").content.decode()
    assert 'href="/admin/password_reset/"' in html
    page = client.get("/admin/password_reset/").content.decode()
    assert "Subnational Diplomacy Portal — staff" in page and 'name="email"' in page
    assert "permission" not in page


def test_reset_link_arrives_by_email_and_sets_a_new_password(client, staff, mailbox):
    response = ask_for_reset(client, "Curator@Example.gov")
    assert response.status_code == 302
    assert response["Location"] == "/admin/password_reset/done/"
    [message] = mailbox.wait_for(1)
    assert message["To"] == "curator@example.gov"
    assert message["Subject"] == "Reset your staff password"
    text = message.get_body(("plain",)).get_content()
    assert "curator" in text and "Subnational Diplomacy Portal" in text
    assert message.get_body(("html",)) is not None

    form_page = client.get(emailed_path(message), follow=True)
    assert form_page.status_code == 200 and "new_password1" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert done.status_code == 302 and done["Location"] == "/admin/reset/done/"
    staff.refresh_from_db()
    assert staff.check_password(NEW_PASSWORD)
    # The link works once.
    again = client.get(emailed_path(message), follow=True).content.decode()
    assert "new_password1" not in again


def test_an_unknown_address_gets_the_same_answer_and_no_email(client, staff, mailbox):
    known = ask_for_reset(client, "curator@example.gov")
    unknown = ask_for_reset(client, "nobody@example.gov")
    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    mailbox.wait_for(1)
    assert mailbox.to("nobody@example.gov") == []


def test_only_staff_accounts_get_a_reset_email(client, mailbox):
    User.objects.create_user("visitor", "visitor@example.gov", PASSWORD)
    assert ask_for_reset(client, "visitor@example.gov").status_code == 302
    assert mailbox.wait_for(1, timeout=1) == []


def test_reset_requests_are_rate_limited(client, staff, mailbox, settings):
    settings.PASSWORD_RESET_RATE = "2/h"
    for _ in range(2):
        assert ask_for_reset(client, "curator@example.gov").status_code == 302
    response = ask_for_reset(client, "curator@example.gov", address="198.51.100.2")
    assert response.status_code == 429
    response = ask_for_reset(client, "other@example.gov")
    assert response.status_code == 429
    assert len(mailbox.wait_for(2)) == 2


def test_a_new_password_lifts_a_sign_in_pause(client, staff, mailbox, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/admin/login/", {"username": "curator", "password": "wrong"})
    ask_for_reset(client, "curator@example.gov", address="127.0.0.1")
    [message] = mailbox.wait_for(1)
    form_page = client.get(emailed_path(message), follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    response = client.post("/admin/login/", {"username": "curator", "password": NEW_PASSWORD})
    assert response.status_code == 302
