"""Staff mark places underserved in bulk, by criteria or from a CSV of FIPS codes."""

from django import forms
from django.contrib.auth.decorators import permission_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy

from cities import underserved
from cities.models import Place, State
from cities.staff import dashboard_view

REASON = forms.CharField(
    label=gettext_lazy("Why (kept in each place's history)"),
    max_length=80,
    help_text=gettext_lazy("For example: “Persistent poverty counties, USDA ERS 2023”."),
    error_messages={"required": gettext_lazy("Say why these places are marked.")},
)


class StaffForm(forms.Form):
    """U.S. Web Design System classes on every widget."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.Select):
                widget.attrs["class"] = "usa-select"
            elif isinstance(widget, forms.CheckboxInput):
                widget.attrs["class"] = "usa-checkbox__input"
            elif isinstance(widget, forms.FileInput):
                widget.attrs.update({"class": "usa-file-input", "accept": ".csv,text/csv"})
            else:
                widget.attrs["class"] = "usa-input"


class CriteriaForm(StaffForm):
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
    kind = forms.ChoiceField(
        label=gettext_lazy("Type"),
        choices=[("", gettext_lazy("Cities and counties")), *Place.Kind.choices],
        required=False,
    )
    min_population = forms.IntegerField(
        label=gettext_lazy("Population at least"), min_value=0, required=False
    )
    max_population = forms.IntegerField(
        label=gettext_lazy("Population at most"), min_value=0, required=False
    )
    not_reached_only = forms.BooleanField(
        label=gettext_lazy("Only places not reached yet"), required=False, initial=True
    )
    reason = REASON.__deepcopy__({})

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("min_population"), cleaned.get("max_population")
        if low is not None and high is not None and high < low:
            self.add_error("max_population", gettext_lazy("Must be at least the smallest size."))
        if not any(cleaned.get(name) not in (None, "") for name in ("state", "kind",
                   "min_population", "max_population")):  # fmt: skip
            raise forms.ValidationError(
                gettext_lazy("Choose at least a state, a type or a population range.")
            )
        return cleaned


class FipsForm(StaffForm):
    fips_file = forms.FileField(
        label=gettext_lazy("CSV of FIPS codes"),
        help_text=gettext_lazy(
            "Five-digit county FIPS codes in the first column; a header is fine."
        ),
    )
    fips_reason = REASON.__deepcopy__({})

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("fips_file")
        if upload is not None:
            codes = underserved.read_fips_csv(upload.read())
            for problem in codes.problems[:50]:
                self.add_error("fips_file", problem)
            cleaned["codes"] = codes.codes
        return cleaned


@dashboard_view
@permission_required("cities.change_place", raise_exception=True)
def mark_underserved(request):
    criteria = CriteriaForm(prefix="criteria")
    fips = FipsForm(prefix="fips")
    status = 200
    if request.method == "POST":
        if "fips-fips_reason" in request.POST:
            fips = FipsForm(request.POST, request.FILES, prefix="fips")
            if fips.is_valid():
                places = Place.objects.filter(fips_code__in=fips.cleaned_data["codes"])
                reason = fips.cleaned_data["fips_reason"]
                count = underserved.mark_underserved(places, user=request.user, reason=reason)
                return redirect(f"{request.path}?marked={count}")
        else:
            criteria = CriteriaForm(request.POST, prefix="criteria")
            if criteria.is_valid():
                data = criteria.cleaned_data
                places = underserved.places_matching(
                    state=data["state"],
                    kind=data["kind"],
                    min_population=data["min_population"],
                    max_population=data["max_population"],
                    not_reached_only=data["not_reached_only"],
                )
                count = underserved.mark_underserved(places, user=request.user,
                                                     reason=data["reason"])  # fmt: skip
                return redirect(f"{request.path}?marked={count}")
        status = 400
    marked = request.GET.get("marked", "")
    return render(
        request,
        "cities/reach/underserved.html",
        {
            "criteria": criteria,
            "fips": fips,
            "marked": int(marked) if marked.isdigit() else None,
            "underserved_count": Place.objects.filter(is_underserved=True).count(),
        },
        status=status,
    )
