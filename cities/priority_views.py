"""Priorities: the public form and its confirmation, and the staff dashboard of what is asked."""

import csv

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from cities import priorities
from cities.charts import bar_chart
from cities.forms import PrioritiesForm
from cities.solution_views import rate_limited_form
from cities.staff import dashboard_view


@rate_limited_form("respondent_email")
def priorities_form(request):
    form = PrioritiesForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        priorities.submit_priorities(
            place=data["place"],
            topics=data["topics"],
            respondent_name=data["respondent_name"],
            respondent_title=data["respondent_title"],
            respondent_email=data["respondent_email"],
            comment=data["comment"],
        )
        return redirect("priorities:sent")
    status = 400 if form.is_bound else 200
    return render(request, "cities/priorities/form.html", {"form": form}, status=status)


def priorities_sent(request):
    return render(request, "cities/priorities/sent.html")


@never_cache
def priorities_confirm(request, token):
    response = priorities.response_for_token(token)
    if response is None:
        return render(request, "cities/priorities/bad_link.html", status=400)
    if request.method == "POST":
        if priorities.confirm_priorities(response):
            messages.success(request, _("Thank you: your priorities are confirmed."))
        return redirect("priorities:confirm", token)
    return render(request, "cities/priorities/confirm.html", {"response": response})


CSV_COLUMNS = ["month", "state", "place_size", "topic", "mentions", "first_choices", "score"]


@dashboard_view
def priorities_dashboard(request):
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="priorities.csv"'
        writer = csv.writer(response)
        writer.writerow(CSV_COLUMNS)
        for row in priorities.mentions():
            writer.writerow(
                [
                    f"{row['month']:%Y-%m}",
                    row["response__place__state__name"],
                    priorities.band_label(row["band"]),
                    row["topic__name"],
                    row["mentions"],
                    row["first_choices"],
                    row["score"],
                ]
            )
        return response
    context = priorities.dashboard()
    context["topic_chart"] = bar_chart([(t.label, t.mentions) for t in context["topics"]])
    return render(request, "cities/priorities/dashboard.html", context)
