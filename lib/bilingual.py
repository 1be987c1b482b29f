"""Content in two languages: English first, Spanish beside it (django-modeltranslation).

Each translated field has a column per language (`title_en`, `title_es`) beside the original
column (`title`). Modeltranslation makes the original name read the current language (falling
back to English) and, left alone, would write the original name to the current language and
store the current language's text in the original column. Here the original name always means
English when written: `Listing(title=...)` and `listing.title = ...` fill `title_en` whatever
language is active (write `title_es` to set the Spanish), and
the original column always holds the English text, so everything that reads the columns
directly (the English search vector, COPY loads, raw SQL) keeps its meaning.

One trap remains: modeltranslation rewrites `QuerySet.update(title=...)` (and so
`bulk_update`) to the active language's column; to write the original columns as well, use
`Model.objects.rewrite(False)` in English (opportunities/publishing.py does).
"""

from __future__ import annotations

import re
from types import SimpleNamespace

from django.utils import translation
from django.utils.html import format_html

DEFAULT = "en"


def localized(field: str, lang: str) -> str:
    return f"{field}_{lang}"


def english_first(model, fields: list[str]) -> None:
    """Make the original names of `fields` mean English on writes (see the module's doc)."""
    init = model.__init__

    def __init__(self, *args, **kwargs):
        for name in fields:
            if name in kwargs:
                value = kwargs.pop(name)
                kwargs.setdefault(localized(name, DEFAULT), value)
        init(self, *args, **kwargs)

    model.__init__ = __init__
    for name in fields:
        field = model._meta.get_field(name)
        english = localized(name, DEFAULT)
        descriptor = model.__dict__[name]
        descriptor.__class__ = type(
            "EnglishFirst", (type(descriptor),), {"__set__": _set_english, "__get__": _get}
        )

        def pre_save(instance, add, field=field, english=english):
            value = getattr(instance, english, None)
            # No English column yet (a row loaded from a raw COPY): keep the original column.
            return value if value not in (None, "") else instance.__dict__.get(field.attname, "")

        field.pre_save = pre_save


def _get(self, instance, owner):
    """The current language's text, else the English; and for a row written straight to the
    original column (a raw COPY that filled no `_en` column), that column's English text."""
    value = super(type(self), self).__get__(instance, owner)
    if instance is None or value not in (None, ""):
        return value
    return instance.__dict__.get(self.field.name) or value


def _set_english(self, instance, value):
    """`listing.title = "..."` sets the English text, whatever language is active."""
    instance.__dict__[self.field.name] = value
    if getattr(instance, "_mt_init", False) or getattr(instance, "_mt_disable", False):
        return
    setattr(instance, localized(self.field.name, DEFAULT), value)


def field_label(verbose_name, lang: str) -> str:
    """The admin's label of a language's field: "title, in English", "title, in Spanish"
    (MODELTRANSLATION_BUILD_LOCALIZED_VERBOSE_NAME; modeltranslation calls it lazily)."""
    names = {"en": translation.gettext("in English"), "es": translation.gettext("in Spanish")}
    return f"{verbose_name}, {names.get(lang, lang)}"


def columns(path: str) -> list[str]:
    """For `values()` across a relation: a translated field's English text (the original
    column) and its text in each other language, `["topic__name", "topic__name_es"]`. Read
    back with `Translated.from_row`: names in the reader's language with no query per row."""
    from django.conf import settings  # settings.py imports this module

    others = [code for code in settings.MODELTRANSLATION_LANGUAGES if code != DEFAULT]
    return [path, *(localized(path, code) for code in others)]


def text_in(obj, field: str, lang: str) -> str:
    """The field's own text in `lang`, without falling back ("" when missing)."""
    return getattr(obj, localized(field, lang), None) or ""


# An email address or a web address alone reads the same in every language: never "missing".
NEUTRAL = r"^\S*(@|://)\S*$"


