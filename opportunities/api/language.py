"""The language of API answers: `?lang=en|es`, else the Accept-Language header, else English.

Listing texts come in that language; where a Spanish text is missing the English one is given
instead, and the listing's `fallback_fields` names those fields. Every answer says its language
in the Content-Language header.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError

CODES = [code for code, _name in settings.LANGUAGES]

LANG = OpenApiParameter(
    "lang",
    {"type": "string", "enum": CODES},
    description="The language of the texts: en or es. Without it, the Accept-Language header "
    "decides (English when it names neither). Where a Spanish text is missing, the English one "
    "is given and the listing's fallback_fields says which.",
)


class InLanguage:
    """API view mixin: reads ?lang= (400 when it is neither en nor es) and answers in it."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        values = request.query_params.getlist("lang")
        if values:
            if len(values) > 1 or values[0] not in CODES:
                raise ValidationError({"lang": [_("Use en or es.")]})
            language = values[0]
        else:
            # The site's middleware gives unprefixed addresses English; the API reads the header.
            language = translation.get_language_from_request(request._request)
        translation.activate(language)
        request.LANGUAGE_CODE = language

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Content-Language"] = translation.get_language()
        return response
