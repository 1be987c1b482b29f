"""Email digests: subscribing, matching, rendering and exactly-once delivery.

Views, the admin, Celery tasks and `manage.py send_digests` all call these functions; they may
import them from here. One module a concern:

- `links`: the signed links in digest emails (confirm, manage, unsubscribe, not interested);
- `subscribing`: double opt-in, preferences, pausing, leaving, hiding a listing;
- `matching`: which listings go into each subscriber's digest, and why;
- `rendering` (and `wire`, which writes messages on the SMTP connection): the email itself;
- `delivery`: runs, chunks, claims, and exactly once per subscriber and period;
- `recovery`: periods beat's firing missed, chunks the broker lost, and stuck digests;
- `views`, `urls` and `admin`: the public subscription pages and the staff's admin.
"""

from lib.signed_links import BadLink
from opportunities.digests.delivery import (
    ChunkResult,
    TransientMailError,
    count_digests,
    deliver_chunk,
    give_up,
    period_key,
    plan_run,
    subscriber_chunks,
)
from opportunities.digests.links import (
    CONFIRM,
    MANAGE,
    NOT_INTERESTED,
    UNSUBSCRIBE,
    link,
    manage_link,
    manage_token,
    not_interested_token,
    subscription_from_token,
)
from opportunities.digests.matching import (
    CLOSING_SOON_DAYS,
    Digest,
    DigestItem,
    Preferences,
    build_digests,
    match_reason,
    matching_listings,
    next_digest,
    with_preferences,
)
from opportunities.digests.recovery import (
    catch_up,
    current_runs_late,
    fired_at,
    stuck_count,
)
from opportunities.digests.rendering import (
    DigestParts,
    ItemFragments,
    digest_message,
    digest_parts,
    send_test_digest,
)
from opportunities.digests.subscribing import (
    confirm,
    confirm_again,
    hide_listing,
    request_subscription,
    revoke_links,
    save_preferences,
    send_manage_link,
    set_paused,
    unsubscribe,
)

__all__ = [
    "CLOSING_SOON_DAYS",
    "CONFIRM",
    "MANAGE",
    "NOT_INTERESTED",
    "UNSUBSCRIBE",
    "BadLink",
    "ChunkResult",
    "Digest",
    "DigestItem",
    "DigestParts",
    "ItemFragments",
    "Preferences",
    "TransientMailError",
    "build_digests",
    "catch_up",
    "confirm",
    "confirm_again",
    "count_digests",
    "current_runs_late",
    "deliver_chunk",
    "digest_message",
    "digest_parts",
    "fired_at",
    "give_up",
    "hide_listing",
    "link",
    "manage_link",
    "manage_token",
    "not_interested_token",
    "match_reason",
    "matching_listings",
    "next_digest",
    "period_key",
    "plan_run",
    "request_subscription",
    "revoke_links",
    "save_preferences",
    "send_manage_link",
    "send_test_digest",
    "set_paused",
    "stuck_count",
    "subscriber_chunks",
    "subscription_from_token",
    "unsubscribe",
    "with_preferences",
]
