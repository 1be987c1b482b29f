"""The Redis caches build one client per connection pool, not one per call (lib/cache.py)."""

import pytest
from django.core.cache import caches


@pytest.mark.parametrize("alias", ["default", "pages"])
def test_every_call_reuses_the_same_redis_client(alias):
    cache = caches[alias]
    cache.set("client-reuse-check", "kept", 5)
    first = cache._cache.get_client("client-reuse-check")
    assert cache.get("client-reuse-check") == "kept"
    assert cache._cache.get_client("client-reuse-check", write=True) is first
    cache.delete("client-reuse-check")
