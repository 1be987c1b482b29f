"""Result cards (templates/opportunities/includes/listing_card.html), each rendered once per
version of what it shows and then reused from the "cards" cache.

Rendering twenty cards costs more than every query of the search page together, while the
same listings come back page after page. A card's cache key is a digest of everything it
shows: the listing's loaded fields, its snippet and fit line (which vary with the words and
the place), the language, and what the clock changes (days left, still open). So a key never
needs forgetting: an edited listing, even one changed in bulk without touching updated_at,
simply has a new key, and the old card ages out of the cache.
"""

from __future__ import annotations

import hashlib

from django.core.cache import caches
from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

CARD_TEMPLATE = "opportunities/includes/listing_card.html"
# Every column a card shows or its fit line reads (Listing.fit_for, is_open, days_left): a
# search page loads only these, and so hashes only these into the card's key.
CARD_FIELDS = (
    "id", "slug", "kind", "status", "title", "title_en", "title_es", "summary", "summary_en",
    "summary_es", "sponsor", "deadline", "deadline_kind", "time_zone", "starts_at", "ends_at",
    "audiences", "government_levels", "min_population", "max_population",
)  # fmt: skip
CACHE = "cards"
# Loaded values that do not change what the card shows: the sort key is the rank of a text
# search (another search ranks the same card differently).
NOT_SHOWN = {"sort_key"}


def _key(listing, language: str) -> str:
    shown = sorted(
        (name, value)
        for name, value in vars(listing).items()
        if not name.startswith("_") and name not in NOT_SHOWN
    )
    clock = (listing.is_open, listing.days_left)
    digest = hashlib.blake2b(repr((shown, clock)).encode(), digest_size=16).hexdigest()
    return f"card:{language}:{listing.pk}:{digest}"


def fragment(template_name: str, context: dict) -> SafeString:
    """A template rendered once per distinct `context` (and language), then reused from the
    same cache as the cards: the key is a digest of the context's repr, so it must hold plain
    values whose repr shows all they render (the search page's facet groups)."""
    digest = hashlib.blake2b(repr(sorted(context.items())).encode(), digest_size=16).hexdigest()
    key = f"fragment:{template_name}:{get_language()}:{digest}"
    cache = caches[CACHE]
    html = cache.get(key)
    if html is None:
        html = get_template(template_name).render(context)
        cache.set(key, html)
    return mark_safe(html)  # noqa: S308  (rendered by the template engine, autoescaped)


def result_cards(listings) -> list[SafeString]:
    """The cards of these listings (with their `snippet` and `fit` when set), in order."""
    if not listings:
        return []
    language = get_language()
    keys = [_key(listing, language) for listing in listings]
    cache = caches[CACHE]
    found = cache.get_many(keys)
    missing = {}
    template = None
    for listing, key in zip(listings, keys, strict=True):
        if key not in found:
            template = template or get_template(CARD_TEMPLATE)
            missing[key] = found[key] = template.render({"listing": listing})
    if missing:
        cache.set_many(missing)
    # Rendered by the template engine with autoescaping, as the include would have been.
    return [mark_safe(found[key]) for key in keys]  # noqa: S308
