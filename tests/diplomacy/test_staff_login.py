import pytest
from django.contrib.auth.models import User

from lib.client_ip import client_ip

PASSWORD = "a-long-staff-passphrase"  # noqa: S105


@pytest.fixture
def staff(db):
    return User.objects.create_user("curator", "curator@example.gov", PASSWORD, is_staff=True)


def sign_in(client, password, address="203.0.113.7", username="curator"):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def test_staff_sign_in_works_after_a_few_wrong_passwords(client, staff, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "wrong").status_code == 200
    response = sign_in(client, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_too_many_wrong_passwords_pause_sign_in_even_with_the_right_one(client, staff, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "wrong")

    response = sign_in(client, PASSWORD)

    assert response.status_code == 429
    assert "Sign-in paused" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_lockout_holds_only_for_the_address_that_guessed(client, staff, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "wrong", address="203.0.113.7")

    assert sign_in(client, PASSWORD, address="198.51.100.2").status_code == 302


def test_one_address_guessing_many_user_names_is_paused(client, staff, settings):
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 6
    for n in range(6):
        sign_in(client, "wrong", username=f"guess-{n}")

    response = sign_in(client, PASSWORD)

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another address is not held up.
    assert sign_in(client, PASSWORD, address="198.51.100.2").status_code == 302


def test_one_user_name_guessed_from_many_addresses_is_paused(client, staff, settings):
    settings.LOGIN_FAILURE_LIMIT_PER_USERNAME = 6
    for n in range(6):
        sign_in(client, "wrong", address=f"198.51.100.{n + 10}")

    response = sign_in(client, PASSWORD, address="192.0.2.99")

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_sign_in_page_says_how_many_tries_are_left_and_how_long_a_pause_lasts(
    client, staff, settings
):
    settings.AXES_FAILURE_LIMIT = 5
    html = sign_in(client, "wrong").content.decode()
    assert "4 more wrong passwords and sign-in pauses for 30 minutes." in html
    html = sign_in(client, "wrong", username="nobody").content.decode()
    assert "4 more wrong passwords" in html  # the same answer for an unknown user name
    for _ in range(2):
        sign_in(client, "wrong")
    assert "1 more wrong password and sign-in pauses for 30 minutes." in (
        sign_in(client, "wrong").content.decode()
    )


def test_lockout_page_says_how_long_the_pause_lasts_and_offers_a_reset(client, staff, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = sign_in(client, "wrong")
    html = response.content.decode()
    assert response.status_code == 429
    assert "Sign-in is paused for 30 minutes" in html
    assert 'href="/admin/password_reset/"' in html


def test_client_address_ignores_forwarded_for_unless_proxies_are_trusted(rf, settings):
    request = rf.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.9")
    settings.TRUSTED_PROXIES = 0
    assert client_ip(request) == "10.0.0.5"
    settings.TRUSTED_PROXIES = 1
    assert (
        client_ip(request) == "203.0.113.9"
    )  # the address our one proxy saw; 1.1.1.1 is forgeable
    settings.TRUSTED_PROXIES = 3  # fewer addresses than proxies: fall back to the peer
    assert client_ip(request) == "10.0.0.5"
