"""Local solutions: the public library, the submission form and the submitter's status page."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django_ratelimit.decorators import ratelimit

from cities import solutions
from cities.filters import LocalSolutionFilter
from cities.forms import LocalSolutionForm
from cities.models import LocalSolution, SolutionStatus
from diplomacy.client_ip import client_ip

SOLUTIONS_PER_PAGE = 20


def public_form_rate(group, request) -> str:
    """Submissions allowed per address and per email (PUBLIC_FORM_RATE), read at request time."""
    return settings.PUBLIC_FORM_RATE


def rate_limited_form(email_field: str):
    """At most PUBLIC_FORM_RATE posts per client address and per email address given."""

    def email_key(group, request) -> str:
        # Posts without an address count against the client's address instead.
        email = request.POST.get(email_field, "").strip().lower()
        return f"email:{email}" if email else f"ip:{client_ip(request)}"

    def decorate(view):
        view = ratelimit(key=email_key, rate=public_form_rate, method="POST")(view)
        return ratelimit(key="ip", rate=public_form_rate, method="POST")(view)

    return decorate


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


@rate_limited_form("contact_email")
def solution_submit(request):
    form = LocalSolutionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in ("state", "place_name")}
        solutions.submit_solution(**data)
        return redirect("solutions:sent")
    status = 400 if form.is_bound else 200
    return render(request, "cities/solutions/submit.html", {"form": form}, status=status)


def solution_sent(request):
    return render(request, "cities/solutions/sent.html")


@never_cache
def solution_status(request, token):
    solution = solutions.solution_for_token(token)
    if solution is None:
        return render(request, "cities/solutions/bad_link.html", status=400)
    if request.method == "POST":
        if solutions.confirm_solution(solution):
            messages.success(
                request, _("Thank you: your solution is confirmed and sent to our staff.")
            )
        return redirect("solutions:status", token)
    return render(
        request,
        "cities/solutions/status.html",
        {"solution": solution, "unconfirmed": solution.status == SolutionStatus.UNCONFIRMED},
    )
