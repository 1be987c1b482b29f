from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from cities.models import Place, State
from lib.bilingual import Translated
from lib.text import fold
from opportunities.models import Topic


class PlaceSearchForm(forms.Form):
    q = forms.CharField(
        label=_("City or county name"),
        max_length=100,
        required=False,
        error_messages={"max_length": _("Search for at most 100 characters.")},
    )

    def clean_q(self) -> str:
        return self.cleaned_data["q"].strip()


class UswdsForm(forms.Form):
    """Widgets with USWDS classes; fields with errors point to their message for screen readers."""

    widget_classes = {
        forms.Select: "usa-select",
        forms.Textarea: "usa-textarea",
        forms.CheckboxInput: "usa-checkbox__input",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = next(
                (c for w, c in self.widget_classes.items() if isinstance(field.widget, w)),
                "usa-input",
            )
            field.widget.attrs.setdefault("class", css)

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                field = self.fields[name]
                field.widget.attrs["class"] += " usa-input--error"
                ids = [f"id_{name}_helptext"] if field.help_text else []
                field.widget.attrs["aria-describedby"] = " ".join([*ids, f"id_{name}_error"])


class PlacePickerForm(UswdsForm):
    """A place picked without JavaScript: a state, then a city or county name looked up here."""

    state = forms.ModelChoiceField(
        label=_("State or territory"),
        queryset=State.objects.order_by("name"),
        to_field_name="usps_code",
        empty_label=_("- Select -"),
        error_messages={
            "required": _("Choose the state or territory of your place."),
            "invalid_choice": _("Choose a state or territory from the list."),
        },
    )
    place_name = forms.CharField(
        label=_("City or county"),
        max_length=200,
        help_text=_("As it is officially named, e.g. Boulder or Boulder County."),
        error_messages={"required": _("Enter the name of your city or county.")},
    )

    def clean(self):
        cleaned = super().clean()
        state, name = cleaned.get("state"), (cleaned.get("place_name") or "").strip()
        if state and name:
            cleaned["place"] = self._find_place(state, name)
        return cleaned

    def _find_place(self, state: State, name: str) -> Place | None:
        # Cities before counties when both carry the same name.
        match = state.places.named(name).order_by("kind").select_related("state").first()
        if match:
            return match
        suggestions = list(
            state.places.search(name).largest_first().values_list("name", flat=True)[:5]
        )
        message = _("We found no city or county named “%(name)s” in %(state)s.") % {
            "name": name,
            "state": state.name,
        }
        if suggestions:
            message += " " + _("Did you mean: %(names)s?") % {"names": ", ".join(suggestions)}
        self.add_error("place_name", message)
        return None


class LocalSolutionForm(PlacePickerForm):
    topic = forms.ModelChoiceField(
        label=_("Topic"),
        queryset=Topic.objects.order_by("name"),
        to_field_name="slug",
        empty_label=_("- Select -"),
        error_messages={
            "required": _("Choose the topic that fits best."),
            "invalid_choice": _("Choose a topic from the list."),
        },
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        help_text=_(
            "A short name for the solution, e.g. Refill stations instead of plastic bottles."
        ),
        error_messages={"required": _("Give the solution a title.")},
    )
    description = forms.CharField(
        label=_("What was done"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Who did what, when, with which partners. At most 5,000 characters."),
        error_messages={"required": _("Describe what was done.")},
    )
    results = forms.CharField(
        label=_("Results"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What changed, with numbers where you have them. At most 3,000 characters."),
        error_messages={"required": _("Describe the results so far.")},
    )
    contact_name = forms.CharField(
        label=_("Your name"),
        max_length=120,
        error_messages={"required": _("Enter your name.")},
    )
    contact_email = forms.EmailField(
        label=_("Your email address"),
        help_text=_("We send a link to confirm the submission here; it is never published."),
        error_messages={
            "required": _("Enter your email address."),
            "invalid": _("Enter an email address like name@example.gov."),
        },
    )

    field_order = ["state", "place_name", "topic", "title", "description", "results",
                   "contact_name", "contact_email"]  # fmt: skip

    def clean_contact_email(self) -> str:
        return self.cleaned_data["contact_email"].lower()


RANK_LABELS = [
    _("First priority"),
    _("Second priority"),
    _("Third priority"),
    _("Fourth priority"),
    _("Fifth priority"),
]


class AnswerFor(models.TextChoices):
    PLACE = "place", _("A city, town or county")
    STATE = "state", _("The whole state (governor's office)")


def names_the_state(state: State, name: str) -> bool:
    """Whether what was typed is the state itself: "Idaho", "IDAHO", "id", "State of Idaho"."""
    folded = fold(name)
    return folded.removeprefix("state of ") == fold(state.name) or folded == state.slug


class PrioritiesForm(PlacePickerForm):
    """Up to five topics in order of importance, for a city or county or for a whole state:
    one select per rank and two radio buttons work without JavaScript."""

    answer_for = forms.ChoiceField(
        label=_("You answer for"),
        choices=AnswerFor.choices,
        widget=forms.RadioSelect,
        required=False,
        error_messages={"invalid_choice": _("Choose a city or county, or the whole state.")},
    )
    place_name = forms.CharField(
        label=_("City or county"),
        max_length=200,
        required=False,
        help_text=_(
            "As it is officially named, e.g. Boulder or Boulder County. "
            "Leave empty, or type the state's name, to answer for the whole state."
        ),
    )

    respondent_name = forms.CharField(
        label=_("Your name"), max_length=120, error_messages={"required": _("Enter your name.")}
    )
    respondent_title = forms.CharField(
        label=_("Your role"),
        max_length=120,
        required=False,
        help_text=_("E.g. Mayor, or International affairs officer."),
    )
    respondent_email = forms.EmailField(
        label=_("Your email address"),
        help_text=_("We send a link to confirm your answer here; it is never published."),
        error_messages={
            "required": _("Enter your email address."),
            "invalid": _("Enter an email address like name@example.gov."),
        },
    )
    comment = forms.CharField(
        label=_("Comment"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What would help your place most? At most 2,000 characters."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # One query for the five lists: plain choices, turned back into topics in clean().
        self.topics = {topic.slug: topic for topic in Topic.objects.order_by("name")}
        choices = [
            ("", _("- Select -")),
            *((t.slug, Translated.of(t, "name").plain()) for t in self.topics.values()),
        ]
        for rank, label in enumerate(RANK_LABELS, start=1):
            self.fields[f"topic_{rank}"] = forms.ChoiceField(
                label=label,
                choices=choices,
                required=rank == 1,
                error_messages={
                    "required": _("Choose at least your first priority."),
                    "invalid_choice": _("Choose a topic from the list."),
                },
                widget=forms.Select(attrs={"class": "usa-select"}),
            )
        self.order_fields(["state", "answer_for", "place_name", *self.rank_fields(), "comment"])

    def rank_fields(self) -> list[str]:
        return [f"topic_{rank}" for rank in range(1, len(RANK_LABELS) + 1)]

    def clean_respondent_email(self) -> str:
        return self.cleaned_data["respondent_email"].lower()

    def clean(self):
        cleaned = forms.Form.clean(self)  # the place is found here, not as PlacePickerForm does
        self._clean_place_or_state(cleaned)
        chosen = []
        for name in self.rank_fields():
            topic = self.topics.get(cleaned.get(name) or "")
            if topic is None:
                continue
            if topic in chosen:
                self.add_error(
                    name, _("You chose %(topic)s twice; choose each topic once.") % {"topic": topic}
                )
            else:
                chosen.append(topic)
        # Ranks close up: choices left empty between others do not leave gaps.
        cleaned["topics"] = chosen
        return cleaned

    def _clean_place_or_state(self, cleaned: dict) -> None:
        """Exactly one of a city or county (place) and a whole state (whole_state)."""
        cleaned["place"] = cleaned["whole_state"] = None
        state, name = cleaned.get("state"), (cleaned.get("place_name") or "").strip()
        answer_for = cleaned.get("answer_for")
        if not name and not answer_for:
            self.add_error(
                "answer_for",
                _("Choose what you answer for: a city or county, or the whole state."),
            )
            return
        if not name and answer_for == AnswerFor.PLACE:
            self.add_error(
                "place_name",
                _("Enter the name of your city or county, or choose the whole state."),
            )
            return
        if state is None and not self.data.get("state") and answer_for != AnswerFor.PLACE:
            # No state chosen, but the name typed is one: "Idaho" alone answers for Idaho.
            state = next((s for s in State.objects.all() if names_the_state(s, name)), None)
            if state is not None:
                self.errors.pop("state", None)
                cleaned["state"] = cleaned["whole_state"] = state
                return
        if state is None:
            return  # the state field says what is missing
        if answer_for == AnswerFor.STATE:
            if name and not names_the_state(state, name):
                self.add_error(
                    "place_name",
                    _(
                        "You chose the whole state and also named “%(name)s”. Clear the city "
                        "or county to answer for all of %(state)s, or choose “A city, town or "
                        "county”."
                    )
                    % {"name": name, "state": state.name},
                )
                return
            cleaned["whole_state"] = state
            return
        # A city or county by that name comes first; otherwise the state's own name means it.
        if names_the_state(state, name) and not self._has_place_named(state, name):
            cleaned["whole_state"] = state
            return
        cleaned["place"] = self._find_place(state, name)

    def _has_place_named(self, state: State, name: str) -> bool:
        return state.places.filter(search_names__contains=f"|{fold(name)}|").exists()
