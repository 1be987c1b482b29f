from datetime import datetime

from django import forms
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from cities.models import Bureau, Place, State
from lib.bilingual import Translated
from opportunities import dates
from opportunities.filters import chosen_place
from opportunities.models import (
    EducationLevel,
    Format,
    Frequency,
    Kind,
    Listing,
    Role,
    Topic,
)


# A student's answers, asked by the program finder and by the subscription form alike.
class NameChoiceField(forms.ModelChoiceField):
    """A topic or region in a drop-down, named in the reader's language (an option holds
    only text, so an English name says so in brackets)."""

    def label_from_instance(self, obj):
        return Translated.of(obj, "name").plain()


class NamesChoiceField(forms.ModelMultipleChoiceField):
    """Topics or regions as checkboxes, named in the reader's language (an English name
    marked lang="en", with a note)."""

    def label_from_instance(self, obj):
        return Translated.of(obj, "name")


def education_level_field(label) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label, choices=[("", _("Any level")), *EducationLevel.choices], required=False
    )


def us_citizen_field(label) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=[("", _("Show all")), ("yes", _("Yes")), ("no", _("No"))],
        required=False,
    )


def age_field(label) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=13,
        max_value=99,
        required=False,
        error_messages={
            "min_value": _("Programs here start at age 13."),
            "max_value": _("Enter an age of 99 or less."),
            "invalid": _("Enter your age as a whole number, such as 19."),
        },
    )


