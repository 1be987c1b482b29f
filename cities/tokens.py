"""Signed, expiring tokens for the links we email to people without an account."""

from __future__ import annotations

from datetime import timedelta

from django.core import signing

# A confirmation link also shows the submission's status later, so it lasts a season.
MAX_AGE = timedelta(days=90)


def make_token(salt: str, pk: int) -> str:
    return signing.dumps(pk, salt=salt)


def read_token(salt: str, token: str) -> int | None:
    """The primary key a token carries; None when it is damaged, forged or too old."""
    try:
        pk = signing.loads(token, salt=salt, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    return pk if isinstance(pk, int) else None
