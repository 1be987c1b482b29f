"""Celery tasks: thin wrappers around the reach service, safe to run twice."""

from celery import shared_task

from cities import reach


@shared_task
def flush_listing_views() -> int:
    return reach.flush_listing_views()
