"""Who is calling the API, and how often they may: anonymous callers by address, callers with
an API key (header `X-API-Key`) by key, each with its own documented rate."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.throttling import SimpleRateThrottle

from lib.client_ip import client_ip
from opportunities.models import ApiKey

HEADER = "X-API-Key"
# Recording every use would write on every request; once an hour is enough to see who is active.
LAST_USED_RESOLUTION = timedelta(hours=1)


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        key = request.headers.get(HEADER, "").strip()
        if not key:
            return None
        api_key = ApiKey.objects.for_key(key)
        if api_key is None:
            raise AuthenticationFailed(_("This API key is not valid or has been revoked."))
        now = timezone.now()
        if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_RESOLUTION:
            ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        return None, api_key

    def authenticate_header(self, request):
        return HEADER


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": HEADER,
            "description": "Optional. A key issued by portal staff raises the rate limit.",
        }


class ClientAddressThrottle(SimpleRateThrottle):
    """Counts callers by the portal's one client-address rule (DJANGO_TRUSTED_PROXIES), the
    same as form rate limits and sign-in throttling."""

    def get_ident(self, request):
        return client_ip(request)


class ApiRateThrottle(ClientAddressThrottle):
    """API_RATE_ANONYMOUS per client address, or API_RATE_WITH_KEY per key."""

    cache_format = "throttle:api:%(ident)s"

    def get_rate(self):
        return settings.API_RATE_ANONYMOUS

    def allow_request(self, request, view):
        # Rates are read per request, so settings (and tests) can change them at run time.
        self.rate = (
            settings.API_RATE_WITH_KEY
            if isinstance(request.auth, ApiKey)
            else settings.API_RATE_ANONYMOUS
        )
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiKey):
            ident = f"key-{request.auth.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"ident": ident}