class StudentFinderForm(forms.Form):
    """The student program finder: a few plain questions, every one optional."""

    education_level = education_level_field(_("What are you studying now?"))
    us_citizen = us_citizen_field(_("Are you a US citizen?"))
    age = age_field(_("How old are you?"))
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
    field = NameChoiceField(
        label=_("Field of interest"),
        queryset=Topic.objects.order_by("name"),
        to_field_name="slug",
        empty_label=_("Any field"),
        required=False,
    )
    region = NameChoiceField(
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
            # The field's programs, and every program open to students of any field.
            listings = listings.filter(Q(topics=data["field"]) | Q(open_to_all_fields=True))
        if data["region"]:
            listings = listings.filter(bureaus=data["region"]) | listings.filter(is_global=True)
        return (
            listings.distinct()
            .prefetch_related("topics")
            .order_by(F("deadline").asc(nulls_last=True), "title")
        )


class PreferencesForm(forms.Form):
    """What a subscriber wants in their digest. Field names match the search page's filters
    (topic, region, kind), so a search's choices carry over to the subscription."""

    role = forms.ChoiceField(
        label=_("I am"),
        choices=Role.choices,
        initial=Role.LOCAL_GOVERNMENT,
        widget=forms.RadioSelect,
    )
    state = forms.ModelChoiceField(
        label=_("State or territory (optional)"),
        queryset=State.objects.order_by("name"),
        to_field_name="usps_code",
        empty_label=_("Any state"),
        required=False,
    )
    place_name = forms.CharField(
        label=_("City or county (optional)"),
        help_text=_("For example: Denver, or Denver County. Pick the state too."),
        max_length=200,
        required=False,
    )
    education_level = education_level_field(_("Students: what are you studying now? (optional)"))
    us_citizen = us_citizen_field(_("Students: are you a US citizen? (optional)"))
    age = age_field(_("Students: how old are you? (optional)"))
    topic = NamesChoiceField(
        label=_("Topics"),
        help_text=_("Leave all unticked to hear about every topic."),
        queryset=Topic.objects.order_by("name"),
        to_field_name="slug",
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    region = NamesChoiceField(
        label=_("Regions of the world"),
        help_text=_("Leave all unticked to hear about every region."),
        queryset=Bureau.objects.order_by("code"),
        to_field_name="code",
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    kind = forms.MultipleChoiceField(
        label=_("Kinds of opportunity"),
        help_text=_("Leave all unticked to hear about every kind."),
        choices=Kind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    frequency = forms.ChoiceField(
        label=_("How often"),
        choices=Frequency.choices,
        initial=Frequency.WEEKLY,
        widget=forms.RadioSelect,
    )

    def clean(self):
        data = super().clean()
        name, state = (data.get("place_name") or "").strip(), data.get("state")
        data["place"] = None
        if name and "state" not in self.errors:
            if state is None:
                self.add_error("state", _("Pick the state of your city or county."))
                return data
            # Cities first, then the largest: "Denver" is the city, "Denver County" the county.
            place = (
                Place.objects.filter(state=state)
                .named(name)
                .order_by("kind", F("population").desc(nulls_last=True))
                .first()
            )
            if place is None:
                self.add_error(
                    "place_name",
                    _(
                        "We have no city or county called “%(name)s” in %(state)s. Check the "
                        "spelling (for example “Denver County”), or leave it empty."
                    )
                    % {"name": name, "state": state.name},
                )
            data["place"] = place
        return data

    def preferences(self) -> dict:
        data = self.cleaned_data
        return {
            "role": data["role"],
            "state": data["state"],
            "place": data["place"],
            "topics": list(data["topic"]),
            "bureaus": list(data["region"]),
            "kinds": data["kind"],
            "frequency": data["frequency"],
            "education_level": data.get("education_level") or "",
            "us_citizen": {"yes": True, "no": False}.get(data.get("us_citizen") or ""),
            "age": data.get("age"),
        }

    @classmethod
    def initial_from(cls, subscription) -> dict:
        return {
            "role": subscription.role,
            "state": subscription.state.usps_code if subscription.state else "",
            "place_name": subscription.place.name if subscription.place else "",
            "topic": [t.slug for t in subscription.topics.all()],
            "region": [b.code for b in subscription.bureaus.all()],
            "kind": subscription.kinds,
            "frequency": subscription.frequency,
            "education_level": subscription.education_level,
            "us_citizen": {True: "yes", False: "no"}.get(subscription.us_citizen, ""),
            "age": subscription.age,
        }

    @classmethod
    def initial_from_search(cls, params) -> dict:
        """Search filters to pre-fill the form with; values that mean nothing are dropped."""
        topics, regions = params.getlist("topic")[:50], params.getlist("region")[:10]
        if topics:
            topics = set(Topic.objects.filter(slug__in=topics).values_list("slug", flat=True))
        if regions:
            regions = set(Bureau.objects.filter(code__in=regions).values_list("code", flat=True))
        initial = {
            "topic": [t for t in params.getlist("topic") if t in topics],
            "region": [r for r in params.getlist("region") if r in regions],
            "kind": [k for k in params.getlist("kind") if k in Kind.values],
        }
        # The student finder's answers ("Email me these" on /programs/).
        if params.get("role") in Role.values:
            initial["role"] = params["role"]
        if params.get("education_level") in EducationLevel.values:
            initial["education_level"] = params["education_level"]
        if params.get("us_citizen") in ("yes", "no"):
            initial["us_citizen"] = params["us_citizen"]
        if (params.get("age") or "").isdigit() and 13 <= int(params["age"]) <= 99:
            initial["age"] = int(params["age"])
        place = chosen_place(params.get("place", ""))
        if isinstance(place, State):
            initial["state"] = place.usps_code
        elif place is not None:
            initial.update(state=place.state.usps_code, place_name=place.name)
        return initial


class SubscribeForm(PreferencesForm):
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        error_messages={"invalid": _("Enter an email address such as name@example.gov.")},
    )
    field_order = ["email"]


# A listing's times, typed as wall times in the listing's own zone (opportunities/dates.py) ----

# Which times are ends (an empty hour means the end of that day) and which are starts.
LISTING_TIMES = {"opens_at": False, "deadline": True, "starts_at": False, "ends_at": True}


class WallTimeField(forms.SplitDateTimeField):
    """A date and an optional hour, as typed: a naive wall time that the form places in the
    listing's zone once it knows which zone was chosen."""

    def __init__(self, *, end: bool, **kwargs):
        self.end = end
        super().__init__(require_all_fields=False, **kwargs)
        self.fields[1].required = False

    def compress(self, data_list):
        if not data_list or data_list[0] in self.empty_values:
            if data_list and data_list[1] not in self.empty_values:
                raise forms.ValidationError(_("Give the date too."), code="invalid_date")
            return None
        day, hour = data_list
        if hour in self.empty_values:
            hour = dates.END_OF_DAY if self.end else dates.START_OF_DAY
        return datetime.combine(day, hour)


class ListingTimesForm(forms.ModelForm):
    """Shows and reads a listing's times in the listing's own zone, whoever types them and
    wherever the server is."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "deadline_kind" in self.fields:
            # Left out, a deadline is confirmed and no deadline is rolling.
            self.fields["deadline_kind"].required = False
        zone_name = self.instance.time_zone
        for name, end in LISTING_TIMES.items():
            moment = getattr(self.instance, name, None) if self.instance.pk else None
            if name in self.fields and moment is not None:
                wall = dates.local(moment, zone_name).replace(tzinfo=None)
                # A whole day shows no hour (an empty hour box means "the whole day").
                hour = wall.time() if dates.has_hour(moment, zone_name, end=end) else None
                self.initial[name] = [wall.date(), hour]

    def clean(self):
        cleaned = super().clean()
        if "deadline_kind" in self.fields:
            kind = cleaned.get("deadline_kind")
            # "Confirmed" is the list's first choice: left as it is with no deadline, the
            # listing is rolling (an expected deadline still needs its projected date).
            if not kind or (kind == "confirmed" and not cleaned.get("deadline")):
                cleaned["deadline_kind"] = "confirmed" if cleaned.get("deadline") else "rolling"
        zone_name = cleaned.get("time_zone") or self.instance.time_zone
        for name in LISTING_TIMES:
            wall = cleaned.get(name)
            if wall is None or wall.tzinfo is not None:
                continue
            try:
                cleaned[name] = dates.from_wall_time(wall, zone_name)
            except dates.NonexistentTime:
                self.add_error(
                    name,
                    _(
                        "%(time)s does not exist in %(zone)s: clocks skip that hour when "
                        "daylight saving time begins. Choose another time."
                    )
                    % {"time": wall.strftime("%H:%M"), "zone": dates.zone_name(zone_name)},
                )
        return cleaned
