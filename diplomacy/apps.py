from django.apps import AppConfig


class DiplomacyConfig(AppConfig):
    name = "diplomacy"
    verbose_name = "Subnational Diplomacy Portal"

    def ready(self):
        from diplomacy import content_version

        content_version.connect()
