"""Signed, expiring links for people without an account (confirm, manage, unsubscribe, status).

Every kind of link is a `LinkKind`: a salt (so a token made for one purpose never opens
another) and a lifetime. A token carries one or more IDs; reading a token that was altered,
made for another kind or is too old raises `BadLink`, whatever the kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core import signing


class BadLink(Exception):
    """A signed link that was altered, belongs to another kind, or has expired."""


@dataclass(frozen=True)
class LinkKind:
    salt: str
    lifetime: timedelta

    def sign(self, *ids: int) -> str:
        """A token for these IDs (a subscription, and perhaps a listing)."""
        return signing.dumps(list(ids), salt=self.salt, compress=False)

    def read(self, token: str) -> list[int]:
        """The IDs a token carries; raises BadLink when it is damaged, forged or too old."""
        try:
            payload = signing.loads(token, salt=self.salt, max_age=self.lifetime)
        except signing.BadSignature as error:  # also SignatureExpired
            raise BadLink(str(error)) from error
        if isinstance(payload, int) and not isinstance(payload, bool):
            payload = [payload]  # links mailed before every kind carried a list
        if (
            not isinstance(payload, list)
            or not payload
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in payload)
        ):
            raise BadLink("malformed payload")
        return payload
