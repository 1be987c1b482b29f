"""Priorities: the public form and its confirmation, and the staff dashboard of what is asked."""

import csv

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from cities import priorities
from cities.charts import bar_chart
from cities.forms import PrioritiesForm
from cities.public_forms import confirmation_page, rate_limited_form, submission_page
from cities.staff import dashboard_view


def _submit_priorities(data: dict) -> None:
    priorities.submit_priorities(
        place=data["place"],
        state=data["whole_state"],
        topics=data["topics"],
        respondent_name=data["respondent_name"],
        respondent_title=data["respondent_title"],
        respondent_email=data["respondent_email"],
        comment=data["comment"],
    )


@rate_limited_form("respondent_email")
def priorities_form(request):
    return submission_page(
        request,
        PrioritiesForm,
        _submit_priorities,
        template="cities/priorities/form.html",
        sent="priorities:sent",
    )


def priorities_sent(request):
    return render(request, "cities/priorities/sent.html")


@never_cache
def priorities_confirm(request, token):
    return confirmation_page(
        request,
        token,
        find=priorities.response_for_token,
        confirm=priorities.confirm_priorities,
        confirmed_message=_("Thank you: your priorities are confirmed."),
        template="cities/priorities/confirm.html",
        bad_link_template="cities/priorities/bad_link.html",
        context=lambda response: {"response": response},
    )


# The same columns in every language, as the listings' exports: the topic in English, then in
# Spanish (empty where it has no Spanish name).
CSV_COLUMNS = ["month", "state", "answered_for", "place_size", "topic", "topic_es", "mentions",
               "first_choices", "score"]  # fmt: skip


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
                    row["state_name"],
                    "whole state" if row["band"] == priorities.WHOLE_STATE_BAND[0] else "place",
                    ""
                    if row["band"] == priorities.WHOLE_STATE_BAND[0]
                    else priorities.band_label(row["band"]),
                    row["topic__name"],
                    row["topic__name_es"] or "",
                    row["mentions"],
                    row["first_choices"],
                    row["score"],
                ]
            )
        return response
    context = priorities.dashboard()
    context["topic_chart"] = bar_chart([(t.label, t.mentions) for t in context["topics"]])
    return render(request, "cities/priorities/dashboard.html", context)
