from datetime import timedelta

import factory
from django.utils import timezone
from django.utils.text import slugify

from cities.models import Bureau, Place, State
from opportunities.models import (
    Audience,
    Kind,
    Listing,
    Status,
    Subscription,
    SubscriptionStatus,
    Topic,
)


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


class SubscriptionFactory(factory.django.DjangoModelFactory):
    """A pending weekly subscription to every new listing. `confirmed=True` makes it one that
    was confirmed a week ago; `topics` (slugs) and `bureaus` (codes) narrow it; a `place` brings
    its state along."""

    class Meta:
        model = Subscription
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"reader{n}@example.gov")
    state = factory.LazyAttribute(
        lambda subscription: subscription.place and subscription.place.state
    )
    place = None

    class Params:
        confirmed = factory.Trait(
            status=SubscriptionStatus.CONFIRMED,
            confirmed_at=factory.LazyFunction(lambda: timezone.now() - timedelta(days=7)),
        )

    @factory.post_generation
    def topics(self, create, extracted, **kwargs):
        if create and extracted:
            self.topics.set([topic(slug) for slug in extracted])

    @factory.post_generation
    def bureaus(self, create, extracted, **kwargs):
        if create and extracted:
            self.bureaus.set(Bureau.objects.filter(code__in=extracted))


def topic(slug):
    return Topic.objects.get(slug=slug)


TRANSLATED_FORM_FIELDS = ("title", "summary", "body", "duration", "location", "apply_contact")


def admin_listing_form(data: dict) -> dict:
    """A listing's admin form data: translated fields are posted as their English field
    (`title_en`), as the admin shows each in English and Spanish."""
    return {
        f"{name}_en" if name in TRANSLATED_FORM_FIELDS else name: value
        for name, value in data.items()
    }
