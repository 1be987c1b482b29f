"""A service the portal needs is unreachable: a 503 with Retry-After, never a traceback or a 500.

PostgreSQL restarting, Redis stopped (where a request cannot do without it: a rate-limit count,
a cache invalidation) or the task queue's broker away raise errors that mean "try again in a
moment", not "the portal is broken". `ServiceUnavailableMiddleware` turns those raised by a
view into the 503 page; `handler500` (diplomacy.views.server_error) does the same for those
raised elsewhere (a session saved in middleware). The page is rendered without the database,
in the request's language: the site's look for pages, the API's error style under /api/. A
form posted at such a moment was not saved, and the page says so.

The portal recovers by itself: a broken pooled database connection is closed here (and before
each request by Django's health checks, CONN_HEALTH_CHECKS), so the next request connects anew.
"""

from __future__ import annotations

import logging

import kombu.exceptions
import psycopg
import redis
from csp.utils import build_policy
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from lib.cache import UNAVAILABLE as REDIS_UNAVAILABLE

logger = logging.getLogger(__name__)

# How long clients (and crawlers) are asked to wait before trying again.
RETRY_AFTER_SECONDS = 30
DATABASE, REDIS, TASK_QUEUE = "database", "redis", "task queue"


def failed_part(error: BaseException | None) -> str | None:
    """Which service an error says is unreachable (following its causes), or None."""
    seen = 0
    while error is not None and seen < 5:
        if isinstance(error, OperationalError | InterfaceError | psycopg.OperationalError):
            return DATABASE
        if isinstance(error, redis.RedisError) and isinstance(error, REDIS_UNAVAILABLE):
            return REDIS
        if isinstance(error, kombu.exceptions.OperationalError):
            return TASK_QUEUE
        error = error.__cause__ or error.__context__
        seen += 1
    return None


def _drop_broken_connections() -> None:
    """Close database connections the error left unusable, so the next request opens a new one
    (outside a transaction only: inside one, its owner must roll back first)."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            try:
                connection.close_if_unusable_or_obsolete()
            except DatabaseError:
                connection.connection = None


def unavailable_response(request: HttpRequest, part: str) -> HttpResponse:
    """The 503: JSON under /api/, else the page, in the path's language; never cached."""
    language = translation.get_language_from_path(request.path_info) or settings.LANGUAGE_CODE
    posted = request.method == "POST"
    with translation.override(language):
        if request.path_info.startswith("/api/"):
            response = JsonResponse(
                {
                    "status": 503,
                    "detail": _(
                        "The service is briefly unavailable; please try again in a minute."
                    ),
                },
                status=503,
            )
        else:
            context = {"posted": posted}
            try:
                response = render(request, "503.html", context, status=503)
            except Exception:  # the page itself failed: the plain page needs nothing at all
                logger.exception("The 503 page could not be rendered")
                response = HttpResponse(render_to_string("503_plain.html", context), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    # On the handler500 path the middleware that adds these may not see this answer.
    response.setdefault("Content-Security-Policy", build_policy())
    response.setdefault("X-Frame-Options", settings.X_FRAME_OPTIONS)
    return response


def respond_if_unavailable(request: HttpRequest, error: BaseException | None):
    """The 503 response when `error` means a service is unreachable, else None."""
    part = failed_part(error)
    if part is None:
        return None
    logger.warning(
        "%s %s: %s unavailable (%s: %s)",
        request.method,
        request.path,
        part,
        type(error).__name__,
        error,
    )
    if part == DATABASE:
        _drop_broken_connections()
    return unavailable_response(request, part)


class ServiceUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        return respond_if_unavailable(request, exception)
