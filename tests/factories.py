from datetime import timedelta

import factory
from django.utils import timezone
from django.utils.text import slugify

from cities.models import Place, State
from opportunities.models import Audience, Kind, Listing, Status, Topic


class PlaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Place

    state = factory.LazyFunction(lambda: State.objects.get(usps_code="CO"))
    kind = Place.Kind.CITY
    name = factory.Sequence(lambda n: f"Testville {n}")
    slug = factory.LazyAttribute(lambda place: slugify(place.name))
    population = factory.Sequence(lambda n: 10_000 + n)
    latitude = 39.74
    longitude = -104.99
    time_zone = "America/Denver"


class ListingFactory(factory.django.DjangoModelFactory):
    """A published listing open to every US place, with the climate topic."""

    class Meta:
        model = Listing
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Listing number {n}")
    slug = factory.LazyAttribute(lambda listing: slugify(listing.title))
    kind = Kind.FUNDING
    status = Status.PUBLISHED
    summary = "Money for cities that work with partners abroad."
    body = "Apply **online**."
    sponsor = "U.S. Department of State"
    audiences = factory.LazyFunction(lambda: [Audience.LOCAL_GOVERNMENT])
    apply_url = factory.Sequence(lambda n: f"https://example.gov/apply/{n}")
    published_at = factory.LazyFunction(timezone.now)
    deadline = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))

    @factory.post_generation
    def topics(self, create, extracted, **kwargs):
        if create:
            self.topics.set(extracted if extracted is not None else [topic("climate")])


def topic(slug):
    return Topic.objects.get(slug=slug)
