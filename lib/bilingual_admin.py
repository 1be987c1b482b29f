"""The admin side of content in two languages: a column saying what lacks Spanish and a
"Needs Spanish translation" filter, for any model registered with modeltranslation. The
English and Spanish fields themselves are shown side by side by modeltranslation's
TranslationAdmin (its tabbed variant loads jQuery UI from a CDN, which the CSP forbids)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from lib.bilingual import missing, missing_q


class NeedsSpanishFilter(admin.SimpleListFilter):
    title = _("needs Spanish translation")
    parameter_name = "needs_spanish"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        condition = missing_q(list(self.model_admin_fields))
        if self.value() == "yes":
            return queryset.filter(condition)
        if self.value() == "no":
            return queryset.exclude(condition)
        return queryset

    def __init__(self, request, params, model, model_admin):
        self.model_admin_fields = model_admin.translated_fields
        super().__init__(request, params, model, model_admin)


class SpanishColumn:
    """Mixin: `translated_fields` lists the fields with a Spanish version; `spanish` is a
    change-list column naming those that lack it."""

    translated_fields: list[str] = []

    @admin.display(description=_("Spanish"))
    def spanish(self, obj):
        lacking = missing(obj, self.translated_fields, "es")
        if not lacking:
            return _("Translated")
        names = [str(obj._meta.get_field(name).verbose_name) for name in lacking]
        return _("Missing: %(fields)s") % {"fields": ", ".join(names)}
