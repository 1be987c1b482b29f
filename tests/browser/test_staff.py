from django.contrib.auth.models import User
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.browser.conftest import axe_violations
from tests.diplomacy.test_two_factor import current_code


def test_staff_sign_in_with_password_then_authenticator_code(page, live_server, settings):
    settings.STAFF_TWO_FACTOR = True
    User.objects.create_user("publisher", password="a-long-passphrase", is_staff=True)

    missing = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    page.goto(live_server.url + "/admin/")
    page.get_by_label("Username").fill("publisher")
    page.get_by_label("Password").fill("a-long-passphrase")
    page.keyboard.press("Enter")

    page.wait_for_url("**/admin/two-factor/**")
    assert page.locator("h1").inner_text() == "Finish signing in"
    assert axe_violations(page) == []
    # No script errors or CSP violations (the QR code is a data: image); Django's admin login
    # page has no icon, so the browser's guess at /favicon.ico is the only thing not found.
    assert [e for e in page.errors if "404 (Not Found)" not in e] == []
    assert all(url.endswith("/favicon.ico") for url in missing)
    device = TOTPDevice.objects.get(user__username="publisher")
    page.get_by_label("Six-digit code").fill(current_code(device))
    page.keyboard.press("Enter")

    page.wait_for_url(live_server.url + "/admin/")
    assert page.get_by_role("heading", name="Site administration").is_visible()
