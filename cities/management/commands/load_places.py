"""Load (or refresh) regional bureaus, countries, US states and territories, cities and counties."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from cities import reference


class Command(BaseCommand):
    help = (
        "Load regional bureaus and countries, every US state, DC and inhabited territory, and "
        "US cities and counties from maintained packages. Safe to run again: it updates what "
        "it loaded before and never touches staff-edited contact details."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--min-population",
            type=int,
            default=reference.DEFAULT_MIN_POPULATION,
            help="Smallest city population to load: one of "
            f"{', '.join(map(str, reference.MIN_POPULATION_CHOICES))} "
            f"(default {reference.DEFAULT_MIN_POPULATION}).",
        )

    def handle(self, *args, min_population, verbosity, **options):
        if min_population not in reference.MIN_POPULATION_CHOICES:
            choices = ", ".join(map(str, reference.MIN_POPULATION_CHOICES))
            raise CommandError(f"--min-population must be one of {choices}, not {min_population}.")
        countries = reference.load_bureaus_and_countries()
        states = reference.load_states()

        def progress(codes):
            return tqdm(codes, desc="Places by state", unit="state", disable=verbosity == 0)

        places = reference.load_places(min_population, progress=progress)
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded reference data: countries {countries}; states {states}; "
                f"cities and counties {places}."
            )
        )
