"""Which listing and topic texts have a Spanish version (django-modeltranslation).

Each field below gets `<field>_en` and `<field>_es` columns; English is required, Spanish may
be missing and then falls back to English, shown as such (templatetags/bilingual.py). The
sponsor is a proper name and stays in one language. The change history is registered here,
after the language columns exist, so that it records both languages (django-simple-history's
advice for modeltranslation).
"""

import simple_history
from modeltranslation.translator import TranslationOptions, register
from simple_history.signals import pre_create_historical_record

from lib.bilingual import english_first
from opportunities.models import Listing, Topic

LISTING_FIELDS = ["title", "summary", "body", "duration", "location", "apply_contact"]
TOPIC_FIELDS = ["name"]


@register(Listing)
class ListingTranslation(TranslationOptions):
    fields = tuple(LISTING_FIELDS)
    required_languages = {"en": ("title", "summary")}


@register(Topic)
class TopicTranslation(TranslationOptions):
    fields = tuple(TOPIC_FIELDS)
    required_languages = {"en": ("name",)}


english_first(Listing, LISTING_FIELDS)
english_first(Topic, TOPIC_FIELDS)

simple_history.register(
    Listing,
    excluded_fields=[
        "search_vector",
        "search_vector_es",
        "upstream",
        "upstream_digest",
        "last_checked_at",
    ],
    m2m_fields=["topics", "bureaus", "countries", "target_states"],
)


def _english_in_history(sender, history_instance, **kwargs):
    """The history's original columns hold English too, whatever language the editor used."""
    for name in LISTING_FIELDS:
        english = getattr(history_instance, f"{name}_en", None)
        if english:
            setattr(history_instance, name, english)


pre_create_historical_record.connect(
    _english_in_history, sender=Listing.history.model, dispatch_uid="listing_history_english"
)
