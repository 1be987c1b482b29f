"""Plain-language hint for staff: the reading grade level of a listing's summary."""

import textstat
from django.utils.translation import gettext as _

TARGET_GRADE = 8


def reading_grade(text: str) -> float | None:
    """Flesch–Kincaid grade level, or None when there is too little text to judge."""
    if len((text or "").split()) < 5:
        return None
    return round(max(textstat.flesch_kincaid_grade(text), 0.0), 1)


def reading_hint(grade: float) -> str:
    if grade <= TARGET_GRADE:
        return _("Grade %(grade)s: plain language. Good.") % {"grade": grade}
    return _(
        "Grade %(grade)s: harder than the grade %(target)s we aim for. "
        "Try shorter sentences and everyday words."
    ) % {"grade": grade, "target": TARGET_GRADE}
