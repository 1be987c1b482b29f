import pytest
from django.contrib.auth.models import Permission, User

from cities.models import Place, State
from tests.factories import PlaceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client):
    user = User.objects.create_user("editor", password="a-long-test-password", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_state", "change_state", "view_place",
                                                 "change_place"])
    )  # fmt: skip
    client.force_login(user)
    return user


def test_staff_edit_the_governors_office_and_the_public_profile_shows_it(client, states, editor):
    colorado = State.objects.get(usps_code="CO")
    response = client.post(
        f"/admin/cities/state/{colorado.pk}/change/",
        {
            "office_name": "Office of the Governor",
            "leader_name": "Pat Example",
            "leader_title": "Governor",
            "office_email": "governor@example.gov",
            "office_phone": "+1 303 555 0100",
            "office_website": "https://www.colorado.gov/governor",
            "office_address": "200 E Colfax Ave\nDenver, CO 80203",
        },
    )
    assert response.status_code == 302
    html = client.get("/states/co/").content.decode()
    assert "Office of the Governor" in html and "Governor Pat Example" in html
    assert "200 E Colfax Ave<br>Denver, CO 80203" in html


def test_reference_fields_cannot_be_changed_in_the_admin(client, states, editor):
    colorado = State.objects.get(usps_code="CO")
    client.post(
        f"/admin/cities/state/{colorado.pk}/change/",
        {"name": "Not Colorado", "capital": "Nowhere", "leader_name": "Pat Example"},
    )
    colorado.refresh_from_db()
    assert (colorado.name, colorado.capital, colorado.leader_name) == (
        "Colorado", "Denver", "Pat Example"
    )  # fmt: skip


def test_invalid_contact_details_are_refused_with_a_clear_message(client, states, editor):
    place = PlaceFactory(name="Denver", slug="denver")
    response = client.post(
        f"/admin/cities/place/{place.pk}/change/",
        {"office_email": "not-an-address", "office_website": "javascript:alert(1)"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Enter a valid email address." in html and "Enter a valid URL." in html
    place.refresh_from_db()
    assert place.office_email == "" and place.office_website == ""


def test_staff_find_places_by_name_and_filter_by_state(
    client, states, editor, django_assert_max_num_queries
):
    PlaceFactory(name="Boulder")
    PlaceFactory(name="Aurora")
    PlaceFactory.create_batch(30)
    with django_assert_max_num_queries(12):
        response = client.get(
            "/admin/cities/place/",
            {"q": "boul", "state__id__exact": State.objects.get(usps_code="CO").pk},
        )
    assert response.status_code == 200
    assert "Boulder" in response.content.decode()
    assert "Aurora" not in response.content.decode()


def test_staff_without_permission_cannot_edit_profiles(client, states):
    user = User.objects.create_user("visitor", password="a-long-test-password", is_staff=True)
    client.force_login(user)
    colorado = State.objects.get(usps_code="CO")
    assert client.get(f"/admin/cities/state/{colorado.pk}/change/").status_code == 403


def test_the_public_cannot_reach_the_admin(client, states):
    response = client.get("/admin/cities/place/")
    assert response.status_code == 302
    assert "/admin/login/" in response.headers["Location"]


def test_places_cannot_be_deleted_from_the_admin(client, states, editor):
    editor.user_permissions.add(Permission.objects.get(codename="delete_place"))
    place = PlaceFactory(name="Denver", slug="denver")
    assert (
        client.post(f"/admin/cities/place/{place.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert Place.objects.filter(pk=place.pk).exists()
