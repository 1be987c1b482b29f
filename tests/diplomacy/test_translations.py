from pathlib import Path

from babel.messages.pofile import read_po
from django.utils import translation

CATALOG = Path(__file__).resolve().parents[2] / "locale/es/LC_MESSAGES/django.po"


def _messages():
    with CATALOG.open("rb") as fh:
        return [m for m in read_po(fh, locale="es") if m.id]


def test_every_interface_text_has_a_spanish_translation():
    untranslated = [m.id for m in _messages() if not m.string or m.fuzzy]
    assert untranslated == []


def test_compiled_catalog_matches_the_source():
    with translation.override("es"):
        for message in _messages():
            if isinstance(message.id, tuple):
                singular, plural = message.id
                assert translation.ngettext(singular, plural, 1) == message.string[0]
                assert translation.ngettext(singular, plural, 5) == message.string[1]
            else:
                assert translation.gettext(message.id) == message.string, message.id
