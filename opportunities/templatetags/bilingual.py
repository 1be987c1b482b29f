"""Listing, topic and region texts in the reader's language, honest about English fallbacks.

{% load bilingual %}
{% translated listing "title" %}          the title, or the English one marked lang="en"
                                          with "(solo en inglés)" beside it
{% translated listing "body" as body %}   the same as an object: body.text, body.lang,
                                          body.fallback (for text that goes through a filter)
{% translated name %}                     a `Translated` made in Python (a name read with
                                          `Translated.from_row`), with its markup; `{{ name }}`
                                          would give the plain text
{% only_in_english %}                     the note alone
"""

from django import template

from lib.bilingual import Translated, note

register = template.Library()


@register.simple_tag
def translated(obj, field: str = ""):
    if obj is None or obj == "":
        return ""
    if isinstance(obj, Translated):
        return obj
    return Translated.of(obj, field)


@register.simple_tag
def only_in_english():
    return note()
