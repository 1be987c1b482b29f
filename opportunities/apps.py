from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpportunitiesConfig(AppConfig):
    name = "opportunities"
    verbose_name = _("Opportunities")

    def ready(self):
        from opportunities import signals  # noqa: F401 - connects the receivers
        from opportunities.sources import admin  # noqa: F401 - registers sources in the admin
