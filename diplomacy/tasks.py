"""Site-wide scheduled work (Celery beat)."""

from celery import shared_task

from diplomacy import content_version


@shared_task
def expire_pages_past_scheduled_moments() -> bool:
    return content_version.expire_pages_past_scheduled_moments()
