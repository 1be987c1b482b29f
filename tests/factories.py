import factory
from django.utils.text import slugify

from cities.models import Place, State


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
