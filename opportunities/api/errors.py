"""Every API error is JSON: {"status": 400, "detail": "a sentence", "errors": {...}}."""

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ValidationError):
        errors = response.data if isinstance(response.data, dict) else {"": response.data}
        body = {"detail": _("Some parameters are not valid; see errors."), "errors": errors}
    else:
        detail = response.data.get("detail") if isinstance(response.data, dict) else None
        body = {"detail": str(detail or exc)}
    response.data = {"status": response.status_code, **body}
    return response


class ErrorSerializer(serializers.Serializer):
    status = serializers.IntegerField(help_text="The HTTP status code.")
    detail = serializers.CharField(help_text="What went wrong, in a sentence.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="For invalid parameters: the messages for each parameter.",
    )
