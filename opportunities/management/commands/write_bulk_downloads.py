"""Write the bulk downloads (listings.csv, listings.json) now, as the hourly task does."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from opportunities.exports import BULK_FILES, write_bulk_downloads


class Command(BaseCommand):
    help = "Write listings.csv and listings.json of every published listing into OPEN_DATA_DIR."

    def add_arguments(self, parser):
        parser.add_argument(
            "--folder", type=Path, help="Write here instead of OPEN_DATA_DIR.", default=None
        )

    def handle(self, *args, folder=None, **options):
        folder = folder or Path(settings.OPEN_DATA_DIR)
        try:
            count = write_bulk_downloads(folder, progress=options["verbosity"] > 0)
        except OSError as error:
            raise CommandError(f"Could not write to {folder}: {error.strerror}.") from error
        names = " and ".join(BULK_FILES.values())
        self.stdout.write(f"Wrote {names} with {count} published listing(s) to {folder}.")
