"""Staff accounts: administrators recover lost authenticators; nobody raises their own rights."""

import pytest
from django.contrib.auth.models import Group, Permission, User
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(client) -> User:
    """A signed-in member of the Administrator group (not a superuser)."""
    user = User.objects.create_user(
        "admin", "admin@state.example.gov", "a-long-test-password", is_staff=True
    )
    user.groups.add(Group.objects.get(name="Administrator"))
    client.force_login(user)
    return user


@pytest.fixture
def curator() -> User:
    user = User.objects.create_user("curator", password="a-long-test-password", is_staff=True)
    user.groups.add(Group.objects.get(name="Curator"))
    return user


def user_form(user: User, **overrides) -> dict:
    """What the user change form posts, as it stands."""
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "is_staff": "on" if user.is_staff else "",
        "groups": [g.pk for g in user.groups.all()],
        "user_permissions": [p.pk for p in user.user_permissions.all()],
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value != ""}


def permission(label: str) -> Permission:
    app_label, codename = label.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def change_user(client, user, **overrides):
    return client.post(f"/admin/auth/user/{user.pk}/change/", user_form(user, **overrides))


# Recovering a lost authenticator ---------------------------------------------------------------


def test_administrators_see_staff_authenticators(client, administrator, curator):
    TOTPDevice.objects.create(user=curator, name="Authenticator app")
    response = client.get("/admin/otp_totp/totpdevice/")
    assert response.status_code == 200 and "curator" in response.content.decode()


def test_administrators_delete_a_lost_authenticator(client, administrator, curator):
    device = TOTPDevice.objects.create(user=curator, name="Authenticator app")
    response = client.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()


def test_administrators_never_see_an_authenticators_secret(client, administrator, curator):
    device = TOTPDevice.objects.create(user=curator, name="Authenticator app")
    change = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    assert change.status_code == 200 and device.key not in change.content.decode()
    assert client.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/").status_code == 403
    assert client.get(f"/admin/otp_totp/totpdevice/{device.pk}/qrcode/").status_code == 403


# Nobody raises their own rights ---------------------------------------------------------------


def test_an_administrator_cannot_make_anyone_a_superuser(client, administrator, curator):
    change_user(client, curator, is_superuser="on")
    curator.refresh_from_db()
    assert not curator.is_superuser


def test_an_administrator_cannot_make_themselves_a_superuser(client, administrator):
    change_user(client, administrator, is_superuser="on")
    administrator.refresh_from_db()
    assert not administrator.is_superuser


def test_an_administrator_cannot_change_their_own_groups_or_permissions(client, administrator):
    extra = permission("opportunities.view_listing")
    publisher = Group.objects.get(name="Publisher")
    change_user(
        client,
        administrator,
        groups=[administrator.groups.get().pk, publisher.pk],
        user_permissions=[extra.pk],
    )
    assert list(administrator.groups.values_list("name", flat=True)) == ["Administrator"]
    assert not administrator.user_permissions.exists()


def test_an_administrator_cannot_grant_a_permission_they_do_not_hold(
    client, administrator, curator
):
    lacking = permission("sessions.view_session")
    assert not administrator.has_perm("sessions.view_session")
    change_user(client, curator, user_permissions=[lacking.pk])
    assert not curator.user_permissions.filter(pk=lacking.pk).exists()


def test_an_administrator_cannot_put_someone_in_a_group_with_more_rights(
    client, administrator, curator
):
    auditors = Group.objects.create(name="Auditors")
    auditors.permissions.add(permission("sessions.view_session"))
    change_user(client, curator, groups=[auditors.pk])
    assert not curator.groups.filter(name="Auditors").exists()


def test_an_administrator_cannot_give_a_group_a_permission_they_do_not_hold(client, administrator):
    group = Group.objects.get(name="Curator")
    lacking = permission("sessions.view_session")
    client.post(
        f"/admin/auth/group/{group.pk}/change/",
        {"name": "Curator", "permissions": [*group.permissions.values_list("pk", flat=True),
                                            lacking.pk]},
    )  # fmt: skip
    assert not group.permissions.filter(pk=lacking.pk).exists()


def test_an_administrator_cannot_change_a_superusers_password(client, administrator):
    root = User.objects.create_superuser("root", "root@state.example.gov", "a-long-password-1")
    response = client.post(
        f"/admin/auth/user/{root.pk}/password/",
        {"password1": "taken-over-password-9", "password2": "taken-over-password-9"},
    )
    assert response.status_code == 403
    root.refresh_from_db()
    assert root.check_password("a-long-password-1")


def test_editing_a_user_keeps_permissions_the_editor_cannot_grant(client, administrator, curator):
    special = permission("sessions.view_session")
    curator.user_permissions.add(special)
    # The permission is not offered to the editor, so their browser does not post it.
    response = change_user(client, curator, first_name="Cora", user_permissions=[])
    assert response.status_code == 302
    curator.refresh_from_db()
    assert curator.first_name == "Cora" and curator.user_permissions.filter(pk=special.pk).exists()


def test_an_administrator_gives_a_curator_the_publisher_role(client, administrator, curator):
    publisher = Group.objects.get(name="Publisher")
    response = change_user(client, curator, groups=[publisher.pk])
    assert response.status_code == 302
    assert list(curator.groups.values_list("name", flat=True)) == ["Publisher"]


def test_a_superuser_may_make_a_superuser(client, curator):
    root = User.objects.create_superuser("root", "root@state.example.gov", "a-long-password-1")
    client.force_login(root)
    change_user(client, curator, is_superuser="on")
    curator.refresh_from_db()
    assert curator.is_superuser
