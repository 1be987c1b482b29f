"""Celery tasks: thin wrappers around the publishing and export services, safe to run twice."""

from celery import shared_task

from opportunities import exports, publishing


@shared_task
def publish_scheduled_listings() -> int:
    return publishing.publish_scheduled_listings()


@shared_task
def archive_expired_listings() -> int:
    return publishing.archive_expired_listings()


@shared_task
def write_bulk_downloads() -> int:
    return exports.write_bulk_downloads()
