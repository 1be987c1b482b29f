"""Local solutions: the public library, the submission form and the submitter's status page."""

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from cities import solutions
from cities.filters import LocalSolutionFilter
from cities.forms import LocalSolutionForm
from cities.models import LocalSolution, SolutionStatus
from cities.public_forms import confirmation_page, rate_limited_form, submission_page

SOLUTIONS_PER_PAGE = 20


def solution_list(request):
    published = LocalSolution.objects.published().select_related("place__state", "topic")
    filterset = LocalSolutionFilter(request.GET, queryset=published)
    problems = []
    if not filterset.is_valid():
        for name, errors in filterset.form.errors.items():
            problems.append(f"{filterset.form.fields[name].label}: {' '.join(errors)}")
        filterset = LocalSolutionFilter(queryset=published)  # show everything instead
    page = Paginator(filterset.qs, SOLUTIONS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cities/solutions/list.html",
        {
            "filterset": filterset,
            "form": filterset.form,
            "page": page,
            "problems": problems,
            "query_string": query.urlencode(),
        },
        status=400 if problems else 200,
    )


def solution_detail(request, pk):
    solution = get_object_or_404(
        LocalSolution.objects.published().select_related("place__state", "topic"), pk=pk
    )
    return render(request, "cities/solutions/detail.html", {"solution": solution})


def _submit_solution(data: dict) -> None:
    solutions.submit_solution(**{k: v for k, v in data.items() if k not in ("state", "place_name")})


@rate_limited_form("contact_email")
def solution_submit(request):
    return submission_page(
        request,
        LocalSolutionForm,
        _submit_solution,
        template="cities/solutions/submit.html",
        sent="solutions:sent",
    )


def solution_sent(request):
    return render(request, "cities/solutions/sent.html")


@never_cache
def solution_status(request, token):
    return confirmation_page(
        request,
        token,
        find=solutions.solution_for_token,
        confirm=solutions.confirm_solution,
        confirmed_message=_("Thank you: your solution is confirmed and sent to our staff."),
        template="cities/solutions/status.html",
        bad_link_template="cities/solutions/bad_link.html",
        context=lambda solution: {
            "solution": solution,
            "unconfirmed": solution.status == SolutionStatus.UNCONFIRMED,
        },
    )
