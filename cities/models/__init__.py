"""Places in the United States, the world they engage with, and what they tell the Department.

`places` holds the reference data (bureaus, countries, states, cities and counties), `ties` the
international ties staff record on profiles, `solutions` what places send in.
"""

from cities.models.places import Bureau, Country, LeaderOffice, Place, PlaceQuerySet, State
from cities.models.solutions import LocalSolution, SolutionStatus
from cities.models.ties import Delegation, EmbassyPartnership, NetworkMembership, SisterCity

__all__ = [
    "Bureau",
    "Country",
    "Delegation",
    "EmbassyPartnership",
    "LeaderOffice",
    "LocalSolution",
    "NetworkMembership",
    "Place",
    "PlaceQuerySet",
    "SisterCity",
    "SolutionStatus",
    "State",
]
