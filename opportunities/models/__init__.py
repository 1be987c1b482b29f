"""The opportunities app's models, one module per concern; import them from here."""

from opportunities.models.listing import (
    NO_DEADLINE,
    SEARCH_CONFIG,
    STUDENT_KINDS,
    Audience,
    EducationLevel,
    Format,
    GovernmentLevel,
    Kind,
    Listing,
    ListingQuerySet,
    Status,
    Topic,
    choice_array,
    many_to_many,
    validate_time_zone,
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

__all__ = [
    "NO_DEADLINE",
    "SEARCH_CONFIG",
    "STUDENT_KINDS",
    "Audience",
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
    "ListingQuerySet",
    "Role",
    "Status",
    "Subscription",
    "SubscriptionQuerySet",
    "SubscriptionStatus",
    "Topic",
    "choice_array",
    "many_to_many",
    "validate_time_zone",
]

# API keys belong to the open-data API; imported here so that Django registers the model.
from opportunities.api.keys import ApiKey  # noqa: E402, F401, I001
