"""Staff sessions end after a working day, and after a while without activity; visitors'
sessions do not."""

import time

import pytest
from django.contrib.auth.models import User

from diplomacy import staff_sessions

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    """The sessions' clock, moved forward by tests."""

    class Clock:
        now = time.time()

        def advance(self, minutes: float) -> None:
            self.now += minutes * 60

    clock = Clock()
    monkeypatch.setattr(staff_sessions, "_now", lambda: clock.now, raising=False)
    return clock


@pytest.fixture
def staff(client, clock):
    user = User.objects.create_user("curator", "curator@example.gov", "x", is_staff=True)
    client.force_login(user)
    return user


def test_staff_idle_past_the_timeout_are_signed_out_and_told_why(client, staff, clock, settings):
    settings.STAFF_SESSION_IDLE_MINUTES = 30
    assert client.get("/admin/").status_code == 200
    clock.advance(31)

    response = client.get("/admin/opportunities/listing/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/opportunities/listing/"
    assert "_auth_user_id" not in client.session
    page = client.get(response["Location"]).content.decode()
    assert "You were signed out after 30 minutes without activity." in page


def test_activity_keeps_a_staff_session_going_within_the_working_day(client, staff, clock):
    for _ in range(12):  # four hours, a request every twenty minutes
        clock.advance(20)
        assert client.get("/admin/").status_code == 200


def test_staff_sign_in_again_after_the_working_day_however_active(client, staff, clock, settings):
    settings.STAFF_SESSION_HOURS = 9
    for _ in range(27):  # nine hours, a request every twenty minutes
        clock.advance(20)
        assert client.get("/admin/").status_code == 200
    clock.advance(5)

    response = client.get("/admin/")

    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    page = client.get(response["Location"]).content.decode()
    assert "For safety, staff sessions end after 9 hours." in page


def test_the_limits_come_from_settings(client, staff, clock, settings):
    settings.STAFF_SESSION_IDLE_MINUTES = 5
    clock.advance(6)
    assert client.get("/admin/").status_code == 302


def test_an_ended_session_on_a_public_page_shows_the_page_signed_out(client, staff, clock):
    clock.advance(60 * 10)
    response = client.get("/about/")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_visitors_sessions_are_left_alone(client, clock):
    session = client.session
    session["django_language_hint"] = "es"
    session.save()
    clock.advance(60 * 24)
    assert client.get("/about/").status_code == 200
    assert client.session.get("django_language_hint") == "es"
