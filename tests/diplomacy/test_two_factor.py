import time

import pytest
from django.contrib.auth.models import User
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


@pytest.fixture
def two_factor(settings):
    settings.STAFF_TWO_FACTOR = True


@pytest.fixture
def staff(db):
    return User.objects.create_user("publisher", "publisher@example.gov", "x", is_staff=True)


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits)
    totp.time = time.time()
    return f"{totp.token():06d}"


def test_staff_with_only_a_password_are_sent_to_the_code_page(client, staff, two_factor):
    client.force_login(staff)
    response = client.get("/admin/opportunities/listing/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/two-factor/?next=/admin/opportunities/listing/"


def test_first_visit_sets_up_an_authenticator_then_opens_the_admin(client, staff, two_factor):
    client.force_login(staff)
    page = client.get("/admin/two-factor/?next=/admin/")
    assert "Scan this QR code" in page.content.decode()
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    assert page.context["secret"] in page.content.decode()

    response = client.post("/admin/two-factor/", {"code": current_code(device), "next": "/admin/"})

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/admin/").status_code == 200


def test_a_wrong_code_is_refused_with_a_clear_message(client, staff, two_factor):
    client.force_login(staff)
    client.get("/admin/two-factor/")
    response = client.post("/admin/two-factor/", {"code": "000000"})
    assert response.status_code == 200
    assert "That code did not match" in response.content.decode()
    assert client.get("/admin/").status_code == 302

    response = client.post("/admin/two-factor/", {"code": "12ab"})
    assert "Enter the six digits" in response.content.decode()


def test_a_set_up_authenticator_is_only_asked_for_its_code(client, staff, two_factor):
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    client.force_login(staff)
    page = client.get("/admin/two-factor/").content.decode()
    assert "Scan this QR code" not in page  # the secret is never shown again
    assert device.key not in page
    response = client.post("/admin/two-factor/", {"code": current_code(device)})
    assert response["Location"] == "/admin/"


def test_a_code_page_never_sends_people_to_another_site(client, staff, two_factor):
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    client.force_login(staff)
    response = client.post(
        "/admin/two-factor/", {"code": current_code(device), "next": "https://evil.example/"}
    )
    assert response["Location"] == "/admin/"


def test_people_who_are_not_signed_in_are_sent_to_sign_in(client, db, two_factor):
    response = client.get("/admin/two-factor/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_public_pages_and_non_staff_are_unaffected(client, db, two_factor):
    client.force_login(User.objects.create_user("reader", password="x"))
    assert client.get("/about/").status_code == 200


def test_with_two_factor_off_a_password_is_enough(client, staff, settings):
    settings.STAFF_TWO_FACTOR = False
    client.force_login(staff)
    assert client.get("/admin/").status_code == 200
