"""Whole public pages for anonymous visitors, kept in Redis until the content changes.

A page is stored under its address (scheme, host, path and the full query string), language,
the `HX-Request` and `HX-History-Restore-Request` headers (htmx asks for a part of the page,
or the whole of it), the visitor's chosen place (the
`place` cookie), whether the request came from another site (CORS headers) and the content
coding the visitor accepts, with the **content version** it was rendered under. Every write to
public content calls `content_changed()`, which moves the version on: a page kept under another
version than the current one is never served, the next request renders afresh. A hit is one
Redis round trip (the version and the page in one MGET).
Time changes content too (a deadline passes, an event starts): a beat task moves the version
on every minute in which that happened (diplomacy/content_version.py). `PAGE_CACHE_SECONDS` is
only a ceiling (countdowns in days, a beat that is not running).

Only the views named in `PAGE_CACHE_VIEWS` are cached, only for GET and HEAD without a session
or messages cookie, and only responses that are safe to share: status 200, no cookies set, the
CSRF token not used, no `Cache-Control: private/no-store/no-cache`. Those pages get an `ETag`,
a `Last-Modified` and `Cache-Control: public` a CDN can honour, and conditional requests get
304s. Any other response that is personal (signed-in, CSRF token used, cookies set) is marked
`private, no-store`. Redis down or slow means a miss (short socket timeouts on the `pages`
cache), never an error: after a failure the cache is left alone for a few seconds.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
import logging
import time

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import caches
from django.db import transaction
from django.http import HttpResponse
from django.urls import Resolver404, get_resolver, get_urlconf
from django.utils import translation
from django.utils.cache import (
    cc_delim_re,
    get_conditional_response,
    patch_cache_control,
)
from django.utils.http import http_date
from django.utils.module_loading import import_string

from lib.compression import accepted_coding, used_the_csrf_token

logger = logging.getLogger(__name__)

VERSION_KEY = "version"
# Headers never stored with a page: they are the transport's, or added on the way out.
UNSTORED_HEADERS = {"set-cookie", "date", "connection", "transfer-encoding"}
# A view that must still do something when its page is served from the cache (count a view)
# sets this attribute on its response: ("dotted.path.to.function", [arguments]).
ON_HIT = "page_cache_on_hit"
# Seconds the cache is left alone after Redis failed to answer (per process and location).
RETRY_AFTER_FAILURE = 5.0
_failed_at: dict[str, float] = {}


class Unavailable(Exception):
    """Redis did not answer: carry on without the cache."""


def _cache():
    return caches[settings.PAGE_CACHE_ALIAS]


def _location() -> str:
    return str(settings.CACHES[settings.PAGE_CACHE_ALIAS].get("LOCATION"))


def _call(method: str, *args, wait_after_failure: bool = True, **kwargs):
    location = _location()
    recently_failed = time.monotonic() - _failed_at.get(location, -RETRY_AFTER_FAILURE)
    if wait_after_failure and recently_failed < RETRY_AFTER_FAILURE:
        raise Unavailable
    try:
        return getattr(_cache(), method)(*args, **kwargs)
    except ValueError:  # incr of a missing key: an answer, not a failure
        raise
    except Exception as error:  # redis-py's errors, sockets, timeouts: all mean "no cache"
        _failed_at[location] = time.monotonic()
        logger.warning("Page cache unavailable (%s): %r", method, error)
        raise Unavailable from error


def _bump() -> None:
    # Always tried (writes are rare): a bump skipped while Redis was thought down would leave
    # stale pages once it answers again.
    try:
        try:
            _call("incr", VERSION_KEY, wait_after_failure=False)
        except ValueError:  # no version yet (or Redis lost it): start from a new one
            _call("add", VERSION_KEY, time.time_ns(), None, wait_after_failure=False)
            _call("incr", VERSION_KEY, wait_after_failure=False)
    except Unavailable:
        # The bump is lost; PAGE_CACHE_SECONDS bounds how long a page stays stale.
        logger.error("Could not move the page cache's content version on")


def content_changed() -> None:
    """Public content changed: every page is rendered afresh on its next request.

    Moves the version on now (so this process and the test client see it at once) and again
    after the transaction commits (a page rendered from the old rows in between must not stay).
    """
    _bump()
    transaction.on_commit(_bump)


def current_version() -> str | None:
    """The content version pages are stored under now; None when Redis does not answer."""
    try:
        version = _call("get", VERSION_KEY)
        if version is None:
            _call("add", VERSION_KEY, time.time_ns(), None)
            version = _call("get", VERSION_KEY)
    except Unavailable:
        return None
    return str(version)


_MISSING = object()
# The version a page being rendered for the cache was looked up under (one Redis read per miss,
# not one more for each thing kept while unchanged).
_rendering_under = contextvars.ContextVar("rendering_under", default=None)


def kept_while_unchanged(name: str, words: str, compute, alias: str = "cards"):
    """`compute()`, kept in this process's memory (the `alias` cache) under `name` and `words`
    until public content changes: the content version is part of the key, so an answer read
    from any public row is never served stale. Computed each time when Redis does not answer
    (no version to key it by)."""
    version = _rendering_under.get() or current_version()
    if version is None:
        return compute()
    digest = hashlib.blake2b(words.encode(), digest_size=16).hexdigest()
    key = f"{name}:{version}:{digest}"
    cache = caches[alias]
    kept = cache.get(key, _MISSING)
    if kept is _MISSING:
        kept = compute()
        cache.set(key, kept, 3600)
    return kept


def get_value(name: str):
    """A small value kept beside the pages (None when missing or Redis does not answer)."""
    try:
        return _call("get", f"value:{name}", wait_after_failure=False)
    except Unavailable:
        return None


def set_value(name: str, value) -> None:
    with contextlib.suppress(Unavailable):
        _call("set", f"value:{name}", value, None, wait_after_failure=False)


@functools.lru_cache(maxsize=4096)
def _view_name(resolver, language: str, path: str) -> str | None:
    """The view an address goes to, resolved once per process (the handler resolves it again
    for a miss). Keyed by the resolver object, which changes with the URL configuration."""
    try:
        with translation.override(language):
            return resolver.resolve(path).view_name
    except Resolver404:
        return None


def _language(request) -> str:
    return translation.get_language_from_path(request.path_info) or settings.LANGUAGE_CODE


def _cacheable_view(request, language: str) -> bool:
    resolver = get_resolver(get_urlconf())
    return _view_name(resolver, language, request.path_info) in settings.PAGE_CACHE_VIEWS


def _personal(request) -> bool:
    """A session (signed in, or anything kept for the visitor) or messages waiting."""
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME in cookies or CookieStorage.cookie_name in cookies


def _key(request, language: str) -> str:
    meta = request.META  # not request.headers: a hit reads no other header
    parts = [
        request.build_absolute_uri(),
        language,
        meta.get("HTTP_HX_REQUEST", ""),
        meta.get("HTTP_HX_HISTORY_RESTORE_REQUEST", ""),
        request.COOKIES.get(settings.PAGE_CACHE_PLACE_COOKIE, ""),
        "cors" if "HTTP_ORIGIN" in meta else "",
        accepted_coding(request),
    ]
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()
    return f"page:{digest}"


def _lookup(key: str) -> tuple[str | None, dict | None]:
    """The current content version and the page kept under `key` if it was rendered under that
    version, in one round trip; (None, None) when Redis does not answer."""
    try:
        found = _call("get_many", [VERSION_KEY, key])
    except Unavailable:
        return None, None
    if found.get(VERSION_KEY) is None:
        return current_version(), None
    version = str(found[VERSION_KEY])
    stored = found.get(key)
    if stored is None or stored.get("version") != version:
        return version, None
    return version, stored


def _cache_control(response) -> set[str]:
    header = response.get("Cache-Control", "")
    return {part.split("=")[0].strip().lower() for part in cc_delim_re.split(header) if part}


def _own_cookies(response) -> set[str]:
    """The cookies a response sets besides the chosen place's. That one is not personal: its
    value is the address's own `?place=`, so every first-time visitor to it gets the same one."""
    return set(response.cookies) - {settings.PAGE_CACHE_PLACE_COOKIE}


