"""Health of the services the portal depends on, for /healthz and load balancers.

Every check gives up quickly (the database's connect timeout, DATABASE_CONNECT_TIMEOUT; Redis
and the worker ping in about a second), so /healthz answers while a service restarts.
"""

import redis
from django.conf import settings
from django.db import connection

from diplomacy.celery import app as celery_app
from lib.cache import quick_redis

CELERY_PING_TIMEOUT = 1.0


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as exc:  # any failure means "down"; the message says which
        return f"down: {type(exc).__name__}"


def redis_status() -> str:
    try:
        quick_redis(settings.REDIS_URL).ping()
        return "ok"
    except (redis.RedisError, OSError) as exc:
        return f"down: {type(exc).__name__}"


def celery_status() -> str:
    try:
        replies = celery_app.control.ping(timeout=CELERY_PING_TIMEOUT)
    except Exception as exc:  # the broker itself is unreachable
        return f"down: {type(exc).__name__}"
    return "ok" if replies else "down: no worker answered"


def check_all() -> dict[str, str]:
    checks = {"database": database_status(), "redis": redis_status()}
    # Without Redis there is no broker to ask the workers through.
    checks["celery"] = celery_status() if checks["redis"] == "ok" else "down: no broker"
    return checks
