"""API keys that staff issue in the admin: a key raises the caller's rate limit.

Only a SHA-256 hash of each key is stored; the key itself is shown once, when it is created.
Keys are long random strings, so a fast hash is enough (nothing to guess from a dictionary).
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

KEY_PREFIX = "sdp_"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)

    def for_key(self, key: str) -> ApiKey | None:
        """The active key with this value, or None."""
        return self.active().filter(key_hash=hash_key(key)).first()


class ApiKey(models.Model):
    name = models.CharField(
        _("name"), max_length=120, help_text=_("Who uses this key, and for what.")
    )
    contact_email = models.EmailField(_("contact email"), blank=True)
    prefix = models.CharField(_("key starts with"), max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def issue(self) -> str:
        """Give this (unsaved) key a new random value and return it; only its hash is kept."""
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        self.prefix = key[: len(KEY_PREFIX) + 6]
        self.key_hash = hash_key(key)
        return key

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
