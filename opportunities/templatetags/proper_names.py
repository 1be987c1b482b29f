"""Names that stay in English on every page: a sponsor is an organization's proper name.

    {% load proper_names %}{{ listing.sponsor|english_name }}

On a page in another language the name is marked `lang="en"`, so that screen readers say it
with English pronunciation; on an English page it is the name alone.
"""

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.translation import get_language

register = template.Library()


@register.filter
def english_name(name) -> str:
    if not name or (get_language() or "en").split("-")[0] == "en":
        return conditional_escape(name or "")
    return format_html('<span lang="en">{}</span>', name)
