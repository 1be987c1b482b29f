"""Staff-side safety of the cities admin: history reverts of solutions and priorities answers."""

import pytest
from django.contrib.auth.models import Permission, User

from cities.models import PriorityResponse, SolutionStatus
from tests.cities.test_solutions import make_solution

pytestmark = pytest.mark.django_db


def staff(client, username, codenames=(), **flags) -> User:
    user = User.objects.create_user(
        username, password="a-long-test-password", is_staff=True, **flags
    )
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return user


def solution_form(solution, **overrides) -> dict:
    data = {
        "status": solution.status,
        "decline_reason": solution.decline_reason,
        "topic": solution.topic_id,
        "title": solution.title,
        "description": solution.description,
        "results": solution.results,
    }
    return {**data, **overrides}


def test_view_only_staff_cannot_revert_a_local_solution(client, boulder):
    solution = make_solution(boulder, status=SolutionStatus.NEW, confirmed_at="2026-11-01T10:00Z")
    first = solution.history.earliest()
    solution.title = "Reviewed title"
    solution.save()
    staff(client, "viewer", ["view_localsolution", "view_historicallocalsolution"])
    response = client.post(
        f"/admin/cities/localsolution/{solution.pk}/history/{first.history_id}/",
        solution_form(solution, title="Solar on every school"),
    )
    assert response.status_code == 403
    solution.refresh_from_db()
    assert solution.title == "Reviewed title"


def test_nobody_reverts_a_priorities_answer_not_even_a_superuser(client, boulder):
    answer = PriorityResponse.objects.create(
        place=boulder, respondent_name="Ana", respondent_email="ana@example.gov",
        confirmed_at="2026-11-01T10:00Z",
    )  # fmt: skip
    first = answer.history.earliest()
    answer.respondent_name = "Ana Example"
    answer.save()
    staff(client, "root", is_superuser=True)
    url = f"/admin/cities/priorityresponse/{answer.pk}/history/{first.history_id}/"
    response = client.post(url, {"respondent_name": "Forged", "place": boulder.pk})
    assert response.status_code == 403
    answer.refresh_from_db()
    assert answer.respondent_name == "Ana Example"
    assert 'name="_save"' not in client.get(url).content.decode()


def test_the_admin_lists_state_wide_answers_as_such(client, boulder):
    for where in ({"place": boulder}, {"state": boulder.state}):
        PriorityResponse.objects.create(
            **where, respondent_name="Ana", respondent_email="ana@example.gov",
            confirmed_at="2026-11-01T10:00Z",
        )  # fmt: skip
    staff(client, "root", is_superuser=True)
    html = client.get("/admin/cities/priorityresponse/").content.decode()
    assert "Boulder, CO" in html and "Colorado (whole state)" in html
    assert client.get("/admin/cities/priorityresponse/", {"q": "colorado"}).status_code == 200
