"""Project wiring for the Subnational Diplomacy Portal: settings, URLs, Celery, site-wide pages."""

from diplomacy.celery import app as celery_app

__all__ = ["celery_app"]
