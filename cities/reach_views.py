"""The staff reach dashboard and the gaps list (the Department's outreach list)."""

import csv

from django import forms
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from cities import maps, reach
from cities.charts import bar_chart
from cities.models import State
from cities.staff import dashboard_view
from cities.views import metric_switch

GAPS_ON_DASHBOARD = 10
GAPS_PER_PAGE = 50


def _describe(label):
    def describe(state, count):
        return ngettext(
            "%(state)s: %(count)s place (%(what)s)",
            "%(state)s: %(count)s places (%(what)s)",
            count,
        ) % {"state": state.name, "count": f"{count:,}", "what": label}

    return describe


def _staff_metrics() -> dict:
    """?metric= on the reach map: the switch's label for each figure of figures_by_state()."""
    return {
        "reached": _("Reached"),
        "ties": _("With international ties"),
        "solutions": _("With published solutions"),
        "priorities": _("With current priorities"),
        "subscribed": _("With email subscribers"),
    }


@dashboard_view
def reach_dashboard(request):
    metrics = _staff_metrics()
    metric, switch, problem = metric_switch(request, metrics, "reached")
    states = list(State.objects.order_by("name"))
    by_state = reach.figures_by_state()
    map_url = reverse("cities:map")
    for state in states:
        state.url = f"{map_url}{state.slug}/"
        figures = by_state.get(state.pk, {})
        state.figures = [figures.get(key, 0) for key in metrics]
    label = metrics[metric]
    context = {
        "totals": reach.totals(by_state),
        "in_triage": reach.solutions_in_triage(),
        "states_with_priorities": reach.states_with_own_priorities(),
        "states": states,
        "metric_labels": list(metrics.values()),
        "map_heading": _("Map: places %(what)s") % {"what": label.lower()},
        "switch": switch,
        "problem": problem,
        "solution_chart": bar_chart(reach.solutions_by_topic()),
        "priority_chart": bar_chart(reach.priorities_by_topic()),
        "most_viewed": reach.most_viewed_listings(),
        "digest_totals": reach.digest_delivery_totals(),
        "gaps": reach.gaps()[:GAPS_ON_DASHBOARD],
        **maps.choropleth(
            states,
            {pk: figures[metric] for pk, figures in by_state.items()},
            _describe(label.lower()),
        ),
    }
    return render(request, "cities/reach/dashboard.html", context, status=400 if problem else 200)


class GapsForm(forms.Form):
    underserved = forms.BooleanField(
        label=gettext_lazy("Only places marked underserved"), required=False
    )
    state = forms.ModelChoiceField(
        label=gettext_lazy("State or territory"),
        queryset=State.objects.order_by("name"),
        to_field_name="usps_code",
        required=False,
        empty_label=gettext_lazy("All states"),
        error_messages={
            "invalid_choice": gettext_lazy("Choose a state or territory from the list.")
        },
    )


GAP_COLUMNS = ["place", "state", "kind", "population", "underserved", "profile", "fips_code",
               "leader", "office_email", "office_phone", "office_website"]  # fmt: skip


@dashboard_view
def reach_gaps(request):
    form = GapsForm(request.GET or None)
    valid = form.is_valid() if form.is_bound else True
    cleaned = form.cleaned_data if form.is_bound and valid else {}
    places = reach.gaps(
        underserved_only=cleaned.get("underserved", False), state=cleaned.get("state")
    )
    if valid and request.GET.get("format") == "csv":
        return _gaps_csv(request, places)
    page = Paginator(places, GAPS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cities/reach/gaps.html",
        {"form": form, "page": page, "query_string": query.urlencode()},
        status=200 if valid else 400,
    )


class _Echo:
    def write(self, value):
        return value


def _gaps_csv(request, places):
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(GAP_COLUMNS)
        for place in places.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    place.name,
                    place.state.name,
                    place.get_kind_display(),
                    place.population if place.population is not None else "",
                    "yes" if place.is_underserved else "no",
                    request.build_absolute_uri(place.get_absolute_url()),
                    place.fips_code or "",
                    place.leader_name,
                    place.office_email,
                    place.office_phone,
                    place.office_website,
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="gaps.csv"'
    return response
