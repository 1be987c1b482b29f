from django import forms
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from cities.models import Bureau
from opportunities.models import EducationLevel, Format, Listing, Topic


class StudentFinderForm(forms.Form):
    """The student program finder: a few plain questions, every one optional."""

    education_level = forms.ChoiceField(
        label=_("What are you studying now?"),
        choices=[("", _("Any level")), *EducationLevel.choices],
        required=False,
    )
    us_citizen = forms.ChoiceField(
        label=_("Are you a US citizen?"),
        choices=[("", _("Show all")), ("yes", _("Yes")), ("no", _("No"))],
        required=False,
    )
    age = forms.IntegerField(
        label=_("How old are you?"),
        min_value=13,
        max_value=99,
        required=False,
        error_messages={
            "min_value": _("Programs here start at age 13."),
            "max_value": _("Enter an age of 99 or less."),
            "invalid": _("Enter your age as a whole number, such as 19."),
        },
    )
    paid_only = forms.BooleanField(label=_("Only paid programs or with a stipend"), required=False)
    where = forms.ChoiceField(
        label=_("Where would you like to take part?"),
        choices=[
            ("", _("Anywhere")),
            ("virtual", _("Online, from home")),
            ("abroad", _("In person, abroad or in the US")),
        ],
        required=False,
    )
    field = forms.ModelChoiceField(
        label=_("Field of interest"),
        queryset=Topic.objects.order_by("name"),
        to_field_name="slug",
        empty_label=_("Any field"),
        required=False,
    )
    region = forms.ModelChoiceField(
        label=_("Region of the world"),
        queryset=Bureau.objects.order_by("code"),
        to_field_name="code",
        empty_label=_("Anywhere in the world"),
        required=False,
    )

    def matching_programs(self):
        data = self.cleaned_data
        formats = {
            "virtual": [Format.VIRTUAL, Format.HYBRID],
            "abroad": [Format.IN_PERSON, Format.HYBRID],
        }.get(data["where"])
        citizen = {"yes": True, "no": False}.get(data["us_citizen"])
        listings = Listing.objects.open().for_student(
            education_level=data["education_level"],
            us_citizen=citizen,
            age=data["age"],
            paid_only=data["paid_only"],
            formats=formats,
        )
        if data["field"]:
            listings = listings.filter(topics=data["field"])
        if data["region"]:
            listings = listings.filter(bureaus=data["region"]) | listings.filter(is_global=True)
        return (
            listings.distinct()
            .prefetch_related("topics")
            .order_by(F("deadline").asc(nulls_last=True), "title")
        )
