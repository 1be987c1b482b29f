"""With two-factor on, granting or changing permissions in the admin needs a code entered in
the last few minutes; other changes do not."""

import time

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.forms import SplitDateTimeWidget
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from diplomacy import staff_sessions

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    class Clock:
        now = time.time()

        def advance(self, minutes: float) -> None:
            self.now += minutes * 60

    clock = Clock()
    monkeypatch.setattr(staff_sessions, "_now", lambda: clock.now, raising=False)
    return clock


def code(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """A code the app shows now (or the next one: each code works only once)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():06d}"


@pytest.fixture
def administrator(client, settings, clock):
    settings.STAFF_TWO_FACTOR = True
    user = User.objects.create_superuser("admin", "admin@example.gov", "x")
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    client.force_login(user)
    assert (
        client.post("/admin/two-factor/", {"code": code(device), "next": "/admin/"})["Location"]
        == "/admin/"
    )
    return device


@pytest.fixture
def curator():
    return User.objects.create_user("curator", "curator@example.gov", "x", is_staff=True)


def change_form(client, url: str, **changes) -> dict:
    """The admin form's current values as a browser would post them, with `changes`."""
    form = client.get(url).context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        if isinstance(field.widget, SplitDateTimeWidget):
            data[f"{name}_0"] = value.strftime("%Y-%m-%d") if value else ""
            data[f"{name}_1"] = value.strftime("%H:%M:%S") if value else ""
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = [str(v.pk if hasattr(v, "pk") else v) for v in value]
        else:
            data[name] = "" if value is None else value
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def test_adding_someone_to_a_group_needs_a_recent_code(client, administrator, curator, clock):
    url = f"/admin/auth/user/{curator.pk}/change/"
    publisher = Group.objects.get(name="Publisher")
    clock.advance(6)

    response = client.post(url, change_form(client, url, groups=[str(publisher.pk)]))

    assert response.status_code == 302
    assert response["Location"] == f"/admin/two-factor/?next={url}"
    assert not curator.groups.exists()
    page = client.get(response["Location"]).content.decode()
    assert "To change permissions, enter a new code" in page

    client.post("/admin/two-factor/", {"code": code(administrator, 1), "next": url})
    response = client.post(url, change_form(client, url, groups=[str(publisher.pk)]))
    assert response.status_code == 302 and response["Location"] == "/admin/auth/user/"
    assert list(curator.groups.all()) == [publisher]


def test_making_someone_a_superuser_needs_a_recent_code(client, administrator, curator, clock):
    url = f"/admin/auth/user/{curator.pk}/change/"
    clock.advance(6)
    response = client.post(url, change_form(client, url, is_superuser="on"))
    assert response["Location"].startswith("/admin/two-factor/")
    curator.refresh_from_db()
    assert not curator.is_superuser


def test_removing_staff_status_needs_a_recent_code(client, administrator, curator, clock):
    url = f"/admin/auth/user/{curator.pk}/change/"
    clock.advance(6)
    client.post(url, change_form(client, url, is_staff=False))
    curator.refresh_from_db()
    assert curator.is_staff


def test_changing_a_groups_permissions_needs_a_recent_code(client, administrator, clock):
    group = Group.objects.get(name="Curator")
    before = set(group.permissions.values_list("pk", flat=True))
    url = f"/admin/auth/group/{group.pk}/change/"
    extra = Permission.objects.get(codename="delete_user")
    clock.advance(6)
    permissions = [str(pk) for pk in before | {extra.pk}]
    response = client.post(url, change_form(client, url, permissions=permissions))
    assert response["Location"].startswith("/admin/two-factor/")
    assert set(group.permissions.values_list("pk", flat=True)) == before


def test_a_code_entered_minutes_ago_is_enough(client, administrator, curator, clock):
    url = f"/admin/auth/user/{curator.pk}/change/"
    clock.advance(4)
    client.post(url, change_form(client, url, is_superuser="on"))
    curator.refresh_from_db()
    assert curator.is_superuser


def test_other_changes_need_no_new_code(client, administrator, curator, clock):
    url = f"/admin/auth/user/{curator.pk}/change/"
    clock.advance(20)
    response = client.post(url, change_form(client, url, email="new@example.gov"))
    assert response["Location"] == "/admin/auth/user/"
    curator.refresh_from_db()
    assert curator.email == "new@example.gov"


def test_with_two_factor_off_permissions_change_as_before(client, curator, settings, clock):
    settings.STAFF_TWO_FACTOR = False
    client.force_login(User.objects.create_superuser("admin", "admin@example.gov", "x"))
    url = f"/admin/auth/user/{curator.pk}/change/"
    clock.advance(20)
    client.post(url, change_form(client, url, is_superuser="on"))
    curator.refresh_from_db()
    assert curator.is_superuser
