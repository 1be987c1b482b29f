"""The opportunities app's models, one module per concern; import them from here.

`listing` the listings and topics, `subscription` email digests, `view_counts` how often
listings are viewed, `api_key` the keys staff issue for the open-data API, `source` the public
sources listings are imported from, `review` the review queue.
"""

from opportunities.models.api_key import ApiKey, ApiKeyQuerySet
from opportunities.models.listing import (
    NO_DEADLINE,
    SEARCH_CONFIG,
    SPANISH_SEARCH_CONFIG,
    STUDENT_KINDS,
    Audience,
    DeadlineKind,
    EducationLevel,
    FoldAccents,
    Format,
    GovernmentLevel,
    Kind,
    Listing,
    ListingQuerySet,
    Status,
    Topic,
    choice_array,
    many_to_many,
    spanish_or_english,
    validate_time_zone,
)
from opportunities.models.review import (
    ListingRevision,
    ReviewOutcome,
    ReviewReminder,
    ReviewSubmission,
)
from opportunities.models.source import (
    ChangeStatus,
    RunStatus,
    Source,
    SourceKind,
    SourceRun,
    UpstreamChange,
)
from opportunities.models.subscription import (
    DeliveryStatus,
    DigestDelivery,
    DigestRun,
    Frequency,
    HiddenListing,
    Role,
    Subscription,
    SubscriptionQuerySet,
    SubscriptionStatus,
)
from opportunities.models.view_counts import ListingViews

__all__ = [
    "UpstreamChange",
    "SourceRun",
    "SourceKind",
    "Source",
    "RunStatus",
    "ChangeStatus",
    "NO_DEADLINE",
    "SEARCH_CONFIG",
    "SPANISH_SEARCH_CONFIG",
    "STUDENT_KINDS",
    "ApiKey",
    "ApiKeyQuerySet",
    "Audience",
    "DeadlineKind",
    "FoldAccents",
    "DeliveryStatus",
    "DigestDelivery",
    "DigestRun",
    "EducationLevel",
    "Format",
    "Frequency",
    "GovernmentLevel",
    "HiddenListing",
    "Kind",
    "Listing",
    "ListingRevision",
    "ListingViews",
    "ListingQuerySet",
    "ReviewOutcome",
    "ReviewReminder",
    "ReviewSubmission",
    "Role",
    "Status",
    "Subscription",
    "SubscriptionQuerySet",
    "SubscriptionStatus",
    "Topic",
    "choice_array",
    "many_to_many",
    "spanish_or_english",
    "validate_time_zone",
]