def neutral(text: str) -> bool:
    return bool(re.match(NEUTRAL, text.strip()))


def in_language(obj, field: str, lang: str | None = None) -> tuple[str, str]:
    """The text to show for `field` in `lang` (the current language by default), and the
    language it is really in: English when the Spanish is missing."""
    lang = lang or translation.get_language() or DEFAULT
    lang = lang.split("-")[0]
    if lang != DEFAULT:
        text = text_in(obj, field, lang)
        if text:
            return text, lang
    english = text_in(obj, field, DEFAULT) or obj.__dict__.get(field) or ""
    return english, lang if english and neutral(english) else DEFAULT


def missing(obj, fields: list[str], lang: str) -> list[str]:
    """The fields with English text but none in `lang`."""
    return [
        name
        for name in fields
        if text_in(obj, name, DEFAULT)
        and not neutral(text_in(obj, name, DEFAULT))
        and not text_in(obj, name, lang)
    ]


class Translated:
    """A text in the reader's language, or in English marked as English: `str()` is the plain
    text; in a template it renders as the text, or, when it fell back to English on a Spanish
    page, as `<span lang="en">text</span>` and a short note saying it is only in English (so
    screen readers switch voice, and no one mistakes it for a translation)."""

    __slots__ = ("text", "lang", "fallback")

    def __init__(self, text: str, lang: str, fallback: bool):
        self.text, self.lang, self.fallback = text, lang, fallback

    @classmethod
    def of(cls, obj, field: str, lang: str | None = None) -> Translated:
        lang = (lang or translation.get_language() or DEFAULT).split("-")[0]
        text, text_lang = in_language(obj, field, lang)
        return cls(text, text_lang, fallback=text_lang != lang and bool(text))

    @classmethod
    def from_row(cls, row: dict, path: str, lang: str | None = None) -> Translated:
        """The text of a `values(*columns(path))` row in the reader's language, as `of` gives
        it for an object."""
        lang = (lang or translation.get_language() or DEFAULT).split("-")[0]
        texts = {localized("text", DEFAULT): row[path]}
        if lang != DEFAULT:
            texts[localized("text", lang)] = row.get(localized(path, lang))
        return cls.of(SimpleNamespace(**texts), "text", lang)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Translated({self.text!r}, {self.lang!r}, fallback={self.fallback!r})"

    def __copy__(self) -> Translated:
        return self  # never changed after it is made

    def __deepcopy__(self, memo) -> Translated:
        return self

    def __bool__(self) -> bool:
        return bool(self.text)

    def __eq__(self, other) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(self.text)

    def __lt__(self, other) -> bool:
        return str(self) < str(other)

    def plain(self) -> str:
        """As text where no markup may go (an <option>, a <title>): the note in brackets."""
        if not self.fallback:
            return self.text
        return f"{self.text} ({translation.gettext('Only in English')})"

    def __html__(self) -> str:
        if not self.fallback:
            return str(format_html("{}", self.text))
        return str(format_html('<span lang="{}">{}</span> {}', self.lang, self.text, note()))


NOTE_CLASSES = "only-in-english text-base-dark text-italic font-body-3xs"


def note() -> str:
    """The small note beside a text shown in English on a Spanish page."""
    return format_html(
        '<span class="{}">{}</span>', NOTE_CLASSES, translation.gettext("Only in English")
    )


def missing_q(fields: list[str], lang: str = "es"):
    """Rows where any of `fields` has English text but none in `lang` (for filters)."""
    from django.db.models import Q

    condition = Q(pk__in=[])
    for name in fields:
        english, other = localized(name, DEFAULT), localized(name, lang)
        has_english = (
            Q(**{f"{english}__isnull": False})
            & ~Q(**{english: ""})
            & ~Q(**{f"{english}__regex": NEUTRAL})
        )
        lacks_other = Q(**{f"{other}__isnull": True}) | Q(**{other: ""})
        condition |= has_english & lacks_other
    return condition
