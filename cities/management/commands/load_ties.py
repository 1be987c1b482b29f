"""Load (or refresh) the international ties reference data set, cities/data/ties.csv."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from cities import ties_data


class Command(BaseCommand):
    help = (
        "Load sister, partner and friendship cities and sister states from the reference data "
        "set, each with its public source. Safe to run again: ties staff added or corrected "
        "are kept as they are. Rows without a source or naming an unknown place or country are "
        "reported and not loaded. Run load_places first."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--file",
            type=Path,
            default=ties_data.TIES_CSV,
            help="The CSV to load (default: the data set shipped in cities/data/ties.csv).",
        )

    def handle(self, *args, file, verbosity, **options):
        if not file.is_file():
            raise CommandError(f"There is no file {file}.")

        def progress(rows):
            return tqdm(rows, desc="Ties", unit="row", disable=verbosity == 0)

        try:
            summary = ties_data.load_ties(file, progress=progress)
        except ValueError as error:
            raise CommandError(str(error)) from error
        for line, problem in summary.problems:
            self.stderr.write(self.style.WARNING(f"{file.name}, line {line}: {problem}"))
        self.stdout.write(self.style.SUCCESS(f"Ties: {summary}."))