def _shareable(request, response) -> bool:
    """A response anyone may be given: nothing in it belongs to this visitor."""
    return (
        response.status_code == 200
        and not response.streaming
        and not _own_cookies(response)
        and not used_the_csrf_token(request)
        and not (_cache_control(response) & {"private", "no-store", "no-cache"})
        and not getattr(getattr(request, "user", None), "is_authenticated", False)
    )


def _is_personal_response(request, response) -> bool:
    """Signed in, a session, a CSRF token or cookies: no shared cache may keep it."""
    return bool(
        _own_cookies(response)
        or used_the_csrf_token(request)
        or _personal(request)
        or getattr(getattr(request, "user", None), "is_authenticated", False)
    )


def _make_public(response, stored_at: float) -> None:
    """Validators and a Cache-Control for browsers (revalidate every time: a 304 is cheap) and
    for shared caches (a CDN may serve it for PAGE_CACHE_SHARED_SECONDS)."""
    if not response.has_header("ETag"):
        digest = hashlib.md5(response.content, usedforsecurity=False).hexdigest()
        response["ETag"] = f'"{digest}"'
    response["Last-Modified"] = http_date(stored_at)
    # The language is in the path and anonymous pages do not depend on the session: neither
    # Accept-Language nor Cookie changes what this address shows (see README, "Caching").
    vary = [
        v.strip()
        for v in cc_delim_re.split(response.get("Vary", ""))
        if v.strip() and v.strip().lower() not in ("accept-language", "cookie")
    ]
    if vary:
        response["Vary"] = ", ".join(vary)
    elif response.has_header("Vary"):
        del response["Vary"]
    del response["Cache-Control"]
    if response.cookies:  # the chosen place's: kept here, but no shared cache should replay it
        patch_cache_control(response, private=True, max_age=0)
    else:
        patch_cache_control(
            response, public=True, max_age=0, s_maxage=settings.PAGE_CACHE_SHARED_SECONDS
        )


