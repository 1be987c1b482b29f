"""Places in the United States, the world they engage with, and what they tell the Department.

`places` holds the reference data (bureaus, countries, states, cities and counties), `ties` the
international ties staff record on profiles, `solutions` and `priorities` what places send in.
"""

from cities.models.places import (
    OFFICE_FIELDS,
    Bureau,
    Country,
    LeaderOffice,
    Place,
    PlaceQuerySet,
    State,
    search_names,
    states_matching,
)
from cities.models.priorities import MAX_PRIORITIES, PriorityRanking, PriorityResponse
from cities.models.solutions import LocalSolution, SolutionStatus
from cities.models.ties import Delegation, EmbassyPartnership, NetworkMembership, SisterCity

__all__ = [
    "MAX_PRIORITIES",
    "OFFICE_FIELDS",
    "Bureau",
    "Country",
    "Delegation",
    "EmbassyPartnership",
    "LeaderOffice",
    "LocalSolution",
    "NetworkMembership",
    "Place",
    "PlaceQuerySet",
    "PriorityRanking",
    "PriorityResponse",
    "SisterCity",
    "SolutionStatus",
    "State",
    "search_names",
    "states_matching",
]
