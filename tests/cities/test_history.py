"""Changes to local solutions and priorities answers made outside a form still leave history."""

import pytest
from django.utils import timezone

from cities import priorities, solutions
from cities.models import PriorityResponse, SolutionStatus
from tests.cities.test_solutions import make_solution

pytestmark = pytest.mark.django_db


def test_confirming_a_solution_is_in_its_history(boulder):
    solution = make_solution(boulder, status=SolutionStatus.UNCONFIRMED)
    assert solutions.confirm_solution(solution)
    latest = solution.history.latest()
    assert latest.status == SolutionStatus.NEW and latest.confirmed_at == solution.confirmed_at
    assert not solutions.confirm_solution(solution)  # safe to repeat, and no second record
    assert solution.history.count() == 2


def test_a_replaced_priorities_answer_is_in_its_history(boulder):
    def answer() -> PriorityResponse:
        return PriorityResponse.objects.create(
            place=boulder, respondent_name="Ana", respondent_email="ana@example.gov"
        )

    earlier, later = answer(), answer()
    priorities.confirm_priorities(earlier)
    priorities.confirm_priorities(later)
    latest = earlier.history.latest()
    assert latest.is_current is False and latest.superseded_at <= timezone.now()
