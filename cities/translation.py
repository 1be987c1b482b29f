"""The regional bureaus' names in English and Spanish (django-modeltranslation; see
opportunities/translation.py)."""

from modeltranslation.translator import TranslationOptions, register

from cities.models import Bureau
from lib.bilingual import english_first

BUREAU_FIELDS = ["name"]


@register(Bureau)
class BureauTranslation(TranslationOptions):
    fields = tuple(BUREAU_FIELDS)
    required_languages = {"en": ("name",)}


english_first(Bureau, BUREAU_FIELDS)