def _conditional(request, response, stored_at: float):
    return get_conditional_response(
        request,
        etag=response.get("ETag"),
        last_modified=int(stored_at),
        response=response,
    )


class PageCacheMiddleware:
    """Serves anonymous GETs of public pages from Redis; see the module's docstring."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = _language(request)
        if (
            not settings.PAGE_CACHE_ENABLED
            or request.method not in ("GET", "HEAD")
            or _personal(request)
            or not _cacheable_view(request, language)
        ):
            response = self.get_response(request)
            if _is_personal_response(request, response):
                patch_cache_control(response, private=True, no_store=True)
            return response

        key = _key(request, language)
        version, stored = _lookup(key)
        if stored is not None:
            if hook := stored.get("on_hit"):
                import_string(hook[0])(*hook[1])
            response = HttpResponse(stored["content"], status=stored["status"])
            for name, value in stored["headers"]:
                response[name] = value
            for name, morsel in stored.get("cookies", {}).items():
                response.cookies[name] = morsel
            return _conditional(request, response, stored["stored_at"])

        rendering = _rendering_under.set(version)
        try:
            response = self.get_response(request)
        finally:
            _rendering_under.reset(rendering)
        if not _shareable(request, response):
            if _is_personal_response(request, response):
                patch_cache_control(response, private=True, no_store=True)
            return response
        stored_at = time.time()
        _make_public(response, stored_at)
        if version is not None and request.method == "GET":
            stored = {
                "version": version,
                "status": response.status_code,
                "headers": [
                    (name, value)
                    for name, value in response.items()
                    if name.lower() not in UNSTORED_HEADERS
                ],
                "content": response.content,
                # Only the chosen place's cookie can be here (see _own_cookies).
                "cookies": dict(response.cookies),
                "stored_at": stored_at,
                "on_hit": getattr(response, ON_HIT, None),
            }
            with contextlib.suppress(Unavailable):
                _call("set", key, stored, settings.PAGE_CACHE_SECONDS)
        return _conditional(request, response, stored_at)
