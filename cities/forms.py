from django import forms
from django.utils.translation import gettext_lazy as _


class PlaceSearchForm(forms.Form):
    q = forms.CharField(
        label=_("City or county name"),
        max_length=100,
        required=False,
        error_messages={"max_length": _("Search for at most 100 characters.")},
    )

    def clean_q(self) -> str:
        return self.cleaned_data["q"].strip()
